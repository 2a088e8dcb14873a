-- depends: 0001_core
-- Request authentication: resolve a tenant slug and a session token in one round trip.

create function core.resolve_request(p_tenant_slug text, p_token_hash text)
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
grant execute on function core.resolve_request(text, text) to rustok_app;

create function core.id_floor(p_at timestamptz) returns uuid
    language sql immutable strict parallel safe
as $$
    select encode(substring(int8send(floor(extract(epoch from p_at) * 1000)::bigint) from 3 for 6)
                  || '\x00000000000000000000'::bytea, 'hex')::uuid
$$;
comment on function core.id_floor(timestamptz) is
    'The smallest id (ULID) of a moment: every id made before p_at sorts below it. '
    'Mutations return core.id_floor(clock_timestamp() + 1 ms) as their event position.';

create function core.event_position() returns uuid
    language sql volatile parallel safe
as $$ select core.id_floor(clock_timestamp() + interval '1 millisecond') $$;
comment on function core.event_position() is
    'A position above every event written so far in this transaction (see core.id_floor).';
grant execute on function core.id_floor(timestamptz), core.event_position() to rustok_app, rustok_analyst;
