-- sql/ops/reindex_tenant.sql: rebuild the read model (schema index) of one tenant now, then verify it.
--
--   psql "$(rustok db url)" -X -v ON_ERROR_STOP=1 -v tenant=acme [-v types='{product,node,order}'] -f sql/ops/reindex_tenant.sql
--
-- tenant: a slug or an id. Runs in one transaction, chunk by chunk (index.reindex_tenant); a failing row is counted,
-- not fatal. To queue it for the worker instead: select ops.request_reindex('<tenant id>', 'product');
\set ON_ERROR_STOP 1
\if :{?tenant}
\else
\set tenant ''
\endif
\if :{?types}
\else
\set types '{product,node,order}'
\endif
select ops._psql_var('tenant', :'tenant', 'text', 'acme') as tenant \gset
select ops._psql_var('types', :'types', 'text[]', '"{product}"') as types \gset
select ops._tenant_id(:'tenant') as tenant_id \gset

select total, succeeded, failed, seconds, failed_ids from index.reindex_tenant(:'tenant_id', :'types'::text[]);
\echo 'drift left (index.verify; empty = exact):'
select aggregate_type, count(*) as drifted from index.verify(:'tenant_id') group by 1;
