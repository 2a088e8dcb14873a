-- analytics/tenant_analysts.sql: what a per-tenant analyst (rustok_tenant_analyst, made by ops.create_analyst) may
-- read: the index read tables, rows of its own tenant only (policy tenant_analyst_read, core/analysts.sql; each
-- table's call and grant stand in its own file, beside its other policies), and the analytics views, which are
-- security_invoker so the same policies apply through them. Nothing else: no core, no
-- write tables, no outbox. tests/ops/test_analysts.py checks that every index table with a tenant_id and every
-- analytics view is listed here.

grant usage on schema index to rustok_tenant_analyst;
grant usage on schema analytics to rustok_tenant_analyst;

grant select on analytics.sales_daily to rustok_tenant_analyst;
grant select on analytics.top_products to rustok_tenant_analyst;
grant select on analytics.order_status_counts to rustok_tenant_analyst;
grant select on analytics.catalog_summary to rustok_tenant_analyst;
grant select on analytics.content_summary to rustok_tenant_analyst;
