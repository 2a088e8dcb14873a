-- content/nodes.sql: nodes: pages, posts and comments in one table (tree, depth, status).

create or replace function content.tg_nodes__before_write() returns trigger
    language plpgsql volatile
as $$
declare
    v_parent     record;
    v_max        integer;
    v_transition text;
begin
    if tg_op = 'UPDATE' then
        if new.tenant_id <> old.tenant_id or new.id <> old.id then
            raise exception 'content.nodes.tenant_id: a node cannot change its tenant or id'
                using errcode = 'check_violation', column = 'tenant_id';
        end if;
        if new.kind <> old.kind then
            raise exception 'content.nodes.kind: cannot change from % to % (create a new node instead)', old.kind, new.kind
                using errcode = 'check_violation', column = 'kind';
        end if;
        if new.reply_count <> old.reply_count and not content._internal() then
            raise exception 'content.nodes.reply_count: maintained by triggers (approved direct replies); it cannot be set'
                using errcode = 'check_violation', column = 'reply_count';
        end if;
        if new.depth <> old.depth and new.parent_id is not distinct from old.parent_id and not content._internal() then
            raise exception 'content.nodes.depth: computed from parent_id; it cannot be set'
                using errcode = 'check_violation', column = 'depth';
        end if;
        if new.kind = 'comment' and new.parent_id is distinct from old.parent_id then
            raise exception 'content.nodes.parent_id: a comment cannot be moved to another parent'
                using errcode = 'check_violation', column = 'parent_id';
        end if;
        if content._internal() then
            new.updated_at := old.updated_at;   -- counter/depth upkeep is not an edit
        end if;
    else
        new.reply_count := 0;
        new.status := coalesce(new.status, case new.kind when 'comment' then 'pending' else 'draft' end);
    end if;

    -- ---------------------------------------------------------- parent and depth
    if tg_op = 'INSERT' or new.parent_id is distinct from old.parent_id then
        if new.parent_id is null then
            if new.kind = 'comment' then
                raise exception 'content.nodes.parent_id: a comment needs a parent (a post or a comment)'
                    using errcode = 'check_violation', column = 'parent_id';
            end if;
            new.depth := 0;
        else
            select p.kind, p.depth, p.status into v_parent
            from content.nodes p where p.tenant_id = new.tenant_id and p.id = new.parent_id;
            if not found then
                raise exception 'content.nodes.parent_id: node % not found in tenant %', new.parent_id, new.tenant_id
                    using errcode = 'foreign_key_violation', column = 'parent_id';
            end if;
            if new.kind = 'post' then
                raise exception 'content.nodes.parent_id: a post cannot have a parent'
                    using errcode = 'check_violation', column = 'parent_id';
            elsif new.kind = 'page' and v_parent.kind <> 'page' then
                raise exception 'content.nodes.parent_id: the parent of a page must be a page, not a %', v_parent.kind
                    using errcode = 'check_violation', column = 'parent_id';
            elsif new.kind = 'comment' then
                if v_parent.kind not in ('post', 'comment') then
                    raise exception 'content.nodes.parent_id: a comment belongs to a post or a comment, not a %', v_parent.kind
                        using errcode = 'check_violation', column = 'parent_id';
                end if;
                if v_parent.status not in ('published', 'approved') then
                    raise exception 'content.nodes.parent_id: cannot comment on a % that is % (it must be published/approved)', v_parent.kind, v_parent.status
                        using errcode = 'object_not_in_prerequisite_state', column = 'parent_id';
                end if;
            end if;
            new.depth := v_parent.depth + 1;
            if new.kind = 'comment' then
                v_max := content.max_comment_depth(new.tenant_id);
                if new.depth > v_max then
                    raise exception 'content.nodes.depth: a reply here would be at depth %, the maximum is % (blog setting max_comment_depth)', new.depth, v_max
                        using errcode = 'check_violation', column = 'depth';
                end if;
            end if;
            if tg_op = 'UPDATE' and exists (
                with recursive up as (
                    select p.id, p.parent_id from content.nodes p where p.tenant_id = new.tenant_id and p.id = new.parent_id
                    union
                    select p.id, p.parent_id from content.nodes p join up on p.tenant_id = new.tenant_id and p.id = up.parent_id
                )
                select from up where up.id = new.id) then
                raise exception 'content.nodes.parent_id: moving node % under % would create a cycle', new.id, new.parent_id
                    using errcode = 'check_violation', column = 'parent_id';
            end if;
        end if;
    end if;

    -- ---------------------------------------------------------- slug
    if new.kind = 'comment' then
        if new.slug is not null then
            raise exception 'content.nodes.slug: comments have no slug'
                using errcode = 'check_violation', column = 'slug';
        end if;
    elsif tg_op = 'INSERT' or new.slug is distinct from old.slug then
        new.slug := content._slug('content.nodes', new.kind, new.tenant_id, new.id, new.slug, new.title, 'title', new.kind);
    end if;

    -- ---------------------------------------------------------- status lifecycle and published_at
    if new.status not in (case when new.kind = 'comment' then 'pending' else 'draft' end,
                          case when new.kind = 'comment' then 'approved' else 'scheduled' end,
                          case when new.kind = 'comment' then 'spam' else 'published' end,
                          case when new.kind = 'comment' then 'spam' else 'archived' end) then
        raise exception 'content.nodes.status: "%" is not a status of a % (%)', new.status, new.kind,
            case when new.kind = 'comment' then 'pending, approved, spam' else 'draft, scheduled, published, archived' end
            using errcode = 'check_violation', column = 'status';
    end if;
    if new.kind = 'comment' then
        if new.status = 'approved' then
            new.published_at := coalesce(new.published_at, now());
        end if;
    elsif tg_op = 'INSERT' then
        if new.status = 'draft' and new.published_at is not null then
            raise exception 'content.nodes.published_at: a draft has no published_at (use status scheduled for a future date)'
                using errcode = 'check_violation', column = 'published_at';
        elsif new.status = 'published' then
            new.published_at := coalesce(new.published_at, now());
            if new.published_at > now() then
                raise exception 'content.nodes.published_at: % is in the future; use status scheduled', new.published_at
                    using errcode = 'check_violation', column = 'published_at';
            end if;
        elsif new.status = 'scheduled' and (new.published_at is null or new.published_at <= now()) then
            raise exception 'content.nodes.published_at: scheduling needs a future published_at'
                using errcode = 'check_violation', column = 'published_at';
        end if;
    elsif new.status <> old.status then
        v_transition := old.status || '>' || new.status;
        if v_transition not in ('draft>scheduled', 'draft>published', 'draft>archived',
                                'scheduled>draft', 'scheduled>published', 'scheduled>archived',
                                'published>archived', 'archived>draft') then
            raise exception 'content.nodes.status: cannot go from % to % (allowed: draft -> scheduled|published|archived, scheduled -> draft|published|archived, published -> archived, archived -> draft)', old.status, new.status
                using errcode = 'object_not_in_prerequisite_state', column = 'status';
        end if;
        if new.status = 'published' then
            if new.published_at is distinct from old.published_at and new.published_at > now() then
                raise exception 'content.nodes.published_at: % is in the future; use status scheduled', new.published_at
                    using errcode = 'check_violation', column = 'published_at';
            end if;
            -- publishing a scheduled node early publishes it now; publish_due keeps the scheduled moment
            if new.published_at is null or new.published_at > now() then
                new.published_at := now();
            end if;
        elsif new.status = 'scheduled' and (new.published_at is null or new.published_at <= now()) then
            raise exception 'content.nodes.published_at: scheduling needs a future published_at'
                using errcode = 'check_violation', column = 'published_at';
        elsif new.status = 'draft' then
            new.published_at := null;
        end if;
    elsif new.published_at is distinct from old.published_at then
        if new.status = 'scheduled' and (new.published_at is null or new.published_at <= now()) then
            raise exception 'content.nodes.published_at: a scheduled node needs a future published_at'
                using errcode = 'check_violation', column = 'published_at';
        elsif new.status = 'published' and (new.published_at is null or new.published_at > now()) then
            raise exception 'content.nodes.published_at: a published node needs a published_at that is not in the future'
                using errcode = 'check_violation', column = 'published_at';
        elsif new.status = 'draft' and new.published_at is not null then
            raise exception 'content.nodes.published_at: a draft has no published_at (use status scheduled for a future date)'
                using errcode = 'check_violation', column = 'published_at';
        end if;
    end if;
    return new;
end
$$;
comment on function content.tg_nodes__before_write() is
    'BEFORE INSERT/UPDATE on content.nodes: parent (same tenant, allowed kinds, no cycle), depth and comment depth limit, '
    'slug generation/uniqueness/format, status lifecycle and published_at, read-only computed columns.';
grant execute on function content.tg_nodes__before_write() to rustok_app;

create or replace function content.tg_nodes__assert_module() returns trigger
    language plpgsql volatile
as $$
begin
    -- writes made by other triggers (FK cascades, counters) are not user writes
    if pg_trigger_depth() > 1 then
        return null;
    end if;
    perform content._assert_module('content.nodes',
        array(select distinct n.tenant_id from new_rows n where n.kind = 'page'), 'content');
    perform content._assert_module('content.nodes',
        array(select distinct n.tenant_id from new_rows n where n.kind <> 'page'), 'blog');
    return null;
end
$$;
comment on function content.tg_nodes__assert_module() is
    'AFTER INSERT/UPDATE statement trigger on content.nodes: refuses (55000) writes of pages for tenants with module content disabled, of posts/comments with module blog disabled.';
grant execute on function content.tg_nodes__assert_module() to rustok_app;

create or replace function content.tg_nodes__tree() returns trigger
    language plpgsql volatile
as $$
begin
    -- a moved page carries its subtree: recompute the depth of every descendant, set-based
    if not exists (select from new_rows n join old_rows o using (tenant_id, id)
                   where n.parent_id is distinct from o.parent_id) then
        return null;
    end if;
    perform set_config('rustok.content_internal', 'on', true);
    -- Recompute whole affected trees from their roots, so several moves in one statement (even within
    -- one chain) end with exact depths: walk up from each moved node to its root, then down by level.
    with recursive up as (
        select n.tenant_id, n.id, n.parent_id
        from new_rows n join old_rows o using (tenant_id, id)
        where n.parent_id is distinct from o.parent_id
        union
        select p.tenant_id, p.id, p.parent_id
        from content.nodes p join up on p.tenant_id = up.tenant_id and p.id = up.parent_id
    ), down as (
        select r.tenant_id, r.id, 0 as depth from (select distinct tenant_id, id from up where parent_id is null) r
        union all
        select c.tenant_id, c.id, down.depth + 1
        from content.nodes c join down on c.tenant_id = down.tenant_id and c.parent_id = down.id
    )
    update content.nodes t set depth = d.depth
    from down d
    where t.tenant_id = d.tenant_id and t.id = d.id and t.depth <> d.depth;
    perform set_config('rustok.content_internal', '', true);
    return null;
end
$$;
comment on function content.tg_nodes__tree() is
    'AFTER UPDATE statement trigger on content.nodes: when pages move, recomputes the depths of the affected trees from their roots in one statement (exact even for several moves in one statement).';
grant execute on function content.tg_nodes__tree() to rustok_app;

create or replace function content.tg_nodes__cleanup() returns trigger
    language plpgsql volatile
as $$
begin
    -- polymorphic rows have no foreign key: remove the deleted nodes' tags and meta
    delete from content.taggables t using old_rows o
    where t.tenant_id = o.tenant_id and t.target_type = 'node' and t.target_id = o.id;
    delete from content.meta m using old_rows o
    where m.tenant_id = o.tenant_id and m.target_type = 'node' and m.target_id = o.id;
    return null;
end
$$;
comment on function content.tg_nodes__cleanup() is
    'AFTER DELETE statement trigger on content.nodes: deletes the taggables and meta rows that targeted the deleted nodes.';
grant execute on function content.tg_nodes__cleanup() to rustok_app;

-- ---------------------------------------------------------------- content.nodes

comment on table content.nodes is
    'Universal content (manifest 5.3): pages, blog posts and threaded comments. Hash-partitioned by tenant_id (8 partitions). '
    'Modules: content (pages), blog (posts, comments). Lifecycle, slugs, tree, depth and reply_count are enforced by triggers.';
comment on column content.nodes.kind is 'page | post | comment. Cannot change after insert.';
comment on column content.nodes.parent_id is
    'Parent node, same tenant. page -> page (optional, no cycles); post -> none; comment -> post or comment (required, cannot change).';
comment on column content.nodes.author_id is 'The author (core.users, same tenant). Set to null when the user is deleted.';
comment on column content.nodes.title is 'Title, 1-255 characters; required for pages and posts.';
comment on column content.nodes.slug is
    'URL slug, unique per tenant and kind; required for pages/posts, null for comments. Generated from the title when null (unaccent, lowercase, collision -> -2, -3, ...); an explicit duplicate is refused (23505).';
comment on column content.nodes.excerpt is 'Short summary (plain text).';
comment on column content.nodes.category_id is 'Content category (same tenant). Set to null when the category is deleted.';
comment on column content.nodes.status is
    'page/post: draft | scheduled | published | archived (transitions checked, see docs/content.md). comment: pending | approved | spam (moderation). Default draft / pending.';
comment on column content.nodes.position is 'Order among siblings (ascending).';
comment on column content.nodes.depth is 'Computed: 0 for a root, parent.depth + 1 otherwise (a top-level comment has depth 1). Read-only.';
comment on column content.nodes.reply_count is
    'Computed: number of DIRECT child comments with status approved (not the whole thread). Kept exact by triggers; read-only.';
comment on column content.nodes.metadata is 'Free-form JSON object.';
comment on column content.nodes.published_at is
    'When the node went (or goes, if scheduled) public. Null for drafts; required for scheduled (future) and published; for comments: first approval.';
comment on column content.nodes.tenant_id is
    'The owning tenant (core.tenants.id): the hash partition key; row-level security policy tenant_isolation keys on it.';
comment on column content.nodes.id is
    'Row id, with tenant_id the primary key: a ULID-layout uuid from core.new_id(), so ids sort by creation time.';
comment on column content.nodes.created_at is 'When the row was created (write-once; trigger _100_timestamps).';
comment on column content.nodes.updated_at is
    'When the row last really changed (trigger _100_timestamps; an update that changes nothing keeps it).';

select core.enable_tenant_rls('content.nodes');
grant select, insert, update, delete on content.nodes to rustok_app;

create or replace trigger _100_timestamps before insert or update on content.nodes
    for each row
    execute function core.tg__timestamps();

create or replace trigger _200_before_write before insert or update on content.nodes
    for each row
    execute function content.tg_nodes__before_write();

create or replace trigger _300_assert_module_ins after insert on content.nodes
    referencing new table as new_rows for each statement
    execute function content.tg_nodes__assert_module();

create or replace trigger _300_assert_module_upd after update on content.nodes
    referencing new table as new_rows for each statement
    execute function content.tg_nodes__assert_module();

create or replace trigger _400_tree after update on content.nodes
    referencing old table as old_rows new table as new_rows for each statement
    execute function content.tg_nodes__tree();

create or replace trigger _500_reply_count_del after delete on content.nodes
    referencing old table as old_rows for each statement
    execute function content.tg_nodes__reply_count_del();

create or replace trigger _500_reply_count_ins after insert on content.nodes
    referencing new table as new_rows for each statement
    execute function content.tg_nodes__reply_count_ins();

create or replace trigger _500_reply_count_upd after update on content.nodes
    referencing old table as old_rows new table as new_rows for each statement
    execute function content.tg_nodes__reply_count_upd();

create or replace trigger _600_revisions after update on content.nodes
    referencing old table as old_rows new table as new_rows for each statement
    execute function content.tg_nodes__revisions();

create or replace trigger _700_cleanup after delete on content.nodes
    referencing old table as old_rows for each statement
    execute function content.tg_nodes__cleanup();

create or replace trigger _800_retire after delete on content.nodes
    referencing old table as old_rows for each statement
    execute function content.tg_nodes__retire();

create or replace trigger _800_unretire_ins after insert on content.nodes
    referencing new table as new_rows for each statement
    execute function content.tg_nodes__unretire();

create or replace trigger _800_unretire_upd after update on content.nodes
    referencing old table as old_rows new table as new_rows for each statement
    execute function content.tg_nodes__unretire();

create or replace trigger _900_events_del after delete on content.nodes
    referencing old table as old_rows for each statement
    execute function content.tg_nodes__events();

create or replace trigger _900_events_ins after insert on content.nodes
    referencing new table as new_rows for each statement
    execute function content.tg_nodes__events();

create or replace trigger _900_events_upd after update on content.nodes
    referencing old table as old_rows new table as new_rows for each statement
    execute function content.tg_nodes__events();
