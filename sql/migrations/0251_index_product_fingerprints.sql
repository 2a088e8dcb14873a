-- depends: 0250_index_products_fillfactor
-- index: what a full reindex last built each product's read rows from, so that a reindex of an unchanged catalog
-- skips the row computation (~85 us of CPU a product: the variants JSON and four tsvectors) for products whose
-- inputs and read rows are as it left them. `inputs` is a fingerprint of the write rows the product's read rows
-- are computed from (their xmin: every insert, update or delete of one changes it) and of the code that computes
-- them; `reads` one of its read rows (index.products, index.product_search, index.product_prices), so a read row
-- changed by anything but the reindex (the projector, a manual edit) is rebuilt by the next reindex too.
-- Written only by index.reindex_chunk; deleted with the product's read row.

create table index.product_fingerprints (
    tenant_id  uuid not null,
    product_id uuid not null,
    inputs     text not null,
    reads      text not null,
    primary key (tenant_id, product_id),
    foreign key (tenant_id, product_id) references index.products (tenant_id, product_id) on delete cascade
);
