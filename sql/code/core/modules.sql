-- core/modules.sql: module catalog and per-tenant module toggles.

create or replace function core.module_enabled(p_tenant_id uuid, p_module text) returns boolean
    language sql stable parallel safe
    security definer set search_path = pg_catalog, pg_temp
as $$
    select coalesce(
        (select tm.enabled from core.tenant_modules tm where tm.tenant_id = p_tenant_id and tm.module_slug = p_module),
        (select m.default_enabled from core.modules m where m.slug = p_module),
        false)
$$;
comment on function core.module_enabled(uuid, text) is 'Whether a module is enabled for a tenant (toggle row, else the module default).';
-- definer: the app's write triggers ask it for the tenants of the rows they write (their own, under RLS);
-- it reveals only whether a module is on for a tenant id the caller names
revoke all on function core.module_enabled(uuid,text) from public, rustok_app, rustok_analyst;
grant execute on function core.module_enabled(uuid,text) to rustok_app;

create or replace function core.assert_module_enabled(p_tenant_ids uuid[], p_module text) returns void
    language plpgsql stable
    security definer set search_path = pg_catalog, pg_temp
as $$
declare
    v_tenant uuid;
begin
    -- core.module_enabled's lookup, written out: every write trigger of a module asks this once per statement,
    -- and the nested definer call was half of the cost of asking
    select t into v_tenant
    from unnest(p_tenant_ids) as t
    where not coalesce(
        (select tm.enabled from core.tenant_modules tm where tm.tenant_id = t and tm.module_slug = p_module),
        (select m.default_enabled from core.modules m where m.slug = p_module),
        false)
    limit 1;
    if found then
        raise exception 'module "%" is disabled for tenant %', p_module, v_tenant
            using errcode = 'object_not_in_prerequisite_state',
                  hint = format('enable it: insert into core.tenant_modules (tenant_id, module_slug, enabled) values (%L, %L, true) on conflict (tenant_id, module_slug) do update set enabled = true', v_tenant, p_module);
    end if;
end
$$;
comment on function core.assert_module_enabled(uuid[], text) is
    'Raise SQLSTATE 55000 when the module is disabled for any of the tenants. Used by module write triggers.';
revoke all on function core.assert_module_enabled(uuid[],text) from public, rustok_app, rustok_analyst;
grant execute on function core.assert_module_enabled(uuid[],text) to rustok_app;

-- ---------------------------------------------------------------- core.modules

comment on table core.modules is 'The catalog of modules a tenant can switch on or off (global reference data).';
comment on column core.modules.slug is 'Module name used by the toggles and triggers, e.g. content, blog, commerce.';
comment on column core.modules.description is 'What the module covers.';
comment on column core.modules.default_enabled is
    'Whether a tenant without a core.tenant_modules row has the module on.';

grant select on core.modules to rustok_analyst, rustok_app;

-- ---------------------------------------------------------------- core.tenant_modules

comment on table core.tenant_modules is
    'Per-tenant module toggles. No row means the module''s default (core.modules.default_enabled).';
comment on column core.tenant_modules.tenant_id is
    'The owning tenant (core.tenants.id); row-level security policy tenant_isolation keys on it.';
comment on column core.tenant_modules.module_slug is 'The module (core.modules.slug).';
comment on column core.tenant_modules.enabled is
    'Whether the module is on for the tenant; writes to a disabled module''s tables are refused (55000).';
comment on column core.tenant_modules.settings is 'Module settings of the tenant (JSON object).';
comment on column core.tenant_modules.created_at is 'When the row was created (write-once; trigger _100_timestamps).';
comment on column core.tenant_modules.updated_at is
    'When the row last really changed (trigger _100_timestamps; an update that changes nothing keeps it).';

select core.enable_tenant_rls('core.tenant_modules');
select core.allow_analyst_read('core.tenant_modules');
grant select, insert, update, delete on core.tenant_modules to rustok_app;
grant select on core.tenant_modules to rustok_analyst;

create or replace trigger _100_timestamps before insert or update on core.tenant_modules
    for each row
    execute function core.tg__timestamps();
