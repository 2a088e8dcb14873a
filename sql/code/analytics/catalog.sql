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
comment on column analytics.catalog_summary.tenant_id is 'The tenant (core.tenants.id).';
comment on column analytics.catalog_summary.products is 'Products of the tenant, any status.';
comment on column analytics.catalog_summary.published is 'Products with status published (visible to storefronts).';
comment on column analytics.catalog_summary.published_out_of_stock is
    'Published products with nothing available to sell (index.products.has_stock false).';
comment on column analytics.catalog_summary.variants is 'Variants over all products.';
comment on column analytics.catalog_summary.units_in_stock is
    'Units available to sell over all products (sum of index.products.total_stock).';
grant select on analytics.catalog_summary to rustok_analyst, rustok_app, rustok_tenant_analyst;

create or replace view analytics.content_summary
with (security_invoker = true) as
select c.tenant_id, c.kind, c.status, count(*) as nodes, sum(c.reply_count) as replies, max(c.published_at) as last_published_at
from index.content c
group by c.tenant_id, c.kind, c.status;
comment on view analytics.content_summary is 'Per tenant, kind and status: nodes, approved direct replies and the latest published_at.';
comment on column analytics.content_summary.tenant_id is 'The tenant (core.tenants.id).';
comment on column analytics.content_summary.kind is 'page | post | comment';
comment on column analytics.content_summary.status is
    'The nodes'' status (draft, scheduled, published, archived; pending, approved, spam for comments).';
comment on column analytics.content_summary.nodes is 'Number of nodes of this kind and status.';
comment on column analytics.content_summary.replies is 'Approved direct replies to these nodes (sum of reply_count).';
comment on column analytics.content_summary.last_published_at is
    'The latest published_at among these nodes (null when none was published).';
grant select on analytics.content_summary to rustok_analyst, rustok_app, rustok_tenant_analyst;
