-- depends: 0040_index_tables
-- Analysts' views over the read model (schema analytics). Amounts are minor units of currency_code;
-- divide by commerce.currencies.minor_units digits for display. Tenants are not filtered here: the
-- analyst role reads every tenant (group by tenant_id), the app role sees only its own (RLS of the tables).

create view analytics.sales_daily
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

create view analytics.top_products
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

create view analytics.order_status_counts
with (security_invoker = true) as
select o.tenant_id, o.status, o.currency_code, count(*) as orders, sum(o.total) as total
from index.orders o
group by o.tenant_id, o.status, o.currency_code;
comment on view analytics.order_status_counts is 'Orders and their total (minor units) per tenant, status and currency.';

create view analytics.catalog_summary
with (security_invoker = true) as
select p.tenant_id,
       count(*)                                          as products,
       count(*) filter (where p.status = 'published')    as published,
       count(*) filter (where p.status = 'published' and not p.has_stock) as published_out_of_stock,
       sum(p.variant_count)                              as variants,
       sum(p.total_stock)                                as units_in_stock
from index.products p
group by p.tenant_id;
comment on view analytics.catalog_summary is
    'Per tenant: products, published products, published products out of stock, variants and units available.';

create view analytics.content_summary
with (security_invoker = true) as
select c.tenant_id, c.kind, c.status, count(*) as nodes, sum(c.reply_count) as replies, max(c.published_at) as last_published_at
from index.content c
group by c.tenant_id, c.kind, c.status;
comment on view analytics.content_summary is 'Per tenant, kind and status: nodes, approved direct replies and the latest published_at.';

grant select on analytics.sales_daily, analytics.top_products, analytics.order_status_counts,
    analytics.catalog_summary, analytics.content_summary to rustok_analyst, rustok_app;
