-- core/users.sql: users of a tenant.

-- ---------------------------------------------------------------- core.users

comment on table core.users is 'Users of a tenant (staff and customers). Email is unique per tenant, case-insensitively.';
comment on column core.users.password_hash is 'A password hash (never the password). Not granted to analysts.';
comment on column core.users.display_name is 'Name shown as author of content.';
comment on column core.users.role is 'admin | manager | editor | author | customer';
comment on column core.users.status is 'active | inactive | banned';

select core.enable_tenant_rls('core.users');
select core.allow_analyst_read('core.users');
grant select, insert, update, delete on core.users to rustok_app;
grant select (tenant_id, id, email, display_name, role, status, metadata, last_login_at, created_at, updated_at) on core.users to rustok_analyst;
