-- core/tenants.sql: tenants and the tenant context (rustok.tenant_id) that row-level security keys on.

-- ---------------------------------------------------------------- tenant context
create or replace function core.current_tenant_id() returns uuid
    language sql stable parallel safe
as $$ select nullif(current_setting('rustok.tenant_id', true), '')::uuid $$;
comment on function core.current_tenant_id() is
    'The tenant of the current transaction (setting rustok.tenant_id), or null. Row-level security keys on it.';
grant execute on function core.current_tenant_id() to rustok_analyst, rustok_app;

create or replace function core.set_tenant(p_tenant_id uuid) returns uuid
    language sql volatile
as $$ select nullif(set_config('rustok.tenant_id', coalesce(p_tenant_id::text, ''), true), '')::uuid $$;
comment on function core.set_tenant(uuid) is
    'Set the tenant for the rest of the current transaction (transaction-local, like SET LOCAL).';
grant execute on function core.set_tenant(uuid) to rustok_analyst, rustok_app;

create or replace function core.tenant_id_by_slug(p_slug text) returns uuid
    language sql stable
    security definer set search_path = pg_catalog, pg_temp
as $$ select t.id from core.tenants t where t.slug = p_slug and t.is_active $$;
comment on function core.tenant_id_by_slug(text) is
    'Resolve an active tenant slug to its id (callable before a tenant context is set).';
-- definer: runs before a tenant is set; reveals only the id of an active slug the caller names
revoke all on function core.tenant_id_by_slug(text) from public, rustok_app, rustok_analyst;
grant execute on function core.tenant_id_by_slug(text) to rustok_app;

-- ---------------------------------------------------------------- core.tenants

comment on table core.tenants is 'A tenant (one shop / site). Everything tenant-owned carries tenant_id.';
comment on column core.tenants.slug is 'URL-safe unique name: lowercase letters, digits and single dashes, at most 64 characters.';
comment on column core.tenants.settings is 'Free-form tenant settings (JSON object), e.g. {"low_stock_threshold": 5}.';
comment on column core.tenants.text_search_config is 'Text search configuration (language) for this tenant''s search vectors.';
comment on column core.tenants.id is
    'Row id, the primary key: a ULID-layout uuid from core.new_id(), so ids sort by creation time.';
comment on column core.tenants.name is 'Display name of the tenant, 1-255 characters.';
comment on column core.tenants.is_active is
    'Inactive tenants cannot be resolved by slug (the API refuses their requests).';
comment on column core.tenants.created_at is 'When the row was created (write-once; trigger _100_timestamps).';
comment on column core.tenants.updated_at is
    'When the row last really changed (trigger _100_timestamps; an update that changes nothing keeps it).';

alter table core.tenants enable row level security;
select core.allow_analyst_read('core.tenants');
drop policy if exists tenant_isolation on core.tenants;
create policy tenant_isolation on core.tenants to rustok_app
    using ((id = core.current_tenant_id())) with check ((id = core.current_tenant_id()));
grant select, insert, update, delete on core.tenants to rustok_app;
grant select on core.tenants to rustok_analyst;

create or replace trigger _100_timestamps before insert or update on core.tenants
    for each row
    execute function core.tg__timestamps();
