-- content/targets.sql: polymorphic targets (taggables, meta) must exist: node and product checks.

-- ================================================================ polymorphic targets, module checks
create or replace function content.tg__check_node_targets() returns trigger
    language plpgsql volatile
as $$
declare
    v_missing record;
begin
    -- lock the target nodes (key share) so a concurrent delete waits for us, then look for missing ones
    perform 1 from content.nodes n
    where (n.tenant_id, n.id) in (select r.tenant_id, r.target_id from new_rows r where r.target_type = 'node')
    for key share of n;
    select r.tenant_id, r.target_id into v_missing
    from new_rows r
    where r.target_type = 'node'
      and not exists (select from content.nodes n where n.tenant_id = r.tenant_id and n.id = r.target_id)
    limit 1;
    if found then
        raise exception '%.target_id: node % not found in tenant %', tg_argv[0], v_missing.target_id, v_missing.tenant_id
            using errcode = 'foreign_key_violation', column = 'target_id';
    end if;
    return null;
end
$$;
comment on function content.tg__check_node_targets() is
    'AFTER INSERT/UPDATE statement trigger (argument: table name) on content.taggables and content.meta: every target of type node must exist in the same tenant (23503).';
grant execute on function content.tg__check_node_targets() to rustok_app;

-- depends: 0010_content 0011_content_events 0020_commerce_catalog
-- Glue between content and commerce: tags and SEO meta may target products, so a product target
-- must exist in the same tenant, and deleting a product removes its tags and meta.
create or replace function content.tg__check_product_targets() returns trigger
    language plpgsql volatile
as $$
declare
    v_missing record;
begin
    -- argv[0]: table name for the message. Lock targets (key share) so a concurrent delete waits for us.
    perform 1 from commerce.products p
    where (p.tenant_id, p.id) in (select r.tenant_id, r.target_id from new_rows r where r.target_type = 'product')
    for key share of p;
    select r.tenant_id, r.target_id into v_missing
    from new_rows r
    where r.target_type = 'product'
      and not exists (select from commerce.products p where p.tenant_id = r.tenant_id and p.id = r.target_id)
    limit 1;
    if found then
        raise exception '%.target_id: product % not found in tenant %', tg_argv[0], v_missing.target_id, v_missing.tenant_id
            using errcode = 'foreign_key_violation', column = 'target_id';
    end if;
    return null;
end
$$;
comment on function content.tg__check_product_targets() is
    'AFTER INSERT/UPDATE statement trigger (argument: table name) on content.taggables and content.meta: every target '
    'of type product must exist in commerce.products of the same tenant (23503).';
