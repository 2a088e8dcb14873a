-- sql/ops/add_partitions.sql: create partitions ahead (the worker's ops.maintain() does this every 30 s; this is for
-- a longer horizon, or when no worker runs). Rows that strayed into a default partition are moved out.
--
--   psql "$(rustok db url)" -X -v ON_ERROR_STOP=1 [-v days=14] [-v quarters=4] -f sql/ops/add_partitions.sql
--
-- days: daily outbox.events partitions after today (default outbox.settings.premake_days);
-- quarters: quarterly commerce.orders partitions after this quarter (default 4).
\set ON_ERROR_STOP 1
\if :{?days}
\else
\set days ''
\endif
\if :{?quarters}
\else
\set quarters 4
\endif
\if :{?days}
select case when :'days' = '' then '' else ops._psql_var('days', :'days', 'integer', '14') end as days \gset
\endif
select ops._psql_var('quarters', :'quarters', 'integer', '4') as quarters \gset

select * from outbox.create_partitions(nullif(:'days', '')::integer);
select partition_name, range_from, range_to, created, moved_rows
from commerce.create_order_partitions(:'quarters'::integer) where created;
select partition, day from outbox.partitions order by day desc limit 3;
select partition_name, range_from, range_to from commerce.order_partitions() where not is_default order by range_from desc limit 3;
