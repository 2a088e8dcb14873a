-- Tenant domains: the host names a tenant's storefront answers on.

create or replace function core.tenant_slug_by_host(p_host text) returns text
    language sql stable
    security definer set search_path = pg_catalog, pg_temp
as $$
    select t.slug
    from core.tenant_domains d
    join core.tenants t on t.id = d.tenant_id
    where d.host = lower(p_host)
$$;
comment on function core.tenant_slug_by_host(text) is
    'The slug of the tenant whose storefront answers on this host name (core.tenant_domains), or null; also of a '
    'suspended tenant, whose pages then say it is suspended. Callable before a tenant is set (the storefront '
    'resolves the Host header with it).';
-- definer: runs before a tenant is set; reveals only the slug of the tenant of a host the caller names
revoke all on function core.tenant_slug_by_host(text) from public, rustok_app, rustok_analyst;
grant execute on function core.tenant_slug_by_host(text) to rustok_app;

create or replace function core.add_tenant_domain(p_host text) returns text
    language plpgsql volatile
as $$
declare
    v_host text := rtrim(lower(btrim(p_host)), '.');
begin
    perform core.require_permission('modules:manage');
    if core.current_tenant_id() is null then
        raise exception 'core.add_tenant_domain: no tenant in this transaction (select core.set_tenant(...))'
            using errcode = 'invalid_parameter_value';
    end if;
    insert into core.tenant_domains (tenant_id, host) values (core.current_tenant_id(), v_host)
    on conflict (tenant_id, host) do nothing;
    return v_host;
end
$$;
comment on function core.add_tenant_domain(text) is
    'The current tenant''s storefront also answers this host name (lowercased, without a trailing dot; a host '
    'belongs to one tenant: 23505 when another has it). Permission modules:manage. Returns the host. (GraphQL addTenantDomain.)';
revoke execute on function core.add_tenant_domain(text) from public;
grant execute on function core.add_tenant_domain(text) to rustok_app;

create or replace function core.remove_tenant_domain(p_host text) returns boolean
    language plpgsql volatile
as $$
begin
    perform core.require_permission('modules:manage');
    delete from core.tenant_domains d where d.tenant_id = core.current_tenant_id() and d.host = rtrim(lower(btrim(p_host)), '.');
    return found;
end
$$;
comment on function core.remove_tenant_domain(text) is
    'The current tenant''s storefront no longer answers this host name; false when it did not. Permission '
    'modules:manage. (GraphQL removeTenantDomain.)';
revoke execute on function core.remove_tenant_domain(text) from public;
grant execute on function core.remove_tenant_domain(text) to rustok_app;

-- ---------------------------------------------------------------- core.tenant_domains

comment on table core.tenant_domains is
    'Host names of a tenant''s storefront (the tenant comes from the request''s Host header); a host belongs to one '
    'tenant. Add one in psql: insert into core.tenant_domains (tenant_id, host) values (core.tenant_id_by_slug(''demo''), ''shop.example'').';
comment on column core.tenant_domains.tenant_id is
    'The owning tenant (core.tenants.id); row-level security policy tenant_isolation keys on it.';
comment on column core.tenant_domains.host is
    'A lowercase host name without port (e.g. shop.example), unique over all tenants.';
comment on column core.tenant_domains.created_at is 'When the row was created (write-once; trigger _100_timestamps).';
comment on column core.tenant_domains.updated_at is
    'When the row last really changed (trigger _100_timestamps; an update that changes nothing keeps it).';

select core.enable_tenant_rls('core.tenant_domains');
select core.allow_analyst_read('core.tenant_domains');
grant select, insert, update, delete on core.tenant_domains to rustok_app;
grant select on core.tenant_domains to rustok_analyst;

create or replace trigger _100_timestamps before insert or update on core.tenant_domains
    for each row
    execute function core.tg__timestamps();
