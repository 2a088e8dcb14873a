-- core/users.sql: users of a tenant.

create or replace function core.tg_users__platform_admin_guard() returns trigger
    language plpgsql stable
as $$
begin
    if current_user = 'rustok_app'
       and new.is_platform_admin is distinct from (case when tg_op = 'INSERT' then false else old.is_platform_admin end) then
        raise exception 'core.users.is_platform_admin: only an operator makes platform administrators (psql: ops.grant_platform_admin)'
            using errcode = 'insufficient_privilege', column = 'is_platform_admin';
    end if;
    return new;
end
$$;
comment on function core.tg_users__platform_admin_guard() is
    'BEFORE INSERT/UPDATE trigger on core.users: the application role (the API, and psql as rustok_app) cannot set or '
    'clear is_platform_admin (42501); operators do (ops.grant_platform_admin).';

-- ---------------------------------------------------------------- core.users

comment on table core.users is 'Users of a tenant (staff and customers). Email is unique per tenant, case-insensitively.';
comment on column core.users.password_hash is 'A password hash (never the password). Not granted to analysts.';
comment on column core.users.display_name is 'Name shown as author of content.';
comment on column core.users.role is 'admin | manager | editor | author | customer';
comment on column core.users.status is 'active | inactive | banned';
comment on column core.users.tenant_id is
    'The owning tenant (core.tenants.id); row-level security policy tenant_isolation keys on it.';
comment on column core.users.id is
    'Row id, with tenant_id the primary key: a ULID-layout uuid from core.new_id(), so ids sort by creation time.';
comment on column core.users.email is 'Login email, unique per tenant case-insensitively.';
comment on column core.users.is_platform_admin is
    'A platform operator: holds platform:manage (every tenant, in the API) besides their role. Set by ops.grant_platform_admin only.';
comment on column core.users.metadata is
    'Free-form JSON object for integrations and clients; the database does not interpret it.';
comment on column core.users.last_login_at is 'When the user last logged in (UserLoggedIn events follow it).';
comment on column core.users.created_at is 'When the row was created (write-once; trigger _100_timestamps).';
comment on column core.users.updated_at is
    'When the row last really changed (trigger _100_timestamps; an update that changes nothing keeps it).';

select core.enable_tenant_rls('core.users');
select core.allow_analyst_read('core.users');
grant select, insert, update, delete on core.users to rustok_app;
grant select (tenant_id, id, email, display_name, role, status, metadata, last_login_at, created_at, updated_at) on core.users to rustok_analyst;

create or replace trigger _100_timestamps before insert or update on core.users
    for each row
    execute function core.tg__timestamps();

create or replace trigger _900_user_logged_in after update on core.users
    referencing old table as old_rows new table as new_rows for each statement
    execute function core.tg_users__user_logged_in();

create or replace trigger _900_user_registered after insert on core.users
    referencing new table as new_rows for each statement
    execute function core.tg_users__user_registered();

create or replace trigger _050_platform_admin_guard before insert or update of is_platform_admin on core.users
    for each row
    execute function core.tg_users__platform_admin_guard();
