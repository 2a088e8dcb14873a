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

create or replace function index.verify(p_tenant_id uuid)
    returns table (aggregate_type text, aggregate_id uuid, problem text, columns text[])
    language sql stable
as $$
    with skip as (select array['last_event_id', 'last_event_type', 'last_event_at', 'indexed_at'] as k),
    ps as (select s.product_id as id, to_jsonb(s) - (select k from skip) as j from index._product_rows(p_tenant_id, null) s),
    pi as (select i.product_id as id, to_jsonb(i) - (select k from skip) as j from index.products i where i.tenant_id = p_tenant_id),
    cs as (select s.node_id as id, to_jsonb(s) - (select k from skip) as j from index._content_rows(p_tenant_id, null) s),
    ci as (select i.node_id as id, to_jsonb(i) - (select k from skip) as j from index.content i where i.tenant_id = p_tenant_id),
    os as (select s.order_id as id, to_jsonb(s) - (select k from skip) as j from index._order_rows(p_tenant_id, null) s),
    oi as (select i.order_id as id, to_jsonb(i) - (select k from skip) as j from index.orders i where i.tenant_id = p_tenant_id),
    pp_expected as (
        select ps.id, e.key as currency_code, (e.value ->> 'min')::bigint as min_amount, (e.value ->> 'max')::bigint as max_amount
        from ps cross join lateral jsonb_each(ps.j -> 'prices') e
    ),
    pp_actual as (
        select pp.product_id as id, pp.currency_code, pp.min_amount, pp.max_amount
        from index.product_prices pp where pp.tenant_id = p_tenant_id
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
comment on function index.verify(uuid) is
    'Recompute every read row of a tenant from the write tables and report each drifted one: problem missing (no read '
    'row), extra (read row without source) or different (columns lists what differs; product_prices when the price '
    'rows disagree). Bookkeeping columns (last_event_*, indexed_at) are ignored. Empty = the read model is exact. '
    'Meaningful once the index consumer is drained (pending events are not yet applied). '
    'psql: select * from index.verify(''<tenant id>'');';
