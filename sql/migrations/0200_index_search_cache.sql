-- depends: 0191_content_node_images
-- index: a cache of storefront listing results (index.search_cache), the search twin of index.facet_cache. A
-- search for a frequent word (10 % of a catalog) reads, ranks and counts every match's search row into the facets:
-- ~60 ms at 100,000 products however narrow the rows. index.read_products_page keeps what such a statement
-- computed (total, raw facet counts, the page's product ids with their cursors and ranks; no display columns and
-- no names, which are joined at read time) keyed by its exact inputs, and the triggers on index.products empty a
-- tenant's rows whenever its read rows change, under the facet cache's per-tenant lock.

create table index.search_cache (
    tenant_id  uuid not null references core.tenants (id) on delete cascade,
    key        uuid not null,
    inputs     jsonb not null,
    result     jsonb not null,
    cost_ms    real not null,
    filled_at  timestamptz not null default now(),
    primary key (tenant_id, key)
);
