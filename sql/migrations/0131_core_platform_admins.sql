-- depends: 0130_core_account_tokens
-- core: platform operators in the API (issue 12): a user flagged is_platform_admin holds the platform-level
-- permission platform:manage (tenants and their domains) besides their tenant role; only an operator sets the flag
-- (psql: ops.grant_platform_admin). Not a tenant role: core.role_permissions does not list it.

alter table core.users add column is_platform_admin boolean not null default false;

insert into core.permissions (name, description) values
    ('platform:manage', 'Platform operator: list, create, rename, suspend and reactivate tenants and manage their domains');

create index users_platform_admin_idx on core.users (tenant_id, id) where is_platform_admin;
