-- depends: 0240_index_search_tallies
-- index: room for HOT updates in the product read rows. An index.products row is ~1.7-2 kB; at fillfactor 85 a
-- page held four of them with less than a row free, so every rebuild that changed a row (a price, stock or
-- metadata change) wrote the new version to another page and inserted it into all nine indexes (three GIN):
-- 8,200 of 10,000 metadata-only rebuilds on the 100k-product bench copy. At fillfactor 50 a page holds two rows
-- and room for two more versions; HOT pruning frees the old ones, so changes that touch no indexed column (prices,
-- stock that stays in or out of stock, metadata, variants, SEO) stay on the page and write no index entry
-- (10,000 of 10,000 HOT; drain CPU per metadata event 203 -> 124 us). The table grows ~1.9x (206 -> 391 MB per
-- 100k products); the storefront reads a page's display rows by key, so that costs no read more than a page.
-- index.product_search (~500 B rows, rewritten on price and stock changes: min_prices, has_stock) gets 70.
-- CLUSTER rewrites the existing rows at the new fillfactor (an exclusive lock on each table for the rewrite:
-- ~4 s per 100,000 products on the bench machine); the clustered-index mark it leaves is cleared again.

alter table index.products set (fillfactor = 50);
alter table index.product_search set (fillfactor = 70);
cluster index.products using products_pkey;
cluster index.product_search using product_search_pkey;
alter table index.products set without cluster;
alter table index.product_search set without cluster;
