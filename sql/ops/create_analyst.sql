-- sql/ops/create_analyst.sql: an analyst login, restricted to one tenant or platform-wide (docs/analytics.md).
--
--   psql "$(rustok db url)" -X -v ON_ERROR_STOP=1 -v login=acme_analyst -v tenant=acme -f sql/ops/create_analyst.sql
--   psql "$(rustok db url)" -X -v ON_ERROR_STOP=1 -v login=bi_reader -f sql/ops/create_analyst.sql   # every tenant
--
-- Then give it a password from an interactive psql: \password acme_analyst
\set ON_ERROR_STOP 1
\if :{?login}
\else
\set login ''
\endif
\if :{?tenant}
\else
\set tenant ''
\endif
select ops._psql_var('login', :'login', 'text', 'acme_analyst') as login \gset

select ops.create_analyst(:'login', nullif(:'tenant', '')) as result;
select * from ops.analysts where login = :'login';
