-- index/search_tallies.sql: kept listing tallies (index.search_tallies), updated by deltas.
--
-- The one-pass search of index.read_products_page (index._product_search_pass) reads every match's search row: for
-- a word in 10 % of a catalog of 100,000 that is ~9,500 rows, ~25-35 ms of CPU, paid again by the first visitor after
-- each write that concerns the word (index.search_cache loses the entry). A tally keeps what a listing needs of all
-- its matches — the exact total, the full facet counts (every category, tag, price bucket, in stock / not), and the
-- first 101 matches in the listing's order — and the trigger on index.product_search applies each changed row's
-- delta to the tallies whose query and filters it matched before or after the change. So the first search after a
-- write reads a tally row (a page of the first 101 matches, facets from the kept counts) instead of every match.
-- The public landing page's counts (no text, no filters) are kept the same way (index._search_tally_browse), so a
-- write that empties index.facet_cache does not make its next visitor count the whole catalog.

-- ---------------------------------------------------------------- matching one row
-- (index._search_row_matches, the match of one search row, is in index/search/common.sql: a SQL expression that
-- needs the JSON helpers defined there)

create or replace function index._search_tally_filters(p_tenant_id uuid, p_filters jsonb) returns jsonb
    language plpgsql stable
as $$
begin
    -- the filters a tally is kept for: without the price bucket bounds (a column of their own), category handles as
    -- the ids they name now (a renamed category changes no search row, so a tally must not depend on handles)
    return case when p_filters ? 'categoryHandles'
                then (p_filters - 'priceBuckets' - 'categoryHandles')
                     || jsonb_build_object('categoryIds', coalesce((
                            select jsonb_agg(c.id order by c.id) from commerce.categories c
                            where c.tenant_id = p_tenant_id
                              and c.handle = any (index._jsonb_texts(p_filters -> 'categoryHandles', 'categoryHandles'))),
                            '[]'::jsonb))
                else p_filters - 'priceBuckets' end;
end
$$;
comment on function index._search_tally_filters(uuid, jsonb) is
    'Internal: the filters of a listing as index.search_tallies keeps them: priceBuckets removed (the bounds are a '
    'column), categoryHandles replaced by the ids of the categories they name now (categoryIds).';

create or replace function index._tally_merge(p_counts jsonb, p_delta jsonb) returns jsonb
    language sql immutable parallel safe
as $$
    select coalesce(jsonb_object_agg(x.k, x.n) filter (where x.n <> 0), '{}'::jsonb)
    from (select coalesce(a.key, b.key) as k, coalesce(a.value::bigint, 0) + coalesce(b.value::bigint, 0) as n
          from jsonb_each(p_counts) a
          full join jsonb_each(coalesce(p_delta, '{}'::jsonb)) b on b.key = a.key) x
$$;
comment on function index._tally_merge(jsonb, jsonb) is
    'Internal: add a delta {key: +-n} to counts {key: n}; keys whose count reaches 0 are dropped (a facet value no '
    'match has any more is not listed).';

-- ---------------------------------------------------------------- computing a tally (the one pass, kept whole)
create or replace function index._search_tally_compute(
    p_tenant_id uuid, p_q tsquery, p_filters jsonb, p_currency text, p_bounds bigint[], p_sort text, p_keep integer
) returns jsonb
    language plpgsql volatile
as $$
declare
    v_has_q    boolean := numnode(p_q) > 0;
    v_all      boolean;
    v_key      text;
    v_dir      text;
    v_result   jsonb;
    v_seqscan  text := pg_catalog.current_setting('enable_seqscan');
    v_hashjoin text := pg_catalog.current_setting('enable_hashjoin');
    v_mergejoin text := pg_catalog.current_setting('enable_mergejoin');
    v_n        integer := least(greatest(p_keep, 1), 101);
begin
    case p_sort
        when 'relevance' then v_key := 'm.rank'; v_dir := 'desc';
        when 'newest' then v_key := 'm.created_at'; v_dir := 'desc';
        when 'price_asc' then v_key := 'coalesce(m.min_amount, 9223372036854775807)'; v_dir := 'asc';
    end case;
    -- the planner settings of index._product_search_pass (its comments say why); none for the whole catalog (the
    -- browse counts read every published row of the tenant: a sequential scan is right)
    v_all := not (v_has_q or p_filters ? 'priceMin' or p_filters ? 'priceMax');
    if not v_all then
        perform pg_catalog.set_config('enable_seqscan', 'off', true);
    end if;
    if not v_has_q and not v_all then
        perform pg_catalog.set_config('enable_hashjoin', 'off', true), pg_catalog.set_config('enable_mergejoin', 'off', true);
    end if;
    execute format($sql$
            with m as materialized (
                select p.product_id, p.created_at, p.has_stock, p.category_ids, p.tag_slugs,
                       (p.min_prices ->> $4)::bigint as min_amount,
                       case when $6 = 'relevance' then pg_catalog.ts_rank(p.search_vector, $2) end as rank
                from %1$s
            ),
            top as (
                -- the first $7 (a top-N sort), then numbered
                select m.product_id, m.rank, m.created_at, coalesce(m.min_amount, 9223372036854775807) as price,
                       row_number() over (order by %2$s %3$s, m.product_id %3$s) as ord
                from (select m.product_id, m.rank, m.created_at, m.min_amount from m
                      order by %2$s %3$s, m.product_id %3$s
                      limit $7) m
            )
            select jsonb_build_object(
                'total', (select count(*) from m),
                'categories', coalesce((select jsonb_object_agg(x.id, x.n)
                                        from (select u.id, count(*) as n
                                              from (select unnest(m.category_ids) as id from m) u
                                              group by u.id) x), '{}'),
                'tags', coalesce((select jsonb_object_agg(x.slug, x.n)
                                  from (select u.slug, count(*) as n
                                        from (select unnest(m.tag_slugs) as slug from m) u
                                        group by u.slug) x), '{}'),
                'price_buckets', case when $4 is null then '{}'::jsonb else coalesce((
                    select jsonb_object_agg(x.b, x.n)
                    from (select pg_catalog.width_bucket(m.min_amount, $5) as b, count(*) as n
                          from m where m.min_amount is not null group by 1) x
                    where x.b >= 1), '{}') end,
                'in_stock', (select count(*) from m where m.has_stock),
                'out_of_stock', (select count(*) from m where not m.has_stock),
                'top_ids', coalesce((select array_agg(t.product_id order by t.ord) from top t), '{}'),
                'top_ranks', coalesce((select array_agg(t.rank order by t.ord) from top t), '{}'),
                'top_created', coalesce((select array_agg(t.created_at order by t.ord) from top t), '{}'),
                'top_prices', coalesce((select array_agg(t.price order by t.ord) from top t), '{}'))
$sql$, case when not v_all then index._product_search_source(v_has_q)
            -- no text, no price range (the browse counts): every published row of the tenant
            else 'index.product_search p where p.tenant_id = $1 and p.status = ''published''' end, v_key, v_dir)
        into v_result
        using p_tenant_id, p_q, p_filters, p_currency, p_bounds, p_sort, v_n;
    perform pg_catalog.set_config('enable_seqscan', v_seqscan, true),
            pg_catalog.set_config('enable_hashjoin', v_hashjoin, true),
            pg_catalog.set_config('enable_mergejoin', v_mergejoin, true);
    return v_result || jsonb_build_object('complete', (v_result ->> 'total')::bigint <= v_n);
end
$$;
comment on function index._search_tally_compute(uuid, tsquery, jsonb, text, bigint[], text, integer) is
    'Internal: compute a listing tally (the columns of index.search_tallies, as JSON) in one pass over the matches'' '
    'search rows, as index._product_search_pass reads them (p_filters as the listing gives them): total, full facet '
    'counts and the first p_keep matches (1 to 101) in the order of p_sort (relevance, newest or price_asc).';

-- ---------------------------------------------------------------- answering from a tally
create or replace function index._search_tally_facets(p_tally index.search_tallies) returns jsonb
    language sql stable
as $$
    -- as the one pass and index._browse_counts count them: top 50 categories (count, id) and tags (count, slug)
    select jsonb_build_object(
        'categories', coalesce((select jsonb_agg(jsonb_build_object('id', x.id, 'n', x.n))
                                from (select e.key::uuid as id, e.value::bigint as n
                                      from jsonb_each(p_tally.categories) e
                                      order by 2 desc, 1 limit 50) x), '[]'),
        'tags', coalesce((select jsonb_agg(jsonb_build_object('slug', x.slug, 'n', x.n))
                          from (select e.key as slug, e.value::bigint as n
                                from jsonb_each(p_tally.tags) e
                                order by 2 desc, 1 limit 50) x), '[]'),
        'priceBuckets', case when p_tally.currency_code is null then '[]'::jsonb else coalesce((
            select jsonb_agg(jsonb_build_object('min', p_tally.bounds[x.b], 'max', p_tally.bounds[x.b + 1],
                                                'count', x.n) order by x.b)
            from (select e.key::integer as b, e.value::bigint as n from jsonb_each(p_tally.price_buckets) e) x),
            '[]') end,
        'inStock', jsonb_build_object('true', p_tally.in_stock, 'false', p_tally.out_of_stock))
$$;
comment on function index._search_tally_facets(index.search_tallies) is
    'Internal: the raw facet counts of a kept tally as the one pass gives them: {categories: [{id, n}] and tags: '
    '[{slug, n}] (top 50 by count, then id or slug), priceBuckets: [{min, max, count}], inStock: {true, false}}.';

create or replace function index._search_tally_result(
    p_tally index.search_tallies, p_after jsonb, p_limit integer, p_has_q boolean
) returns jsonb
    language plpgsql stable
as $$
declare
    v_rows  jsonb;
    v_count integer;
begin
    -- the page: the kept matches after the cursor, up to p_limit + 1 of them; only when the list holds them all (it
    -- is the exact start of the listing, so the rows after the cursor in it are the listing's) or holds every match
    with l as (
        select l.id, l.rank, l.at, l.price, l.ord
        from unnest(p_tally.top_ids, p_tally.top_ranks, p_tally.top_created, p_tally.top_prices)
             with ordinality as l (id, rank, at, price, ord)
    ), g as (
        select l.* from l
        where p_after is null
           or case p_tally.sort
                  when 'relevance' then (l.rank, l.id) < ((p_after -> 'k' ->> 0)::real, (p_after -> 'k' ->> 1)::uuid)
                  when 'newest' then (l.at, l.id) < ((p_after -> 'k' ->> 0)::timestamptz, (p_after -> 'k' ->> 1)::uuid)
                  else (l.price, l.id) > ((p_after -> 'k' ->> 0)::bigint, (p_after -> 'k' ->> 1)::uuid) end
        order by l.ord
        limit p_limit + 1
    )
    select count(*),
           jsonb_agg(jsonb_build_array(
               jsonb_build_object('s', p_tally.sort,
                                  'k', jsonb_build_array(case p_tally.sort when 'relevance' then to_jsonb(g.rank)
                                                                           when 'newest' then to_jsonb(g.at)
                                                                           else to_jsonb(g.price) end, g.id)),
               coalesce(g.rank, case when p_has_q then pg_catalog.ts_rank(p.search_vector, p_tally.q) end),
               g.id) order by g.ord)
      into v_count, v_rows
    from g
    join index.products p on p.tenant_id = p_tally.tenant_id and p.product_id = g.id;
    if v_count < p_limit + 1 and not p_tally.complete then
        return null;   -- the kept start of the listing ends before this page does
    end if;
    return jsonb_build_object(
        'total', least(p_tally.total, 10000), 'capped', p_tally.total > 10000,
        'counts', index._search_tally_facets(p_tally),
        'rows', coalesce(v_rows, '[]'));
end
$$;
comment on function index._search_tally_result(index.search_tallies, jsonb, integer, boolean) is
    'Internal: the one-pass listing result ({total, capped, counts, rows}, as index._product_search_pass computes it) '
    'from a kept tally: facets from the kept counts (top 50 categories and tags by count), the page from the kept '
    'first matches after p_after; null when those end before the page does (the caller computes it).';

create or replace function index._search_tally_count(
    p_tenant_id uuid, p_q tsquery, p_filters jsonb, p_currency text, p_bounds bigint[], p_sort text, p_keep integer,
    p_fill boolean
) returns index.search_tallies
    language plpgsql volatile
as $$
declare
    v_filters jsonb := index._search_tally_filters(p_tenant_id, p_filters);
    v_inputs  jsonb := jsonb_build_array(p_q::text, v_filters, p_currency, p_bounds, p_sort);
    v_tally   index.search_tallies;
    v_started timestamptz := pg_catalog.clock_timestamp();
    v_ms      double precision;
    v_min     text := coalesce(pg_catalog.current_setting('rustok.search_cache_min_ms', true), '');
    v_floor   double precision := 5;
    v_keep    text := coalesce(pg_catalog.current_setting('rustok.search_tally_keep', true), '');
    v_n       integer := greatest(p_keep, 1);
begin
    -- the first 101 matches (a first page of the largest size, 100, and the row that says there is more);
    -- rustok.search_tally_keep keeps fewer (tests of the kept start), but never fewer than p_keep
    if pg_catalog.pg_input_is_valid(v_keep, 'integer') and p_keep > 1 then
        v_n := greatest(v_keep::integer, p_keep);
    elsif p_keep > 1 then
        v_n := 101;
    end if;
    v_tally := jsonb_populate_record(null::index.search_tallies,
        index._search_tally_compute(p_tenant_id, p_q, p_filters, p_currency, p_bounds, p_sort, least(v_n, 101))
        || jsonb_build_object(
            'tenant_id', p_tenant_id, 'key', index._search_cache_key(v_inputs), 'inputs', v_inputs, 'q', p_q::text,
            'filters', v_filters, 'currency_code', p_currency, 'bounds', p_bounds, 'sort', p_sort, 'cost_ms', 0,
            'filled_at', pg_catalog.clock_timestamp(), 'updated_at', pg_catalog.clock_timestamp()));
    v_tally.q := p_q;
    v_ms := extract(epoch from pg_catalog.clock_timestamp() - v_started) * 1000;
    if pg_catalog.pg_input_is_valid(v_min, 'double precision') then
        v_floor := v_min::double precision;
    end if;
    -- kept only when p_fill (index._search_cache_may_fill or the facet cache took the tenant's lock before the pass
    -- read) and it cost something to count (a rare word's few matches are cheaper to count again than to keep up to
    -- date)
    if p_fill and v_ms >= v_floor then
        v_tally.cost_ms := v_ms;
        -- at most 64 per tenant: the 8 least recently filled make room
        if (select count(*) from index.search_tallies t where t.tenant_id = p_tenant_id) >= 64 then
            delete from index.search_tallies t
            where t.tenant_id = p_tenant_id
              and t.key in (select o.key from index.search_tallies o where o.tenant_id = p_tenant_id
                            order by o.filled_at limit 8);
        end if;
        insert into index.search_tallies as t select v_tally.*
        on conflict (tenant_id, key) do update
           set total = excluded.total, categories = excluded.categories, tags = excluded.tags,
               price_buckets = excluded.price_buckets, in_stock = excluded.in_stock,
               out_of_stock = excluded.out_of_stock, top_ids = excluded.top_ids, top_ranks = excluded.top_ranks,
               top_created = excluded.top_created, top_prices = excluded.top_prices, complete = excluded.complete,
               cost_ms = excluded.cost_ms, filled_at = excluded.filled_at, updated_at = excluded.updated_at;
    end if;
    return v_tally;
end
$$;
comment on function index._search_tally_count(uuid, tsquery, jsonb, text, bigint[], text, integer, boolean) is
    'Internal: count a listing''s tally now (index._search_tally_compute, keeping the first p_keep matches, 101 when '
    'p_keep > 1, fewer with rustok.search_tally_keep) and keep it in index.search_tallies when p_fill and it took at '
    'least rustok.search_cache_min_ms (at most 64 per tenant, the 8 oldest evicted). Returns the tally.';

create or replace function index._search_tally_find(
    p_tenant_id uuid, p_q tsquery, p_filters jsonb, p_currency text, p_bounds bigint[], p_sort text
) returns index.search_tallies
    language sql stable
as $$
    select t.* from index.search_tallies t
    where t.tenant_id = p_tenant_id
      and t.key = index._search_cache_key(jsonb_build_array(p_q::text, index._search_tally_filters(p_tenant_id, p_filters),
                                                            p_currency, p_bounds, p_sort))
      and t.inputs = jsonb_build_array(p_q::text, index._search_tally_filters(p_tenant_id, p_filters), p_currency,
                                       p_bounds, p_sort)
$$;
comment on function index._search_tally_find(uuid, tsquery, jsonb, text, bigint[], text) is
    'Internal: the kept tally of a listing (index.search_tallies), or a row of nulls.';

create or replace function index._search_tally_get(
    p_tenant_id uuid, p_q tsquery, p_filters jsonb, p_currency text, p_after jsonb, p_limit integer,
    p_bounds bigint[], p_sort text, p_fill boolean
) returns jsonb
    language plpgsql volatile
as $$
declare
    v_tally index.search_tallies := index._search_tally_find(p_tenant_id, p_q, p_filters, p_currency, p_bounds, p_sort);
    v_t     jsonb;
begin
    if v_tally.key is not null then
        v_t := index._search_tally_result(v_tally, p_after, p_limit, numnode(p_q) > 0);
        if v_t is not null or p_after is not null then
            return v_t;   -- null: a later page than the kept matches reach (the caller's pass answers it)
        end if;
        -- a first page the kept matches no longer fill (writes took some away): counted again below
    elsif p_after is not null then
        return null;   -- a later page of a listing nobody opened lately: the pass, not a tally
    end if;
    v_tally := index._search_tally_count(p_tenant_id, p_q, p_filters, p_currency, p_bounds, p_sort, p_limit + 1, p_fill);
    return index._search_tally_result(v_tally, p_after, p_limit, numnode(p_q) > 0);
end
$$;
comment on function index._search_tally_get(uuid, tsquery, jsonb, text, jsonb, integer, bigint[], text, boolean) is
    'Internal: the one-pass listing result from the listing''s kept tally (index.search_tallies), counting and keeping '
    'the tally first (index._search_tally_count) when there is none or its kept matches no longer fill this first '
    'page; null when the tally cannot answer this page (a later one).';

create or replace function index._search_tally_browse(p_tenant_id uuid, p_currency text, p_bounds bigint[], p_fill boolean)
    returns jsonb
    language plpgsql volatile
as $$
declare
    v_tally index.search_tallies := index._search_tally_find(p_tenant_id, ''::tsquery, '{}', p_currency, p_bounds, 'newest');
begin
    if v_tally.key is null then
        -- the counts only: one kept match (the landing page's items come from products_created_idx)
        v_tally := index._search_tally_count(p_tenant_id, ''::tsquery, '{}', p_currency, p_bounds, 'newest', 1, p_fill);
    end if;
    return index._search_tally_facets(v_tally) || jsonb_build_object('total', v_tally.total);
end
$$;
comment on function index._search_tally_browse(uuid, text, bigint[], boolean) is
    'Internal: the public browse counts (as index._browse_counts: total and raw facets of every published product) '
    'from the tally of the listing without text and filters, counted and kept (p_fill) when there is none.';

-- ---------------------------------------------------------------- keeping tallies up to date
create or replace function index._search_tally_apply(
    p_tenant_id uuid, p_key uuid, p_q tsquery, p_filters jsonb, p_currency text, p_bounds bigint[], p_sort text,
    p_old index.product_search[], p_new index.product_search[], p_changed uuid[]
) returns void
    language plpgsql volatile
as $$
declare
    t         index.search_tallies;
    v_removed index.product_search[];
    v_added   index.product_search[];
    v_dcats   jsonb;
    v_dtags   jsonb;
    v_dbuckets jsonb;
    v_last    record;
    v_top     record;
begin
    -- what the tally counts (query, filters, currency, bounds, sort) never changes: matched before any lock
    v_removed := array(select o from unnest(p_old) o where index._search_row_matches(o, p_q, p_filters, p_currency));
    v_added := array(select n from unnest(p_new) n where index._search_row_matches(n, p_q, p_filters, p_currency));
    if cardinality(v_removed) = 0 and cardinality(v_added) = 0 then
        return;   -- no changed row was or is a match: neither counts nor the kept matches can move
    end if;
    -- the deltas (null when nothing moves: a product that still matches with the same categories moves none)
    select jsonb_object_agg(d.id, d.n) into v_dcats from (
        select u.id, sum(u.sgn) as n
        from (select c, -1 from unnest(v_removed) r, unnest(r.category_ids) c
              union all select c, 1 from unnest(v_added) a, unnest(a.category_ids) c) u (id, sgn)
        group by u.id having sum(u.sgn) <> 0) d;
    select jsonb_object_agg(d.slug, d.n) into v_dtags from (
        select u.slug, sum(u.sgn) as n
        from (select c, -1 from unnest(v_removed) r, unnest(r.tag_slugs) c
              union all select c, 1 from unnest(v_added) a, unnest(a.tag_slugs) c) u (slug, sgn)
        group by u.slug having sum(u.sgn) <> 0) d;
    if p_currency is not null then
        select jsonb_object_agg(d.b, d.n) into v_dbuckets from (
            select pg_catalog.width_bucket(u.amount, p_bounds) as b, sum(u.sgn) as n
            from (select (r.min_prices ->> p_currency)::bigint, -1 from unnest(v_removed) r
                  union all select (a.min_prices ->> p_currency)::bigint, 1 from unnest(v_added) a) u (amount, sgn)
            where u.amount is not null
            group by 1 having sum(u.sgn) <> 0) d
        where d.b >= 1;
    end if;
    -- the tally locked (a concurrent delta waits, and this one reads its result)
    select s.* into t from index.search_tallies s where s.tenant_id = p_tenant_id and s.key = p_key for update;
    if not found then
        return;
    end if;
    -- the kept start of the listing: drop every changed product, then put back those that match now and come
    -- before the last kept match (the ones after it are not known to come before the unkept matches)
    select l.* into v_last
    from unnest(t.top_ids, t.top_ranks, t.top_created, t.top_prices) with ordinality as l (id, rank, at, price, ord)
    order by l.ord desc limit 1;
    with a as (
        select n.product_id as id,
               case when p_sort = 'relevance' then pg_catalog.ts_rank(n.search_vector, p_q) end as rank,
               n.created_at as at,
               coalesce((n.min_prices ->> p_currency)::bigint, 9223372036854775807) as price
        from unnest(v_added) n
    ), l as (
        select l.id, l.rank, l.at, l.price
        from unnest(t.top_ids, t.top_ranks, t.top_created, t.top_prices) as l (id, rank, at, price)
        where l.id <> all (p_changed)
        union all
        select a.id, a.rank, a.at, a.price
        from a
        where t.complete
           or (v_last.id is not null
               and case p_sort
                       when 'relevance' then (a.rank, a.id) > (v_last.rank, v_last.id)
                       when 'newest' then (a.at, a.id) > (v_last.at, v_last.id)
                       else (a.price, a.id) < (v_last.price, v_last.id) end)
    ), o as (
        select l.*, row_number() over (
                   order by case when p_sort = 'relevance' then l.rank end desc,
                            case when p_sort = 'newest' then l.at end desc,
                            case when p_sort = 'price_asc' then l.price end asc,
                            case when p_sort = 'price_asc' then l.id end asc,
                            case when p_sort <> 'price_asc' then l.id end desc) as ord
        from l
    )
    select coalesce(array_agg(o.id order by o.ord) filter (where o.ord <= 101), '{}') as ids,
           coalesce(array_agg(o.rank order by o.ord) filter (where o.ord <= 101), '{}') as ranks,
           coalesce(array_agg(o.at order by o.ord) filter (where o.ord <= 101), '{}') as ats,
           coalesce(array_agg(o.price order by o.ord) filter (where o.ord <= 101), '{}') as prices,
           count(*) > 101 as cut
      into v_top
    from o;
    update index.search_tallies s
       set total = s.total + cardinality(v_added) - cardinality(v_removed),
           categories = case when v_dcats is null then s.categories else index._tally_merge(s.categories, v_dcats) end,
           tags = case when v_dtags is null then s.tags else index._tally_merge(s.tags, v_dtags) end,
           price_buckets = case when v_dbuckets is null then s.price_buckets
                                else index._tally_merge(s.price_buckets, v_dbuckets) end,
           in_stock = s.in_stock + (select count(*) from unnest(v_added) a where a.has_stock)
                                 - (select count(*) from unnest(v_removed) r where r.has_stock),
           out_of_stock = s.out_of_stock + (select count(*) from unnest(v_added) a where not a.has_stock)
                                         - (select count(*) from unnest(v_removed) r where not r.has_stock),
           top_ids = v_top.ids, top_ranks = v_top.ranks, top_created = v_top.ats, top_prices = v_top.prices,
           complete = s.complete and not v_top.cut,
           updated_at = pg_catalog.clock_timestamp()
     where s.tenant_id = p_tenant_id and s.key = p_key;
end
$$;
comment on function index._search_tally_apply(uuid, uuid, tsquery, jsonb, text, bigint[], text, index.product_search[], index.product_search[], uuid[]) is
    'Internal: apply the change of some search rows (p_old before, p_new after; p_changed their product ids) to one '
    'kept tally: the rows that matched before count out, those that match now count in (total, facet counts), and '
    'the kept first matches drop the changed products and take back those that now come before the last kept one '
    '(every one while the tally keeps all its matches), at most 101.';

create or replace function index._search_tallies_lock_key(p_tenant_id uuid) returns bigint
    language sql immutable parallel safe
as $$ select pg_catalog.hashtextextended('index/search_tallies/' || p_tenant_id::text, 0) $$;
comment on function index._search_tallies_lock_key(uuid) is
    'Internal: the advisory lock key (transaction level, exclusive) that writers of a tenant''s kept tallies take '
    'before locking any tally row (index.tg_product_search__tallies), so that writers changing search rows in several '
    'statements of one transaction queue instead of deadlocking on the tally rows.';

create or replace function index.tg_product_search__tallies() returns trigger
    language plpgsql volatile
    security definer set search_path = pg_catalog, pg_temp
as $$
declare
    v_old     index.product_search[] := '{}';
    v_new     index.product_search[] := '{}';
    v_tenants uuid[];
    t         record;
begin
    if tg_op in ('UPDATE', 'DELETE') then
        select coalesce(array_agg(o), '{}') into v_old from old_rows o;
    end if;
    if tg_op in ('INSERT', 'UPDATE') then
        select coalesce(array_agg(n), '{}') into v_new from new_rows n;
    end if;
    select array_agg(distinct x.tenant_id) into v_tenants
    from (select o.tenant_id from unnest(v_old) o union all select n.tenant_id from unnest(v_new) n) x;
    if v_tenants is null then
        return null;
    end if;
    -- shared, as every invalidation of the listing caches: a fill (exclusive, try, before its snapshot) either
    -- committed before (its tally is seen below and updated) or is skipped
    perform index._listing_caches_lock(v_tenants);
    -- one writer of a tenant's tallies at a time, taken before any tally row is locked: a transaction that changes
    -- search rows in several statements (outbox.drain runs batch after batch in one transaction) keeps the tally
    -- rows of its first statement locked while a second writer locks others in key order, and the two then
    -- deadlocked on each other's rows (each deadlock cost a second and a retry of the batch event by event).
    -- Only where the tenant keeps tallies: others lock no tally row.
    if exists (select from index.search_tallies s where s.tenant_id = any (v_tenants)) then
        perform pg_catalog.pg_advisory_xact_lock(index._search_tallies_lock_key(x.tenant_id))
        from (select distinct u.tenant_id from unnest(v_tenants) u (tenant_id) order by 1) x;
    end if;
    if cardinality(v_old) > 200 or cardinality(v_new) > 200 then
        -- a bulk change (a reindex, an import): counting it into every tally costs more than counting again
        delete from index.search_tallies s where s.tenant_id = any (v_tenants);
        return null;
    end if;
    -- separate statements: their snapshots see a tally filled while we waited for the lock. Only the tallies that a
    -- changed product moves: it matched before or matches now, and not both with the same counted and ordered
    -- values (categories, tags, stock, lowest price in the tally's currency, created_at; its text for a relevance
    -- order) — a title change of a product in a listing by newest or price moves nothing. Tested in this one
    -- statement with the match inlined: a call of index._search_tally_apply per tally cost ~50 us even when
    -- nothing matched (~3 ms per rebuilt product with 48 kept tallies; the projector's whole one-event batch is ~2 ms)
    for t in select s.tenant_id, s.key, s.q, s.filters, s.currency_code, s.bounds, s.sort from index.search_tallies s
             where s.tenant_id = any (v_tenants)
               and exists (
                   select
                   from unnest(v_old) o
                   full join unnest(v_new) n on n.tenant_id = o.tenant_id and n.product_id = o.product_id
                   cross join lateral (
                       select index._search_row_matches(o, s.q, s.filters, s.currency_code) as was,
                              index._search_row_matches(n, s.q, s.filters, s.currency_code) as is_now) m
                   where coalesce(n.tenant_id, o.tenant_id) = s.tenant_id
                     and (m.was or m.is_now)
                     and not (m.was and m.is_now
                              and (o.category_ids, o.tag_slugs, o.has_stock, o.min_prices ->> s.currency_code, o.created_at)
                                  is not distinct from
                                  (n.category_ids, n.tag_slugs, n.has_stock, n.min_prices ->> s.currency_code, n.created_at)
                              and (s.sort <> 'relevance' or o.search_vector is not distinct from n.search_vector)))
             order by s.tenant_id, s.key loop
        perform index._search_tally_apply(
            t.tenant_id, t.key, t.q, t.filters, t.currency_code, t.bounds, t.sort,
            array(select o from unnest(v_old) o where o.tenant_id = t.tenant_id),
            array(select n from unnest(v_new) n where n.tenant_id = t.tenant_id),
            array(select x.product_id from (select o.tenant_id, o.product_id from unnest(v_old) o
                                            union select n.tenant_id, n.product_id from unnest(v_new) n) x
                  where x.tenant_id = t.tenant_id));
    end loop;
    return null;
end
$$;
comment on function index.tg_product_search__tallies() is
    'AFTER statement trigger on index.product_search (insert, update, delete): applies the changed rows to the '
    'tenant''s kept listing tallies (index._search_tally_apply), after taking the listing caches'' lock shared; a '
    'statement that changed more than 200 rows deletes the tenant''s tallies instead.';
revoke all on function index.tg_product_search__tallies() from public, rustok_app, rustok_analyst;

-- ---------------------------------------------------------------- index.search_tallies
comment on table index.search_tallies is
    'Kept tallies of storefront listings (the one-pass search of index.read_products_page: text, relevance or newest; '
    'a price range without text, newest or by lowest price) per tenant, parsed query, filters, currency, price bucket '
    'bounds and sort: the exact total, the full facet counts and the first 101 matches in order. Filled by the read '
    '(listings that took rustok.search_cache_min_ms or more; at most 64 per tenant), kept exact by the trigger on '
    'index.product_search (_900_search_tallies_*: the delta of each changed row; a statement of more than 200 rows, '
    'a truncate or a drift repair deletes the tenant''s tallies). Disposable: delete rows at will. Bypassed with set '
    'rustok.facet_cache = off.';
comment on column index.search_tallies.tenant_id is 'The tenant (core.tenants.id) whose listing is kept.';
comment on column index.search_tallies.key is 'md5 of inputs (index._search_cache_key).';
comment on column index.search_tallies.inputs is 'The listing as a JSON array: [tsquery text, filters, currency, bounds, sort].';
comment on column index.search_tallies.q is 'The parsed query (empty: a price range without text).';
comment on column index.search_tallies.filters is
    'The filters (categoryIds, tags, inStock, priceMin, priceMax; categoryHandles as the ids they named; no priceBuckets).';
comment on column index.search_tallies.currency_code is 'The currency of prices, price filters and buckets (null: none).';
comment on column index.search_tallies.bounds is 'Price bucket lower bounds (minor units).';
comment on column index.search_tallies.sort is 'The order of the kept first matches: relevance, newest or price_asc.';
comment on column index.search_tallies.total is 'Number of matches (exact, not capped).';
comment on column index.search_tallies.categories is 'Matches per category: {category id: n} (every category with n > 0).';
comment on column index.search_tallies.tags is 'Matches per tag: {slug: n} (every tag with n > 0).';
comment on column index.search_tallies.price_buckets is
    'Matches per price bucket: {bucket number (width_bucket of the lowest price over bounds, from 1): n}.';
comment on column index.search_tallies.in_stock is 'Matches in stock.';
comment on column index.search_tallies.out_of_stock is 'Matches out of stock.';
comment on column index.search_tallies.top_ids is 'The first matches in the listing''s order (at most 101): product ids.';
comment on column index.search_tallies.top_ranks is 'Their ts_rank (relevance only; null otherwise).';
comment on column index.search_tallies.top_created is 'Their created_at.';
comment on column index.search_tallies.top_prices is 'Their lowest price in currency_code (9223372036854775807 when none).';
comment on column index.search_tallies.complete is 'The first matches are all the matches.';
comment on column index.search_tallies.cost_ms is 'Milliseconds the tally took to compute.';
comment on column index.search_tallies.filled_at is 'When the tally was computed (the oldest are evicted first).';
comment on column index.search_tallies.updated_at is 'When a change of a search row last updated it.';

select core.enable_tenant_rls('index.search_tallies');
select core.allow_analyst_read('index.search_tallies');
select core.allow_tenant_analyst_read('index.search_tallies');
grant select on index.search_tallies to rustok_analyst, rustok_tenant_analyst;
