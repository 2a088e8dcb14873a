-- analytics/sales.sql: sales views for analysts.

-- Analysts' views over the read model (schema analytics). Amounts are minor units of currency_code;
-- divide by commerce.currencies.minor_units digits for display. Tenants are not filtered here: the
-- analyst role reads every tenant (group by tenant_id), the app role sees only its own (RLS of the tables).
create or replace view analytics.sales_daily
with (security_invoker = true) as
select o.tenant_id,
       (o.created_at at time zone 'UTC')::date as day,
       o.currency_code,
       count(*)                                        as orders,
       count(*) filter (where o.status = 'cancelled')  as cancelled_orders,
       sum(o.item_count) filter (where o.status <> 'cancelled') as units,
       sum(o.subtotal) filter (where o.status <> 'cancelled')   as subtotal,
       sum(o.discount_total) filter (where o.status <> 'cancelled') as discounts,
       sum(o.shipping_total) filter (where o.status <> 'cancelled') as shipping,
       sum(o.tax_total) filter (where o.status <> 'cancelled')  as tax,
       sum(o.total) filter (where o.status <> 'cancelled')      as revenue,
       round(avg(o.total) filter (where o.status <> 'cancelled'))::bigint as average_order
from index.orders o
group by o.tenant_id, (o.created_at at time zone 'UTC')::date, o.currency_code;
comment on view analytics.sales_daily is
    'Sales per tenant, UTC day and currency from index.orders: orders placed, cancelled, and for non-cancelled orders '
    'units, subtotal, discounts, shipping, tax, revenue (total) and average order, in minor units.';
comment on column analytics.sales_daily.tenant_id is 'The tenant (core.tenants.id).';
comment on column analytics.sales_daily.day is 'UTC day the orders were placed (created_at).';
comment on column analytics.sales_daily.currency_code is 'ISO 4217 currency of the orders.';
comment on column analytics.sales_daily.orders is 'Orders placed that day, cancelled ones included.';
comment on column analytics.sales_daily.cancelled_orders is 'Of those, orders now cancelled.';
comment on column analytics.sales_daily.units is 'Units sold in non-cancelled orders.';
comment on column analytics.sales_daily.subtotal is 'Sum of subtotals of non-cancelled orders (minor units).';
comment on column analytics.sales_daily.discounts is 'Sum of discount_total of non-cancelled orders (minor units).';
comment on column analytics.sales_daily.shipping is 'Sum of shipping_total of non-cancelled orders (minor units).';
comment on column analytics.sales_daily.tax is 'Sum of tax_total of non-cancelled orders (minor units).';
comment on column analytics.sales_daily.revenue is 'Sum of totals of non-cancelled orders (minor units).';
comment on column analytics.sales_daily.average_order is
    'Average total of a non-cancelled order, rounded (minor units).';
grant select on analytics.sales_daily to rustok_analyst, rustok_app, rustok_tenant_analyst;

create or replace view analytics.top_products
with (security_invoker = true) as
select o.tenant_id,
       o.currency_code,
       (i ->> 'productId')::uuid                 as product_id,
       coalesce(p.title, min(i ->> 'title'))     as title,
       sum((i ->> 'quantity')::bigint)           as units,
       sum((i ->> 'total')::bigint)              as revenue,
       count(distinct o.order_id)                as orders,
       max(o.created_at)                         as last_ordered_at
from index.orders o
cross join lateral jsonb_array_elements(o.items) i
left join index.products p on p.tenant_id = o.tenant_id and p.product_id = (i ->> 'productId')::uuid
where o.status <> 'cancelled'
group by o.tenant_id, o.currency_code, (i ->> 'productId')::uuid, p.title;
comment on view analytics.top_products is
    'Units and line revenue (minor units) per tenant, currency and product over all non-cancelled orders, with the '
    'product''s current title (else the title on the order line). product_id is null for lines of deleted products. '
    'Order by revenue desc for a top list.';
comment on column analytics.top_products.tenant_id is 'The tenant (core.tenants.id).';
comment on column analytics.top_products.currency_code is 'ISO 4217 currency of the order lines.';
comment on column analytics.top_products.product_id is
    'The product (commerce.products.id); null for lines of deleted products.';
comment on column analytics.top_products.title is
    'The product''s current title, else the title recorded on the order line.';
comment on column analytics.top_products.units is 'Units sold in non-cancelled orders.';
comment on column analytics.top_products.revenue is 'Sum of line totals in non-cancelled orders (minor units).';
comment on column analytics.top_products.orders is 'Number of non-cancelled orders with a line of this product.';
comment on column analytics.top_products.last_ordered_at is 'When the latest of those orders was placed.';
grant select on analytics.top_products to rustok_analyst, rustok_app, rustok_tenant_analyst;

create or replace view analytics.order_status_counts
with (security_invoker = true) as
select o.tenant_id, o.status, o.currency_code, count(*) as orders, sum(o.total) as total
from index.orders o
group by o.tenant_id, o.status, o.currency_code;
comment on view analytics.order_status_counts is 'Orders and their total (minor units) per tenant, status and currency.';
comment on column analytics.order_status_counts.tenant_id is 'The tenant (core.tenants.id).';
comment on column analytics.order_status_counts.status is
    'Order status: pending | paid | fulfilled | completed | cancelled.';
comment on column analytics.order_status_counts.currency_code is 'ISO 4217 currency of the orders.';
comment on column analytics.order_status_counts.orders is 'Number of orders.';
comment on column analytics.order_status_counts.total is 'Sum of the orders'' totals, minor units of currency_code.';
grant select on analytics.order_status_counts to rustok_analyst, rustok_app, rustok_tenant_analyst;
