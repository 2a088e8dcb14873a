-- depends: 0220_outbox_event_ids
-- commerce: drop order_items_order_idx (tenant_id, order_id, order_created_at). The unique order_items_order_item_key
-- (tenant_id, order_id, id) serves every lookup of an order's items by its prefix (the index rebuild of an order, the
-- foreign-key checks when an order row goes, the partition upkeep), so the second index only cost every order line
-- one more index insertion (WAL and CPU inside order placement).

drop index commerce.order_items_order_idx;
