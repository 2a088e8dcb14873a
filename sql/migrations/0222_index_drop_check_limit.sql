-- depends: 0221_commerce_order_items_index
-- index._check_limit was a copy of core._check_page_size (a page is 0 to 100 rows); the index reads call that one.
drop function if exists index._check_limit(integer);
