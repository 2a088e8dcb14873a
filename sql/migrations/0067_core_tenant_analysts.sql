-- depends: 0066_ops_health
-- core: analysts restricted to one tenant. Login roles that are members of rustok_tenant_analyst read the index
-- and analytics schemas through row-level security keyed on core.analyst_tenants (login -> tenant), a table
-- only the owner writes: unlike a GUC, no `set` of the analyst can change which tenant it sees.

do $roles$
begin
    -- Roles are cluster-wide: create it only when missing (test clones and restores share a cluster).
    if not exists (select from pg_roles where rolname = 'rustok_tenant_analyst') then
        create role rustok_tenant_analyst nologin nosuperuser nocreatedb nocreaterole nobypassrls;
    end if;
end
$roles$;

create table core.analyst_tenants (
    role_name  text primary key,
    tenant_id  uuid not null references core.tenants (id) on delete cascade,
    created_at timestamptz not null default now(),
    constraint analyst_tenants_role_name_check check (role_name ~ '^[a-z_][a-z0-9_]{0,62}$')
);
create index analyst_tenants_tenant_idx on core.analyst_tenants (tenant_id);
