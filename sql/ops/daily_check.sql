-- sql/ops/daily_check.sql: the daily look at the platform (docs/operations.md, "Daily checks").
--
--   psql "$(rustok db url)" -X -v ON_ERROR_STOP=1 -f sql/ops/daily_check.sql            # problems only
--   psql "$(rustok db url)" -X -v ON_ERROR_STOP=1 -v all=1 -f sql/ops/daily_check.sql   # every check
--
-- Prints the checks of ops.health() that warn or fail, with their advice; exits with status 3 when a check fails
-- (0 when all are ok or only warn), so cron or CI can alert on it.
\set ON_ERROR_STOP 1
\if :{?all}
\else
\set all 0
\endif
select ops._psql_var('all', :'all', 'boolean', '1') as "all" \gset

with h as (select * from ops.health())
select count(*) filter (where h.status = 'fail') as failed,
       count(*) filter (where h.status = 'warn') as warned,
       count(*) as checks,
       count(*) filter (where h.status = 'fail') > 0 as any_failed,
       coalesce(string_agg(rpad(h.status, 6) || rpad(h.check_name, 36) || h.figure
                           || coalesce(E'\n' || repeat(' ', 42) || '-> ' || h.advice, ''), E'\n'
                           order by case h.status when 'fail' then 0 when 'warn' then 1 else 2 end, h.check_name)
                    filter (where h.status <> 'ok' or :'all'::boolean), 'all checks ok') as report
from h \gset
\echo :report
\echo :checks 'checks:' :failed 'fail,' :warned 'warn'
\if :any_failed
select format('do $d$ begin raise exception %L using errcode = %L; end $d$',
              :'failed' || ' health checks failed (see above)', 'P0001') \gexec
\endif
