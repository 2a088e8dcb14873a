-- index/products.sql: the product read rows (index.products, index.product_prices) and how they are computed.

-- Rebuild of index.products (and index.product_prices) from commerce products, variants, options,
-- prices, inventory, categories and content tags / SEO meta. One SQL function computes the rows
-- (shared by the rebuild and index.verify); the rebuild upserts only what really changed.
create or replace function index._product_rows(p_tenant_id uuid, p_product_ids uuid[],
                                              p_reuse_vectors boolean default false)
    returns setof index.products
    language sql stable
as $$
    -- Set-based: every part is computed for all the products at once (one scan or one index probe per table and
    -- product set, grouped), then joined by product id; a per-product lateral subquery made ~15 index probes and
    -- re-evaluated a variant's availability four times per product (0.8 ms a product, 1,200 products/s).
    with p as (
        select p.* from commerce.products p
        -- no `p_product_ids is null or ...`: with it a generic plan (small rebuilds use one) scans every product
        where p.tenant_id = p_tenant_id
          and p.id = any (coalesce(p_product_ids, array(select x.id from commerce.products x where x.tenant_id = p_tenant_id)))
    ), vr as materialized (
        select vr.id, vr.product_id, vr.title, vr.sku, vr.barcode, vr.position, vr.manage_inventory, vr.allow_backorder
        from commerce.variants vr
        where vr.tenant_id = p_tenant_id and vr.product_id = any (array(select p.id from p))
    ), vi as materialized (
        select vi.variant_id, vi.inventory_item_id, vi.required_quantity
        from commerce.variant_inventory vi
        where vi.tenant_id = p_tenant_id and vi.variant_id = any (array(select vr.id from vr))
    ), item_available as (
        -- units available per variant's inventory item over all its locations. The levels are joined to vi (an index
        -- probe per item), not aggregated on their own and joined after: the planner cannot know the size of the id
        -- arrays, estimated both sides at ~3 rows and joined them by a nested loop over every pair (2 million pairs,
        -- 180 ms, for 1,000 products once other tenants' rows made the tenant look small)
        select vi.variant_id, vi.required_quantity, sum(il.stocked_quantity - il.reserved_quantity) as available
        from vi
        left join commerce.inventory_levels il on il.tenant_id = p_tenant_id and il.inventory_item_id = vi.inventory_item_id
        group by vi.variant_id, vi.inventory_item_id, vi.required_quantity
    ), variant_available as (
        -- a variant can sell as many units as its scarcest item allows
        select ia.variant_id, min(greatest(coalesce(ia.available, 0), 0) / ia.required_quantity) as available
        from item_available ia
        group by ia.variant_id
    ), variant_options as (
        select vo.variant_id, jsonb_object_agg(op.title, ov.value) as options
        from commerce.variant_options vo
        join commerce.option_values ov on ov.tenant_id = vo.tenant_id and ov.id = vo.option_value_id
        join commerce.options op on op.tenant_id = vo.tenant_id and op.id = vo.option_id
        where vo.tenant_id = p_tenant_id and vo.variant_id = any (array(select vr.id from vr))
        group by vo.variant_id
    ), base_prices as materialized (
        -- base prices: no price list, quantity 1
        select bp.variant_id, bp.currency_code, bp.amount
        from commerce.prices bp
        where bp.tenant_id = p_tenant_id and bp.variant_id = any (array(select vr.id from vr))
          and bp.price_list_id is null and bp.min_quantity = 1
    ), variant_prices as (
        select bp.variant_id, jsonb_object_agg(bp.currency_code, bp.amount) as prices
        from base_prices bp group by bp.variant_id
    ), va as (
        select vr.*, coalesce(a.available, 0)::bigint as available,
               coalesce(o.options, '{}') as options, coalesce(pz.prices, '{}') as prices
        from vr
        left join variant_available a on a.variant_id = vr.id
        left join variant_options o on o.variant_id = vr.id
        left join variant_prices pz on pz.variant_id = vr.id
    ), v as (
        select va.product_id,
               count(*)::integer as variant_count,
               coalesce(sum(va.available) filter (where va.manage_inventory), 0)::bigint as total_stock,
               bool_or(not va.manage_inventory or va.available > 0) as has_stock,
               jsonb_agg(jsonb_build_object(
                   'id', va.id, 'title', va.title, 'sku', va.sku, 'barcode', va.barcode, 'position', va.position,
                   'manageInventory', va.manage_inventory, 'allowBackorder', va.allow_backorder,
                   'available', case when va.manage_inventory then va.available end,
                   'inStock', not va.manage_inventory or va.available > 0,
                   'options', va.options, 'prices', va.prices) order by va.position, va.id) as variants,
               string_agg(concat_ws(' ', va.title, va.sku), ' ' order by va.position, va.id) as text
        from va group by va.product_id
    ), pr as (
        -- base price range per currency
        select q.product_id,
               array_agg(q.currency_code order by q.currency_code) as currencies,
               jsonb_object_agg(q.currency_code, jsonb_build_object('min', q.mn, 'max', q.mx)) as prices
        from (
            select vr.product_id, bp.currency_code, min(bp.amount) as mn, max(bp.amount) as mx
            from base_prices bp join vr on vr.id = bp.variant_id
            group by vr.product_id, bp.currency_code
        ) q
        group by q.product_id
    ), option_values as (
        -- each option with its values, joined by an index probe per option (not two aggregates joined after: the
        -- same nested loop over every pair as item_available's)
        select op.product_id, op.id, op.title, op.position,
               coalesce(jsonb_agg(ov.value order by ov.position, ov.value) filter (where ov.id is not null), '[]') as vals
        from commerce.options op
        left join commerce.option_values ov on ov.tenant_id = p_tenant_id and ov.option_id = op.id
        where op.tenant_id = p_tenant_id and op.product_id = any (array(select p.id from p))
        group by op.product_id, op.id, op.title, op.position
    ), o as (
        select x.product_id,
               jsonb_agg(jsonb_build_object('id', x.id, 'title', x.title, 'values', x.vals)
                         order by x.position, x.title) as options
        from option_values x
        group by x.product_id
    ), c as (
        select pc.product_id,
               array_agg(cat.id order by cat.rank, cat.name, cat.id) as ids,
               array_agg(cat.handle order by cat.rank, cat.name, cat.id) as handles,
               jsonb_agg(jsonb_build_object('id', cat.id, 'handle', cat.handle, 'name', cat.name)
                         order by cat.rank, cat.name, cat.id) as categories,
               string_agg(cat.name, ' ' order by cat.rank, cat.name, cat.id) as names
        from commerce.product_categories pc
        join commerce.categories cat on cat.tenant_id = pc.tenant_id and cat.id = pc.category_id
        where pc.tenant_id = p_tenant_id and pc.product_id = any (array(select p.id from p))
          and cat.is_active and not cat.is_internal
        group by pc.product_id
    ), t as (
        select ta.target_id as product_id,
               array_agg(tg.name order by tg.slug) as names, array_agg(tg.slug order by tg.slug) as slugs
        from content.taggables ta
        join content.tags tg on tg.tenant_id = ta.tenant_id and tg.id = ta.tag_id
        where ta.tenant_id = p_tenant_id and ta.target_type = 'product' and ta.target_id = any (array(select p.id from p))
        group by ta.target_id
    ), m as (
        select m.* from content.meta m
        where m.tenant_id = p_tenant_id and m.target_type = 'product' and m.target_id = any (array(select p.id from p))
    ), x as materialized (
        select index._tsconfig(p_tenant_id) as cfg   -- once, not per product and vector
    ), ov as (
        -- p_reuse_vectors (the projector's rebuilds): the current read row's vector is kept when the text it was
        -- made from is the same (a price, stock, status or metadata change): the four to_tsvector calls with
        -- unaccent were ~20 us of the ~70 us a product row costs, more with a long description. The text is
        -- compared, not assumed: the old text comes from the read row itself (title, subtitle, tags, category
        -- names, description, variant titles and SKUs in their order).
        select o.product_id, o.search_vector, o.title, o.subtitle, o.tags, o.description,
               (select string_agg(e ->> 'name', ' ') from jsonb_array_elements(o.categories) e) as category_names,
               (select string_agg(concat_ws(' ', e ->> 'title', e ->> 'sku'), ' ')
                from jsonb_array_elements(o.variants) e) as variant_text
        from index.products o
        where p_reuse_vectors and o.tenant_id = p_tenant_id and o.product_id = any (array(select p.id from p))
    )
    select
        p.tenant_id,
        p.id,
        p.title,
        p.subtitle,
        p.handle,
        p.description,
        p.status,
        p.discountable,
        coalesce(pr.currencies, '{}'),
        coalesce(pr.prices, '{}'),
        coalesce(v.total_stock, 0),
        coalesce(v.has_stock, false),
        coalesce(v.variant_count, 0),
        coalesce(v.variants, '[]'),
        coalesce(o.options, '[]'),
        coalesce(c.ids, '{}'),
        coalesce(c.handles, '{}'),
        coalesce(c.categories, '[]'),
        coalesce(t.names, '{}'),
        coalesce(t.slugs, '{}'),
        m.title,
        m.description,
        coalesce(jsonb_strip_nulls(jsonb_build_object(
            'title', m.title, 'description', m.description, 'canonicalUrl', m.canonical_url,
            'imageUrl', m.image_url, 'robots', m.robots)), '{}'),
        p.metadata,
        case when ov.product_id is not null
                  and ov.title is not distinct from p.title and ov.subtitle is not distinct from p.subtitle
                  and ov.tags = coalesce(t.names, '{}') and ov.category_names is not distinct from c.names
                  and ov.description is not distinct from p.description and ov.variant_text is not distinct from v.text
             then ov.search_vector
             else index._tsv(x.cfg, p.title, 'A')
                  || index._tsv(x.cfg, concat_ws(' ', p.subtitle, array_to_string(t.names, ' '), c.names), 'B')
                  || index._tsv(x.cfg, left(p.description, 100000), 'C')
                  || index._tsv(x.cfg, v.text, 'D') end,
        p.created_at,
        p.updated_at,
        null::uuid,
        null::text,
        null::timestamptz,
        now(),
        null::xid8,    -- snapshot_xmin and snapshot_system: set by index._rebuild_products when it writes the row
        null::bigint
    from p
    cross join x
    left join v on v.product_id = p.id
    left join pr on pr.product_id = p.id
    left join o on o.product_id = p.id
    left join c on c.product_id = p.id
    left join t on t.product_id = p.id
    left join m on m.target_id = p.id
    left join ov on ov.product_id = p.id
$$;
comment on function index._product_rows(uuid, uuid[], boolean) is
    'Internal: the index.products rows as they should be, computed from the write tables, for some products of a '
    'tenant (all when p_product_ids is null). Used by the rebuild and by index.verify. p_reuse_vectors (the '
    'projector): a product whose vector text is unchanged keeps its read row''s search_vector instead of a new one '
    '(the same value unless the read row drifted; index.verify and a reindex compute every vector).';

create or replace function index._min_prices(p_prices jsonb) returns jsonb
    language sql immutable parallel safe
as $$
    select coalesce(pg_catalog.jsonb_object_agg(e.key, (e.value ->> 'min')::bigint), '{}'::jsonb)
    from pg_catalog.jsonb_each(p_prices) e
$$;
comment on function index._min_prices(jsonb) is
    'Internal: {"EUR": 1999, ...} from an index.products.prices value {"EUR": {"min": 1999, "max": 2999}, ...}: the '
    'lowest base price per currency, as index.product_search.min_prices keeps it.';

create or replace function index._rebuild_products(p_tenant_id uuid, p_product_ids uuid[], p_events outbox.events[] default '{}')
    returns integer
    language plpgsql volatile
as $$
declare
    v_changed     uuid[];
    v_new_text    text[];
    v_gone        uuid[];
    v_deleted     integer := 0;
    v_search_rows integer;
    v_price_rows  integer;
    v_words_stale boolean;
    -- a variable, not an expression in the call: a subquery in an argument keeps index._product_rows from being
    -- inlined into the statement below (its plan was made for the rows it really returns)
    v_reuse_vectors boolean := cardinality(p_events) > 0
                               and not exists (select 1 from unnest(p_events) e where e.event_type = 'ReindexRequested');
begin
    if p_tenant_id is null or coalesce(cardinality(p_product_ids), 0) = 0 then
        return 0;
    end if;
    -- One statement per rebuild for all three read tables: the rows are computed once (s) and each read table gets
    -- one compare-first upsert from them: only rows that are missing or differ are written (INSERT ... ON CONFLICT
    -- DO UPDATE locks, and so writes, every conflicting row even when nothing changed), read through their keys
    -- (= any of the ids: index scans, never a scan of the tenant's rows). The price and search rows of a new product
    -- reference its product row inserted by the same statement: their foreign keys are checked at its end.
    with snap as materialized (
        -- every transaction below this id had finished when this statement's snapshot was taken: the rows computed
        -- here show all their changes (index._products_up_to_date compares a batch's events with it)
        select pg_catalog.pg_snapshot_xmin(pg_catalog.pg_current_snapshot()) as xmin,
               (select c.system_identifier from pg_catalog.pg_control_system() c) as system   -- whose transaction ids
    ), ev as (
        select distinct on (e.aggregate_id) e.aggregate_id, e.id, e.event_type, e.occurred_at
        from unnest(p_events) e
        where e.tenant_id = p_tenant_id and e.aggregate_type = 'product'
        order by e.aggregate_id, e.occurred_at desc, e.id desc
    ), s as materialized (
        -- the projector's rebuilds keep unchanged vectors; an operator's rebuild, a requested reindex and the reindex
        -- (no events) compute them all
        select * from index._product_rows(p_tenant_id, p_product_ids, v_reuse_vectors)
    ), old as materialized (
        select o.* from index.products o
        where o.tenant_id = p_tenant_id and o.product_id = any (p_product_ids)
    ), changed as (
        -- rows that are missing or differ (o.search_vector: whose text changed decides the words refresh)
        select s.*, o.product_id is null as is_new, o.search_vector as old_search_vector,
               -- an existing row's word text changed: words only it had may be gone from the tenant's word list
               o.product_id is not null
                   and (o.title, o.subtitle, o.tags, o.categories, o.description)
                       is distinct from (s.title, s.subtitle, s.tags, s.categories, s.description) as words_may_drop,
               -- the word text of the parts that are new (all of a new row): words of unchanged parts are in
               -- index.words already (splitting a whole description for a changed title cost ~0.4 ms a row)
               concat_ws(' ',
                   case when o.title is distinct from s.title then s.title end,
                   case when o.subtitle is distinct from s.subtitle then s.subtitle end,
                   case when o.tags is distinct from s.tags then array_to_string(s.tags, ' ') end,
                   case when o.categories is distinct from s.categories
                        then (select string_agg(c ->> 'name', ' ') from jsonb_array_elements(s.categories) c) end,
                   case when o.description is distinct from s.description then left(s.description, 20000) end)
                   as new_words_text
        from s
        left join old o on o.product_id = s.product_id
        where o.product_id is null
           or (o.title, o.subtitle, o.handle, o.description, o.status, o.discountable, o.currencies, o.prices,
               o.total_stock, o.has_stock, o.variant_count, o.variants, o.options, o.category_ids, o.category_handles,
               o.categories, o.tags, o.tag_slugs, o.meta_title, o.meta_description, o.seo, o.metadata, o.search_vector,
               o.created_at, o.updated_at)
              is distinct from
              (s.title, s.subtitle, s.handle, s.description, s.status, s.discountable, s.currencies, s.prices,
               s.total_stock, s.has_stock, s.variant_count, s.variants, s.options, s.category_ids, s.category_handles,
               s.categories, s.tags, s.tag_slugs, s.meta_title, s.meta_description, s.seo, s.metadata, s.search_vector,
               s.created_at, s.updated_at)
    ), up as (
        insert into index.products as t (
            tenant_id, product_id, title, subtitle, handle, description, status, discountable, currencies, prices,
            total_stock, has_stock, variant_count, variants, options, category_ids, category_handles, categories,
            tags, tag_slugs, meta_title, meta_description, seo, metadata, search_vector, created_at, updated_at,
            last_event_id, last_event_type, last_event_at, indexed_at, snapshot_xmin, snapshot_system)
        select c.tenant_id, c.product_id, c.title, c.subtitle, c.handle, c.description, c.status, c.discountable,
               c.currencies, c.prices, c.total_stock, c.has_stock, c.variant_count, c.variants, c.options,
               c.category_ids, c.category_handles, c.categories, c.tags, c.tag_slugs, c.meta_title,
               c.meta_description, c.seo, c.metadata, c.search_vector, c.created_at, c.updated_at,
               ev.id, ev.event_type, ev.occurred_at, clock_timestamp(), snap.xmin, snap.system
        from changed c
        cross join snap
        left join ev on ev.aggregate_id = c.product_id
        order by c.product_id
        -- still an upsert: a row inserted meanwhile by a rebuild of another transaction (the per-aggregate
        -- advisory locks keep two rebuilds of one product apart, so this is rare) is updated, not a duplicate
        on conflict (tenant_id, product_id) do update
           set title = excluded.title, subtitle = excluded.subtitle, handle = excluded.handle,
               description = excluded.description, status = excluded.status, discountable = excluded.discountable,
               currencies = excluded.currencies, prices = excluded.prices, total_stock = excluded.total_stock,
               has_stock = excluded.has_stock, variant_count = excluded.variant_count, variants = excluded.variants,
               options = excluded.options, category_ids = excluded.category_ids,
               category_handles = excluded.category_handles, categories = excluded.categories, tags = excluded.tags,
               tag_slugs = excluded.tag_slugs, meta_title = excluded.meta_title,
               meta_description = excluded.meta_description, seo = excluded.seo, metadata = excluded.metadata,
               search_vector = excluded.search_vector, created_at = excluded.created_at,
               updated_at = excluded.updated_at, last_event_id = excluded.last_event_id,
               last_event_type = excluded.last_event_type, last_event_at = excluded.last_event_at,
               indexed_at = excluded.indexed_at, snapshot_xmin = excluded.snapshot_xmin,
               snapshot_system = excluded.snapshot_system
        returning t.product_id, t.search_vector
    ), price_want as (
        -- price rows follow the product row's prices, for every rebuilt id (so a damaged price row is repaired too)
        select s.tenant_id, s.product_id, e.key as currency_code,
               (e.value ->> 'min')::bigint as min_amount, (e.value ->> 'max')::bigint as max_amount
        from s cross join lateral jsonb_each(s.prices) e
    ), price_have as materialized (
        select pp.product_id, pp.currency_code, pp.min_amount, pp.max_amount
        from index.product_prices pp
        where pp.tenant_id = p_tenant_id and pp.product_id = any (p_product_ids)
    ), price_gone as (
        -- price rows of a currency the product no longer has (a deleted product's rows too; they would cascade)
        delete from index.product_prices pp
        using price_have h
        where pp.tenant_id = p_tenant_id and pp.product_id = h.product_id and pp.currency_code = h.currency_code
          and not exists (select 1 from price_want w where w.product_id = h.product_id and w.currency_code = h.currency_code)
        returning 1
    ), price_up as (
        insert into index.product_prices as pp (tenant_id, product_id, currency_code, min_amount, max_amount)
        select w.tenant_id, w.product_id, w.currency_code, w.min_amount, w.max_amount
        from price_want w
        left join price_have h on h.product_id = w.product_id and h.currency_code = w.currency_code
        where h.product_id is null or (h.min_amount, h.max_amount) is distinct from (w.min_amount, w.max_amount)
        on conflict (tenant_id, product_id, currency_code) do update
           set min_amount = excluded.min_amount, max_amount = excluded.max_amount
        returning 1
    ), search_want as (
        -- the narrow search rows follow the product rows, for every rebuilt id (a damaged one is repaired too)
        select s.tenant_id, s.product_id, s.status, s.created_at, s.has_stock, s.category_ids, s.tag_slugs,
               coalesce((select jsonb_object_agg(e.key, (e.value ->> 'min')::bigint) from jsonb_each(s.prices) e),
                        '{}') as min_prices,   -- index._min_prices(s.prices), without a function call per row
               s.search_vector
        from s
    ), search_up as (
        insert into index.product_search as ps (tenant_id, product_id, status, created_at, has_stock, category_ids,
                                                tag_slugs, min_prices, search_vector)
        select w.tenant_id, w.product_id, w.status, w.created_at, w.has_stock, w.category_ids, w.tag_slugs,
               w.min_prices, w.search_vector
        from search_want w
        left join (select h.* from index.product_search h
                   where h.tenant_id = p_tenant_id and h.product_id = any (p_product_ids)) h
               on h.product_id = w.product_id
        where h.product_id is null
           or (h.status, h.created_at, h.has_stock, h.category_ids, h.tag_slugs, h.min_prices, h.search_vector)
              is distinct from (w.status, w.created_at, w.has_stock, w.category_ids, w.tag_slugs, w.min_prices, w.search_vector)
        on conflict (tenant_id, product_id) do update
           set status = excluded.status, created_at = excluded.created_at, has_stock = excluded.has_stock,
               category_ids = excluded.category_ids, tag_slugs = excluded.tag_slugs, min_prices = excluded.min_prices,
               search_vector = excluded.search_vector
        returning 1
    )
    select coalesce((select array_agg(up.product_id) from up), '{}'),
           coalesce((select array_agg(c.new_words_text) from up join changed c on c.product_id = up.product_id
                     where (c.is_new or c.old_search_vector is distinct from up.search_vector)
                       and c.new_words_text <> ''), '{}'),
           -- ids with a read row but no product any more
           array(select o.product_id from old o where not exists (select 1 from s where s.product_id = o.product_id)),
           (select count(*) from search_up),
           (select count(*) from price_up) + (select count(*) from price_gone),
           coalesce((select bool_or(c.words_may_drop) from changed c), false)
      into v_changed, v_new_text, v_gone, v_search_rows, v_price_rows, v_words_stale;

    -- a product that no longer exists leaves the index (its price and search rows cascade)
    if cardinality(v_gone) > 0 then
        delete from index.products i
        where i.tenant_id = p_tenant_id and i.product_id = any (v_gone)
          and not exists (select 1 from commerce.products p where p.tenant_id = p_tenant_id and p.id = i.product_id);
        get diagnostics v_deleted = row_count;
    end if;
    if v_words_stale or v_deleted > 0 then
        perform index._mark_words_stale(p_tenant_id);
    end if;

    if v_search_rows > 0 and cardinality(v_changed) = 0 and v_deleted = 0 then
        -- search rows repaired under unchanged product rows (drift): the cached browse counts, which read the
        -- search rows, are invalidated here (a changed product row's trigger does it otherwise)
        perform index._facet_cache_invalidate(array[p_tenant_id]);
    end if;

    if cardinality(v_new_text) > 0 then
        -- only for rows whose text changed (a price or stock change brings no new word), and only words the
        -- tenant does not have yet (sorted): concurrent inserts of one new word are rare
        insert into index.words (tenant_id, word)
        select distinct p_tenant_id, w.w
        from unnest(v_new_text) t
        cross join lateral index._words(t) as w(w)
        where not exists (select 1 from index.words x where x.tenant_id = p_tenant_id and x.word = w.w)
        order by 2
        on conflict do nothing;
    end if;
    return cardinality(v_changed) + v_deleted;
end
$$;
comment on function index._rebuild_products(uuid, uuid[], outbox.events[]) is
    'Internal: rebuild the index.products (and index.product_prices, index.product_search) rows of some products of '
    'one tenant, set-based: upsert where something really changed (recording the latest of p_events per product), '
    'delete rows of products that are gone, add new words to index.words. Returns the number of rows inserted, '
    'updated or deleted.';

-- ---------------------------------------------------------------- index.products

comment on table index.products is
    'Read model of commerce products (manifest index_products): one row per product with its variants, options, base '
    'prices per currency, stock, categories, tags and SEO meta, ready for a storefront page. Rebuilt by '
    'index.rebuild_products from commerce.* and content.* tables; never written directly. Key (tenant_id, product_id).';
comment on column index.products.status is 'commerce.products.status: draft | proposed | published | rejected. Storefronts see published only.';
comment on column index.products.currencies is 'Currencies (ISO 4217) that have a base price for at least one variant, sorted.';
comment on column index.products.prices is
    'Base prices (price_list_id null, min_quantity 1) per currency in minor units: {"EUR": {"min": 1999, "max": 2999}}. '
    'Also in index.product_prices (one row per currency) for filters and sorting.';
comment on column index.products.total_stock is
    'Units available to sell over all variants that manage inventory: per variant min over its inventory items of '
    'floor(sum(stocked - reserved over locations) / required_quantity), never below 0.';
comment on column index.products.has_stock is
    'In stock: some variant does not manage inventory, or has at least one unit available.';
comment on column index.products.variants is
    'Variants by position: [{id, title, sku, barcode, position, manageInventory, allowBackorder, available, inStock, '
    'options: {"Color": "Red"}, prices: {"EUR": 1999}}] (prices: base, min_quantity 1).';
comment on column index.products.options is 'Options by position with their values: [{id, title, values: ["S", "M"]}].';
comment on column index.products.category_ids is 'Ids of the product''s commerce categories that are active and not internal.';
comment on column index.products.category_handles is 'Handles of those categories (same order as category_ids).';
comment on column index.products.categories is 'Those categories as [{id, handle, name}], by rank then name.';
comment on column index.products.tags is 'Names of the tags on the product (content.taggables target_type product), sorted by slug.';
comment on column index.products.tag_slugs is 'Slugs of those tags (same order as tags).';
comment on column index.products.meta_title is 'content.meta.title of the product (SEO <title>).';
comment on column index.products.meta_description is 'content.meta.description of the product.';
comment on column index.products.seo is 'All SEO meta: {title, description, canonicalUrl, imageUrl, robots} (keys present when set).';
comment on column index.products.search_vector is
    'Weighted, unaccented tsvector in the tenant''s text_search_config: title A; subtitle, tags, categories B; '
    'description C; variant titles and SKUs D.';
comment on column index.products.last_event_id is 'The outbox event whose processing last changed this row (null: reindex).';
comment on column index.products.last_event_type is 'Its event type (ProductUpdated, ReindexRequested, ...).';
comment on column index.products.last_event_at is 'Its occurred_at.';
comment on column index.products.indexed_at is 'When this row last changed (a rebuild that changes nothing leaves it alone).';
comment on column index.products.snapshot_xmin is
    'The xmin of the snapshot this row was computed from when it was last written: every transaction with a lower id '
    'had finished, so the row shows their changes. The projector skips a product whose events in a batch all come '
    'from such transactions (index._products_up_to_date). Null: never skipped.';
comment on column index.products.snapshot_system is
    'The system identifier of the cluster that computed this row (pg_control_system()): snapshot_xmin is a '
    'transaction id of that cluster only, so a row copied into another cluster (a logical restore) is not trusted.';
comment on column index.products.tenant_id is
    'The owning tenant (core.tenants.id); row-level security policy tenant_isolation keys on it.';
comment on column index.products.product_id is 'The product (commerce.products.id).';
comment on column index.products.title is 'commerce.products.title.';
comment on column index.products.subtitle is 'commerce.products.subtitle.';
comment on column index.products.handle is 'commerce.products.handle (URL handle).';
comment on column index.products.description is 'commerce.products.description.';
comment on column index.products.discountable is 'commerce.products.discountable.';
comment on column index.products.variant_count is 'Number of variants.';
comment on column index.products.metadata is 'commerce.products.metadata.';
comment on column index.products.created_at is 'commerce.products.created_at.';
comment on column index.products.updated_at is 'commerce.products.updated_at.';

select core.enable_tenant_rls('index.products');
select core.allow_analyst_read('index.products');
select core.allow_tenant_analyst_read('index.products');
grant select on index.products to rustok_analyst, rustok_app, rustok_tenant_analyst;

create or replace trigger _900_facet_cache_invalidate_del after delete on index.products
    referencing old table as old_rows for each statement
    execute function index.tg_products__facet_cache();

create or replace trigger _900_facet_cache_invalidate_ins after insert on index.products
    referencing new table as new_rows for each statement
    execute function index.tg_products__facet_cache();

create or replace trigger _900_facet_cache_invalidate_trunc after truncate on index.products
    for each statement
    execute function index.tg_products__facet_cache_truncate();

create or replace trigger _900_facet_cache_invalidate_upd after update on index.products
    referencing old table as old_rows new table as new_rows for each statement
    execute function index.tg_products__facet_cache();

-- ---------------------------------------------------------------- index.product_prices

comment on table index.product_prices is
    'Read model: a product''s base price range per currency (minor units), one row per currency: the same data as '
    'index.products.prices in relational form, for analysts and for price queries across a catalog (the btree on '
    '(tenant_id, currency_code, min_amount) gives the cheapest products of a currency directly). Rebuilt with the product.';
comment on column index.product_prices.tenant_id is
    'The owning tenant (core.tenants.id); row-level security policy tenant_isolation keys on it.';
comment on column index.product_prices.product_id is 'The product (commerce.products.id, index.products.product_id).';
comment on column index.product_prices.currency_code is 'ISO 4217 currency of the base prices.';
comment on column index.product_prices.min_amount is
    'Lowest base price of the product''s variants in this currency (minor units).';
comment on column index.product_prices.max_amount is
    'Highest base price of the product''s variants in this currency (minor units).';

select core.enable_tenant_rls('index.product_prices');
select core.allow_analyst_read('index.product_prices');
select core.allow_tenant_analyst_read('index.product_prices');
grant select on index.product_prices to rustok_analyst, rustok_app, rustok_tenant_analyst;

-- ---------------------------------------------------------------- index.product_search

comment on table index.product_search is
    'Read model: the narrow search row of a product (~500 bytes against ~2 kB for its index.products row): the '
    'columns a storefront search reads for every match (text, facets, sort keys). A search scans these, then reads '
    'the display rows of one page only. Rebuilt with the product (index._rebuild_products; deletes cascade from '
    'index.products); never written directly. index.verify compares it with the recomputed product.';
comment on column index.product_search.tenant_id is
    'The owning tenant (core.tenants.id); row-level security policy tenant_isolation keys on it.';
comment on column index.product_search.product_id is 'The product (commerce.products.id, index.products.product_id).';
comment on column index.product_search.status is 'index.products.status (storefronts see published only).';
comment on column index.product_search.created_at is 'index.products.created_at (the newest sort).';
comment on column index.product_search.has_stock is 'index.products.has_stock (the inStock facet and filter).';
comment on column index.product_search.category_ids is 'index.products.category_ids (the categories facet and filter).';
comment on column index.product_search.tag_slugs is 'index.products.tag_slugs (the tags facet and filter).';
comment on column index.product_search.min_prices is
    'Lowest base price per currency, minor units: {"EUR": 1999} (index.products.prices -> currency -> min; price '
    'buckets and price filters).';
comment on column index.product_search.search_vector is 'index.products.search_vector (text match and relevance).';

select core.enable_tenant_rls('index.product_search');
select core.allow_analyst_read('index.product_search');
select core.allow_tenant_analyst_read('index.product_search');
grant select on index.product_search to rustok_analyst, rustok_app, rustok_tenant_analyst;

-- the kept listing tallies follow the search rows by deltas (index/search_tallies.sql)
create or replace trigger _900_search_tallies_del after delete on index.product_search
    referencing old table as old_rows for each statement
    execute function index.tg_product_search__tallies();

create or replace trigger _900_search_tallies_ins after insert on index.product_search
    referencing new table as new_rows for each statement
    execute function index.tg_product_search__tallies();

create or replace trigger _900_search_tallies_upd after update on index.product_search
    referencing old table as old_rows new table as new_rows for each statement
    execute function index.tg_product_search__tallies();

-- ---------------------------------------------------------------- index.product_fingerprints

comment on table index.product_fingerprints is
    'What the last full reindex built a product''s read rows from: a fingerprint of its write rows and of the code '
    'that computes its read rows (inputs), and one of those read rows (reads). index.reindex_chunk skips the row '
    'computation for products whose fingerprints are unchanged, so a reindex of an unchanged catalog costs the '
    'fingerprints, not the rows. Written only by the reindex (index._save_product_fingerprints); the projector '
    'leaves it alone (its writes change the reads fingerprint). Deleted with the product''s read row. Disposable: '
    'delete a tenant''s rows to make its next reindex recompute every product.';
comment on column index.product_fingerprints.tenant_id is
    'The owning tenant (core.tenants.id); row-level security policy tenant_isolation keys on it.';
comment on column index.product_fingerprints.product_id is 'The product (index.products.product_id).';
comment on column index.product_fingerprints.inputs is
    'index._product_input_marks of the product when the reindex read it: the code version, the number of its write '
    'rows and a sum of hashes of their xmin (any insert, update or delete of one changes it).';
comment on column index.product_fingerprints.reads is
    'index._product_read_marks after the reindex wrote it: the same over its index.products, index.product_search and '
    'index.product_prices rows (a read row written by anything else changes it).';

select core.enable_tenant_rls('index.product_fingerprints');
select core.allow_analyst_read('index.product_fingerprints');
select core.allow_tenant_analyst_read('index.product_fingerprints');
grant select on index.product_fingerprints to rustok_analyst, rustok_tenant_analyst;

create or replace function index._product_code_functions() returns regprocedure[]
    language sql stable
as $$
    select array['index._product_rows(uuid, uuid[], boolean)', 'index._rebuild_products(uuid, uuid[], outbox.events[])',
                 'index._tsv(regconfig, text, "char")', 'index._unaccent(text)', 'index._tsconfig(uuid)']::regprocedure[]
$$;
comment on function index._product_code_functions() is
    'Internal: the functions whose code computes a product''s read rows (index._product_code_version hashes their '
    'source; index._products_up_to_date trusts no row computed before their last create or replace).';

create or replace function index._product_code_version(p_tenant_id uuid) returns text
    language sql stable
as $$
    -- the functions that compute a product's read rows (their source: a new version of any recomputes every product)
    -- and the tenant's text search configuration
    select pg_catalog.md5(pg_catalog.string_agg(p.prosrc, ' ' order by p.oid::regprocedure::text))
           || '/' || index._tsconfig(p_tenant_id)::text || '/' || pg_catalog.current_setting('server_version_num')
    from pg_catalog.pg_proc p
    where p.oid = any (index._product_code_functions())
$$;
comment on function index._product_code_version(uuid) is
    'Internal: the version of the code a product''s read rows are computed with (a hash of the sources of '
    'index._product_code_functions: _product_rows, _rebuild_products, _tsv, _unaccent, _tsconfig), the tenant''s text search configuration and '
    'the server version; part of index.product_fingerprints.inputs.';

create or replace function index._product_input_marks(p_tenant_id uuid, p_product_ids uuid[])
    returns table (product_id uuid, inputs text)
    language sql stable
as $$
    -- EVERY write row index._product_rows reads for a product must be here (its xmin changes with each insert or
    -- update; a delete changes the count and the sum), else a reindex keeps a stale read row: add a table there,
    -- add it here (tests/index/test_reindex_fingerprints.py changes each of them with the event triggers off).
    with vr as materialized (
        select vr.id, vr.product_id, vr.xmin as x from commerce.variants vr
        where vr.tenant_id = p_tenant_id and vr.product_id = any (p_product_ids)
    ), vi as materialized (
        select vr.product_id, vi.inventory_item_id, vi.xmin as x
        from commerce.variant_inventory vi join vr on vr.id = vi.variant_id
        where vi.tenant_id = p_tenant_id and vi.variant_id = any (array(select vr.id from vr))
    ), op as materialized (
        select op.id, op.product_id, op.xmin as x from commerce.options op
        where op.tenant_id = p_tenant_id and op.product_id = any (p_product_ids)
    ), il as materialized (
        -- fetched on their own, then joined: with the join inside, each level's probe rechecked the whole id array
        select il.inventory_item_id, il.xmin as x from commerce.inventory_levels il
        where il.tenant_id = p_tenant_id and il.inventory_item_id = any (array(select vi.inventory_item_id from vi))
    ), r (product_id, k, x) as (
        select p.id, 1, p.xmin from commerce.products p where p.tenant_id = p_tenant_id and p.id = any (p_product_ids)
        union all select vr.product_id, 2, vr.x from vr
        union all select vi.product_id, 3, vi.x from vi
        union all select vi.product_id, 4, il.x from il join vi on vi.inventory_item_id = il.inventory_item_id
        union all
        select vr.product_id, 5, vo.xmin
        from commerce.variant_options vo join vr on vr.id = vo.variant_id
        where vo.tenant_id = p_tenant_id and vo.variant_id = any (array(select vr.id from vr))
        union all select op.product_id, 6, op.x from op
        union all
        select op.product_id, 7, ov.xmin
        from commerce.option_values ov join op on op.id = ov.option_id
        where ov.tenant_id = p_tenant_id and ov.option_id = any (array(select op.id from op))
        union all
        select vr.product_id, 8, pz.xmin
        from commerce.prices pz join vr on vr.id = pz.variant_id
        where pz.tenant_id = p_tenant_id and pz.variant_id = any (array(select vr.id from vr))
        union all
        select pc.product_id, y.k, y.x
        from commerce.product_categories pc
        left join commerce.categories cat on cat.tenant_id = pc.tenant_id and cat.id = pc.category_id
        cross join lateral (values (9, pc.xmin), (10, cat.xmin)) y (k, x)
        where pc.tenant_id = p_tenant_id and pc.product_id = any (p_product_ids)
        union all
        select ta.target_id, y.k, y.x
        from content.taggables ta
        left join content.tags tg on tg.tenant_id = ta.tenant_id and tg.id = ta.tag_id
        cross join lateral (values (11, ta.xmin), (12, tg.xmin)) y (k, x)
        where ta.tenant_id = p_tenant_id and ta.target_type = 'product' and ta.target_id = any (p_product_ids)
        union all
        select m.target_id, 13, m.xmin from content.meta m
        where m.tenant_id = p_tenant_id and m.target_type = 'product' and m.target_id = any (p_product_ids)
    ), v as materialized (
        select index._product_code_version(p_tenant_id) as version
    )
    select r.product_id,
           v.version || '/' || count(*) || '/' || sum(pg_catalog.hashint8extended(coalesce(r.x::text::bigint, 0), r.k))
    from r cross join v
    group by r.product_id, v.version
$$;
comment on function index._product_input_marks(uuid, uuid[]) is
    'Internal: a fingerprint of everything a product''s read rows are computed from (the code version, the count of '
    'its write rows and a sum of hashes of their xmin, per table), per product that has a write row. '
    'index.product_fingerprints.inputs.';

create or replace function index._product_read_marks(p_tenant_id uuid, p_product_ids uuid[])
    returns table (product_id uuid, reads text)
    language sql stable
as $$
    with r (product_id, k, x) as (
        select i.product_id, 1, i.xmin from index.products i
        where i.tenant_id = p_tenant_id and i.product_id = any (p_product_ids)
        union all
        select s.product_id, 2, s.xmin from index.product_search s
        where s.tenant_id = p_tenant_id and s.product_id = any (p_product_ids)
        union all
        select pp.product_id, 3, pp.xmin from index.product_prices pp
        where pp.tenant_id = p_tenant_id and pp.product_id = any (p_product_ids)
    )
    select r.product_id, count(*) || '/' || sum(pg_catalog.hashint8extended(r.x::text::bigint, r.k))
    from r group by r.product_id
$$;
comment on function index._product_read_marks(uuid, uuid[]) is
    'Internal: a fingerprint of a product''s read rows (index.products, product_search, product_prices: their count '
    'and a sum of hashes of their xmin). index.product_fingerprints.reads.';

create or replace function index._products_to_rebuild(p_tenant_id uuid, p_product_ids uuid[])
    returns table (product_id uuid, inputs text)
    language sql stable
as $$
    -- the ids whose inputs or read rows differ from what the last reindex left (or that it never saw), with their
    -- inputs fingerprint as of now (saved after the rebuild: a change committed in between makes the next reindex
    -- recompute the product, never skip it)
    select i.id, m.inputs
    from unnest(p_product_ids) i (id)
    left join index._product_input_marks(p_tenant_id, p_product_ids) m on m.product_id = i.id
    left join index._product_read_marks(p_tenant_id, p_product_ids) r on r.product_id = i.id
    left join index.product_fingerprints f on f.tenant_id = p_tenant_id and f.product_id = i.id
    where f.product_id is null or m.inputs is null or r.reads is null
       or (f.inputs, f.reads) is distinct from (m.inputs, r.reads)
    order by 1
$$;
comment on function index._products_to_rebuild(uuid, uuid[]) is
    'Internal: the products among p_product_ids whose read rows a reindex must compute (their fingerprints differ from '
    'index.product_fingerprints or are missing), with their inputs fingerprint; index.reindex_chunk skips the others.';

create or replace function index._save_product_fingerprints(p_tenant_id uuid, p_product_ids uuid[], p_inputs text[])
    returns void
    language sql volatile
as $$
    -- after the rebuild: the inputs as read before it, the read rows as it left them (products without a read row
    -- have none: a deleted product's fingerprint went with its row)
    insert into index.product_fingerprints as f (tenant_id, product_id, inputs, reads)
    select p_tenant_id, t.id, t.inputs, r.reads
    from unnest(p_product_ids, p_inputs) t (id, inputs)
    join index._product_read_marks(p_tenant_id, p_product_ids) r on r.product_id = t.id
    where t.inputs is not null
      and exists (select 1 from index.products i where i.tenant_id = p_tenant_id and i.product_id = t.id)
    order by t.id
    on conflict (tenant_id, product_id) do update set inputs = excluded.inputs, reads = excluded.reads
$$;
comment on function index._save_product_fingerprints(uuid, uuid[], text[]) is
    'Internal: record in index.product_fingerprints what index.reindex_chunk rebuilt these products from (p_inputs, '
    'from index._products_to_rebuild before the rebuild) and their read rows as written.';

create or replace function index._full_xid(p_xid xid, p_next bigint) returns bigint
    language sql immutable parallel safe
as $$
    -- a row's xmin is the low 32 bits of its transaction id; p_next (the snapshot's xmax) is a full one. Right for
    -- an id up to 2^32 - 1 transactions older than p_next, as every unfrozen row is (wraparound stops far sooner)
    select p_next - ((p_next - p_xid::text::bigint) & 4294967295)
$$;
comment on function index._full_xid(xid, bigint) is
    'Internal (index._products_up_to_date): the full (epoch-extended) transaction id of a 32-bit xid, given the '
    'next full id p_next, e.g. pg_snapshot_xmax(pg_current_snapshot()); comparable with xid8 values as bigint.';

create or replace function index._products_up_to_date(p_tenant_id uuid, p_events outbox.events[]) returns uuid[]
    language sql stable
    -- Key probes only. A drain's session keeps the plan it made first, and right after a big load the read table
    -- may still look empty to the planner: the probe of index.products became a scan of the whole (growing) table
    -- per event, ~1 ms of CPU per event over the first batches of the bench's backlog.
    set enable_seqscan = off
as $$
    -- The products of p_events (one tenant's) whose read row already shows every one of their events in the batch:
    -- it was computed from a snapshot taken after the transactions that wrote those events had finished (their ids
    -- are below the snapshot's xmin, index.products.snapshot_xmin) and after the code that computes it was last
    -- created or replaced. A rebuild would compute the same row. This is the usual case for all but the first of a
    -- product's batches when one big transaction (a bulk edit, a chunk of the bench's generator) wrote its events
    -- from several statements: they lie far apart in the queue, the first batch rebuilt the product from the
    -- committed whole, the others found nothing to change (~70-100 us of CPU each).
    -- An event's transaction id is its row's xmin (32 bits), made a full id against the next id (index._full_xid):
    -- the events of a queue are far younger than 2^31 transactions; a frozen row (xmin 2) is never taken as old
    -- enough, a frozen code row is as old as pg_proc's relfrozenxid at most. A ReindexRequested is always rebuilt,
    -- and so is a product with an event not found in outbox.events (a caller's own array), and a row computed in
    -- another cluster (snapshot_system: a logical restore copies the row with the source's transaction ids).
    with nx as materialized (
        select pg_catalog.pg_snapshot_xmax(pg_catalog.pg_current_snapshot())::text::bigint as n,
               (select c.system_identifier from pg_catalog.pg_control_system() c) as system
    ), code as materialized (
        select max(index._full_xid(case when p.xmin::text::bigint > 2 then p.xmin else c.relfrozenxid end, nx.n)) as xid
        from pg_catalog.pg_proc p
        cross join nx
        cross join (select r.relfrozenxid from pg_catalog.pg_class r where r.oid = 'pg_catalog.pg_proc'::regclass) c
        where p.oid = any (index._product_code_functions())
    )
    select coalesce(array_agg(x.product_id order by x.product_id), '{}')
    from (
        -- keyed lookups per event (lateral, offset 0 keeps them so), whatever the planner thinks of the tables' size
        select e.aggregate_id as product_id
        from unnest(p_events) e
        cross join lateral (select o.snapshot_xmin, o.snapshot_system from index.products o
                            where o.tenant_id = p_tenant_id and o.product_id = e.aggregate_id offset 0) o
        left join lateral (select s.xmin from outbox.events s
                           where s.tenant_id = e.tenant_id and s.occurred_at = e.occurred_at and s.id = e.id
                           offset 0) s on true
        cross join nx
        cross join code
        where e.tenant_id = p_tenant_id and e.aggregate_type = 'product'
        group by e.aggregate_id, o.snapshot_xmin, o.snapshot_system, nx.system, code.xid
        -- this cluster's transaction ids only (a row copied from another by a logical restore keeps the source's ids)
        having o.snapshot_system = nx.system
           and o.snapshot_xmin::text::bigint > code.xid
           and bool_and(coalesce(e.event_type <> 'ReindexRequested' and s.xmin::text::bigint > 2
                                 and index._full_xid(s.xmin, nx.n) < o.snapshot_xmin::text::bigint,
                                 false))
    ) x
$$;
comment on function index._products_up_to_date(uuid, outbox.events[]) is
    'Internal (the projector): the products of one tenant among p_events whose read row was computed after every '
    'transaction that wrote their events in p_events had finished, and after the product code was last replaced '
    '(index.products.snapshot_xmin), in this cluster (snapshot_system): their read rows already show those events, '
    'index._handle_events leaves them out. ReindexRequested is never left out.';
