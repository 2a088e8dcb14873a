-- depends: 0320_content_meta_category_targets
-- index: index._product_rows gains a third argument, p_reuse_vectors (the projector keeps a product's search vector
-- when the text it was made from is unchanged; sql/code/index/products.sql). The two-argument version is dropped
-- here so that the code tree creates the new one instead of an overload beside it.
drop function if exists index._product_rows(uuid, uuid[]);
