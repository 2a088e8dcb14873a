-- depends: 0069_commerce_order_items_fk_deferrable
-- core: a session's unique key leads with tenant_id, like every key of a tenant table, so the table can be
-- distributed by tenant (Citus: a unique constraint must include the distribution column). Every lookup
-- already names the tenant (core.resolve_request, core.end_session); tokens stay unique, being random.
alter table core.sessions drop constraint sessions_token_hash_key;
alter table core.sessions add constraint sessions_tenant_id_token_hash_key unique (tenant_id, token_hash);
