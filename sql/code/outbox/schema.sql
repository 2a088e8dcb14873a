-- outbox/schema.sql: the outbox schema: comment and usage grants.

comment on schema outbox is 'Domain events (transactional outbox), consumer queues and their operator functions.';
grant usage on schema outbox to rustok_analyst, rustok_app;
