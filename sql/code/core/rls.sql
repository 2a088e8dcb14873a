-- core/rls.sql: helpers that put a tenant table under row-level security (one call per table).
-- Each table file calls them on its own line, e.g. `select core.enable_tenant_rls('commerce.prices');`,
-- so grepping a table's name finds its policies. They change nothing when the policy is already as wanted,
-- so re-applying the code tree takes no lock on the table.

create or replace function core.enable_tenant_rls(p_table regclass) returns void
    language plpgsql volatile
as $$
declare
    v_expr constant text := '(tenant_id = core.current_tenant_id())';
begin
    if not (select c.relrowsecurity from pg_class c where c.oid = p_table) then
        execute format('alter table %s enable row level security', p_table);
    end if;
    if exists (select from pg_policy p
               where p.polrelid = p_table and p.polname = 'tenant_isolation' and p.polcmd = '*' and p.polpermissive
                 and p.polroles = array['rustok_app'::regrole::oid]
                 and pg_get_expr(p.polqual, p.polrelid) = v_expr
                 and pg_get_expr(p.polwithcheck, p.polrelid) = v_expr) then
        return;
    end if;
    execute format('drop policy if exists tenant_isolation on %s', p_table);
    execute format('create policy tenant_isolation on %s to rustok_app '
                   'using (tenant_id = core.current_tenant_id()) with check (tenant_id = core.current_tenant_id())',
                   p_table);
end
$$;
comment on function core.enable_tenant_rls(regclass) is
    'Enable row-level security on a tenant table with the policy tenant_isolation: the application role sees and '
    'writes only rows whose tenant_id is core.current_tenant_id(). Idempotent; no lock when already in place.';
revoke all on function core.enable_tenant_rls(regclass) from public;

create or replace function core.allow_analyst_read(p_table regclass) returns void
    language plpgsql volatile
as $$
begin
    if exists (select from pg_policy p
               where p.polrelid = p_table and p.polname = 'analyst_read' and p.polcmd = 'r' and p.polpermissive
                 and p.polroles = array['rustok_analyst'::regrole::oid]
                 and pg_get_expr(p.polqual, p.polrelid) = 'true' and p.polwithcheck is null) then
        return;
    end if;
    execute format('drop policy if exists analyst_read on %s', p_table);
    execute format('create policy analyst_read on %s for select to rustok_analyst using (true)', p_table);
end
$$;
comment on function core.allow_analyst_read(regclass) is
    'Let the platform-wide analyst role read every row of an RLS table (policy analyst_read). Idempotent.';
revoke all on function core.allow_analyst_read(regclass) from public;
