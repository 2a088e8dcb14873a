-- depends: 0340_outbox_lease_record_flag
-- index: index.products.snapshot_xmin, the xmin of the snapshot a product's read rows were computed from (every
-- transaction with a lower id had finished by then). The projector leaves out of a batch's rebuilds a product whose
-- events in the batch all come from such transactions: the read row already shows them (index._products_up_to_date,
-- sql/code/index/products.sql). Rows written before this migration have none and are never left out.
alter table index.products add column snapshot_xmin xid8;
