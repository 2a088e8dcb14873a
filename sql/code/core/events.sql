-- core/events.sql: core's domain events: UserRegistered, UserLoggedIn.

-- Domain events of the core module (aggregate_type 'user') and the operator's ReindexRequested.
--   UserRegistered  insert into core.users                      payload {user_id, email}
--   UserLoggedIn    insert into core.sessions, or core.users.last_login_at set to a new value
--                   (one event per user and transaction)       payload {user_id}
--   ReindexRequested ops.request_reindex(tenant, type, ids)    payload {target_type, target_id}
create or replace function core.tg_users__user_registered() returns trigger
    language plpgsql volatile
as $$
begin
    insert into outbox.events (tenant_id, event_type, aggregate_type, aggregate_id, payload)
    select n.tenant_id, 'UserRegistered', 'user', n.id, jsonb_build_object('user_id', n.id, 'email', n.email)
    from new_rows n;
    return null;
end
$$;
comment on function core.tg_users__user_registered() is
    'AFTER INSERT statement trigger on core.users: one UserRegistered event per new user (payload user_id, email).';

create or replace function core._emit_user_logged_in(p_tenant_ids uuid[], p_user_ids uuid[]) returns void
    language sql volatile
as $$
    -- One event per user and transaction: a login that inserts a session and sets last_login_at emits once.
    -- now() is the transaction start, which is also the occurred_at of this transaction's events.
    insert into outbox.events (tenant_id, event_type, aggregate_type, aggregate_id, payload)
    select u.tenant_id, 'UserLoggedIn', 'user', u.user_id, jsonb_build_object('user_id', u.user_id)
    from (select distinct t, uid from unnest(p_tenant_ids, p_user_ids) as x(t, uid)) as u(tenant_id, user_id)
    where not exists (
        select 1 from outbox.events e
        where e.aggregate_id = u.user_id and e.occurred_at = now()
          and e.event_type = 'UserLoggedIn' and e.tenant_id = u.tenant_id)
$$;
comment on function core._emit_user_logged_in(uuid[], uuid[]) is
    'Insert UserLoggedIn events for the given (tenant, user) pairs, at most one per user per transaction.';

create or replace function core.tg_sessions__user_logged_in() returns trigger
    language plpgsql volatile
as $$
declare
    v_tenants uuid[];
    v_users   uuid[];
begin
    select array_agg(n.tenant_id), array_agg(n.user_id) into v_tenants, v_users from new_rows n;
    if v_users is not null then
        perform core._emit_user_logged_in(v_tenants, v_users);
    end if;
    return null;
end
$$;
comment on function core.tg_sessions__user_logged_in() is
    'AFTER INSERT statement trigger on core.sessions: a UserLoggedIn event per user who got a session.';

create or replace function core.tg_users__user_logged_in() returns trigger
    language plpgsql volatile
as $$
declare
    v_tenants uuid[];
    v_users   uuid[];
begin
    select array_agg(n.tenant_id), array_agg(n.id) into v_tenants, v_users
    from new_rows n join old_rows o on o.tenant_id = n.tenant_id and o.id = n.id
    where n.last_login_at is not null and n.last_login_at is distinct from o.last_login_at;
    if v_users is not null then
        perform core._emit_user_logged_in(v_tenants, v_users);
    end if;
    return null;
end
$$;
comment on function core.tg_users__user_logged_in() is
    'AFTER UPDATE statement trigger on core.users: a UserLoggedIn event per user whose last_login_at got a new value.';
