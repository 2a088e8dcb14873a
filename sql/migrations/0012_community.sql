-- depends: 0010_content
-- Community module (the manifest's planned module): reactions on nodes, follows, and reputation
-- per user kept by triggers from the reactions a user's nodes receive. Module toggle: community.

create schema community;
comment on schema community is 'RusToK community module: reactions on content nodes, follows and per-user reputation.';
grant usage on schema community to rustok_app;

create table community.reaction_kinds (
    kind        text primary key constraint reaction_kinds_kind_check check (kind ~ '^[a-z][a-z_]{0,31}$'),
    weight      integer not null constraint reaction_kinds_weight_check check (weight between -100 and 100),
    description text not null
);
comment on table community.reaction_kinds is
    'The reaction kinds (global reference data) and the reputation each one gives the node''s author. '
    'After changing a weight, run community.recompute_reputation(tenant) for every tenant.';
insert into community.reaction_kinds (kind, weight, description) values
    ('like', 1, 'A plain like'),
    ('love', 2, 'Strong appreciation'),
    ('insightful', 2, 'Teaches something'),
    ('funny', 1, 'Made the reader laugh'),
    ('downvote', -1, 'Disagreement or low quality');

create table community.reactions (
    tenant_id    uuid not null,
    node_id      uuid not null,
    user_id      uuid not null,
    kind         text not null,
    recipient_id uuid,
    created_at   timestamptz not null default now(),
    primary key (tenant_id, node_id, user_id, kind),
    constraint reactions_node_fkey foreign key (tenant_id, node_id) references content.nodes (tenant_id, id) on delete cascade,
    constraint reactions_user_fkey foreign key (tenant_id, user_id) references core.users (tenant_id, id) on delete cascade,
    constraint reactions_recipient_fkey foreign key (tenant_id, recipient_id)
        references core.users (tenant_id, id) on delete set null (recipient_id),
    constraint reactions_kind_fkey foreign key (kind) references community.reaction_kinds (kind) on update cascade on delete restrict
);
create index reactions_user_idx on community.reactions (tenant_id, user_id);
create index reactions_recipient_idx on community.reactions (tenant_id, recipient_id) where recipient_id is not null;
comment on table community.reactions is
    'A user''s reaction to a node: at most one per user, node and kind. Feeds community.reputation of the node''s author. Module: community.';
comment on column community.reactions.kind is 'community.reaction_kinds.kind (like, love, insightful, funny, downvote).';
comment on column community.reactions.recipient_id is
    'Computed: the node''s author, who receives the reputation (follows author changes; null when the node has no author). Read-only.';

create table community.follows (
    tenant_id        uuid not null,
    id               uuid not null default core.new_id(),
    follower_id      uuid not null,
    followed_user_id uuid,
    node_id          uuid,
    category_id      uuid,
    target_type      text not null generated always as (
                         case when followed_user_id is not null then 'user'
                              when node_id is not null then 'node'
                              else 'category' end) stored,
    target_id        uuid not null generated always as (coalesce(followed_user_id, node_id, category_id)) stored,
    created_at       timestamptz not null default now(),
    primary key (tenant_id, id),
    constraint follows_one_target check (num_nonnulls(followed_user_id, node_id, category_id) = 1),
    constraint follows_not_self check (followed_user_id <> follower_id),
    constraint follows_key unique (tenant_id, follower_id, target_type, target_id),
    constraint follows_follower_fkey foreign key (tenant_id, follower_id) references core.users (tenant_id, id) on delete cascade,
    constraint follows_followed_user_fkey foreign key (tenant_id, followed_user_id) references core.users (tenant_id, id) on delete cascade,
    constraint follows_node_fkey foreign key (tenant_id, node_id) references content.nodes (tenant_id, id) on delete cascade,
    constraint follows_category_fkey foreign key (tenant_id, category_id) references content.categories (tenant_id, id) on delete cascade
);
create index follows_target_idx on community.follows (tenant_id, target_type, target_id);
create index follows_followed_user_idx on community.follows (tenant_id, followed_user_id) where followed_user_id is not null;
create index follows_node_idx on community.follows (tenant_id, node_id) where node_id is not null;
create index follows_category_idx on community.follows (tenant_id, category_id) where category_id is not null;
comment on table community.follows is
    'A user follows exactly one of: a user, a node or a category (real foreign keys, removed with the target). Module: community.';
comment on column community.follows.target_type is 'Computed: user | node | category.';
comment on column community.follows.target_id is 'Computed: the followed user, node or category id.';

create table community.reputation (
    tenant_id          uuid not null,
    user_id            uuid not null,
    score              bigint not null default 0,
    reactions_received integer not null default 0,
    updated_at         timestamptz not null default now(),
    primary key (tenant_id, user_id),
    constraint reputation_user_fkey foreign key (tenant_id, user_id) references core.users (tenant_id, id) on delete cascade
);
create index reputation_score_idx on community.reputation (tenant_id, score desc);
comment on table community.reputation is
    'Reputation of a user in a tenant: score = sum of reaction_kinds.weight over reactions received on the user''s nodes '
    '(own reactions do not count). Kept exact by triggers (read-only for the app); check with community.recompute_reputation.';
comment on column community.reputation.reactions_received is 'Number of reactions (from other users) received on the user''s nodes.';

-- ---------------------------------------------------------------- triggers

create function community.tg_reactions__before_write() returns trigger
    language plpgsql volatile
as $$
begin
    if tg_op = 'INSERT' or (new.tenant_id, new.node_id) is distinct from (old.tenant_id, old.node_id) then
        select n.author_id into new.recipient_id
        from content.nodes n where n.tenant_id = new.tenant_id and n.id = new.node_id;
        if not found then
            raise exception 'community.reactions.node_id: node % not found in tenant %', new.node_id, new.tenant_id
                using errcode = 'foreign_key_violation', column = 'node_id';
        end if;
    elsif new.recipient_id is distinct from old.recipient_id and pg_trigger_depth() < 2 then
        raise exception 'community.reactions.recipient_id: computed from the node''s author; it cannot be set'
            using errcode = 'check_violation', column = 'recipient_id';
    end if;
    return new;
end
$$;
comment on function community.tg_reactions__before_write() is
    'BEFORE INSERT/UPDATE on community.reactions: checks the node (same tenant) and sets recipient_id to its author.';
create trigger _200_before_write before insert or update on community.reactions
    for each row execute function community.tg_reactions__before_write();

create function community._add_reputation(p_tenant_ids uuid[], p_user_ids uuid[], p_scores bigint[], p_counts integer[])
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
revoke execute on function community._add_reputation(uuid[], uuid[], bigint[], integer[]) from public;

create function community.tg_reactions__reputation() returns trigger
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
create trigger _500_reputation_ins after insert on community.reactions
    referencing new table as new_rows for each statement execute function community.tg_reactions__reputation();
create trigger _500_reputation_upd after update on community.reactions
    referencing old table as old_rows new table as new_rows for each statement execute function community.tg_reactions__reputation();
create trigger _500_reputation_del after delete on community.reactions
    referencing old table as old_rows for each statement execute function community.tg_reactions__reputation();

create function community.tg_nodes__recipients() returns trigger
    language plpgsql volatile
as $$
begin
    -- a node's author changed: the reputation its reactions gave moves to the new author
    update community.reactions r set recipient_id = n.author_id
    from new_rows n join old_rows o using (tenant_id, id)
    where n.author_id is distinct from o.author_id
      and r.tenant_id = n.tenant_id and r.node_id = n.id
      and r.recipient_id is distinct from n.author_id;
    return null;
end
$$;
comment on function community.tg_nodes__recipients() is
    'AFTER UPDATE statement trigger on content.nodes (owned by the community module): when author_id changes, the node''s reactions follow the new author (reputation moves with them).';
create trigger _800_community_recipients after update on content.nodes
    referencing old table as old_rows new table as new_rows for each statement execute function community.tg_nodes__recipients();

create function community.tg__assert_module() returns trigger
    language plpgsql volatile
as $$
begin
    if pg_trigger_depth() > 1 then
        return null;
    end if;
    perform content._assert_module(tg_argv[0], array(select distinct r.tenant_id from new_rows r), 'community');
    return null;
end
$$;
comment on function community.tg__assert_module() is
    'AFTER INSERT/UPDATE statement trigger (argument: table name): refuses (55000) writes for tenants with module community disabled.';
create trigger _300_assert_module_ins after insert on community.reactions
    referencing new table as new_rows for each statement execute function community.tg__assert_module('community.reactions');
create trigger _300_assert_module_upd after update on community.reactions
    referencing new table as new_rows for each statement execute function community.tg__assert_module('community.reactions');
create trigger _300_assert_module_ins after insert on community.follows
    referencing new table as new_rows for each statement execute function community.tg__assert_module('community.follows');
create trigger _300_assert_module_upd after update on community.follows
    referencing new table as new_rows for each statement execute function community.tg__assert_module('community.follows');

-- ---------------------------------------------------------------- operator function

create function community.recompute_reputation(p_tenant_id uuid) returns bigint
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

-- ---------------------------------------------------------------- privileges and RLS

grant select on community.reaction_kinds to rustok_app;
grant select, insert, update, delete on community.reactions, community.follows to rustok_app;
grant select on community.reputation to rustok_app;
revoke execute on function community.recompute_reputation(uuid) from public;

do $rls$
declare
    v_table text;
begin
    foreach v_table in array array['community.reactions', 'community.follows', 'community.reputation'] loop
        execute format('alter table %s enable row level security', v_table);
        execute format('create policy tenant_isolation on %s to rustok_app
                            using (tenant_id = core.current_tenant_id())
                            with check (tenant_id = core.current_tenant_id())', v_table);
    end loop;
end
$rls$;
