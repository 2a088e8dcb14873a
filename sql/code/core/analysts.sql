-- core/analysts.sql: analysts restricted to one tenant (rustok_tenant_analyst): the login -> tenant mapping, the
-- function their row-level security policies call, and the helper that puts a table under such a policy.
-- ops.create_analyst (ops/analysts.sql) makes the logins; each index table's file calls
-- core.allow_tenant_analyst_read, and index/analytics grant them select.

-- ---------------------------------------------------------------- core.analyst_tenants

comment on table core.analyst_tenants is
    'Which tenant each per-tenant analyst login sees (written by ops.create_analyst, read by core.analyst_tenant_id()). '
    'Only the owner writes it; the analysts cannot read it. A login without a row sees no rows at all. Role names, '
    'not oids: the mapping survives pg_dump / pg_restore into another cluster (recreate the logins there).';
comment on column core.analyst_tenants.role_name is 'The login role (session user) of the analyst.';
comment on column core.analyst_tenants.created_at is 'When ops.create_analyst mapped the login.';
comment on column core.analyst_tenants.tenant_id is 'The only tenant whose rows the login sees in index and analytics.';
-- No grants to anyone: only the owner (who bypasses row-level security) reads or writes it. RLS is on all the same,
-- like on every table with a tenant_id (the app's policy is moot without grants).
select core.enable_tenant_rls('core.analyst_tenants');
revoke all on core.analyst_tenants from public;

-- ---------------------------------------------------------------- the role

grant usage on schema core to rustok_tenant_analyst;
do $db$ begin execute format('grant connect on database %I to rustok_tenant_analyst', current_database()); end $db$;

create or replace function core.analyst_tenant_id() returns uuid
    language sql stable security definer
    set search_path = pg_catalog, pg_temp
as $$
    -- session_user: the login the server authenticated. No SET of an ordinary role changes it (set role and
    -- set session authorization do not; the latter needs a superuser), so no setting can widen what the analyst sees.
    select a.tenant_id from core.analyst_tenants a where a.role_name = session_user::text
$$;
comment on function core.analyst_tenant_id() is
    'The tenant of the per-tenant analyst logged in (core.analyst_tenants by session user), null for anyone else. '
    'Called by the tenant_analyst_read policies; security definer because analysts cannot read the mapping.';
revoke all on function core.analyst_tenant_id() from public;
grant execute on function core.analyst_tenant_id() to rustok_tenant_analyst;

create or replace function core.allow_tenant_analyst_read(p_table regclass) returns void
    language plpgsql volatile
as $$
declare
    v_expr constant text := '(tenant_id = ( SELECT core.analyst_tenant_id() AS analyst_tenant_id))';
begin
    if not (select c.relrowsecurity from pg_class c where c.oid = p_table) then
        raise exception 'p_table: % has no row-level security; call core.enable_tenant_rls(%L) first', p_table, p_table::text
            using errcode = 'object_not_in_prerequisite_state';
    end if;
    if exists (select from pg_policy p
               where p.polrelid = p_table and p.polname = 'tenant_analyst_read' and p.polcmd = 'r' and p.polpermissive
                 and p.polroles = array['rustok_tenant_analyst'::regrole::oid]
                 and pg_get_expr(p.polqual, p.polrelid) = v_expr and p.polwithcheck is null) then
        return;
    end if;
    execute format('drop policy if exists tenant_analyst_read on %s', p_table);
    execute format('create policy tenant_analyst_read on %s for select to rustok_tenant_analyst '
                   'using (tenant_id = (select core.analyst_tenant_id()))', p_table);
end
$$;
comment on function core.allow_tenant_analyst_read(regclass) is
    'Let per-tenant analysts (rustok_tenant_analyst) read the rows of their own tenant of an RLS table (policy '
    'tenant_analyst_read on tenant_id = core.analyst_tenant_id(), keyed on the login, not on a setting). Idempotent.';
revoke all on function core.allow_tenant_analyst_read(regclass) from public;
