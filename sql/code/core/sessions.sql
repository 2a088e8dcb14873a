-- core/sessions.sql: login sessions and request resolution (tenant + session in one call).

-- Request authentication: resolve a tenant slug and a session token in one round trip.
create or replace function core.resolve_request(p_tenant_slug text, p_token_hash text)
    returns table (tenant_id uuid, user_id uuid, user_role text)
    language sql stable
    security definer set search_path = pg_catalog, pg_temp
as $$
    select t.id, u.id, u.role
    from core.tenants t
    left join core.sessions s
           on s.tenant_id = t.id and s.token_hash = p_token_hash
          and s.revoked_at is null and s.expires_at > now()
    left join core.users u
           on u.tenant_id = s.tenant_id and u.id = s.user_id and u.status = 'active'
    where t.slug = p_tenant_slug and t.is_active
$$;
comment on function core.resolve_request(text, text) is
    'For the API: the active tenant with this slug and, when the session token hash is valid, its user and role. '
    'No row when the tenant is unknown or inactive.';
-- definer: runs before a tenant is set; returns only the session whose token hash the caller holds
revoke all on function core.resolve_request(text,text) from public, rustok_app, rustok_analyst;
grant execute on function core.resolve_request(text,text) to rustok_app;

-- ---------------------------------------------------------------- core.sessions

comment on table core.sessions is 'Login sessions; the token itself is never stored, only its hash.';
comment on column core.sessions.tenant_id is
    'The owning tenant (core.tenants.id); row-level security policy tenant_isolation keys on it.';
comment on column core.sessions.id is
    'Row id, with tenant_id the primary key: a ULID-layout uuid from core.new_id(), so ids sort by creation time.';
comment on column core.sessions.user_id is 'The user logged in (same tenant).';
comment on column core.sessions.token_hash is
    'Hash of the session token (the token itself is never stored); looked up by core.resolve_request.';
comment on column core.sessions.user_agent is 'User-Agent of the client that logged in (informational).';
comment on column core.sessions.ip is 'Client address at login (informational).';
comment on column core.sessions.created_at is 'When the row was created (write-once; trigger _100_timestamps).';
comment on column core.sessions.updated_at is
    'When the row last really changed (trigger _100_timestamps; an update that changes nothing keeps it).';
comment on column core.sessions.expires_at is 'The session is valid until this moment.';
comment on column core.sessions.revoked_at is 'Set at logout; a revoked session is no longer valid.';

select core.enable_tenant_rls('core.sessions');
select core.allow_analyst_read('core.sessions');
grant select, insert, update, delete on core.sessions to rustok_app;

create or replace trigger _100_timestamps before insert or update on core.sessions
    for each row
    execute function core.tg__timestamps();

create or replace trigger _900_user_logged_in after insert on core.sessions
    referencing new table as new_rows for each statement
    execute function core.tg_sessions__user_logged_in();

-- ---------------------------------------------------------------- upkeep
create or replace function core.purge_sessions(p_grace interval default '7 days') returns bigint
    language plpgsql volatile
as $$
declare
    v_rows bigint;
begin
    if p_grace is null or p_grace < interval '0' then
        raise exception 'p_grace: must be a non-negative interval (got %)', p_grace using errcode = 'invalid_parameter_value';
    end if;
    delete from core.sessions s where s.expires_at < now() - p_grace;
    get diagnostics v_rows = row_count;
    return v_rows;
end
$$;
comment on function core.purge_sessions(interval) is
    'Operator (run by ops.maintain): delete sessions that expired more than p_grace ago (revoked sessions keep their '
    'expires_at and go the same way). Returns how many were deleted.';
revoke all on function core.purge_sessions(interval) from public;
