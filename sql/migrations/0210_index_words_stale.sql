-- depends: 0200_index_search_cache
-- index: which tenants' word lists (index.words) may hold words that no read row contains any more. Rebuilds only
-- add words; a rebuild that changes the text of an existing read row or deletes one marks its tenant here, and
-- index.refresh_words (the full reindex) recomputes the list only for marked tenants: recomputing it reads and
-- splits every product's and node's text (5-14 s for 100,000 products here, as long as the reindex itself).
-- One row per tenant and marking backend, so concurrent rebuilds never wait for one another's mark.

create table index.words_stale (
    tenant_id  uuid not null references core.tenants (id) on delete cascade,
    marked_by  integer not null,
    marked_at  timestamptz not null default clock_timestamp(),
    primary key (tenant_id, marked_by)
);

-- word lists built before this table existed may hold stale words: every tenant is marked once
insert into index.words_stale (tenant_id, marked_by) select t.id, 0 from core.tenants t;
