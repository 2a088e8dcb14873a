-- depends: 0222_index_drop_check_limit
-- index: kept listing tallies (index.search_tallies). A storefront search for a frequent word (10 % of a catalog)
-- reads, ranks and counts ~9,500 search rows (~30-40 ms of CPU at 100,000 products); index.search_cache keeps the
-- result but loses it at the next write that concerns it. A tally keeps, per (tenant, parsed query, filters,
-- currency, price bucket bounds, sort), the exact total, the full facet counts and the first 101 matches in order,
-- and the trigger on index.product_search updates it by deltas when a matching row changes: the first search after
-- a write reads a tally (~1-2 ms) instead of every match.

create table index.search_tallies (
    tenant_id     uuid not null references core.tenants (id) on delete cascade,
    key           uuid not null,
    inputs        jsonb not null,
    q             tsquery not null,
    filters       jsonb not null,
    currency_code text,
    bounds        bigint[] not null,
    sort          text not null,
    total         bigint not null,
    categories    jsonb not null,
    tags          jsonb not null,
    price_buckets jsonb not null,
    in_stock      bigint not null,
    out_of_stock  bigint not null,
    top_ids       uuid[] not null,
    top_ranks     real[] not null,
    top_created   timestamptz[] not null,
    top_prices    bigint[] not null,
    complete      boolean not null,
    cost_ms       real not null,
    filled_at     timestamptz not null default now(),
    updated_at    timestamptz not null default now(),
    primary key (tenant_id, key),
    constraint search_tallies_sort_check check (sort in ('relevance', 'newest', 'price_asc')),
    constraint search_tallies_top_check check (
        cardinality(top_ranks) = cardinality(top_ids) and cardinality(top_created) = cardinality(top_ids)
        and cardinality(top_prices) = cardinality(top_ids))
);
