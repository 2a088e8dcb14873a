-- index/orders.sql: the order read rows (index.orders) and how they are computed.

-- Rebuild of index.orders (the manifest's analytics_orders) from commerce.orders and order_items.
create or replace function index._order_rows(p_tenant_id uuid, p_order_ids uuid[])
    returns setof index.orders
    language sql stable
as $$
    select
        o.tenant_id,
        o.id,
        o.display_id,
        o.status,
        o.currency_code,
        o.subtotal,
        o.discount_total,
        o.shipping_total,
        o.tax_total,
        o.total,
        coalesce(i.item_count, 0),
        coalesce(i.line_count, 0),
        coalesce(i.items, '[]'),
        o.customer_id,
        o.email,
        o.created_at,
        o.updated_at,
        o.paid_at,
        o.fulfilled_at,
        o.completed_at,
        o.cancelled_at,
        null::uuid,
        null::text,
        null::timestamptz,
        now()
    from commerce.orders o
    left join lateral (
        select sum(oi.quantity)::bigint as item_count,
               count(*)::integer as line_count,
               jsonb_agg(jsonb_build_object(
                   'id', oi.id, 'productId', oi.product_id, 'variantId', oi.variant_id, 'title', oi.title,
                   'sku', oi.sku, 'quantity', oi.quantity, 'unitPrice', oi.unit_price, 'total', oi.total)
                   order by oi.created_at, oi.id) as items
        from commerce.order_items oi
        where oi.tenant_id = o.tenant_id and oi.order_id = o.id and oi.order_created_at = o.created_at
    ) i on true
    where o.tenant_id = p_tenant_id
      -- no `p_order_ids is null or ...`: with it a generic plan (small rebuilds use one) scans every order
      and o.id = any (coalesce(p_order_ids, array(select x.id from commerce.orders x where x.tenant_id = p_tenant_id)))
$$;
comment on function index._order_rows(uuid, uuid[]) is
    'Internal: the index.orders rows as they should be, computed from commerce.orders and order_items, for some '
    'orders of a tenant (all when p_order_ids is null). Used by the rebuild and by index.verify.';

create or replace function index._rebuild_orders(p_tenant_id uuid, p_order_ids uuid[], p_events outbox.events[] default '{}')
    returns integer
    language plpgsql volatile
as $$
declare
    v_changed integer;
    v_deleted integer;
begin
    if p_tenant_id is null or coalesce(cardinality(p_order_ids), 0) = 0 then
        return 0;
    end if;
    with ev as (
        select distinct on (e.aggregate_id) e.aggregate_id, e.id, e.event_type, e.occurred_at
        from unnest(p_events) e
        where e.tenant_id = p_tenant_id and e.aggregate_type = 'order'
        order by e.aggregate_id, e.occurred_at desc, e.id desc
    )
    insert into index.orders as t (
        tenant_id, order_id, display_id, status, currency_code, subtotal, discount_total, shipping_total, tax_total,
        total, item_count, line_count, items, customer_id, customer_email, created_at, updated_at, paid_at,
        fulfilled_at, completed_at, cancelled_at, last_event_id, last_event_type, last_event_at, indexed_at)
    select s.tenant_id, s.order_id, s.display_id, s.status, s.currency_code, s.subtotal, s.discount_total,
           s.shipping_total, s.tax_total, s.total, s.item_count, s.line_count, s.items, s.customer_id,
           s.customer_email, s.created_at, s.updated_at, s.paid_at, s.fulfilled_at, s.completed_at, s.cancelled_at,
           ev.id, ev.event_type, ev.occurred_at, clock_timestamp()
    from index._order_rows(p_tenant_id, p_order_ids) s
    left join ev on ev.aggregate_id = s.order_id
    on conflict (tenant_id, order_id) do update
       set display_id = excluded.display_id, status = excluded.status, currency_code = excluded.currency_code,
           subtotal = excluded.subtotal, discount_total = excluded.discount_total,
           shipping_total = excluded.shipping_total, tax_total = excluded.tax_total, total = excluded.total,
           item_count = excluded.item_count, line_count = excluded.line_count, items = excluded.items,
           customer_id = excluded.customer_id, customer_email = excluded.customer_email,
           created_at = excluded.created_at, updated_at = excluded.updated_at, paid_at = excluded.paid_at,
           fulfilled_at = excluded.fulfilled_at, completed_at = excluded.completed_at,
           cancelled_at = excluded.cancelled_at, last_event_id = excluded.last_event_id,
           last_event_type = excluded.last_event_type, last_event_at = excluded.last_event_at,
           indexed_at = excluded.indexed_at
     where (t.display_id, t.status, t.currency_code, t.subtotal, t.discount_total, t.shipping_total, t.tax_total,
            t.total, t.item_count, t.line_count, t.items, t.customer_id, t.customer_email, t.created_at,
            t.updated_at, t.paid_at, t.fulfilled_at, t.completed_at, t.cancelled_at)
           is distinct from
           (excluded.display_id, excluded.status, excluded.currency_code, excluded.subtotal,
            excluded.discount_total, excluded.shipping_total, excluded.tax_total, excluded.total,
            excluded.item_count, excluded.line_count, excluded.items, excluded.customer_id,
            excluded.customer_email, excluded.created_at, excluded.updated_at, excluded.paid_at,
            excluded.fulfilled_at, excluded.completed_at, excluded.cancelled_at);
    get diagnostics v_changed = row_count;

    delete from index.orders i
    where i.tenant_id = p_tenant_id and i.order_id = any (p_order_ids)
      and not exists (select 1 from commerce.orders o where o.tenant_id = p_tenant_id and o.id = i.order_id);
    get diagnostics v_deleted = row_count;
    return v_changed + v_deleted;
end
$$;
comment on function index._rebuild_orders(uuid, uuid[], outbox.events[]) is
    'Internal: rebuild the index.orders rows of some orders of one tenant, set-based: upsert where something really '
    'changed, delete rows of orders that are gone. Returns the number of rows inserted, updated or deleted.';

-- ---------------------------------------------------------------- index.orders

comment on table index.orders is
    'Read model of orders for analysts and admin lists (manifest analytics_orders): one row per order with totals, '
    'item count, the lines as JSON and the customer. Amounts in minor units of currency_code. Rebuilt by index.rebuild_orders.';
comment on column index.orders.display_id is 'The human order number (per tenant).';
comment on column index.orders.status is 'pending | paid | fulfilled | completed | cancelled';
comment on column index.orders.item_count is 'Units ordered (sum of line quantities).';
comment on column index.orders.line_count is 'Number of order lines.';
comment on column index.orders.items is
    'Lines: [{id, productId, variantId, title, sku, quantity, unitPrice, total}] (snapshots taken when the order was placed).';
comment on column index.orders.customer_email is 'The email given with the order (a snapshot; core.users.email of customer_id may differ).';
comment on column index.orders.tenant_id is
    'The owning tenant (core.tenants.id); row-level security policy tenant_isolation keys on it.';
comment on column index.orders.order_id is 'The order (commerce.orders.id).';
comment on column index.orders.currency_code is 'ISO 4217 currency of every amount of the order.';
comment on column index.orders.subtotal is 'commerce.orders.subtotal (minor units).';
comment on column index.orders.discount_total is 'commerce.orders.discount_total (minor units).';
comment on column index.orders.shipping_total is 'commerce.orders.shipping_total (minor units).';
comment on column index.orders.tax_total is 'commerce.orders.tax_total (minor units).';
comment on column index.orders.total is 'commerce.orders.total (minor units).';
comment on column index.orders.customer_id is 'commerce.orders.customer_id (null for a guest order).';
comment on column index.orders.created_at is 'When the order was placed.';
comment on column index.orders.updated_at is 'commerce.orders.updated_at.';
comment on column index.orders.paid_at is 'commerce.orders.paid_at.';
comment on column index.orders.fulfilled_at is 'commerce.orders.fulfilled_at.';
comment on column index.orders.completed_at is 'commerce.orders.completed_at.';
comment on column index.orders.cancelled_at is 'commerce.orders.cancelled_at.';
comment on column index.orders.last_event_id is
    'The outbox event whose processing last changed this row (null: reindex).';
comment on column index.orders.last_event_type is
    'Its event type (OrderPlaced, OrderStatusChanged, ReindexRequested, ...).';
comment on column index.orders.last_event_at is 'Its occurred_at.';
comment on column index.orders.indexed_at is 'When this row last changed.';

select core.enable_tenant_rls('index.orders');
select core.allow_analyst_read('index.orders');
select core.allow_tenant_analyst_read('index.orders');
grant select on index.orders to rustok_analyst, rustok_app, rustok_tenant_analyst;
