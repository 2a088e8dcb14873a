-- depends: 0131_core_platform_admins
-- commerce: handles of products deleted while published, so a storefront can answer 410 Gone instead of 404.

create table commerce.retired_handles (
    tenant_id  uuid not null references core.tenants (id) on delete cascade,
    handle     text not null,
    product_id uuid not null,
    title      text not null,
    retired_at timestamptz not null default now(),
    primary key (tenant_id, handle)
);
create index retired_handles_product_idx on commerce.retired_handles (tenant_id, product_id);
