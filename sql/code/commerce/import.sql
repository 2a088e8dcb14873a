-- commerce/import.sql: the set-based bulk import of products (rustok import products FILE; docs/operators.md
-- "Bulk import"). One call writes a chunk of input lines with one insert ... select per table, and one
-- ProductCreated event per product instead of the ~13 events (and their deliveries) the tables' statement
-- triggers would write for the same rows.

create or replace function commerce._import_id(p_seed bytea, p_n bigint) returns uuid
    language sql immutable strict parallel safe
as $$
    -- the seed's 48-bit millisecond prefix, the row's number (32 bits: ids of one statement sort in its row order, and
    -- are distinct), 48 bits of sha256(seed || number): unpredictable without the seed's 128 random bits
    select encode(substring(p_seed from 1 for 6) || substring(int8send(p_n) from 5 for 4)
                  || substring(sha256(p_seed || int8send(p_n)) from 1 for 6), 'hex')::uuid
$$;
comment on function commerce._import_id(bytea, bigint) is
    'Internal (commerce.import_products): the id of row p_n of a statement whose seed is p_seed '
    '(commerce._import_seed()): a ULID like core.new_id() (48-bit millisecond prefix, 80 more bits), made without a '
    'call of the random source per row.';
revoke all on function commerce._import_id(bytea, bigint) from public;

create or replace function commerce._import_seed() returns bytea
    language sql volatile parallel safe
as $$
    select substring(int8send(floor(extract(epoch from clock_timestamp()) * 1000)::bigint) from 3 for 6)
           || uuid_send(gen_random_uuid())
$$;
comment on function commerce._import_seed() is
    'Internal (commerce.import_products): a seed for commerce._import_id, one per statement: the current millisecond '
    '(48 bits) and 128 bits of the strong random source. This PostgreSQL build reads /dev/urandom with an '
    'open/read/close per uuidv7() or gen_random_uuid() call (~3 us each, ~20 ids per product: a sixth of the '
    'import''s CPU); one read per statement instead.';
revoke all on function commerce._import_seed() from public;

create or replace function commerce.import_products(p_lines integer[], p_docs jsonb[], p_source text default null)
    returns jsonb
    language plpgsql volatile
    security definer set search_path = pg_catalog, pg_temp
    -- the staging documents of a chunk (~4 MB for 5,000 products) in memory: sorts, hash joins and function scans
    -- over them spilled to temporary files with the default 4 MB
    set work_mem = '64MB'
as $$
-- Security definer, so that the run row below (core.import_runs, which the event triggers read as their flag) can
-- only be written here; row-level security is therefore applied by hand: every row written carries the caller's
-- tenant (core.current_tenant_id()), and every row looked up (handles, SKUs, categories, tags, stock locations) is
-- looked up in that tenant only. Permission checks are the API's (catalog:write; tags:manage when tags are given).
declare
    v_tenant   uuid := core.current_tenant_id();
    v_user     uuid := core.current_user_id();
    v_run      uuid;
    v_location uuid;
    v_problems text[];
    v_count    integer;
    v_stats    jsonb;
    v_fast     boolean;
    v_tagged   boolean;
    v_seed     bytea;
begin
    perform core.require_permission('catalog:write');
    if v_tenant is null then
        raise exception 'commerce.import_products: no tenant in this transaction (select core.set_tenant(...))'
            using errcode = 'invalid_parameter_value';
    end if;
    if not exists (select 1 from core.tenants t where t.id = v_tenant and t.is_active) then
        raise exception 'commerce.import_products: tenant % does not exist or is not active', v_tenant
            using errcode = 'invalid_parameter_value';
    end if;
    perform core.assert_module_enabled(array[v_tenant], 'commerce');
    if p_lines is null or p_docs is null or cardinality(p_lines) <> cardinality(p_docs) then
        raise exception 'commerce.import_products: p_lines and p_docs must be arrays of the same length'
            using errcode = 'invalid_parameter_value';
    end if;

    -- ---------------------------------------------------------------- staging (ids made here, in bulk)
    create temporary table if not exists _import_products (line integer, id uuid, handle text, doc jsonb) on commit drop;
    create temporary table if not exists _import_options (line integer, product_id uuid, id uuid, ord integer, title text,
                                                          doc jsonb) on commit drop;
    create temporary table if not exists _import_values (line integer, product_id uuid, option_id uuid, id uuid,
                                                         ord integer, title text, value text) on commit drop;
    create temporary table if not exists _import_variants (line integer, product_id uuid, id uuid, ord integer, doc jsonb)
        on commit drop;
    create temporary table if not exists _import_prices (line integer, variant_id uuid, vord integer, ord integer, p jsonb)
        on commit drop;
    create temporary table if not exists _import_choices (line integer, product_id uuid, variant_id uuid, vord integer,
                                                          ord integer, e jsonb) on commit drop;
    truncate _import_products, _import_options, _import_values, _import_variants, _import_prices, _import_choices;

    -- ids: commerce._import_id, ULIDs like core.new_id()'s (48-bit millisecond prefix: ids sort by time,
    -- core.id_time reads them, python-ulid parses them), from one seed per statement (one read of the random source)
    -- and the row's number in the statement
    v_seed := commerce._import_seed();
    insert into _import_products
    select l.line, commerce._import_id(v_seed, l.n), l.doc->>'handle', l.doc
    from unnest(p_lines, p_docs) with ordinality as l (line, doc, n);

    v_seed := commerce._import_seed();
    insert into _import_options
    select p.line, p.id, commerce._import_id(v_seed, row_number() over ()), o.ord::integer - 1, btrim(o.opt->>'title'), o.opt
    from _import_products p
    cross join lateral jsonb_array_elements(case when jsonb_typeof(p.doc->'options') = 'array'
                                                 then p.doc->'options' else '[]' end) with ordinality as o (opt, ord);

    v_seed := commerce._import_seed();
    insert into _import_values
    select o.line, o.product_id, o.id, commerce._import_id(v_seed, row_number() over ()), v.ord::integer - 1, o.title, btrim(v.value #>> '{}')
    from _import_options o
    cross join lateral jsonb_array_elements(case when jsonb_typeof(o.doc->'values') = 'array'
                                                 then o.doc->'values' else '[]' end) with ordinality as v (value, ord);

    v_seed := commerce._import_seed();
    insert into _import_variants
    select p.line, p.id, commerce._import_id(v_seed, row_number() over ()), v.ord::integer - 1, v.doc
    from _import_products p
    cross join lateral jsonb_array_elements(case when jsonb_typeof(p.doc->'variants') = 'array'
                                                 then p.doc->'variants' else '[]' end) with ordinality as v (doc, ord);

    insert into _import_prices
    select v.line, v.id, v.ord, pr.ord::integer - 1, pr.p
    from _import_variants v
    cross join lateral jsonb_array_elements(case when jsonb_typeof(v.doc->'prices') = 'array'
                                                 then v.doc->'prices' else '[]' end) with ordinality as pr (p, ord);

    insert into _import_choices
    select v.line, v.product_id, v.id, v.ord, c.ord::integer - 1, c.e
    from _import_variants v
    cross join lateral jsonb_array_elements(case when jsonb_typeof(v.doc->'options') = 'array'
                                                 then v.doc->'options' else '[]' end) with ordinality as c (e, ord);

    -- row counts for the planner (one narrow column each: statistics of the jsonb documents would cost more than
    -- the whole validation)
    analyze _import_products (line), _import_options (line), _import_values (line), _import_variants (line),
            _import_prices (line), _import_choices (line);

    -- ---------------------------------------------------------------- validation: every problem with its line
    select array_agg(format('line %s: %s', x.line, x.problem) order by x.line, x.problem)
    into v_problems
    from (
        select q.line, q.problem from (
            -- the product
            select p.line, 'expected a JSON object (a product)' as problem from _import_products p
            where jsonb_typeof(p.doc) is distinct from 'object'
            union all
            select p.line, 'title: is required (1-255 characters)' from _import_products p
            where jsonb_typeof(p.doc) = 'object'
              and (jsonb_typeof(p.doc->'title') is distinct from 'string' or btrim(p.doc->>'title') = ''
                   or length(p.doc->>'title') > 255)
            union all
            select p.line, format('handle: %s is not a handle (lowercase letters, digits and single dashes, '
                                  'at most 255 characters)', coalesce(p.doc->'handle', 'null'))
            from _import_products p
            where jsonb_typeof(p.doc) = 'object'
              and (jsonb_typeof(p.doc->'handle') is distinct from 'string'
                   or p.handle !~ '^[a-z0-9]+(-[a-z0-9]+)*$' or length(p.handle) > 255)
            union all
            select p.line, 'subtitle: at most 255 characters' from _import_products p
            where jsonb_typeof(p.doc->'subtitle') not in ('string', 'null') or length(p.doc->>'subtitle') > 255
            union all
            select p.line, 'description: must be a string' from _import_products p
            where jsonb_typeof(p.doc->'description') not in ('string', 'null')
            union all
            select p.line, format('status: must be draft, proposed, published or rejected (got %s)', p.doc->'status')
            from _import_products p
            where jsonb_typeof(p.doc) = 'object'
              and coalesce(p.doc->>'status', 'draft') <> all (array['draft', 'proposed', 'published', 'rejected'])
            union all
            select p.line, 'discountable: must be true or false' from _import_products p
            where jsonb_typeof(p.doc->'discountable') not in ('boolean', 'null')
            union all
            select p.line, 'metadata: must be a JSON object' from _import_products p
            where jsonb_typeof(p.doc->'metadata') not in ('object', 'null')
            union all
            select p.line, format('%s: must be a list', k) from _import_products p
            cross join unnest(array['options', 'variants', 'categories', 'tags']) as k
            where jsonb_typeof(p.doc->k) not in ('array', 'null')
            union all
            -- the parts of one product are bounded (docs/graphql.md "Lists that are not connections")
            select p.line, format('%s: at most %s per product (got %s)', k.k, k.n, jsonb_array_length(p.doc->k.k))
            from _import_products p
            cross join (values ('variants', 100), ('categories', 50), ('tags', 100), ('options', 10)) as k (k, n)
            where jsonb_typeof(p.doc->k.k) = 'array' and jsonb_array_length(p.doc->k.k) > k.n
            union all
            select p.line, format('handle: %s is given again on line %s', p.handle, d.first_line)
            from (select p2.line, p2.handle, min(p2.line) over (partition by p2.handle) as first_line
                  from _import_products p2 where p2.handle is not null) d
            join _import_products p on p.line = d.line
            where d.line <> d.first_line
            union all
            select p.line, format('handle: the shop already has a product with the handle %s', p.handle)
            from _import_products p
            where exists (select 1 from commerce.products x where x.tenant_id = v_tenant and x.handle = p.handle)
            -- options and their values
            union all
            select o.line, format('options[%s].title: is required (1-255 characters)', o.ord)
            from _import_options o where coalesce(o.title, '') = '' or length(o.title) > 255
            union all
            select o.line, format('options[%s].title: "%s" is given twice', o.ord, o.title)
            from _import_options o
            where exists (select 1 from _import_options o2
                          where o2.product_id = o.product_id and lower(o2.title) = lower(o.title) and o2.ord < o.ord)
            union all
            select o.line, format('options[%s].values: must be a list of strings', o.ord)
            from _import_options o
            where jsonb_typeof(o.doc->'values') is distinct from 'array'
               or exists (select 1 from jsonb_array_elements(o.doc->'values') e where jsonb_typeof(e) <> 'string')
            union all
            select v.line, format('options "%s": values must not be empty or longer than 255 characters', v.title)
            from _import_values v where coalesce(v.value, '') = '' or length(v.value) > 255
            union all
            select v.line, format('options "%s": the value "%s" is given twice', v.title, v.value)
            from _import_values v
            where exists (select 1 from _import_values v2
                          where v2.option_id = v.option_id and v2.value = v.value and v2.ord < v.ord)
            -- variants
            union all
            select v.line, format('variants[%s]: expected a JSON object', v.ord)
            from _import_variants v where jsonb_typeof(v.doc) <> 'object'
            union all
            select v.line, format('variants[%s].title: 1-255 characters', v.ord)
            from _import_variants v
            where jsonb_typeof(v.doc->'title') not in ('string', 'null')
               or (jsonb_typeof(v.doc->'title') = 'string' and (btrim(v.doc->>'title') = '' or length(v.doc->>'title') > 255))
            union all
            select v.line, format('variants[%s].%s: 1-64 characters', v.ord, k)
            from _import_variants v cross join unnest(array['sku', 'barcode']) as k
            where jsonb_typeof(v.doc->k) not in ('string', 'null')
               or (jsonb_typeof(v.doc->k) = 'string' and (btrim(v.doc->>k) = '' or length(v.doc->>k) > 64))
            union all
            select v.line, format('variants[%s].%s: must be true or false', v.ord, k)
            from _import_variants v cross join unnest(array['manageInventory', 'allowBackorder']) as k
            where jsonb_typeof(v.doc->k) not in ('boolean', 'null')
            union all
            select v.line, format('variants[%s].weight: must be a whole number of grams, 0 or more', v.ord)
            from _import_variants v
            where jsonb_typeof(v.doc->'weight') not in ('number', 'null')
               or (jsonb_typeof(v.doc->'weight') = 'number'
                   and ((v.doc->>'weight')::numeric < 0 or (v.doc->>'weight')::numeric <> trunc((v.doc->>'weight')::numeric)
                        or (v.doc->>'weight')::numeric > 2147483647))
            union all
            select v.line, format('variants[%s].sku: %s is given again on line %s', v.ord, d.sku, d.first_line)
            from (select v2.line, v2.id, v2.doc->>'sku' as sku,
                         first_value(v2.line) over (partition by v2.doc->>'sku' order by v2.line, v2.ord) as first_line,
                         row_number() over (partition by v2.doc->>'sku' order by v2.line, v2.ord) as n
                  from _import_variants v2 where jsonb_typeof(v2.doc->'sku') = 'string') d
            join _import_variants v on v.id = d.id
            where d.n > 1
            union all
            select v.line, format('variants[%s].sku: the shop already has a variant or inventory item with the SKU %s',
                                  v.ord, v.doc->>'sku')
            from _import_variants v
            where jsonb_typeof(v.doc->'sku') = 'string'
              and (exists (select 1 from commerce.variants x where x.tenant_id = v_tenant and x.sku = v.doc->>'sku')
                   or (v.doc ? 'stock' and exists (select 1 from commerce.inventory_items x
                                                   where x.tenant_id = v_tenant and x.sku = v.doc->>'sku')))
            -- a variant's options: [{name, value}] naming the product's options
            union all
            select v.line, format('variants[%s].options: must be a list of {"name", "value"}', v.ord)
            from _import_variants v
            where jsonb_typeof(v.doc->'options') not in ('array', 'null')
            union all
            select c.line, format('variants[%s].options: must be a list of {"name", "value"}', c.vord)
            from _import_choices c
            where jsonb_typeof(c.e->'name') is distinct from 'string' or jsonb_typeof(c.e->'value') is distinct from 'string'
            union all
            select c.line, format('variants[%s].options: the product has no option "%s" with the value "%s"',
                                  c.vord, c.e->>'name', c.e->>'value')
            from _import_choices c
            where jsonb_typeof(c.e->'name') = 'string' and jsonb_typeof(c.e->'value') = 'string'
              and not exists (select 1 from _import_values ov
                              where ov.product_id = c.product_id and lower(ov.title) = lower(btrim(c.e->>'name'))
                                and ov.value = btrim(c.e->>'value'))
            union all
            select d.line, format('variants[%s].options: the option "%s" is given twice', d.vord, d.name)
            from (select c.line, c.vord, c.e->>'name' as name,
                         row_number() over (partition by c.variant_id, lower(btrim(c.e->>'name')) order by c.ord) as n
                  from _import_choices c) d
            where d.n > 1
            union all
            select d.line, format('variants[%s].options: the same options as variants[%s]', d.vord, d.first_ord)
            from (select x.line, x.vord,
                         first_value(x.vord) over (partition by x.product_id, x.combo order by x.vord) as first_ord
                  from (select c.line, c.product_id, c.variant_id, c.vord,
                               array_agg(lower(btrim(c.e->>'name')) || '=' || btrim(c.e->>'value') order by 1) as combo
                        from _import_choices c group by c.line, c.product_id, c.variant_id, c.vord) x) d
            where d.vord <> d.first_ord
            -- prices: [{amount, currencyCode, minQuantity}]
            union all
            select pr.line, format('variants[%s].prices[%s]: expected {"amount": minor units (whole number, 0 or more), '
                                  '"currencyCode": a known ISO 4217 code, "minQuantity": 1 or more}', pr.vord, pr.ord)
            from _import_prices pr
            where jsonb_typeof(pr.p->'amount') is distinct from 'number'
               or (pr.p->>'amount')::numeric < 0 or (pr.p->>'amount')::numeric <> trunc((pr.p->>'amount')::numeric)
               or (pr.p->>'amount')::numeric > 9223372036854775807
               or jsonb_typeof(pr.p->'currencyCode') is distinct from 'string'
               or not exists (select 1 from commerce.currencies c where c.code = pr.p->>'currencyCode')
               or jsonb_typeof(pr.p->'minQuantity') not in ('number', 'null')
               or (jsonb_typeof(pr.p->'minQuantity') = 'number'
                   and ((pr.p->>'minQuantity')::numeric < 1
                        or (pr.p->>'minQuantity')::numeric <> trunc((pr.p->>'minQuantity')::numeric)
                        or (pr.p->>'minQuantity')::numeric > 2147483647))
            union all
            select v.line, format('variants[%s].prices: must be a list', v.ord)
            from _import_variants v where jsonb_typeof(v.doc->'prices') not in ('array', 'null')
            union all
            select d.line, format('variants[%s].prices: %s (min quantity %s) is given twice', d.ord, d.cur, d.minq)
            from (select pr.line, pr.vord as ord, pr.p->>'currencyCode' as cur,
                         coalesce(pr.p->>'minQuantity', '1') as minq, count(*) as n
                  from _import_prices pr
                  group by pr.line, pr.variant_id, pr.vord, 3, 4) d
            where d.n > 1
            -- stock: a whole number (the first stock location) or {"<location name>": quantity}
            union all
            select v.line, format('variants[%s].stock: a whole number, 0 or more, or {"<stock location name>": quantity}',
                                  v.ord)
            from _import_variants v
            where v.doc ? 'stock'
              and not ((jsonb_typeof(v.doc->'stock') = 'number'
                        and (v.doc->>'stock')::numeric >= 0 and (v.doc->>'stock')::numeric = trunc((v.doc->>'stock')::numeric)
                        and (v.doc->>'stock')::numeric <= 2147483647)
                       or (jsonb_typeof(v.doc->'stock') = 'object'
                           and not exists (select 1 from jsonb_each(v.doc->'stock') s
                                           where jsonb_typeof(s.value) <> 'number' or (s.value #>> '{}')::numeric < 0
                                              or (s.value #>> '{}')::numeric <> trunc((s.value #>> '{}')::numeric)
                                              or (s.value #>> '{}')::numeric > 2147483647)))
            union all
            select v.line, format('variants[%s].stock: the shop has no stock location named "%s"', v.ord, s.key)
            from _import_variants v
            cross join lateral jsonb_each(case when jsonb_typeof(v.doc->'stock') = 'object' then v.doc->'stock' else '{}' end) s
            where not exists (select 1 from commerce.stock_locations l where l.tenant_id = v_tenant and l.name = s.key)
            -- categories (handles) and tags (names)
            union all
            select p.line, format('categories: the shop has no category with the handle %s', c.value)
            from _import_products p
            cross join lateral jsonb_array_elements(case when jsonb_typeof(p.doc->'categories') = 'array'
                                                         then p.doc->'categories' else '[]' end) c
            where jsonb_typeof(c.value) <> 'string'
               or not exists (select 1 from commerce.categories k where k.tenant_id = v_tenant and k.handle = c.value #>> '{}')
            union all
            select p.line, 'tags: a tag must be a non-empty name'
            from _import_products p
            cross join lateral jsonb_array_elements(case when jsonb_typeof(p.doc->'tags') = 'array'
                                                         then p.doc->'tags' else '[]' end) t
            where jsonb_typeof(t.value) <> 'string' or btrim(t.value #>> '{}') = '' or length(btrim(t.value #>> '{}')) > 255
        ) q
        order by q.line, q.problem
        limit 20
    ) x;
    if v_problems is not null then
        raise exception '%', v_problems[1]
            using errcode = 'invalid_parameter_value',
                  detail = array_to_string(v_problems, E'\n'),
                  hint = 'nothing of this import was written; fix the lines and run it again';
    end if;

    v_tagged := exists (select 1 from _import_products p where jsonb_typeof(p.doc->'tags') = 'array' and p.doc->'tags' <> '[]');
    if v_tagged then
        perform core.require_permission('tags:manage');
        perform core.assert_module_enabled(array[v_tenant], 'content');
    end if;


    -- ---------------------------------------------------------------- rows the chunk refers to that may be written
    -- first, with every trigger on: the tenant's default stock location (missing tags: at the end, see below)
    if exists (select 1 from _import_variants v where jsonb_typeof(v.doc->'stock') = 'number') then
        v_location := commerce._default_location(v_tenant);
    end if;
    create temporary table if not exists _import_tags (name text, slug text, tag_id uuid) on commit drop;
    truncate _import_tags;

    -- ---------------------------------------------------------------- the fast path: foreign keys per statement
    -- With the right to set session_replication_role (granted to the migration owner by `rustok db start`; see
    -- docs/operators.md), the inserts below run with every trigger off, foreign-key checks included, since
    -- everything those triggers do is done here per statement: the rows that existed before are locked FOR KEY
    -- SHARE (what each row's foreign-key check would take) in one statement per table, every other reference is to
    -- a row of this chunk (ids made above), timestamps and variant_options' option/product ids are given, option
    -- combinations were checked above, and the events are written below. Without that right the triggers run (the
    -- event triggers return early, see core._import_active) and PostgreSQL checks each foreign key row by row.
    v_fast := has_parameter_privilege('session_replication_role', 'SET')
              and current_setting('session_replication_role') = 'origin';
    if v_fast then
        perform 1 from core.tenants t where t.id = v_tenant for key share;
        perform 1 from commerce.currencies c
        where c.code in (select distinct pr.p->>'currencyCode' from _import_prices pr)
        for key share;
        -- the stock locations: every one of the tenant's when a variant names any (a shop has a handful; finding
        -- the named ones took a pass over every variant's stock, ~6 ms per 1,000 products)
        perform 1 from commerce.stock_locations l
        where l.tenant_id = v_tenant
          and (l.id = v_location
               or exists (select 1 from _import_variants v where jsonb_typeof(v.doc->'stock') = 'object'))
        for key share;
        perform 1 from commerce.categories k
        where k.tenant_id = v_tenant
          and k.handle in (select c.handle from _import_products p
                           cross join lateral jsonb_array_elements_text(case when jsonb_typeof(p.doc->'categories') = 'array'
                                                                             then p.doc->'categories' else '[]' end) c (handle))
        for key share;
    end if;

    -- ---------------------------------------------------------------- the run: raises the triggers' flag
    insert into core.import_runs (tenant_id, kind, user_id, source, first_line, last_line)
    values (v_tenant, 'products', v_user, left(p_source, 1000), (select min(l) from unnest(p_lines) l),
            (select max(l) from unnest(p_lines) l))
    returning id into v_run;

    if v_fast then
        perform set_config('session_replication_role', 'replica', true);
    end if;

    -- ---------------------------------------------------------------- one statement per table
    -- created_at = updated_at = now() in the statement (the _100_timestamps triggers then change nothing)
    insert into commerce.products (tenant_id, id, title, subtitle, handle, description, status, discountable, metadata,
                                   created_at, updated_at)
    select v_tenant, p.id, p.doc->>'title', p.doc->>'subtitle', p.handle, p.doc->>'description',
           coalesce(p.doc->>'status', 'draft'), coalesce((p.doc->>'discountable')::boolean, true),
           coalesce(nullif(p.doc->'metadata', 'null'), '{}'), now(), now()
    from _import_products p
    order by p.line;

    -- what _800_unretire_ins does: a retired storefront address taken again belongs to the new product
    delete from commerce.retired_handles r
    using _import_products p
    where r.tenant_id = v_tenant and r.handle = p.handle;

    insert into commerce.options (tenant_id, id, product_id, title, position, created_at, updated_at)
    select v_tenant, o.id, o.product_id, o.title, o.ord, now(), now()
    from _import_options o;

    insert into commerce.option_values (tenant_id, id, option_id, value, position, created_at, updated_at)
    select v_tenant, v.id, v.option_id, v.value, v.ord, now(), now()
    from _import_values v;

    insert into commerce.variants (tenant_id, id, product_id, title, sku, barcode, manage_inventory, allow_backorder,
                                   weight, position, metadata, created_at, updated_at)
    select v_tenant, v.id, v.product_id, coalesce(v.doc->>'title', p.doc->>'title'), v.doc->>'sku', v.doc->>'barcode',
           coalesce((v.doc->>'manageInventory')::boolean, true), coalesce((v.doc->>'allowBackorder')::boolean, false),
           (v.doc->>'weight')::integer, v.ord, coalesce(nullif(v.doc->'metadata', 'null'), '{}'), now(), now()
    from _import_variants v join _import_products p on p.id = v.product_id;

    -- option_id and product_id given, so the _050_fill trigger looks nothing up
    insert into commerce.variant_options (tenant_id, variant_id, option_value_id, option_id, product_id)
    select v_tenant, c.variant_id, ov.id, ov.option_id, c.product_id
    from _import_choices c
    join _import_values ov on ov.product_id = c.product_id and lower(ov.title) = lower(btrim(c.e->>'name'))
                          and ov.value = btrim(c.e->>'value');

    v_seed := commerce._import_seed();
    insert into commerce.prices (tenant_id, id, variant_id, amount, currency_code, min_quantity, created_at, updated_at)
    select v_tenant, commerce._import_id(v_seed, row_number() over ()), pr.variant_id, (pr.p->>'amount')::bigint, pr.p->>'currencyCode',
           coalesce((pr.p->>'minQuantity')::integer, 1), now(), now()
    from _import_prices pr;

    -- stock as commerce.create_product keeps it: one inventory item per variant (same id as the variant), linked,
    -- with a level at the first stock location (a number) or at the named ones (an object)
    if exists (select 1 from _import_variants v where v.doc ? 'stock') then
        insert into commerce.inventory_items (tenant_id, id, sku, title, created_at, updated_at)
        select v_tenant, v.id, v.doc->>'sku', coalesce(v.doc->>'title', p.doc->>'title'), now(), now()
        from _import_variants v join _import_products p on p.id = v.product_id
        where v.doc ? 'stock';

        insert into commerce.variant_inventory (tenant_id, variant_id, inventory_item_id, created_at, updated_at)
        select v_tenant, v.id, v.id, now(), now() from _import_variants v where v.doc ? 'stock';

        v_seed := commerce._import_seed();
        insert into commerce.inventory_levels (tenant_id, id, inventory_item_id, location_id, stocked_quantity,
                                               created_at, updated_at)
        select v_tenant, commerce._import_id(v_seed, row_number() over ()), x.item_id, x.location_id, x.quantity,
               now(), now()
        from (select v.id as item_id, v_location as location_id, (v.doc->>'stock')::integer as quantity
              from _import_variants v where jsonb_typeof(v.doc->'stock') = 'number'
              union all
              select v.id, l.id, (s.value #>> '{}')::integer
              from _import_variants v
              cross join lateral jsonb_each(case when jsonb_typeof(v.doc->'stock') = 'object' then v.doc->'stock'
                                                 else '{}' end) s
              join commerce.stock_locations l on l.tenant_id = v_tenant and l.name = s.key) x;
    end if;

    insert into commerce.product_categories (tenant_id, product_id, category_id, created_at)
    select distinct v_tenant, p.id, k.id, now()
    from _import_products p
    cross join lateral jsonb_array_elements_text(case when jsonb_typeof(p.doc->'categories') = 'array'
                                                      then p.doc->'categories' else '[]' end) c (handle)
    join commerce.categories k on k.tenant_id = v_tenant and k.handle = c.handle;

    if v_fast then
        perform set_config('session_replication_role', 'origin', true);
    end if;

    -- ---------------------------------------------------------------- tags, last: the only rows two chunks share
    -- Tags by name as content.set_tags matches them (name case-insensitively, or the slug of the name); missing ones
    -- are created (with every trigger on: their slug trigger). Each distinct name is slugified once, then the links
    -- are one hash join by name. This comes after the other tables so that a parallel chunk creating the same new
    -- tag waits (the advisory lock below, until this transaction ends) only for this tail, not for the whole chunk;
    -- names the shop already has take no lock at all.
    if v_tagged then
        insert into _import_tags (name, slug)
        select n.name, content.slugify(n.name)
        from (select distinct btrim(t) as name
              from _import_products p
              cross join lateral jsonb_array_elements_text(case when jsonb_typeof(p.doc->'tags') = 'array'
                                                                then p.doc->'tags' else '[]' end) t) n;

        -- the names the shop has already (committed before this statement): their tags, no lock needed
        insert into _import_tags (name, slug, tag_id)
        select n.name, n.slug, t.id
        from _import_tags n
        join content.tags t on t.tenant_id = v_tenant and (lower(t.name) = lower(n.name) or t.slug = n.slug);

        -- the others: the lock content._slug takes for a slug made from a name, for each of these names (sorted: no
        -- deadlock), in a statement of its own: a tag a concurrent import (a parallel chunk) created meanwhile is
        -- committed and seen by the next statement's snapshot, instead of being made a second time as "<slug>-2" by
        -- the slug trigger (which sees it while this statement's check did not)
        perform pg_advisory_xact_lock(hashtextextended(concat_ws(':', 'content.tags', v_tenant::text, x.slug), 0))
        from (select distinct n.slug from _import_tags n
              where n.tag_id is null and n.slug is not null
                and not exists (select 1 from _import_tags m where m.name = n.name and m.tag_id is not null)
              order by 1) x;
        insert into content.tags (tenant_id, name)
        select v_tenant, min(n.name)
        from _import_tags n
        where n.tag_id is null
          and not exists (select 1 from _import_tags m where m.name = n.name and m.tag_id is not null)
          and not exists (select 1 from content.tags t where t.tenant_id = v_tenant
                          and (lower(t.name) = lower(n.name) or t.slug = n.slug))
        group by lower(n.name)
        on conflict do nothing;   -- made meanwhile by a concurrent import (a parallel chunk): found just below

        insert into _import_tags (name, slug, tag_id)
        select n.name, n.slug, t.id
        from _import_tags n
        join content.tags t on t.tenant_id = v_tenant and (lower(t.name) = lower(n.name) or t.slug = n.slug)
        where n.tag_id is null
          and not exists (select 1 from _import_tags m where m.name = n.name and m.tag_id is not null);

        if v_fast then
            perform 1 from content.tags t where t.tenant_id = v_tenant and t.id in (select m.tag_id from _import_tags m)
            for key share;
            perform set_config('session_replication_role', 'replica', true);
        end if;
        insert into content.taggables (tenant_id, tag_id, target_type, target_id, created_at)
        select distinct v_tenant, m.tag_id, 'product', p.id, now()
        from _import_products p
        cross join lateral jsonb_array_elements_text(case when jsonb_typeof(p.doc->'tags') = 'array'
                                                          then p.doc->'tags' else '[]' end) n (name)
        join _import_tags m on m.name = btrim(n.name) and m.tag_id is not null;
        if v_fast then
            perform set_config('session_replication_role', 'origin', true);
        end if;
    end if;

    -- ---------------------------------------------------------------- one event per product, then lower the flag
    insert into outbox.events (id, tenant_id, event_type, aggregate_type, aggregate_id, payload)
    select uuidv7(), v_tenant, 'ProductCreated', 'product', p.id,
           jsonb_build_object('handle', p.handle, 'status', coalesce(p.doc->>'status', 'draft'), 'source', 'import',
                              'import_run_id', v_run)
    from _import_products p
    order by p.line;
    get diagnostics v_count = row_count;

    update core.import_runs r set finished_at = clock_timestamp(), products = v_count
    where r.tenant_id = v_tenant and r.id = v_run;

    select jsonb_build_object(
        'run_id', v_run, 'products', v_count,
        'options', (select count(*) from _import_options),
        'variants', (select count(*) from _import_variants),
        'prices', (select count(*) from _import_prices),
        'stocked_variants', (select count(*) from _import_variants v where v.doc ? 'stock'),
        'events', v_count)
    into v_stats;
    truncate _import_products, _import_options, _import_values, _import_variants, _import_prices, _import_choices;
    return v_stats;
end
$$;
comment on function commerce.import_products(integer[], jsonb[], text) is
    'Bulk import of products into the current tenant, set-based: p_docs are products in the documented JSON form '
    '(docs/operators.md "Bulk import"; one per input line, p_lines their line numbers), written with one insert per '
    'table and one ProductCreated event {handle, status, source: import} per product (the tables'' event triggers '
    'stand aside while core.import_runs shows the run). All or nothing: any bad line raises 22023 naming the first '
    'bad line (detail: up to 20 problems) and nothing is written. Permission catalog:write (and tags:manage for '
    'tags). Returns counts {run_id, products, options, variants, prices, stocked_variants, events}.';
revoke all on function commerce.import_products(integer[], jsonb[], text) from public;
grant execute on function commerce.import_products(integer[], jsonb[], text) to rustok_app;
