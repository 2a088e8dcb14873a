-- depends: 0150_outbox_tenant_keys
-- index: a narrow search row per product (index.product_search): the columns a storefront search reads for
-- every match (text, facets, sort keys), ~500 bytes instead of the ~2 kB display row, so a search touches a
-- quarter of the pages and fits the buffer cache. Rebuilt with the product (index._rebuild_products).

create table index.product_search (
    tenant_id     uuid not null,
    product_id    uuid not null,
    status        text not null,
    created_at    timestamptz not null,
    has_stock     boolean not null,
    category_ids  uuid[] not null default '{}',
    tag_slugs     text[] not null default '{}',
    min_prices    jsonb not null default '{}',
    search_vector tsvector not null default '',
    primary key (tenant_id, product_id),
    constraint product_search_product_fkey foreign key (tenant_id, product_id)
        references index.products (tenant_id, product_id) on delete cascade
) with (fillfactor = 90);

create index product_search_text_idx on index.product_search using gin (tenant_id, search_vector);

insert into index.product_search (tenant_id, product_id, status, created_at, has_stock, category_ids, tag_slugs,
                                  min_prices, search_vector)
select p.tenant_id, p.product_id, p.status, p.created_at, p.has_stock, p.category_ids, p.tag_slugs,
       coalesce((select jsonb_object_agg(e.key, (e.value ->> 'min')::bigint) from jsonb_each(p.prices) e), '{}'),
       p.search_vector
from index.products p;
