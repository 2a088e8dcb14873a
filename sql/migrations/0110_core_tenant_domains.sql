-- depends: 0102_commerce_inventory_adjustments
-- core: the host names a tenant's storefront answers on (tenant from the request's Host header).

create table core.tenant_domains (
    tenant_id  uuid not null references core.tenants (id) on delete cascade,
    host       text not null,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    primary key (tenant_id, host),
    constraint tenant_domains_host_key unique (host),
    constraint tenant_domains_host_format check (
        length(host) <= 253 and host = lower(host) and host ~ '^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$')
);
