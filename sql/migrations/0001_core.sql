-- Core schema: ids, roles, tenants, users, module toggles, sessions, tenant context, RLS.
-- Conventions: lowercase SQL, explicit schemas, comments on every object (see docs/conventions.md).

create extension if not exists pg_trgm;
create extension if not exists unaccent;
create extension if not exists btree_gin;

-- ---------------------------------------------------------------- roles
-- Roles are cluster-wide, so create them only when missing (several databases,
-- e.g. test clones, share one cluster).
do $roles$
begin
    if not exists (select from pg_roles where rolname = 'rustok_app') then
        create role rustok_app login nosuperuser nocreatedb nocreaterole nobypassrls;
    end if;
    if not exists (select from pg_roles where rolname = 'rustok_analyst') then
        create role rustok_analyst login nosuperuser nocreatedb nocreaterole nobypassrls;
    end if;
end
$roles$;

-- The migration owner may switch to the app role (the API pool does `set role rustok_app`).
grant rustok_app to current_user;
grant rustok_analyst to current_user;

-- Nothing of ours lives in public; the app and analysts may not create objects anywhere.
revoke create on schema public from public;
do $db$ begin execute format('revoke create, temporary on database %I from public', current_database()); end $db$;
do $db$ begin execute format('grant connect, temporary on database %I to rustok_app, rustok_analyst', current_database()); end $db$;

alter role rustok_app set idle_in_transaction_session_timeout = '60s';
alter role rustok_analyst set default_transaction_read_only = on;
alter role rustok_analyst set statement_timeout = '5min';

create schema core;
comment on schema core is 'RusToK core: tenants, users, module toggles, sessions, ids and the tenant context.';
grant usage on schema core to rustok_app, rustok_analyst;

-- ---------------------------------------------------------------- ids
create function core.new_id() returns uuid
    language sql volatile parallel safe
as $$
    -- ULID layout, exactly as python-ulid: 48-bit big-endian unix milliseconds,
    -- then 80 random bits (bytes 1-6 and 11-14 of a v4 uuid are fully random).
    select encode(
        substring(int8send(floor(extract(epoch from clock_timestamp()) * 1000)::bigint) from 3 for 6)
        || substring(uuid_send(r) from 1 for 6)
        || substring(uuid_send(r) from 11 for 4),
        'hex')::uuid
    from (select gen_random_uuid() as r) as rnd
$$;
comment on function core.new_id() is
    'A new id: a ULID (48-bit ms timestamp + 80 random bits) stored as uuid. Sorts by creation time; parses with python-ulid.';

create function core.id_time(p_id uuid) returns timestamptz
    language sql immutable strict parallel safe
as $$
    select to_timestamp(('x' || substr(replace(p_id::text, '-', ''), 1, 12))::bit(48)::bigint / 1000.0)
$$;
comment on function core.id_time(uuid) is 'The creation moment encoded in a ULID id (millisecond precision).';

-- ---------------------------------------------------------------- tenant context
create function core.current_tenant_id() returns uuid
    language sql stable parallel safe
as $$ select nullif(current_setting('rustok.tenant_id', true), '')::uuid $$;
comment on function core.current_tenant_id() is
    'The tenant of the current transaction (setting rustok.tenant_id), or null. Row-level security keys on it.';

create function core.set_tenant(p_tenant_id uuid) returns uuid
    language sql volatile
as $$ select nullif(set_config('rustok.tenant_id', coalesce(p_tenant_id::text, ''), true), '')::uuid $$;
comment on function core.set_tenant(uuid) is
    'Set the tenant for the rest of the current transaction (transaction-local, like SET LOCAL).';

-- ---------------------------------------------------------------- generic triggers
create function core.tg__timestamps() returns trigger
    language plpgsql volatile
as $$
begin
    if tg_op = 'INSERT' then
        new.created_at := coalesce(new.created_at, now());
        new.updated_at := new.created_at;
    elsif new is distinct from old then
        new.created_at := old.created_at;   -- created_at is write-once
        new.updated_at := greatest(now(), old.updated_at);
    end if;
    return new;
end
$$;
comment on function core.tg__timestamps() is
    'BEFORE INSERT/UPDATE trigger: keeps created_at write-once and sets updated_at when a row really changes.';

-- ---------------------------------------------------------------- tenants
create table core.tenants (
    id          uuid primary key default core.new_id(),
    name        text not null constraint tenants_name_check check (btrim(name) <> '' and length(name) <= 255),
    slug        text not null unique
                constraint tenants_slug_format check (slug ~ '^[a-z0-9]+(-[a-z0-9]+)*$' and length(slug) <= 64),
    settings    jsonb not null default '{}' constraint tenants_settings_object check (jsonb_typeof(settings) = 'object'),
    text_search_config regconfig not null default 'english',
    is_active   boolean not null default true,
    created_at  timestamptz not null default now(),
    updated_at  timestamptz not null default now()
);
comment on table core.tenants is 'A tenant (one shop / site). Everything tenant-owned carries tenant_id.';
comment on column core.tenants.slug is 'URL-safe unique name: lowercase letters, digits and single dashes, at most 64 characters.';
comment on column core.tenants.settings is 'Free-form tenant settings (JSON object), e.g. {"low_stock_threshold": 5}.';
comment on column core.tenants.text_search_config is 'Text search configuration (language) for this tenant''s search vectors.';
create trigger _100_timestamps before insert or update on core.tenants
    for each row execute function core.tg__timestamps();

-- ---------------------------------------------------------------- users
create table core.users (
    tenant_id     uuid not null references core.tenants (id) on delete cascade,
    id            uuid not null default core.new_id(),
    email         text not null
                  constraint users_email_format check (email ~ '^[^@[:space:]]+@[^@[:space:]]+$' and length(email) <= 255),
    password_hash text not null constraint users_password_hash_check check (length(password_hash) between 1 and 255),
    display_name  text constraint users_display_name_check check (length(display_name) <= 255),
    role          text not null default 'customer'
                  constraint users_role_check check (role in ('admin', 'manager', 'editor', 'author', 'customer')),
    status        text not null default 'active'
                  constraint users_status_check check (status in ('active', 'inactive', 'banned')),
    metadata      jsonb not null default '{}' check (jsonb_typeof(metadata) = 'object'),
    last_login_at timestamptz,
    created_at    timestamptz not null default now(),
    updated_at    timestamptz not null default now(),
    primary key (tenant_id, id)
);
create unique index users_tenant_email_key on core.users (tenant_id, lower(email));
comment on table core.users is 'Users of a tenant (staff and customers). Email is unique per tenant, case-insensitively.';
comment on column core.users.password_hash is 'A password hash (never the password). Not granted to analysts.';
comment on column core.users.display_name is 'Name shown as author of content.';
comment on column core.users.role is 'admin | manager | editor | author | customer';
comment on column core.users.status is 'active | inactive | banned';
create trigger _100_timestamps before insert or update on core.users
    for each row execute function core.tg__timestamps();

-- ---------------------------------------------------------------- modules
create table core.modules (
    slug            text primary key check (slug ~ '^[a-z][a-z0-9_]*$'),
    description     text not null,
    default_enabled boolean not null default true
);
comment on table core.modules is 'The catalog of modules a tenant can switch on or off (global reference data).';
insert into core.modules (slug, description, default_enabled) values
    ('content', 'Pages, posts, categories, tags, SEO meta and media', true),
    ('blog', 'Posts with threaded, moderated comments (on top of content)', true),
    ('commerce', 'Products, variants, prices, inventory and orders', true),
    ('community', 'Reactions, follows and reputation', true),
    ('index', 'Denormalized read model and search', true);

create table core.tenant_modules (
    tenant_id   uuid not null references core.tenants (id) on delete cascade,
    module_slug text not null references core.modules (slug) on update cascade on delete cascade,
    enabled     boolean not null default true,
    settings    jsonb not null default '{}' check (jsonb_typeof(settings) = 'object'),
    created_at  timestamptz not null default now(),
    updated_at  timestamptz not null default now(),
    primary key (tenant_id, module_slug)
);
comment on table core.tenant_modules is
    'Per-tenant module toggles. No row means the module''s default (core.modules.default_enabled).';
create trigger _100_timestamps before insert or update on core.tenant_modules
    for each row execute function core.tg__timestamps();

create function core.module_enabled(p_tenant_id uuid, p_module text) returns boolean
    language sql stable parallel safe
    security definer set search_path = pg_catalog, pg_temp
as $$
    select coalesce(
        (select tm.enabled from core.tenant_modules tm where tm.tenant_id = p_tenant_id and tm.module_slug = p_module),
        (select m.default_enabled from core.modules m where m.slug = p_module),
        false)
$$;
comment on function core.module_enabled(uuid, text) is 'Whether a module is enabled for a tenant (toggle row, else the module default).';

create function core.assert_module_enabled(p_tenant_ids uuid[], p_module text) returns void
    language plpgsql stable
    security definer set search_path = pg_catalog, pg_temp
as $$
declare
    v_tenant uuid;
begin
    select t into v_tenant
    from unnest(p_tenant_ids) as t
    where not core.module_enabled(t, p_module)
    limit 1;
    if found then
        raise exception 'module "%" is disabled for tenant %', p_module, v_tenant
            using errcode = 'object_not_in_prerequisite_state',
                  hint = format('enable it: insert into core.tenant_modules (tenant_id, module_slug, enabled) values (%L, %L, true) on conflict (tenant_id, module_slug) do update set enabled = true', v_tenant, p_module);
    end if;
end
$$;
comment on function core.assert_module_enabled(uuid[], text) is
    'Raise SQLSTATE 55000 when the module is disabled for any of the tenants. Used by module write triggers.';

-- ---------------------------------------------------------------- sessions
create table core.sessions (
    tenant_id    uuid not null,
    id           uuid not null default core.new_id(),
    user_id      uuid not null,
    token_hash   text not null unique check (length(token_hash) >= 32),
    user_agent   text,
    ip           inet,
    created_at   timestamptz not null default now(),
    updated_at   timestamptz not null default now(),
    expires_at   timestamptz not null,
    revoked_at   timestamptz,
    primary key (tenant_id, id),
    foreign key (tenant_id, user_id) references core.users (tenant_id, id) on delete cascade,
    check (expires_at > created_at)
);
create index sessions_user_idx on core.sessions (tenant_id, user_id);
comment on table core.sessions is 'Login sessions; the token itself is never stored, only its hash.';
create trigger _100_timestamps before insert or update on core.sessions
    for each row execute function core.tg__timestamps();

create function core.tenant_id_by_slug(p_slug text) returns uuid
    language sql stable
    security definer set search_path = pg_catalog, pg_temp
as $$ select t.id from core.tenants t where t.slug = p_slug and t.is_active $$;
comment on function core.tenant_id_by_slug(text) is
    'Resolve an active tenant slug to its id (callable before a tenant context is set).';

-- ---------------------------------------------------------------- privileges and RLS
grant select on core.modules to rustok_app, rustok_analyst;
grant select, insert, update, delete on core.tenants, core.users, core.tenant_modules, core.sessions to rustok_app;
grant select on core.tenants, core.tenant_modules to rustok_analyst;
grant select (tenant_id, id, email, display_name, role, status, metadata, last_login_at, created_at, updated_at)
    on core.users to rustok_analyst;
grant execute on all functions in schema core to rustok_app, rustok_analyst;

alter table core.tenants enable row level security;
create policy tenant_isolation on core.tenants to rustok_app
    using (id = core.current_tenant_id()) with check (id = core.current_tenant_id());
create policy analyst_read on core.tenants for select to rustok_analyst using (true);

do $rls$
declare
    v_table text;
begin
    foreach v_table in array array['core.users', 'core.tenant_modules', 'core.sessions'] loop
        execute format('alter table %s enable row level security', v_table);
        execute format('create policy tenant_isolation on %s to rustok_app
                            using (tenant_id = core.current_tenant_id())
                            with check (tenant_id = core.current_tenant_id())', v_table);
        execute format('create policy analyst_read on %s for select to rustok_analyst using (true)', v_table);
    end loop;
end
$rls$;
