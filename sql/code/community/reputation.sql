-- community/reputation.sql: reputation earned from reactions.

create or replace function community._add_reputation(p_tenant_ids uuid[], p_user_ids uuid[], p_scores bigint[], p_counts integer[])
    returns void
    language sql volatile
as $$
    insert into community.reputation as r (tenant_id, user_id, score, reactions_received)
    select d.t, d.u, sum(d.s), sum(d.c)
    from unnest(p_tenant_ids, p_user_ids, p_scores, p_counts) as d (t, u, s, c)
    where exists (select from core.users x where x.tenant_id = d.t and x.id = d.u)   -- skip users being deleted
    group by d.t, d.u
    having sum(d.s) <> 0 or sum(d.c) <> 0
    order by d.t, d.u                                                                 -- stable lock order
    on conflict (tenant_id, user_id) do update
        set score = r.score + excluded.score,
            reactions_received = r.reactions_received + excluded.reactions_received,
            updated_at = now()
$$;
comment on function community._add_reputation(uuid[], uuid[], bigint[], integer[]) is
    'Internal (called by the security definer reputation trigger; the app cannot write reputation directly): add score and reaction-count deltas per (tenant, user), upserting; increments stay exact under concurrency.';
revoke all on function community._add_reputation(uuid[],uuid[],bigint[],integer[]) from public;

create or replace function community.tg_reactions__reputation() returns trigger
    language plpgsql volatile
    security definer set search_path = pg_catalog, pg_temp
as $$
declare
    v_t uuid[];
    v_u uuid[];
    v_s bigint[];
    v_c integer[];
begin
    -- deltas for recipients: +weight for new reactions, -weight for old ones; self-reactions ignored
    if tg_op = 'INSERT' then
        select array_agg(r.tenant_id), array_agg(r.recipient_id), array_agg(k.weight::bigint), array_agg(1)
        into v_t, v_u, v_s, v_c
        from new_rows r join community.reaction_kinds k using (kind)
        where r.recipient_id is not null and r.recipient_id <> r.user_id;
    elsif tg_op = 'UPDATE' then
        select array_agg(x.tenant_id), array_agg(x.recipient_id), array_agg(x.s), array_agg(x.c)
        into v_t, v_u, v_s, v_c
        from (select r.tenant_id, r.recipient_id, k.weight::bigint as s, 1 as c
              from new_rows r join community.reaction_kinds k using (kind)
              where r.recipient_id is not null and r.recipient_id <> r.user_id
              union all
              select r.tenant_id, r.recipient_id, -k.weight::bigint, -1
              from old_rows r join community.reaction_kinds k using (kind)
              where r.recipient_id is not null and r.recipient_id <> r.user_id) as x;
    else
        select array_agg(r.tenant_id), array_agg(r.recipient_id), array_agg(-k.weight::bigint), array_agg(-1)
        into v_t, v_u, v_s, v_c
        from old_rows r join community.reaction_kinds k using (kind)
        where r.recipient_id is not null and r.recipient_id <> r.user_id;
    end if;
    if v_t is not null then
        perform community._add_reputation(v_t, v_u, v_s, v_c);
    end if;
    return null;
end
$$;
comment on function community.tg_reactions__reputation() is
    'AFTER statement triggers on community.reactions: adjusts community.reputation of the recipients (node authors) by the reaction weights inserted, changed or deleted. '
    'Security definer so that the app role, which may only read reputation, cannot forge it.';
revoke all on function community.tg_reactions__reputation() from public, rustok_app, rustok_analyst;

-- ---------------------------------------------------------------- operator function
create or replace function community.recompute_reputation(p_tenant_id uuid) returns bigint
    language plpgsql volatile
as $$
declare
    v_fixed bigint;
begin
    if p_tenant_id is null then
        raise exception 'community.recompute_reputation(p_tenant_id): a tenant id is required'
            using errcode = 'invalid_parameter_value';
    end if;
    with truth as (
        select r.recipient_id as user_id, sum(k.weight)::bigint as score, count(*)::int as n
        from community.reactions r join community.reaction_kinds k using (kind)
        where r.tenant_id = p_tenant_id and r.recipient_id is not null and r.recipient_id <> r.user_id
        group by r.recipient_id
    ), fixed as (
        insert into community.reputation as rp (tenant_id, user_id, score, reactions_received)
        select p_tenant_id, t.user_id, t.score, t.n from truth t
        union all
        select rp0.tenant_id, rp0.user_id, 0, 0 from community.reputation rp0
        where rp0.tenant_id = p_tenant_id and not exists (select from truth t where t.user_id = rp0.user_id)
        on conflict (tenant_id, user_id) do update
            set score = excluded.score, reactions_received = excluded.reactions_received, updated_at = now()
            where (rp.score, rp.reactions_received) is distinct from (excluded.score, excluded.reactions_received)
        returning 1
    )
    select count(*) into v_fixed from fixed;
    return v_fixed;
end
$$;
comment on function community.recompute_reputation(uuid) is
    'Operator (migration owner): recompute every reputation row of a tenant from community.reactions; returns how many rows were wrong (0 = the triggers kept them exact). Run after changing a reaction weight.';
revoke all on function community.recompute_reputation(uuid) from public;

-- ---------------------------------------------------------------- community.reputation

comment on table community.reputation is
    'Reputation of a user in a tenant: score = sum of reaction_kinds.weight over reactions received on the user''s nodes '
    '(own reactions do not count). Kept exact by triggers (read-only for the app); check with community.recompute_reputation.';
comment on column community.reputation.reactions_received is 'Number of reactions (from other users) received on the user''s nodes.';
comment on column community.reputation.tenant_id is
    'The owning tenant (core.tenants.id); row-level security policy tenant_isolation keys on it.';
comment on column community.reputation.user_id is 'The user whose reputation this is (same tenant).';
comment on column community.reputation.score is
    'Sum of reaction_kinds.weight over the reactions received from other users (may be negative).';
comment on column community.reputation.updated_at is 'When the score last changed.';

select core.enable_tenant_rls('community.reputation');
grant select on community.reputation to rustok_app;
