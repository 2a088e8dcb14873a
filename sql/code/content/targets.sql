-- content/targets.sql: polymorphic targets (taggables, meta) must exist: one check per target type.

-- ================================================================ polymorphic targets
-- content.taggables and content.meta point at a target by (target_type, target_id) without a foreign key.
-- One statement trigger per target type checks that the targets exist in the same tenant; products are
-- targets too (glue between content and commerce), and deleting a product removes its tags and meta
-- (commerce.tg_products__cleanup_content).
create or replace function content.tg__check_targets() returns trigger
    language plpgsql volatile
as $$
declare
    v_table       text := tg_argv[0];   -- the checked table, for the message
    v_target_type text := tg_argv[1];   -- e.g. node
    v_targets     regclass := tg_argv[2]::regclass;  -- e.g. content.nodes (with tenant_id, id)
    v_missing     record;
begin
    -- lock the targets (key share) so a concurrent delete waits for us, then look for missing ones
    execute format('select 1 from %s t where (t.tenant_id, t.id) in '
                   '(select r.tenant_id, r.target_id from new_rows r where r.target_type = $1) for key share of t', v_targets)
        using v_target_type;
    execute format('select r.tenant_id, r.target_id from new_rows r where r.target_type = $1 '
                   'and not exists (select from %s t where t.tenant_id = r.tenant_id and t.id = r.target_id) limit 1',
                   v_targets)
        into v_missing using v_target_type;
    if v_missing.target_id is not null then
        raise exception '%.target_id: % % not found in tenant %', v_table, v_target_type, v_missing.target_id, v_missing.tenant_id
            using errcode = 'foreign_key_violation', column = 'target_id';
    end if;
    return null;
end
$$;
comment on function content.tg__check_targets() is
    'AFTER INSERT/UPDATE statement trigger (arguments: table name, target type, target table) on content.taggables '
    'and content.meta: every target of that type must exist in the target table in the same tenant (23503).';
grant execute on function content.tg__check_targets() to rustok_app;
