-- community/reactions.sql: reactions to nodes and their kinds.

-- ---------------------------------------------------------------- triggers
create or replace function community.tg_reactions__before_write() returns trigger
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

create or replace function community.tg_nodes__recipients() returns trigger
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

-- ---------------------------------------------------------------- triggers

create or replace trigger _800_community_recipients after update on content.nodes
    referencing old table as old_rows new table as new_rows for each statement
    execute function community.tg_nodes__recipients();

-- ---------------------------------------------------------------- community.reaction_kinds

comment on table community.reaction_kinds is
    'The reaction kinds (global reference data) and the reputation each one gives the node''s author. '
    'After changing a weight, run community.recompute_reputation(tenant) for every tenant.';
comment on column community.reaction_kinds.kind is
    'Name of the reaction, e.g. like (lowercase letters and underscores).';
comment on column community.reaction_kinds.weight is
    'Reputation the node''s author gains (or loses, when negative) per reaction of this kind, -100..100.';
comment on column community.reaction_kinds.description is 'What the reaction means, for people choosing one.';

grant select on community.reaction_kinds to rustok_app;

-- ---------------------------------------------------------------- community.reactions

comment on table community.reactions is
    'A user''s reaction to a node: at most one per user, node and kind. Feeds community.reputation of the node''s author. Module: community.';
comment on column community.reactions.kind is 'community.reaction_kinds.kind (like, love, insightful, funny, downvote).';
comment on column community.reactions.recipient_id is
    'Computed: the node''s author, who receives the reputation (follows author changes; null when the node has no author). Read-only.';
comment on column community.reactions.tenant_id is
    'The owning tenant (core.tenants.id); row-level security policy tenant_isolation keys on it.';
comment on column community.reactions.node_id is 'The node reacted to (same tenant).';
comment on column community.reactions.user_id is 'The user who reacted (same tenant).';
comment on column community.reactions.created_at is 'When the reaction was given.';

select core.enable_tenant_rls('community.reactions');
grant select, insert, update, delete on community.reactions to rustok_app;

create or replace trigger _200_before_write before insert or update on community.reactions
    for each row
    execute function community.tg_reactions__before_write();

create or replace trigger _300_assert_module_ins after insert on community.reactions
    referencing new table as new_rows for each statement
    execute function community.tg__assert_module('community.reactions');

create or replace trigger _300_assert_module_upd after update on community.reactions
    referencing new table as new_rows for each statement
    execute function community.tg__assert_module('community.reactions');

create or replace trigger _500_reputation_del after delete on community.reactions
    referencing old table as old_rows for each statement
    execute function community.tg_reactions__reputation();

create or replace trigger _500_reputation_ins after insert on community.reactions
    referencing new table as new_rows for each statement
    execute function community.tg_reactions__reputation();

create or replace trigger _500_reputation_upd after update on community.reactions
    referencing old table as old_rows new table as new_rows for each statement
    execute function community.tg_reactions__reputation();
