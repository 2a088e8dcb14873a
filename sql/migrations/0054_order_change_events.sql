-- depends: 0024_commerce_events 0044_index_consumer
-- Order changes other than status (email, addresses, metadata; line items edited after placement)
-- have no event of their own in the catalog; they emit ReindexRequested for the order so the read
-- model (index.orders) follows every write.

create function commerce.tg_orders__reindex_on_change() returns trigger
    language plpgsql volatile
as $$
begin
    insert into outbox.events (tenant_id, event_type, aggregate_type, aggregate_id, payload)
    select n.tenant_id, 'ReindexRequested', 'order', n.id,
           jsonb_build_object('target_type', 'order', 'target_id', n.id, 'scope', 'aggregate', 'reason', 'order_changed')
    from new_rows n
    join old_rows o on o.tenant_id = n.tenant_id and o.id = n.id and o.created_at = n.created_at
    where n.status is not distinct from o.status          -- status changes have their own events
      and (n.*) is distinct from (o.*);
    return null;
end
$$;
comment on function commerce.tg_orders__reindex_on_change() is
    'AFTER UPDATE statement trigger on commerce.orders: ReindexRequested (scope aggregate) for each order whose '
    'columns other than status changed, so index.orders follows.';
create trigger _910_reindex_on_change after update on commerce.orders
    referencing old table as old_rows new table as new_rows for each statement
    execute function commerce.tg_orders__reindex_on_change();

create function commerce.tg_order_items__reindex() returns trigger
    language plpgsql volatile
as $$
begin
    -- Items written by commerce.place_order belong to an order placed in this same transaction
    -- (created_at = now()): its OrderPlaced event already covers them.
    insert into outbox.events (tenant_id, event_type, aggregate_type, aggregate_id, payload)
    select distinct r.tenant_id, 'ReindexRequested', 'order', r.order_id,
           jsonb_build_object('target_type', 'order', 'target_id', r.order_id, 'scope', 'aggregate',
                              'reason', 'order_items_changed')
    from (select tenant_id, order_id, order_created_at from changed_rows) r
    where r.order_created_at <> now();
    return null;
end
$$;
comment on function commerce.tg_order_items__reindex() is
    'AFTER statement trigger on commerce.order_items: ReindexRequested for each order whose items were inserted, '
    'changed or deleted after the order was placed (placement itself is covered by OrderPlaced).';
create trigger _910_reindex_ins after insert on commerce.order_items
    referencing new table as changed_rows for each statement execute function commerce.tg_order_items__reindex();
create trigger _910_reindex_upd after update on commerce.order_items
    referencing new table as changed_rows for each statement execute function commerce.tg_order_items__reindex();
create trigger _910_reindex_del after delete on commerce.order_items
    referencing old table as changed_rows for each statement execute function commerce.tg_order_items__reindex();
