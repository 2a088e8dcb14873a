-- core/trees.sql: the one cycle check for tables that form a tree per tenant (tenant_id, id, parent_id).

create or replace function core.tg__no_cycle() returns trigger
    language plpgsql volatile
as $$
declare
    v_noun  text := coalesce(tg_argv[0], 'row');   -- for the message, e.g. category
    v_table text := format('%I.%I', tg_table_schema, tg_table_name);
    v_cycle record;
begin
    if not exists (select 1 from new_rows n where n.parent_id is not null) then
        return null;
    end if;
    -- One tree move at a time per tenant and table, so two concurrent moves cannot close a loop together.
    perform pg_advisory_xact_lock(hashtext(v_table), hashtext(t.tenant_id::text))
    from (select distinct n.tenant_id from new_rows n where n.parent_id is not null order by 1) t;

    -- walk up from each moved row; meeting the row itself again is a cycle
    execute format($q$
        with recursive walk (tenant_id, start_id, cur_id, depth) as (
            select n.tenant_id, n.id, n.parent_id, 1
            from new_rows n
            where n.parent_id is not null
            union all
            select w.tenant_id, w.start_id, c.parent_id, w.depth + 1
            from walk w
            join %s c on c.tenant_id = w.tenant_id and c.id = w.cur_id
            where w.cur_id <> w.start_id and c.parent_id is not null and w.depth < 10000
        )
        select w.start_id, n.parent_id
        from walk w join new_rows n on n.tenant_id = w.tenant_id and n.id = w.start_id
        where w.cur_id = w.start_id
        limit 1$q$, v_table) into v_cycle;
    if v_cycle.start_id is not null then
        raise exception '%.parent_id: putting % % under % would create a cycle', v_table, v_noun, v_cycle.start_id, v_cycle.parent_id
            using errcode = 'check_violation', column = 'parent_id', table = tg_table_name, schema = tg_table_schema;
    end if;
    return null;
end
$$;
comment on function core.tg__no_cycle() is
    'AFTER INSERT/UPDATE statement trigger (referencing new table as new_rows; argument: the noun for messages) on a '
    'table with tenant_id, id and parent_id: refuses a parent_id that makes the tree cyclic (23514).';
