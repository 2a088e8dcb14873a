-- sql/ops/retry_dead.sql: put the dead letters of a consumer (all, or of one event type) back in its queue,
-- after the cause is fixed.
--
--   psql "$(rustok db url)" -X -v ON_ERROR_STOP=1 -v consumer=index [-v event_type=ProductUpdated] -f sql/ops/retry_dead.sql
\set ON_ERROR_STOP 1
\if :{?consumer}
\else
\set consumer ''
\endif
\if :{?event_type}
\else
\set event_type ''
\endif
select ops._psql_var('consumer', :'consumer', 'text', 'index') as consumer \gset
select ops._check_consumer(:'consumer') \gset

\echo 'dead letters to retry:'
select d.event_type, count(*) as dead, max(d.last_error_at) as last_failed, min(d.last_error) as an_error
from outbox.dead_letters d
where d.consumer = :'consumer' and (nullif(:'event_type', '') is null or d.event_type = :'event_type')
group by d.event_type order by 2 desc;
select ops.retry_dead(:'consumer', nullif(:'event_type', '')) as retried;
