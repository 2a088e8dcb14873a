-- The data generator of `rustok bench` (rustok.bench.generate): named blocks, `-- name: <block>`.
--
-- Everything goes through the write model with every trigger on (events are written to outbox.events
-- exactly as an import would write them), set-based: one insert ... select over generate_series per
-- table and chunk. Nothing is random: ids and values are functions of the row number (bench.id,
-- bench.r), so two runs of one size load the same data (only now()-relative timestamps differ).
-- Parameters are psycopg named parameters: %(t)s tenant, %(a)s..%(b)s the chunk's row numbers.

-- name: setup
-- The bench schema: deterministic ids and pseudo-random numbers, and the plain tables the same-run
-- references write to. Owned by the migration owner; nothing of it is used by the platform.
create schema if not exists bench;
comment on schema bench is 'rustok bench: generator helpers and the plain reference tables (not part of the platform).';

create or replace function bench.id(p_kind integer, p_n bigint) returns uuid
    language sql immutable parallel safe
as $$
    -- ULID-like layout: 48 bits that grow with n (so ids are in insertion order, like core.new_id()),
    -- 16 bits of kind, 64 bits of md5: deterministic and unique per (kind, n).
    select (lpad(to_hex(1700000000000 + p_n), 12, '0') || lpad(to_hex(p_kind), 4, '0')
            || substr(md5(p_kind::text || ':' || p_n::text), 1, 16))::uuid
$$;
comment on function bench.id(integer, bigint) is 'Deterministic uuid of row n of a kind (rustok.bench.generate.bench_id computes the same in Python).';

create or replace function bench.r(p_key bigint, p_mod integer) returns integer
    language sql immutable parallel safe
as $$ select (((p_key * 2654435761 + 40503) % 2147483629) % p_mod)::integer $$;
comment on function bench.r(bigint, integer) is 'Seeded pseudo-random integer in [0, p_mod) from a key (multiplicative hash).';

create or replace function bench.price(p_variant bigint, p_currency integer) returns bigint
    language sql immutable parallel safe
as $$ select (500 + bench.r(p_variant, 20000) * 5 + p_currency * 100)::bigint $$;
comment on function bench.price(bigint, integer) is 'The generated base price of variant row n in currency 0 EUR, 1 USD, 2 GBP (orders use it too).';

create table if not exists bench.ref_rows (
    id         uuid primary key default gen_random_uuid(),
    k          integer not null,
    created_at timestamptz not null default now()
);
create index if not exists ref_rows_k_idx on bench.ref_rows (k);
comment on table bench.ref_rows is 'Reference of the projector scenario: plain single-row inserts (uuid PK + 1 index).';

create table if not exists bench.ref_stock (id integer primary key, reserved bigint not null default 0);
create table if not exists bench.ref_counter (id integer primary key, last_id bigint not null default 0);
create table if not exists bench.ref_orders (
    id         uuid primary key default gen_random_uuid(),
    display_id bigint not null,
    variant    integer not null,
    quantity   integer not null,
    created_at timestamptz not null default now()
);
comment on table bench.ref_orders is 'Reference of the orders scenario: one stock row update + counter + insert, as plain SQL.';

grant usage on schema bench to rustok_app;
grant select, insert, update, delete on bench.ref_rows, bench.ref_stock, bench.ref_counter, bench.ref_orders to rustok_app;

-- name: tenant
insert into core.tenants (name, slug) values ('Bench', 'bench')
on conflict (slug) do update set name = excluded.name
returning id;

-- name: reference_data
-- Users (customers and authors), one stock location, 20 commerce categories, 100 content tags.
insert into core.users (tenant_id, id, email, password_hash, display_name, role)
select %(t)s, bench.id(13, n), 'user' || n || '@bench.example', '!unset', 'User ' || n,
       case when n %% 50 = 0 then 'author' else 'customer' end
from generate_series(1, %(users)s) n
on conflict do nothing;

insert into commerce.stock_locations (tenant_id, id, name)
values (%(t)s, bench.id(14, 1), 'Main warehouse')
on conflict do nothing;

insert into commerce.categories (tenant_id, id, name, handle)
select %(t)s, bench.id(8, n), 'Category ' || n, 'category-' || n
from generate_series(1, 20) n
on conflict do nothing;

insert into content.tags (tenant_id, id, name, slug)
select %(t)s, bench.id(10, n), 'Tag ' || n, 'tag-' || n
from generate_series(1, 100) n
on conflict do nothing;

insert into commerce.order_counters (tenant_id, last_display_id) values (%(t)s, 0)
on conflict do nothing;

-- name: products
-- Products a..b: 1-3 variants each (option "Size" with as many values), a price in EUR, USD and GBP per
-- variant, an inventory item and a stock level per variant, a category and a tag. 5%% are drafts.
insert into commerce.products (tenant_id, id, title, handle, description, status, metadata)
select %(t)s, bench.id(1, n),
       (array['Red', 'Blue', 'Green', 'Black', 'White', 'Grey', 'Navy', 'Olive', 'Amber', 'Teal'])[1 + bench.r(n, 10)]
       || ' ' || (array['linen', 'cotton', 'wool', 'silk', 'denim', 'leather', 'canvas', 'velvet'])[1 + bench.r(n + 7, 8)]
       || ' ' || (array['shirt', 'jacket', 'trousers', 'scarf', 'hat', 'boots', 'dress', 'sweater', 'coat', 'bag'])[1 + bench.r(n + 13, 10)]
       || ' ' || n,
       'p-' || n,
       'A ' || (array['soft', 'sturdy', 'light', 'warm', 'classic'])[1 + bench.r(n + 3, 5)] || ' piece, item number ' || n
       || '. Made to last; washes well; model ' || chr(97 + bench.r(n, 26)) || chr(97 + bench.r(n + 1, 26)) || '.',
       case when n %% 20 = 0 then 'draft' else 'published' end,
       jsonb_build_object('source', 'bench', 'n', n)
from generate_series(%(a)s::bigint, %(b)s::bigint) n;

insert into commerce.options (tenant_id, id, product_id, title, position)
select %(t)s, bench.id(2, n), bench.id(1, n), 'Size', 0
from generate_series(%(a)s::bigint, %(b)s::bigint) n;

insert into commerce.option_values (tenant_id, id, option_id, value, position)
select %(t)s, bench.id(3, n * 4 + k), bench.id(2, n), (array['S', 'M', 'L'])[k], k
from generate_series(%(a)s::bigint, %(b)s::bigint) n
cross join lateral generate_series(1, 1 + bench.r(n + 17, 3)) k;

insert into commerce.variants (tenant_id, id, product_id, title, sku, position, weight)
select %(t)s, bench.id(4, n * 4 + k), bench.id(1, n), (array['S', 'M', 'L'])[k], 'SKU-' || n || '-' || k, k,
       100 + bench.r(n * 4 + k, 900)
from generate_series(%(a)s::bigint, %(b)s::bigint) n
cross join lateral generate_series(1, 1 + bench.r(n + 17, 3)) k;

insert into commerce.variant_options (tenant_id, variant_id, option_value_id)
select %(t)s, bench.id(4, n * 4 + k), bench.id(3, n * 4 + k)
from generate_series(%(a)s::bigint, %(b)s::bigint) n
cross join lateral generate_series(1, 1 + bench.r(n + 17, 3)) k;

insert into commerce.prices (tenant_id, id, variant_id, amount, currency_code)
select %(t)s, bench.id(5, (n * 4 + k) * 4 + c), bench.id(4, n * 4 + k), bench.price(n * 4 + k, c),
       (array['EUR', 'USD', 'GBP'])[c + 1]
from generate_series(%(a)s::bigint, %(b)s::bigint) n
cross join lateral generate_series(1, 1 + bench.r(n + 17, 3)) k
cross join generate_series(0, 2) c;

insert into commerce.inventory_items (tenant_id, id, sku)
select %(t)s, bench.id(6, n * 4 + k), 'SKU-' || n || '-' || k
from generate_series(%(a)s::bigint, %(b)s::bigint) n
cross join lateral generate_series(1, 1 + bench.r(n + 17, 3)) k;

insert into commerce.variant_inventory (tenant_id, variant_id, inventory_item_id)
select %(t)s, bench.id(4, n * 4 + k), bench.id(6, n * 4 + k)
from generate_series(%(a)s::bigint, %(b)s::bigint) n
cross join lateral generate_series(1, 1 + bench.r(n + 17, 3)) k;

insert into commerce.inventory_levels (tenant_id, id, inventory_item_id, location_id, stocked_quantity)
select %(t)s, bench.id(7, n * 4 + k), bench.id(6, n * 4 + k), bench.id(14, 1), bench.r(n * 4 + k, 60)
from generate_series(%(a)s::bigint, %(b)s::bigint) n
cross join lateral generate_series(1, 1 + bench.r(n + 17, 3)) k;

insert into commerce.product_categories (tenant_id, product_id, category_id)
select %(t)s, bench.id(1, n), bench.id(8, 1 + bench.r(n + 5, 20))
from generate_series(%(a)s::bigint, %(b)s::bigint) n;

insert into content.taggables (tenant_id, tag_id, target_type, target_id)
select %(t)s, bench.id(10, 1 + bench.r(n + 11, 100)), 'product', bench.id(1, n)
from generate_series(%(a)s::bigint, %(b)s::bigint) n;

-- name: nodes
-- Content nodes a..b (node row numbers): every 10th a page, the rest posts; 90%% published. Each has a
-- body (a few hundred characters of text) and two tags.
insert into content.nodes (tenant_id, id, author_id, kind, title, slug, excerpt, status, published_at)
select %(t)s, bench.id(9, n), bench.id(13, 50 * (1 + bench.r(n, greatest(%(users)s / 50, 1)))),
       case when n %% 10 = 0 then 'page' else 'post' end,
       (array['Notes on', 'A guide to', 'Why we love', 'The story of', 'Caring for'])[1 + bench.r(n, 5)] || ' '
       || (array['linen', 'cotton', 'wool', 'silk', 'denim', 'leather', 'canvas', 'velvet'])[1 + bench.r(n + 7, 8)] || ' ' || n,
       'node-' || n,
       'Short excerpt of node ' || n || '.',
       case when bench.r(n + 19, 10) = 0 then 'draft' else 'published' end,
       case when bench.r(n + 19, 10) = 0 then null else now() - make_interval(mins => bench.r(n, 500000)) end
from generate_series(%(a)s::bigint, %(b)s::bigint) n;

insert into content.bodies (tenant_id, node_id, body, format)
select %(t)s, bench.id(9, n),
       'Paragraph one of node ' || n || ': ' || repeat((array['linen breathes and softens with every wash. ',
           'wool keeps you warm even when it is damp. ', 'cotton is easy to care for and lasts for years. ',
           'leather needs a little wax twice a year. '])[1 + bench.r(n + 23, 4)], 3 + bench.r(n, 6))
       || E'\n\nParagraph two: ' || repeat('our workshop, our makers, our materials. ', 1 + bench.r(n + 29, 4)),
       'markdown'
from generate_series(%(a)s::bigint, %(b)s::bigint) n;

insert into content.taggables (tenant_id, tag_id, target_type, target_id)
select %(t)s, bench.id(10, 1 + (bench.r(n, 50) + j * 50)), 'node', bench.id(9, n)
from generate_series(%(a)s::bigint, %(b)s::bigint) n
cross join generate_series(0, 1) j;

-- name: comments
-- Comments a..b (comment row numbers, node ids continue after the posts and pages): approved replies to
-- published posts, each with a body.
insert into content.nodes (tenant_id, id, parent_id, author_id, kind, status)
select %(t)s, bench.id(9, %(base)s + n), bench.id(9, p.post), bench.id(13, 1 + bench.r(n, %(users)s)), 'comment', 'approved'
from generate_series(%(a)s::bigint, %(b)s::bigint) n
cross join lateral (
    -- the first published post at or after a pseudo-random node row (pages and drafts are skipped)
    select 1 + (m - 1) %% %(base)s as post
    from generate_series(1 + bench.r(n + 31, %(base)s::integer), 40 + bench.r(n + 31, %(base)s::integer)) m
    where (1 + (m - 1) %% %(base)s) %% 10 <> 0 and bench.r(1 + (m - 1) %% %(base)s + 19, 10) <> 0
    order by m
    limit 1) p;

insert into content.bodies (tenant_id, node_id, body, format)
select %(t)s, bench.id(9, %(base)s + n),
       (array['Great read, thanks!', 'I have had mine for years.', 'Does this come in navy?',
              'Washed it twice, still perfect.'])[1 + bench.r(n, 4)] || ' (' || n || ')',
       'plain'
from generate_series(%(a)s::bigint, %(b)s::bigint) n;

-- name: orders
-- Orders a..b imported set-based (not through commerce.place_order): display_id = n (the counter was
-- set past the last one first, so the display_id trigger changes nothing), created_at spread over the
-- past year in n order, only settled statuses (completed, fulfilled, cancelled: no open reservations,
-- so inventory_levels stay consistent), 1-3 lines of published products at the generated base price.
with o as (
    select n, bench.id(11, n) as id,
           %(from)s::timestamptz + (%(span)s::interval * ((n - 1)::float8 / %(count)s)) as created_at,
           bench.r(n + 37, 100) as s,
           bench.r(n, 3) as c
    from generate_series(%(a)s::bigint, %(b)s::bigint) n
), lines as (
    select o.n, k, 1 + bench.r(o.n * 4 + k, 3) as qty,
           bench.price(v.vrow, o.c) as unit_price
    from o
    cross join lateral generate_series(1, 1 + bench.r(o.n + 41, 3)) k
    cross join lateral (select (1 + bench.r(o.n * 4 + k + 43, %(products)s::integer)) as p) pp
    cross join lateral (select (case when pp.p %% 20 = 0 then pp.p - 1 else pp.p end) * 4 + 1 as vrow) v
), totals as (
    select n, sum(qty * unit_price)::bigint as subtotal from lines group by n
)
insert into commerce.orders (tenant_id, id, created_at, display_id, status, customer_id, email, currency_code,
                             subtotal, total, updated_at, paid_at, fulfilled_at, completed_at, cancelled_at)
select %(t)s, o.id, o.created_at, o.n,
       case when o.s < 90 then 'completed' when o.s < 95 then 'fulfilled' else 'cancelled' end,
       bench.id(13, 1 + bench.r(o.n + 47, %(users)s)), 'user' || (1 + bench.r(o.n + 47, %(users)s)) || '@bench.example',
       (array['EUR', 'USD', 'GBP'])[o.c + 1],
       t.subtotal, t.subtotal, o.created_at + interval '3 days',
       case when o.s < 95 then o.created_at + interval '5 minutes' end,
       case when o.s < 95 then o.created_at + interval '1 day' end,
       case when o.s < 90 then o.created_at + interval '3 days' end,
       case when o.s >= 95 then o.created_at + interval '1 hour' end
from o join totals t on t.n = o.n;

with o as (
    select n, bench.id(11, n) as id,
           %(from)s::timestamptz + (%(span)s::interval * ((n - 1)::float8 / %(count)s)) as created_at,
           bench.r(n, 3) as c
    from generate_series(%(a)s::bigint, %(b)s::bigint) n
)
insert into commerce.order_items (tenant_id, id, order_id, order_created_at, variant_id, product_id, title, sku,
                                  quantity, unit_price, original_unit_price, total, created_at)
select %(t)s, bench.id(12, o.n * 4 + k), o.id, o.created_at, bench.id(4, v.vrow), bench.id(1, v.p),
       'Product ' || v.p || ' - S', 'SKU-' || v.p || '-1', q.qty, bench.price(v.vrow, o.c), bench.price(v.vrow, o.c),
       q.qty * bench.price(v.vrow, o.c), o.created_at
from o
cross join lateral generate_series(1, 1 + bench.r(o.n + 41, 3)) k
cross join lateral (select 1 + bench.r(o.n * 4 + k, 3) as qty) q
cross join lateral (select (1 + bench.r(o.n * 4 + k + 43, %(products)s::integer)) as p0) pp
cross join lateral (select case when pp.p0 %% 20 = 0 then pp.p0 - 1 else pp.p0 end as p,
                           (case when pp.p0 %% 20 = 0 then pp.p0 - 1 else pp.p0 end) * 4 + 1 as vrow) v;
