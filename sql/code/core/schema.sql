-- core/schema.sql: the core schema: comment and usage grants.

comment on schema core is 'RusToK core: tenants, users, module toggles, sessions, ids and the tenant context.';
grant usage on schema core to rustok_analyst, rustok_app;
