-- core/login.sql: login throttling. Failed logins are counted per account (tenant + lowercased email, whether
-- or not such a user exists) and per client address (over all tenants); enough failures block further
-- attempts for a wait that doubles with every failure. Kept in the database, so every API process shares it.
--
-- The login mutation, in one transaction of the tenant:
--   core.login_throttle_check(email, address)  -> seconds to wait; > 0: refuse (RATE_LIMITED), no password check
--   ... check the password (application) ...
--   core.login_failed(email, address, policy)  or  core.login_succeeded(email)
--
-- Why security definer (search_path pinned to pg_catalog, pg_temp; every name schema-qualified): the address
-- counter spans tenants (one client trying passwords on many shops is one attacker), so it cannot live under
-- the tenant's row-level security; and the application role gets no privilege on core.login_attempts at all,
-- only these functions, so the API can neither read which emails were tried nor clear a block except by a
-- successful login. The account functions act on core.current_tenant_id() only.

-- ---------------------------------------------------------------- core.login_attempts

comment on table core.login_attempts is
    'Login throttling: failed logins per account (tenant_id + lowercased email, known or not; client addresses are '
    'counted in core.login_address_attempts). Written by core.login_failed, cleared by core.login_succeeded, read '
    'by core.login_throttle_check; ops.maintain purges expired rows. Operators: delete a row to lift its block.';
comment on column core.login_attempts.tenant_id is 'The tenant of the account.';
comment on column core.login_attempts.scope is 'account (client addresses are counted in core.login_address_attempts).';
comment on column core.login_attempts.first_failed_at is 'The first failure counted in failures.';
comment on column core.login_attempts.last_failed_at is 'The latest failure; the quiet window for expires_at runs from it.';
comment on column core.login_attempts.subject is
    'The email as typed at login, trimmed and lowercased (at most 255 characters).';
comment on column core.login_attempts.failures is
    'Failed logins since first_failed_at (the count restarts after expires_at).';
comment on column core.login_attempts.blocked_until is
    'Logins for this account are refused (RATE_LIMITED) until then; null: not blocked.';
comment on column core.login_attempts.expires_at is
    'After this moment the row counts for nothing (a quiet window after the last failure and any block); '
    'core.purge_login_attempts deletes it later.';

-- No privilege for rustok_app or rustok_analyst (emails and addresses); the policy is defence in depth.
select core.enable_tenant_rls('core.login_attempts');
revoke all on core.login_attempts from rustok_app, rustok_analyst;

-- ---------------------------------------------------------------- core.login_address_attempts

comment on table core.login_address_attempts is
    'Login throttling per client address, over all tenants (one client trying passwords on many shops is one '
    'attacker): failed logins, written by core.login_failed, read by core.login_throttle_check; never cleared by a '
    'successful login (else signing in to one''s own account would reset it between guesses at others); '
    'ops.maintain purges expired rows. A platform table without a tenant (stays on the coordinator when the tenant '
    'tables are distributed). Operators: delete a row to lift its block.';
comment on column core.login_address_attempts.address is
    'The client address as the API saw it (behind a proxy: only with trusted forwarded headers, see docs/operators.md).';
comment on column core.login_address_attempts.failures is
    'Failed logins from this address since first_failed_at (the count restarts after expires_at).';
comment on column core.login_address_attempts.first_failed_at is 'The first failure counted in failures.';
comment on column core.login_address_attempts.last_failed_at is 'The latest failure; the quiet window for expires_at runs from it.';
comment on column core.login_address_attempts.blocked_until is
    'Logins from this address are refused (RATE_LIMITED) until then, in every tenant; null: not blocked.';
comment on column core.login_address_attempts.expires_at is
    'After this moment the row counts for nothing; core.purge_login_attempts deletes it later.';

-- No privilege for rustok_app or rustok_analyst (addresses); only the definer functions below.
revoke all on core.login_address_attempts from public, rustok_app, rustok_analyst;

-- ---------------------------------------------------------------- counting

create or replace function core._login_next_failure(
    p_failures integer, p_first_failed_at timestamptz, p_expires_at timestamptz, p_now timestamptz,
    p_limit integer, p_window interval, p_first_wait interval, p_max_wait interval)
    returns table (failures integer, first_failed_at timestamptz, last_failed_at timestamptz,
                   blocked_until timestamptz, expires_at timestamptz)
    language sql immutable parallel safe
as $$
    with counted as (
        select case when p_expires_at > p_now then p_failures + 1 else 1 end as n,
               case when p_expires_at > p_now then p_first_failed_at else p_now end as since
    ), waited as (
        select c.n, c.since,
               case when c.n >= p_limit
                    then least(p_first_wait * power(2, least(c.n - p_limit, 30)), p_max_wait) end as wait
        from counted c
    )
    select w.n, w.since, p_now, p_now + w.wait, p_now + coalesce(w.wait, interval '0') + p_window
    from waited w
$$;
comment on function core._login_next_failure(integer, timestamptz, timestamptz, timestamptz, integer, interval, interval, interval) is
    'Internal: a counter''s state after one more failure at p_now. A counter past its expires_at (or none: nulls) '
    'starts again at 1. From p_limit failures on, it blocks for p_first_wait, doubled by every further failure, '
    'at most p_max_wait; it expires p_window after the block ends (or after the failure, when not blocked).';
revoke all on function core._login_next_failure(integer, timestamptz, timestamptz, timestamptz, integer, interval, interval, interval) from public;

create or replace function core._login_count_failure(
    p_tenant_id uuid, p_scope text, p_subject text, p_now timestamptz,
    p_limit integer, p_window interval, p_first_wait interval, p_max_wait interval)
    returns timestamptz
    language sql volatile
as $$
    insert into core.login_attempts as a
        (tenant_id, scope, subject, failures, first_failed_at, last_failed_at, blocked_until, expires_at)
    select p_tenant_id, p_scope, p_subject, n.*
    from core._login_next_failure(0, null, null, p_now, p_limit, p_window, p_first_wait, p_max_wait) n
    on conflict (tenant_id, scope, subject) do update
    set (failures, first_failed_at, last_failed_at, blocked_until, expires_at) =
        (select n.* from core._login_next_failure(a.failures, a.first_failed_at, a.expires_at, p_now,
                                                  p_limit, p_window, p_first_wait, p_max_wait) n)
    returning a.blocked_until
$$;
comment on function core._login_count_failure(uuid, text, text, timestamptz, integer, interval, interval, interval) is
    'Internal (core.login_failed): count one failure for an account (scope account), creating its row when needed. '
    'Returns its blocked_until (null: not blocked).';
revoke all on function core._login_count_failure(uuid, text, text, timestamptz, integer, interval, interval, interval) from public;

create or replace function core._login_count_address_failure(
    p_address text, p_now timestamptz, p_limit integer, p_window interval, p_first_wait interval, p_max_wait interval)
    returns timestamptz
    language sql volatile
as $$
    insert into core.login_address_attempts as a
        (address, failures, first_failed_at, last_failed_at, blocked_until, expires_at)
    select p_address, n.*
    from core._login_next_failure(0, null, null, p_now, p_limit, p_window, p_first_wait, p_max_wait) n
    on conflict (address) do update
    set (failures, first_failed_at, last_failed_at, blocked_until, expires_at) =
        (select n.* from core._login_next_failure(a.failures, a.first_failed_at, a.expires_at, p_now,
                                                  p_limit, p_window, p_first_wait, p_max_wait) n)
    returning a.blocked_until
$$;
comment on function core._login_count_address_failure(text, timestamptz, integer, interval, interval, interval) is
    'Internal (core.login_failed): count one failure for a client address (over all tenants), creating its row '
    'when needed. Returns its blocked_until (null: not blocked).';
revoke all on function core._login_count_address_failure(text, timestamptz, integer, interval, interval, interval) from public;

create or replace function core._login_account_key(p_email text) returns text
    language sql immutable parallel safe
as $$ select left(lower(btrim(coalesce(p_email, ''))), 255) $$;
comment on function core._login_account_key(text) is
    'Internal: the subject of an account''s counter: the email trimmed and lowercased (at most 255 characters, '
    'like core.users.email), so ''Ann@Example.com '' and ''ann@example.com'' share one counter.';
revoke all on function core._login_account_key(text) from public;

-- ---------------------------------------------------------------- the API's three calls

create or replace function core.login_throttle_check(p_email text, p_address text) returns integer
    language plpgsql volatile
    security definer set search_path = pg_catalog, pg_temp
as $$
declare
    v_tenant uuid := core.current_tenant_id();
    v_email  text := core._login_account_key(p_email);
    v_until  timestamptz;
begin
    if v_tenant is null then
        raise exception 'core.login_throttle_check: no tenant in this transaction (select core.set_tenant(...))'
            using errcode = 'invalid_parameter_value';
    end if;
    -- One login at a time per account, over every API process: concurrent guesses wait here until this
    -- transaction ends (with its failure counted), instead of all passing the check at once.
    perform pg_advisory_xact_lock(hashtextextended('core.login_attempts/' || v_tenant::text || '/' || v_email, 0));
    -- a new snapshot, taken after the lock: the failure counted by the transaction we waited for is seen
    select max(x.blocked_until) into v_until
    from (select a.blocked_until from core.login_attempts a
          where a.tenant_id = v_tenant and a.scope = 'account' and a.subject = v_email
          union all
          select b.blocked_until from core.login_address_attempts b where b.address = left(p_address, 255)) x
    where x.blocked_until > clock_timestamp();
    return coalesce(ceil(extract(epoch from v_until - clock_timestamp()))::integer, 0);
end
$$;
comment on function core.login_throttle_check(text, text) is
    'Login, first step (in the login''s transaction, before the password is checked): the seconds to wait before '
    'this email (current tenant) or this client address (any tenant; null: not counted) may try again; 0: go on. '
    'Takes the account''s lock until the transaction ends, so one account''s logins run one at a time. '
    'Says nothing about whether a user with this email exists. (GraphQL login.)';
revoke execute on function core.login_throttle_check(text, text) from public;
grant execute on function core.login_throttle_check(text, text) to rustok_app;

create or replace function core.login_failed(
    p_email text, p_address text,
    p_account_limit integer default 5, p_address_limit integer default 20,
    p_window interval default '15 minutes', p_first_wait interval default '1 second',
    p_max_wait interval default '15 minutes')
    returns integer
    language plpgsql volatile
    security definer set search_path = pg_catalog, pg_temp
as $$
declare
    v_tenant  uuid := core.current_tenant_id();
    v_now     timestamptz := clock_timestamp();
    v_account timestamptz;
    v_address timestamptz;
begin
    if v_tenant is null then
        raise exception 'core.login_failed: no tenant in this transaction (select core.set_tenant(...))'
            using errcode = 'invalid_parameter_value';
    end if;
    if p_account_limit is null or p_account_limit < 1 or p_address_limit is null or p_address_limit < 1 then
        raise exception 'core.login_failed: the limits must be at least 1 (got % and %)', p_account_limit, p_address_limit
            using errcode = 'invalid_parameter_value';
    end if;
    if not (p_window > interval '0' and p_first_wait > interval '0' and p_max_wait >= p_first_wait) then
        raise exception 'core.login_failed: need p_window > 0 and 0 < p_first_wait <= p_max_wait (got %, %, %)',
            p_window, p_first_wait, p_max_wait using errcode = 'invalid_parameter_value';
    end if;
    v_account := core._login_count_failure(v_tenant, 'account', core._login_account_key(p_email), v_now,
                                           p_account_limit, p_window, p_first_wait, p_max_wait);
    if p_address is not null then
        v_address := core._login_count_address_failure(left(p_address, 255), v_now,
                                                       p_address_limit, p_window, p_first_wait, p_max_wait);
    end if;
    return coalesce(ceil(extract(epoch from greatest(v_account, v_address) - v_now))::integer, 0);
end
$$;
comment on function core.login_failed(text, text, integer, integer, interval, interval, interval) is
    'Login, a wrong password (or no such account, or an inactive one: counted alike): count a failure for this '
    'email in the current tenant and for this client address (null: not counted). From p_account_limit failures '
    'of the account, or p_address_limit of the address, logins are blocked for p_first_wait, doubled by every '
    'further failure up to p_max_wait; the count restarts p_window after the last failure or block. Returns the '
    'seconds the next attempt must wait (0: none). (GraphQL login; the policy comes from the API''s settings.)';
revoke execute on function core.login_failed(text, text, integer, integer, interval, interval, interval) from public;
grant execute on function core.login_failed(text, text, integer, integer, interval, interval, interval) to rustok_app;

create or replace function core.login_succeeded(p_email text) returns boolean
    language plpgsql volatile
    security definer set search_path = pg_catalog, pg_temp
as $$
declare
    v_tenant uuid := core.current_tenant_id();
begin
    if v_tenant is null then
        raise exception 'core.login_succeeded: no tenant in this transaction (select core.set_tenant(...))'
            using errcode = 'invalid_parameter_value';
    end if;
    delete from core.login_attempts a
    where a.tenant_id = v_tenant and a.scope = 'account' and a.subject = core._login_account_key(p_email);
    return found;
end
$$;
comment on function core.login_succeeded(text) is
    'Login, right password: forget the failures of this email in the current tenant. The client address''s '
    'count stays (else signing in to one''s own account would reset it between guesses at others). True when a '
    'count was cleared. (GraphQL login.)';
revoke execute on function core.login_succeeded(text) from public;
grant execute on function core.login_succeeded(text) to rustok_app;

-- ---------------------------------------------------------------- upkeep

create or replace function core.purge_login_attempts(p_grace interval default '1 day') returns bigint
    language plpgsql volatile
as $$
declare
    v_rows bigint;
    v_more bigint;
begin
    if p_grace is null or p_grace < interval '0' then
        raise exception 'p_grace: must be a non-negative interval (got %)', p_grace using errcode = 'invalid_parameter_value';
    end if;
    delete from core.login_attempts a where a.expires_at < now() - p_grace;
    get diagnostics v_rows = row_count;
    delete from core.login_address_attempts b where b.expires_at < now() - p_grace;
    get diagnostics v_more = row_count;
    return v_rows + v_more;
end
$$;
comment on function core.purge_login_attempts(interval) is
    'Operator (run by ops.maintain): delete login throttling rows that expired more than p_grace ago (they count '
    'for nothing since expires_at; the grace keeps a day of history to look at). Returns how many were deleted.';
revoke all on function core.purge_login_attempts(interval) from public;
