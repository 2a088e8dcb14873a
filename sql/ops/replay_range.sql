-- sql/ops/replay_range.sql: queue again, for one consumer, the events of a time range (e.g. after fixing a
-- projection bug); events already queued are left alone. The worker (or sql/ops/drain_consumer.sql) then processes them.
--
--   psql "$(rustok db url)" -X -v ON_ERROR_STOP=1 -v consumer=index -v from='2026-12-01 00:00+00' \
--        [-v to='2026-12-02 00:00+00'] [-v event_types='{ProductUpdated,NodeUpdated}'] -f sql/ops/replay_range.sql
\set ON_ERROR_STOP 1
\if :{?consumer}
\else
\set consumer ''
\endif
\if :{?from}
\else
\set from ''
\endif
\if :{?to}
\else
\set to 'now'
\endif
\if :{?event_types}
\else
\set event_types ''
\endif
select ops._psql_var('consumer', :'consumer', 'text', 'index') as consumer \gset
select ops._psql_var('from', :'from', 'timestamptz', '"2026-12-01 00:00+00"') as "from" \gset
select ops._psql_var('to', :'to', 'timestamptz', '"2026-12-02 00:00+00"') as "to" \gset
\if :{?event_types}
select case when :'event_types' = '' then '' else ops._psql_var('event_types', :'event_types', 'text[]', '"{ProductUpdated}"') end
       as event_types \gset
\endif

select ops.replay_events(:'consumer', :'from'::timestamptz, :'to'::timestamptz, nullif(:'event_types', '')::text[]) as queued;
select * from ops.outbox_backlog(:'consumer');
