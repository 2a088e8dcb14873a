-- depends: 0001_core
-- Index module (manifest 5.4 and 8): the CQRS read model. Denormalized read tables that a storefront
-- reads in one query, rebuilt from the write tables by set-based PL/pgSQL (0041_index_rebuild.sql)
-- when events arrive. Nothing here is a source of truth: every row can be recomputed (index.verify,
-- index.reindex_tenant). Documentation: docs/index.md.
--
-- Physical choices (POSTGRES-NOTES): fillfactor 85 so upserts stay HOT; tenant_id leads every key and
-- composite index; indexed_at / last_event_* (rewritten on each changing upsert) are not indexed.

create schema index;
comment on schema index is
    'RusToK read model: denormalized, rebuildable read tables (products, content, orders), the search word list and '
    'the rebuild / search / verify functions. Storefronts and analysts read here; nothing writes here but index.* functions.';
grant usage on schema index to rustok_app, rustok_analyst;

create schema analytics;
comment on schema analytics is 'Views for analysts over the read model (read-only role rustok_analyst).';
grant usage on schema analytics to rustok_analyst, rustok_app;

-- ---------------------------------------------------------------- products
create table index.products (
    tenant_id        uuid not null references core.tenants (id) on delete cascade,
    product_id       uuid not null,
    title            text not null,
    subtitle         text,
    handle           text not null,
    description      text,
    status           text not null,
    discountable     boolean not null default true,
    currencies       text[] not null default '{}',
    prices           jsonb not null default '{}',
    total_stock      bigint not null default 0,
    has_stock        boolean not null default false,
    variant_count    integer not null default 0,
    variants         jsonb not null default '[]',
    options          jsonb not null default '[]',
    category_ids     uuid[] not null default '{}',
    category_handles text[] not null default '{}',
    categories       jsonb not null default '[]',
    tags             text[] not null default '{}',
    tag_slugs        text[] not null default '{}',
    meta_title       text,
    meta_description text,
    seo              jsonb not null default '{}',
    metadata         jsonb not null default '{}',
    search_vector    tsvector not null default ''::tsvector,
    created_at       timestamptz not null,
    updated_at       timestamptz not null,
    last_event_id    uuid,
    last_event_type  text,
    last_event_at    timestamptz,
    indexed_at       timestamptz not null default now(),
    primary key (tenant_id, product_id)
) with (fillfactor = 85);
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

create index products_search_idx on index.products using gin (tenant_id, search_vector);
create index products_category_idx on index.products using gin (tenant_id, category_ids);
create index products_tag_idx on index.products using gin (tenant_id, tag_slugs);
create index products_created_idx on index.products (tenant_id, status, created_at desc, product_id desc);
create index products_title_idx on index.products (tenant_id, status, title, product_id);
create index products_stock_idx on index.products (tenant_id, has_stock);
create index products_handle_idx on index.products (tenant_id, handle);

create table index.product_prices (
    tenant_id     uuid not null,
    product_id    uuid not null,
    currency_code text not null,
    min_amount    bigint not null,
    max_amount    bigint not null,
    primary key (tenant_id, product_id, currency_code),
    foreign key (tenant_id, product_id) references index.products (tenant_id, product_id) on delete cascade
) with (fillfactor = 85);
comment on table index.product_prices is
    'Read model: a product''s base price range per currency (minor units), one row per currency: the same data as '
    'index.products.prices in relational form, for analysts and for price queries across a catalog (the btree on '
    '(tenant_id, currency_code, min_amount) gives the cheapest products of a currency directly). Rebuilt with the product.';
create index product_prices_sort_idx on index.product_prices (tenant_id, currency_code, min_amount, product_id);

-- ---------------------------------------------------------------- content
create table index.content (
    tenant_id        uuid not null references core.tenants (id) on delete cascade,
    node_id          uuid not null,
    kind             text not null,
    title            text,
    slug             text,
    excerpt          text,
    body_preview     text,
    body_format      text,
    status           text not null,
    author_id        uuid,
    author_name      text,
    category_id      uuid,
    category_name    text,
    category_slug    text,
    tags             text[] not null default '{}',
    tag_slugs        text[] not null default '{}',
    parent_id        uuid,
    depth            integer not null default 0,
    position         integer not null default 0,
    reply_count      integer not null default 0,
    meta_title       text,
    meta_description text,
    seo              jsonb not null default '{}',
    metadata         jsonb not null default '{}',
    search_vector    tsvector not null default ''::tsvector,
    published_at     timestamptz,
    created_at       timestamptz not null,
    updated_at       timestamptz not null,
    last_event_id    uuid,
    last_event_type  text,
    last_event_at    timestamptz,
    indexed_at       timestamptz not null default now(),
    primary key (tenant_id, node_id)
) with (fillfactor = 85);
comment on table index.content is
    'Read model of content nodes (manifest index_content): pages, posts and comments with author name, category, tags, '
    'SEO meta, a body preview and a search vector. Rebuilt by index.rebuild_content; never written directly.';
comment on column index.content.kind is 'page | post | comment';
comment on column index.content.body_preview is 'The first 500 characters of the body as plain text (HTML tags removed, whitespace collapsed).';
comment on column index.content.status is
    'content.nodes.status. Public: published (page, post) and approved (comment); drafts, scheduled, archived, pending and spam are staff-only.';
comment on column index.content.author_name is 'core.users.display_name of the author, else the local part of the email.';
comment on column index.content.tags is 'Names of the node''s tags, sorted by slug.';
comment on column index.content.tag_slugs is 'Slugs of those tags (same order as tags).';
comment on column index.content.reply_count is 'content.nodes.reply_count: approved direct replies.';
comment on column index.content.seo is 'All SEO meta: {title, description, canonicalUrl, imageUrl, robots} (keys present when set).';
comment on column index.content.search_vector is
    'Weighted, unaccented tsvector in the tenant''s text_search_config: title A; excerpt, tags, category B; body C '
    '(its first 100 000 characters); author name D.';
comment on column index.content.last_event_id is 'The outbox event whose processing last changed this row (null: reindex).';
comment on column index.content.indexed_at is 'When this row last changed.';

create index content_search_idx on index.content using gin (tenant_id, search_vector);
create index content_listing_idx on index.content (tenant_id, kind, status, published_at desc, node_id desc);
create index content_category_idx on index.content (tenant_id, category_id) where category_id is not null;
create index content_tag_idx on index.content using gin (tenant_id, tag_slugs);
create index content_parent_idx on index.content (tenant_id, parent_id, published_at) where parent_id is not null;
create index content_author_idx on index.content (tenant_id, author_id) where author_id is not null;
create index content_slug_idx on index.content (tenant_id, kind, slug) where slug is not null;

-- ---------------------------------------------------------------- orders (analytics_orders)
create table index.orders (
    tenant_id      uuid not null references core.tenants (id) on delete cascade,
    order_id       uuid not null,
    display_id     bigint not null,
    status         text not null,
    currency_code  text not null,
    subtotal       bigint not null,
    discount_total bigint not null,
    shipping_total bigint not null,
    tax_total      bigint not null,
    total          bigint not null,
    item_count     bigint not null,
    line_count     integer not null,
    items          jsonb not null default '[]',
    customer_id    uuid,
    customer_email text,
    created_at     timestamptz not null,
    updated_at     timestamptz not null,
    paid_at        timestamptz,
    fulfilled_at   timestamptz,
    completed_at   timestamptz,
    cancelled_at   timestamptz,
    last_event_id  uuid,
    last_event_type text,
    last_event_at  timestamptz,
    indexed_at     timestamptz not null default now(),
    primary key (tenant_id, order_id)
) with (fillfactor = 85);
comment on table index.orders is
    'Read model of orders for analysts and admin lists (manifest analytics_orders): one row per order with totals, '
    'item count, the lines as JSON and the customer. Amounts in minor units of currency_code. Rebuilt by index.rebuild_orders.';
comment on column index.orders.display_id is 'The human order number (per tenant).';
comment on column index.orders.status is 'pending | paid | fulfilled | completed | cancelled';
comment on column index.orders.item_count is 'Units ordered (sum of line quantities).';
comment on column index.orders.line_count is 'Number of order lines.';
comment on column index.orders.items is
    'Lines: [{id, productId, variantId, title, sku, quantity, unitPrice, total}] (snapshots taken when the order was placed).';
comment on column index.orders.customer_email is 'The email given with the order (a snapshot; core.users.email of customer_id may differ).';

create index orders_created_idx on index.orders (tenant_id, created_at desc);
create index orders_status_idx on index.orders (tenant_id, status, created_at desc);
create index orders_customer_idx on index.orders (tenant_id, customer_id, created_at desc) where customer_id is not null;
create index orders_display_idx on index.orders (tenant_id, display_id);

-- ---------------------------------------------------------------- the word list (type-ahead and typos)
create table index.words (
    tenant_id uuid not null references core.tenants (id) on delete cascade,
    word      text not null,
    primary key (tenant_id, word)
) with (fillfactor = 90);
comment on table index.words is
    'Distinct words (lowercase, unaccented, 2-40 letters/digits, at least one letter) of the indexed titles, subtitles, excerpts, tags, '
    'categories and descriptions of a tenant: completes a prefix while typing and corrects typos (pg_trgm nearest neighbour) without '
    'scanning the read tables. Added by the rebuilds; index.refresh_words(tenant) removes stale words.';
create index words_prefix_idx on index.words (tenant_id, word text_pattern_ops);
create extension if not exists btree_gist;   -- trusted extension: (tenant_id, word) in one GiST index
create index words_trgm_idx on index.words using gist (tenant_id, word public.gist_trgm_ops);

-- ---------------------------------------------------------------- privileges and RLS
grant select on index.products, index.product_prices, index.content, index.orders, index.words
    to rustok_app, rustok_analyst;

do $rls$
declare
    v_table text;
begin
    foreach v_table in array array['index.products', 'index.product_prices', 'index.content', 'index.orders', 'index.words'] loop
        execute format('alter table %s enable row level security', v_table);
        execute format('create policy tenant_isolation on %s to rustok_app
                            using (tenant_id = core.current_tenant_id())
                            with check (tenant_id = core.current_tenant_id())', v_table);
        execute format('create policy analyst_read on %s for select to rustok_analyst using (true)', v_table);
    end loop;
end
$rls$;

-- ---------------------------------------------------------------- text helpers (shared by rebuild and search)
create function index._tsconfig(p_tenant_id uuid) returns regconfig
    language sql stable parallel safe
as $$
    select coalesce((select t.text_search_config from core.tenants t where t.id = p_tenant_id), 'pg_catalog.simple'::regconfig)
$$;
comment on function index._tsconfig(uuid) is
    'Internal: the tenant''s text search configuration (core.tenants.text_search_config), simple when unknown.';

create function index._unaccent(p_text text) returns text
    language sql stable parallel safe
as $$ select public.unaccent('public.unaccent'::regdictionary, coalesce(p_text, '')) $$;
comment on function index._unaccent(text) is 'Internal: unaccent with an explicit dictionary (independent of search_path); null becomes an empty string.';

create function index._tsv(p_config regconfig, p_text text, p_weight "char") returns tsvector
    language sql stable parallel safe
as $$ select pg_catalog.setweight(pg_catalog.to_tsvector(p_config, index._unaccent(p_text)), p_weight) $$;
comment on function index._tsv(regconfig, text, "char") is
    'Internal: the unaccented tsvector of a text in a configuration, with every lexeme given weight A, B, C or D.';

create function index._words(p_text text) returns setof text
    language sql stable parallel safe
as $$
    select distinct w
    from pg_catalog.regexp_split_to_table(pg_catalog.lower(index._unaccent(p_text) collate "pg_c_utf8"), '[^[:alnum:]]+') as w
    where pg_catalog.length(w) between 2 and 40 and w ~ '[[:alpha:]]'
$$;
comment on function index._words(text) is
    'Internal: the distinct words of a text for index.words: unaccented, lowercase, split on anything but letters and '
    'digits (any script), 2 to 40 characters, with at least one letter (numbers alone are not completed or corrected).';

create function index._plain(p_text text, p_format text) returns text
    language sql immutable parallel safe
as $$
    select pg_catalog.btrim(pg_catalog.regexp_replace(
        case when p_format = 'html' then pg_catalog.regexp_replace(coalesce(p_text, ''), '<[^>]*>', ' ', 'g')
             else coalesce(p_text, '') end,
        '\s+', ' ', 'g'))
$$;
comment on function index._plain(text, text) is 'Internal: a body as plain text: HTML tags removed (format html), whitespace collapsed.';

create function index._lock_key(p_aggregate_type text, p_aggregate_id uuid) returns bigint
    language sql immutable parallel safe
as $$ select pg_catalog.hashtextextended('index/' || p_aggregate_type || '/' || p_aggregate_id::text, 0) $$;
comment on function index._lock_key(text, uuid) is
    'Internal: the advisory lock key of one aggregate for the index consumer; the same key outbox.process_batch takes '
    'for consumer ''index'', so a reindex and the consumer never rebuild one aggregate from different snapshots at once.';
