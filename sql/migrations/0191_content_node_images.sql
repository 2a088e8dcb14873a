-- depends: 0190_content_media_files
-- content: a page's or post's images (uploaded media, content.media), in order, like commerce.product_images.

create table content.node_images (
    tenant_id  uuid not null,
    node_id    uuid not null,
    media_id   uuid not null,
    position   integer not null default 0,
    created_at timestamptz not null default now(),
    primary key (tenant_id, node_id, media_id),
    constraint node_images_node_fkey foreign key (tenant_id, node_id)
        references content.nodes (tenant_id, id) on delete cascade,
    constraint node_images_media_fkey foreign key (tenant_id, media_id)
        references content.media (tenant_id, id) on delete cascade,
    constraint node_images_position_check check (position >= 0)
);

create index node_images_media_idx on content.node_images (tenant_id, media_id);
