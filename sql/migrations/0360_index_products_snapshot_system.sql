-- depends: 0350_index_products_snapshot_xmin
-- index: index.products.snapshot_system, the system identifier of the cluster whose snapshot computed the row.
-- Transaction ids mean nothing in another cluster: a row copied by a logical restore (pg_dump / pg_restore into a
-- new cluster) keeps the source's snapshot_xmin, and the projector must not compare the new cluster's events with
-- it (tests/ops/test_backup.py caught it). index._products_up_to_date trusts snapshot_xmin only with this cluster's id.
alter table index.products add column snapshot_system bigint;
