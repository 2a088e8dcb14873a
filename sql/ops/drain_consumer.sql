-- sql/ops/drain_consumer.sql: process a consumer's queue from psql until nothing is left (no worker needed),
-- one batch per transaction, so a long drain neither holds locks nor runs out of lock memory.
--
--   psql "$(rustok db url)" -X -v ON_ERROR_STOP=1 -v consumer=index [-v batch=100] -f sql/ops/drain_consumer.sql
--
-- Stops when a batch claims nothing (events waiting for a retry back-off are left to the worker).
\set ON_ERROR_STOP 1
\if :{?consumer}
\else
\set consumer ''
\endif
\if :{?batch}
\else
\set batch 100
\endif
select ops._psql_var('consumer', :'consumer', 'text', 'index') as consumer \gset
select ops._psql_var('batch', :'batch', 'integer', '100') as batch \gset
select ops._check_consumer(:'consumer') \gset

\echo 'backlog before:'
select * from ops.outbox_backlog(:'consumer');
\pset footer off
select claimed, succeeded, failed, dead from outbox.process_batch(:'consumer', :'batch'::integer)
where claimed > 0 \watch interval=0 min_rows=1
\pset footer on
\echo 'backlog after:'
select * from ops.outbox_backlog(:'consumer');
