-- analytics/schema.sql: the analytics schema: comment and usage grants.

comment on schema analytics is 'Views for analysts over the read model (read-only role rustok_analyst).';
grant usage on schema analytics to rustok_analyst, rustok_app, rustok_tenant_analyst;
