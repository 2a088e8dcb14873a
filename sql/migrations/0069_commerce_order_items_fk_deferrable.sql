-- depends: 0068_commerce_level_change_type
-- commerce: commerce.place_order writes an order's items before the order row, so that the rows every order
-- contends for (stock levels, the tenant's display_id counter) are locked as late as possible and held only
-- until commit. For that the items' foreign key to their order must be checkable later in the transaction:
-- DEFERRABLE, still INITIALLY IMMEDIATE (every other writer sees no change).

alter table commerce.order_items alter constraint order_items_order_id_fkey deferrable initially immediate;
