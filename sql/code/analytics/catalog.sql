-- analytics/catalog.sql: catalog and content summaries for analysts.

create or replace view analytics.catalog_summary
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
grant select on analytics.catalog_summary to rustok_analyst, rustok_app;

create or replace view analytics.content_summary
with (security_invoker = true) as
select c.tenant_id, c.kind, c.status, count(*) as nodes, sum(c.reply_count) as replies, max(c.published_at) as last_published_at
from index.content c
group by c.tenant_id, c.kind, c.status;
comment on view analytics.content_summary is 'Per tenant, kind and status: nodes, approved direct replies and the latest published_at.';
grant select on analytics.content_summary to rustok_analyst, rustok_app;
