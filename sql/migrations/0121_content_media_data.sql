-- depends: 0120_core_ops_permission
-- content: the bytes of uploaded media files (POST /media), kept in PostgreSQL beside their content.media row,
-- so a backup holds them and every API process serves them; served at GET /media/<id>.

create table content.media_data (
    tenant_id  uuid not null,
    media_id   uuid not null,
    data       bytea not null,
    sha256     text not null,
    created_at timestamptz not null default now(),
    primary key (tenant_id, media_id),
    constraint media_data_media_fkey foreign key (tenant_id, media_id)
        references content.media (tenant_id, id) on delete cascade,
    constraint media_data_sha256_check check (sha256 ~ '^[0-9a-f]{64}$')
);
