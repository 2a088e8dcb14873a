-- depends: 0121_content_media_data
-- commerce: a product's images (uploaded media, content.media), in order.

create table commerce.product_images (
    tenant_id  uuid not null,
    product_id uuid not null,
    media_id   uuid not null,
    position   integer not null default 0,
    created_at timestamptz not null default now(),
    primary key (tenant_id, product_id, media_id),
    constraint product_images_product_fkey foreign key (tenant_id, product_id)
        references commerce.products (tenant_id, id) on delete cascade,
    constraint product_images_media_fkey foreign key (tenant_id, media_id)
        references content.media (tenant_id, id) on delete cascade,
    constraint product_images_position_check check (position >= 0)
);

create index product_images_media_idx on commerce.product_images (tenant_id, media_id);
