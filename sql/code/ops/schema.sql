-- ops/schema.sql: the ops schema: comment and usage grants.

comment on schema ops is 'Functions operators call from psql: reindex requests, outbox inspection, retry, replay and upkeep.';
