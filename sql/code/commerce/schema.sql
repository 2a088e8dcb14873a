-- commerce/schema.sql: the commerce schema: comment and usage grants.

comment on schema commerce is
    'RusToK commerce write model: catalog, prices, inventory and orders (3NF, RLS per tenant, events via outbox).';
grant usage on schema commerce to rustok_analyst, rustok_app;
