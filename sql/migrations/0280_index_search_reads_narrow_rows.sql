-- depends: 0251_index_product_fingerprints
-- index: every text search and category / tag filter of products reads the narrow search rows
-- (index.product_search, all products with their status), joining the display rows (index.products) by key for the
-- page only; so the display rows drop the indexes only those searches used. A title change (the most common edit:
-- it changes the search vector and the title index, so its index.products update cannot be HOT) then rewrites five
-- btree indexes of index.products instead of nine (three of them GIN over the search vector, the categories and the
-- tags), and the text GIN only once (index.product_search's). products_stock_idx (tenant, has_stock) served no plan.
-- The category and tag filters get GIN indexes of their own on index.product_search (arrays of one to three
-- elements: a few entries per changed row), and a btree in the newest order, so that a listing of a frequent
-- category by newest walks it and stops at the page (as products_created_idx served it: ~2 ms, against ~15 ms
-- for reading and sorting the category's 5,000 matches of 100,000 through the GIN index).
-- index._product_matches (over the display rows) is replaced by index._product_listing_matches (over the search
-- rows; sql/code/index/pages.sql), of another row type.

drop index index.products_search_idx;
drop index index.products_category_idx;
drop index index.products_tag_idx;
drop index index.products_stock_idx;
create index product_search_category_idx on index.product_search using gin (tenant_id, category_ids);
create index product_search_tag_idx on index.product_search using gin (tenant_id, tag_slugs);
create index product_search_newest_idx on index.product_search (tenant_id, created_at desc, product_id desc);
drop function if exists index._product_matches(uuid, tsquery, jsonb, text, boolean);
