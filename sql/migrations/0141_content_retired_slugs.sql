-- depends: 0140_commerce_retired_handles
-- content: slugs of pages and posts deleted while public (published or archived), so a storefront can answer
-- 410 Gone instead of 404.

create table content.retired_slugs (
    tenant_id  uuid not null references core.tenants (id) on delete cascade,
    kind       text not null,
    slug       text not null,
    node_id    uuid not null,
    title      text not null,
    retired_at timestamptz not null default now(),
    primary key (tenant_id, kind, slug),
    constraint retired_slugs_kind_check check (kind in ('page', 'post'))
);
