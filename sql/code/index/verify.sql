-- index/verify.sql: verify: recompute read rows from the write tables and report drift.

-- ---------------------------------------------------------------- verify
create or replace function index._diff_keys(p_expected jsonb, p_actual jsonb) returns text[]
    language sql immutable parallel safe
as $$
    select array_agg(k order by k)
    from (select jsonb_object_keys(p_expected) union select jsonb_object_keys(p_actual)) as x(k)
    where p_expected -> k is distinct from p_actual -> k
$$;
comment on function index._diff_keys(jsonb, jsonb) is 'Internal: the keys whose values differ between two JSON objects, sorted.';

create or replace function index._verify(p_tenant_id uuid, p_product_ids uuid[], p_node_ids uuid[], p_order_ids uuid[])
    returns table (aggregate_type text, aggregate_id uuid, problem text, columns text[])
    language sql stable
as $$
    with skip as (select array['last_event_id', 'last_event_type', 'last_event_at', 'indexed_at', 'snapshot_xmin', 'snapshot_system'] as k),
    ps as (select s.product_id as id, to_jsonb(s) - (select k from skip) as j from index._product_rows(p_tenant_id, p_product_ids) s),
    pi as (select i.product_id as id, to_jsonb(i) - (select k from skip) as j from index.products i
           where i.tenant_id = p_tenant_id and (p_product_ids is null or i.product_id = any (p_product_ids))),
    cs as (select s.node_id as id, to_jsonb(s) - (select k from skip) as j from index._content_rows(p_tenant_id, p_node_ids) s),
    ci as (select i.node_id as id, to_jsonb(i) - (select k from skip) as j from index.content i
           where i.tenant_id = p_tenant_id and (p_node_ids is null or i.node_id = any (p_node_ids))),
    os as (select s.order_id as id, to_jsonb(s) - (select k from skip) as j from index._order_rows(p_tenant_id, p_order_ids) s),
    oi as (select i.order_id as id, to_jsonb(i) - (select k from skip) as j from index.orders i
           where i.tenant_id = p_tenant_id and (p_order_ids is null or i.order_id = any (p_order_ids))),
    pp_expected as (
        select ps.id, e.key as currency_code, (e.value ->> 'min')::bigint as min_amount, (e.value ->> 'max')::bigint as max_amount
        from ps cross join lateral jsonb_each(ps.j -> 'prices') e
    ),
    pp_actual as (
        select pp.product_id as id, pp.currency_code, pp.min_amount, pp.max_amount
        from index.product_prices pp
        where pp.tenant_id = p_tenant_id and (p_product_ids is null or pp.product_id = any (p_product_ids))
    ),
    search_expected as (
        select ps.id, ps.j ->> 'status' as status, (ps.j ->> 'created_at')::timestamptz as created_at,
               (ps.j -> 'has_stock')::boolean as has_stock, ps.j -> 'category_ids' as category_ids,
               ps.j -> 'tag_slugs' as tag_slugs, index._min_prices(ps.j -> 'prices') as min_prices,
               (ps.j ->> 'search_vector')::tsvector as search_vector
        from ps
    ),
    search_actual as (
        select s.product_id as id, s.status, s.created_at, s.has_stock, to_jsonb(s.category_ids) as category_ids,
               to_jsonb(s.tag_slugs) as tag_slugs, s.min_prices, s.search_vector
        from index.product_search s
        where s.tenant_id = p_tenant_id and (p_product_ids is null or s.product_id = any (p_product_ids))
    ),
    diffs as (
        select 'product' as aggregate_type, coalesce(s.id, i.id) as aggregate_id,
               case when i.id is null then 'missing' when s.id is null then 'extra' else 'different' end as problem,
               case when s.id is not null and i.id is not null then index._diff_keys(s.j, i.j) end as columns
        from ps s full join pi i on i.id = s.id
        where s.j is distinct from i.j
        union all
        select distinct 'product', coalesce(e.id, a.id), 'different', array['product_prices']
        from pp_expected e
        full join pp_actual a on a.id = e.id and a.currency_code = e.currency_code
        where (e.min_amount, e.max_amount) is distinct from (a.min_amount, a.max_amount)
          and exists (select 1 from pi where pi.id = coalesce(e.id, a.id))
        union all
        select 'product', coalesce(e.id, a.id), 'different', array['product_search']
        from search_expected e
        full join search_actual a on a.id = e.id
        where (e.status, e.created_at, e.has_stock, e.category_ids, e.tag_slugs, e.min_prices, e.search_vector)
              is distinct from (a.status, a.created_at, a.has_stock, a.category_ids, a.tag_slugs, a.min_prices, a.search_vector)
          and exists (select 1 from pi where pi.id = coalesce(e.id, a.id))
        union all
        select 'node', coalesce(s.id, i.id),
               case when i.id is null then 'missing' when s.id is null then 'extra' else 'different' end,
               case when s.id is not null and i.id is not null then index._diff_keys(s.j, i.j) end
        from cs s full join ci i on i.id = s.id
        where s.j is distinct from i.j
        union all
        select 'order', coalesce(s.id, i.id),
               case when i.id is null then 'missing' when s.id is null then 'extra' else 'different' end,
               case when s.id is not null and i.id is not null then index._diff_keys(s.j, i.j) end
        from os s full join oi i on i.id = s.id
        where s.j is distinct from i.j
    )
    select d.aggregate_type, d.aggregate_id, d.problem, d.columns from diffs d
    order by d.aggregate_type, d.aggregate_id, d.problem
$$;
comment on function index._verify(uuid, uuid[], uuid[], uuid[]) is
    'Internal, the one drift query of index.verify and index.verify_sample: recompute the read rows of the given '
    'products, nodes and orders of a tenant (all of a type when its array is null, none when empty) and report each '
    'drifted one.';

create or replace function index.verify(p_tenant_id uuid)
    returns table (aggregate_type text, aggregate_id uuid, problem text, columns text[])
    language sql stable
as $$ select * from index._verify(p_tenant_id, null, null, null) $$;
comment on function index.verify(uuid) is
    'Recompute every read row of a tenant from the write tables and report each drifted one: problem missing (no read '
    'row), extra (read row without source) or different (columns lists what differs; product_prices when the price '
    'rows disagree, product_search when the narrow search row does). Bookkeeping columns (last_event_*, indexed_at) are ignored. Empty = the read model is exact. '
    'Meaningful once the index consumer is drained (pending events are not yet applied). '
    'psql: select * from index.verify(''<tenant id>'');';

create or replace function index.verify_sample(p_tenant_id uuid, p_sample integer default 20)
    returns table (aggregate_type text, aggregate_id uuid, problem text, columns text[])
    language plpgsql volatile
as $$
begin
    if p_tenant_id is null then
        raise exception 'p_tenant_id: is required' using errcode = 'invalid_parameter_value';
    end if;
    if p_sample is null or p_sample < 1 then
        raise exception 'p_sample: must be at least 1 (got %)', p_sample using errcode = 'invalid_parameter_value';
    end if;
    -- Ids drawn from both sides (write table and read table), so a missing and an extra read row can both be drawn.
    return query
    select * from index._verify(
        p_tenant_id,
        array(select x.id from (select p.id from commerce.products p where p.tenant_id = p_tenant_id
                                union select i.product_id from index.products i where i.tenant_id = p_tenant_id) x
              order by random() limit p_sample),
        array(select x.id from (select n.id from content.nodes n where n.tenant_id = p_tenant_id
                                union select i.node_id from index.content i where i.tenant_id = p_tenant_id) x
              order by random() limit p_sample),
        array(select x.id from (select o.id from commerce.orders o where o.tenant_id = p_tenant_id
                                union select i.order_id from index.orders i where i.tenant_id = p_tenant_id) x
              order by random() limit p_sample));
end
$$;
comment on function index.verify_sample(uuid, integer) is
    'index.verify on a random sample: up to p_sample products, p_sample nodes and p_sample orders of the tenant, drawn '
    'from the write tables and the read tables together, recomputed and compared (same rows as index.verify, for those '
    'ids only). Cheap enough for every health check (ops.health runs it for each active tenant). '
    'psql: select * from index.verify_sample(''<tenant id>'', 50);';
revoke all on function index.verify_sample(uuid, integer) from public;
