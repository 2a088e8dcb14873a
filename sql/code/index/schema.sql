-- index/schema.sql: the index and analytics schemas: comment and usage grants.

comment on schema index is
    'RusToK read model: denormalized, rebuildable read tables (products, content, orders), the search word list and '
    'the rebuild / search / verify functions. Storefronts and analysts read here; nothing writes here but index.* functions.';
grant usage on schema index to rustok_analyst, rustok_app, rustok_tenant_analyst;
