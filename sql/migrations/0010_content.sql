-- depends: 0001_core
-- Content write model (manifest 5.3): nodes (pages, posts, comments), bodies, categories, tags,
-- polymorphic taggables, SEO meta, media and revisions, with the invariants enforced here so they
-- hold for GraphQL, psql and bulk SQL alike. Events (outbox) are added by 0011_content_events.
-- Operator and analyst documentation: docs/content.md.

create schema content;
comment on schema content is
    'RusToK content and blog write model: nodes (page, post, comment), bodies, categories, tags, taggables, SEO meta, media, revisions.';
grant usage on schema content to rustok_app;

-- ================================================================ helpers

create function content.slugify(p_text text) returns text
    language sql stable strict parallel safe
as $$
    -- unaccent, lowercase (Unicode-aware via the builtin C.UTF-8 collation), every run of
    -- non-letters/digits to one dash, trimmed, at most 200 characters; null when nothing is left.
    -- Non-latin letters (Cyrillic, Greek, CJK, ...) are kept.
    select nullif(
        btrim(left(
            regexp_replace(
                lower(public.unaccent('public.unaccent'::regdictionary, p_text) collate "pg_c_utf8"),
                '[^[:alnum:]]+', '-', 'g'),
            200), '-'),
        '')
$$;
comment on function content.slugify(text) is
    'A URL slug from free text: unaccent, lowercase, runs of non-alphanumerics to "-", trimmed, max 200 chars. Keeps non-latin letters ("Привет, Мир!" -> "привет-мир"). Null when nothing remains.';

create function content.slug_is_valid(p_slug text) returns boolean
    language sql immutable strict parallel safe
as $$
    select length(p_slug) <= 255
       and (p_slug collate "pg_c_utf8") ~ '^[[:alnum:]]+(-[[:alnum:]]+)*$'
       and p_slug = lower(p_slug collate "pg_c_utf8")
$$;
comment on function content.slug_is_valid(text) is
    'Whether a slug is well-formed: lowercase letters (any script) and digits in groups separated by single dashes, at most 255 characters.';

create function content._free_slug(p_base text, p_taken text[]) returns text
    language sql immutable parallel safe
as $$
    -- the base itself when free, else the first free base-2, base-3, ...
    select c.s
    from (select p_base as s, 1 as n
          union all
          select p_base || '-' || g, g from generate_series(2, coalesce(cardinality(p_taken), 0) + 2) as g) as c
    where not (c.s = any (coalesce(p_taken, '{}')))
    order by c.n
    limit 1
$$;
comment on function content._free_slug(text, text[]) is
    'Internal: the first of base, base-2, base-3, ... that is not in the taken list.';

create function content._current_user_id() returns uuid
    language sql stable parallel safe
as $$ select nullif(current_setting('rustok.user_id', true), '')::uuid $$;
comment on function content._current_user_id() is
    'Internal: the acting user of this transaction (setting rustok.user_id, set by the API next to rustok.tenant_id), or null (psql, jobs). Recorded as content.revisions.edited_by.';

create function content._internal() returns boolean
    language sql stable parallel safe
as $$ select coalesce(current_setting('rustok.content_internal', true), '') = 'on' $$;
comment on function content._internal() is
    'Internal: true while a content trigger maintains computed columns (depth, reply_count); direct writes of those columns are refused otherwise.';

create function content._assert_module(p_table text, p_tenant_ids uuid[], p_module text) returns void
    language plpgsql volatile
as $$
declare
    v_hint text;
begin
    if coalesce(cardinality(p_tenant_ids), 0) = 0 then
        return;
    end if;
    perform core.assert_module_enabled(p_tenant_ids, p_module);
exception when object_not_in_prerequisite_state then
    get stacked diagnostics v_hint = pg_exception_hint;
    raise exception '%: %', p_table, sqlerrm
        using errcode = 'object_not_in_prerequisite_state', hint = v_hint;
end
$$;
comment on function content._assert_module(text, uuid[], text) is
    'Internal: core.assert_module_enabled with the written table named in the message, e.g. ''content.nodes: module "blog" is disabled for tenant ...'' (SQLSTATE 55000).';

create function content.max_comment_depth(p_tenant_id uuid) returns integer
    language plpgsql stable
as $$
declare
    v_raw text;
begin
    select tm.settings ->> 'max_comment_depth' into v_raw
    from core.tenant_modules tm
    where tm.tenant_id = p_tenant_id and tm.module_slug = 'blog';
    if v_raw is null then
        return 10;
    end if;
    if v_raw !~ '^[0-9]{1,4}$' or v_raw::int < 1 then
        raise exception 'core.tenant_modules.settings: blog max_comment_depth must be a positive integer, got %', v_raw
            using errcode = 'invalid_parameter_value', column = 'settings';
    end if;
    return v_raw::int;
end
$$;
comment on function content.max_comment_depth(uuid) is
    'The deepest allowed comment level for a tenant: core.tenant_modules.settings->max_comment_depth of module blog, default 10. A top-level comment has depth 1.';

-- ================================================================ categories

create table content.categories (
    tenant_id   uuid not null references core.tenants (id) on delete cascade,
    id          uuid not null default core.new_id(),
    parent_id   uuid,
    name        text not null constraint categories_name_check check (btrim(name) <> '' and length(name) <= 255),
    slug        text not null constraint categories_slug_format check (content.slug_is_valid(slug)),
    description text constraint categories_description_check check (length(description) <= 10000),
    position    integer not null default 0,
    created_at  timestamptz not null default now(),
    updated_at  timestamptz not null default now(),
    primary key (tenant_id, id),
    constraint categories_slug_key unique (tenant_id, slug),
    constraint categories_parent_fkey foreign key (tenant_id, parent_id)
        references content.categories (tenant_id, id) on delete set null (parent_id),
    constraint categories_parent_not_self check (parent_id <> id)
);
create index categories_parent_idx on content.categories (tenant_id, parent_id);
comment on table content.categories is
    'Content categories (a tree per tenant via parent_id). Slug unique per tenant; generated from name when missing. Module: content.';
comment on column content.categories.parent_id is 'Parent category (same tenant; no cycles). Deleting a parent makes its children roots.';
comment on column content.categories.slug is 'URL slug, unique per tenant. Generated from name when null (collision -> -2, -3, ...).';
comment on column content.categories.position is 'Order among siblings (ascending).';
create trigger _100_timestamps before insert or update on content.categories
    for each row execute function core.tg__timestamps();

create function content.tg_categories__before_write() returns trigger
    language plpgsql volatile
as $$
declare
    v_base text;
begin
    if tg_op = 'UPDATE' and new.tenant_id <> old.tenant_id then
        raise exception 'content.categories.tenant_id: a category cannot move to another tenant'
            using errcode = 'check_violation', column = 'tenant_id';
    end if;
    -- slug: generated from the name when missing, else checked
    if tg_op = 'INSERT' or new.slug is distinct from old.slug then
        if new.slug is null then
            v_base := content.slugify(new.name);
            if v_base is null then
                raise exception 'content.categories.slug: give a slug, or a name with letters or digits to generate it from'
                    using errcode = 'check_violation', column = 'slug';
            end if;
            perform pg_advisory_xact_lock(hashtextextended('content.categories:' || new.tenant_id || ':' || v_base, 0));
            new.slug := content._free_slug(v_base, array(
                select c.slug from content.categories c
                where c.tenant_id = new.tenant_id and c.id <> new.id
                  and (c.slug = v_base or c.slug like v_base || '-%')));
        elsif not content.slug_is_valid(new.slug) then
            raise exception 'content.categories.slug: "%" is not a valid slug (lowercase letters and digits separated by single dashes, at most 255 characters)', new.slug
                using errcode = 'check_violation', column = 'slug';
        elsif exists (select from content.categories c
                      where c.tenant_id = new.tenant_id and c.slug = new.slug and c.id <> new.id) then
            raise exception 'content.categories.slug: "%" is already used by another category of this tenant', new.slug
                using errcode = 'unique_violation', column = 'slug';
        end if;
    end if;
    -- parent: same tenant, no cycle
    if new.parent_id is not null and (tg_op = 'INSERT' or new.parent_id is distinct from old.parent_id) then
        if not exists (select from content.categories c where c.tenant_id = new.tenant_id and c.id = new.parent_id) then
            raise exception 'content.categories.parent_id: category % not found in tenant %', new.parent_id, new.tenant_id
                using errcode = 'foreign_key_violation', column = 'parent_id';
        end if;
        if tg_op = 'UPDATE' and exists (
            with recursive up as (
                select c.id, c.parent_id from content.categories c where c.tenant_id = new.tenant_id and c.id = new.parent_id
                union
                select c.id, c.parent_id from content.categories c join up on c.tenant_id = new.tenant_id and c.id = up.parent_id
            )
            select from up where up.id = new.id) then
            raise exception 'content.categories.parent_id: moving category % under % would create a cycle', new.id, new.parent_id
                using errcode = 'check_violation', column = 'parent_id';
        end if;
    end if;
    return new;
end
$$;
comment on function content.tg_categories__before_write() is
    'BEFORE INSERT/UPDATE on content.categories: generates or checks the slug, checks the parent (same tenant, no cycle).';
create trigger _200_before_write before insert or update on content.categories
    for each row execute function content.tg_categories__before_write();

-- ================================================================ nodes (hash-partitioned by tenant)

create table content.nodes (
    tenant_id    uuid not null references core.tenants (id) on delete cascade,
    id           uuid not null default core.new_id(),
    parent_id    uuid,
    author_id    uuid,
    kind         text not null constraint nodes_kind_check check (kind in ('page', 'post', 'comment')),
    title        text constraint nodes_title_check check (btrim(title) <> '' and length(title) <= 255),
    slug         text constraint nodes_slug_format check (content.slug_is_valid(slug)),
    excerpt      text constraint nodes_excerpt_check check (length(excerpt) <= 10000),
    category_id  uuid,
    status       text not null,
    position     integer not null default 0,
    depth        integer not null default 0 constraint nodes_depth_check check (depth between 0 and 1000),
    reply_count  integer not null default 0 constraint nodes_reply_count_check check (reply_count >= 0),
    metadata     jsonb not null default '{}' constraint nodes_metadata_check check (jsonb_typeof(metadata) = 'object'),
    created_at   timestamptz not null default now(),
    updated_at   timestamptz not null default now(),
    published_at timestamptz,
    primary key (tenant_id, id),
    constraint nodes_parent_fkey foreign key (tenant_id, parent_id)
        references content.nodes (tenant_id, id) on delete cascade,
    constraint nodes_author_fkey foreign key (tenant_id, author_id)
        references core.users (tenant_id, id) on delete set null (author_id),
    constraint nodes_category_fkey foreign key (tenant_id, category_id)
        references content.categories (tenant_id, id) on delete set null (category_id),
    constraint nodes_status_check check (
        case kind when 'comment' then status in ('pending', 'approved', 'spam')
                  else status in ('draft', 'scheduled', 'published', 'archived') end),
    constraint nodes_published_at_check check (status not in ('scheduled', 'published', 'approved') or published_at is not null),
    constraint nodes_title_required check (kind = 'comment' or title is not null),
    constraint nodes_slug_required check ((kind = 'comment') = (slug is null)),
    constraint nodes_parent_not_self check (parent_id <> id)
) partition by hash (tenant_id);

create unique index nodes_tenant_kind_slug_key on content.nodes (tenant_id, kind, slug) where slug is not null;
create index nodes_parent_idx on content.nodes (tenant_id, parent_id) where parent_id is not null;
create index nodes_author_idx on content.nodes (tenant_id, author_id) where author_id is not null;
create index nodes_category_idx on content.nodes (tenant_id, category_id) where category_id is not null;
create index nodes_listing_idx on content.nodes (tenant_id, kind, status, published_at desc);
create index nodes_scheduled_idx on content.nodes (published_at) where status = 'scheduled';

do $parts$
begin
    for i in 0..7 loop
        execute format('create table content.nodes_p%s partition of content.nodes for values with (modulus 8, remainder %s)', i, i);
        execute format('comment on table content.nodes_p%s is %L', i,
                       format('Hash partition %s of 8 of content.nodes (by tenant_id). Query content.nodes, not this table.', i));
    end loop;
end
$parts$;

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

create function content.tg_nodes__before_write() returns trigger
    language plpgsql volatile
as $$
declare
    v_parent     record;
    v_max        integer;
    v_base       text;
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
        if new.slug is null then
            v_base := content.slugify(new.title);
            if v_base is null then
                raise exception 'content.nodes.slug: give a slug, or a title with letters or digits to generate it from'
                    using errcode = 'check_violation', column = 'slug';
            end if;
            perform pg_advisory_xact_lock(hashtextextended('content.nodes:' || new.tenant_id || ':' || new.kind || ':' || v_base, 0));
            new.slug := content._free_slug(v_base, array(
                select n.slug from content.nodes n
                where n.tenant_id = new.tenant_id and n.kind = new.kind and n.id <> new.id
                  and (n.slug = v_base or n.slug like v_base || '-%')));
        elsif not content.slug_is_valid(new.slug) then
            raise exception 'content.nodes.slug: "%" is not a valid slug (lowercase letters and digits separated by single dashes, at most 255 characters)', new.slug
                using errcode = 'check_violation', column = 'slug';
        elsif exists (select from content.nodes n
                      where n.tenant_id = new.tenant_id and n.kind = new.kind and n.slug = new.slug and n.id <> new.id) then
            raise exception 'content.nodes.slug: "%" is already used by another % of this tenant', new.slug, new.kind
                using errcode = 'unique_violation', column = 'slug';
        end if;
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
create trigger _100_timestamps before insert or update on content.nodes
    for each row execute function core.tg__timestamps();
create trigger _200_before_write before insert or update on content.nodes
    for each row execute function content.tg_nodes__before_write();

create function content.tg_nodes__assert_module() returns trigger
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
create trigger _300_assert_module_ins after insert on content.nodes
    referencing new table as new_rows for each statement execute function content.tg_nodes__assert_module();
create trigger _300_assert_module_upd after update on content.nodes
    referencing new table as new_rows for each statement execute function content.tg_nodes__assert_module();

create function content.tg_nodes__tree() returns trigger
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
create trigger _400_tree after update on content.nodes
    referencing old table as old_rows new table as new_rows
    for each statement execute function content.tg_nodes__tree();

-- reply_count = number of direct child comments with status approved. Increments (not
-- recounts) keep it exact under concurrent writers: each UPDATE re-reads the latest committed
-- parent row under its row lock. One trigger per event (transition tables serve one event).
create function content.tg_nodes__reply_count_ins() returns trigger
    language plpgsql volatile
as $$
begin
    if not exists (select from new_rows n where n.kind = 'comment' and n.status = 'approved') then
        return null;
    end if;
    perform set_config('rustok.content_internal', 'on', true);
    update content.nodes p set reply_count = p.reply_count + d.n
    from (select n.tenant_id, n.parent_id, count(*)::int as n from new_rows n
          where n.kind = 'comment' and n.status = 'approved' group by 1, 2) as d
    where p.tenant_id = d.tenant_id and p.id = d.parent_id;
    perform set_config('rustok.content_internal', '', true);
    return null;
end
$$;
comment on function content.tg_nodes__reply_count_ins() is
    'AFTER INSERT statement trigger on content.nodes: adds inserted approved comments to their parents'' reply_count.';

create function content.tg_nodes__reply_count_del() returns trigger
    language plpgsql volatile
as $$
begin
    if not exists (select from old_rows o where o.kind = 'comment' and o.status = 'approved') then
        return null;
    end if;
    perform set_config('rustok.content_internal', 'on', true);
    update content.nodes p set reply_count = p.reply_count - d.n
    from (select o.tenant_id, o.parent_id, count(*)::int as n from old_rows o
          where o.kind = 'comment' and o.status = 'approved' group by 1, 2) as d
    where p.tenant_id = d.tenant_id and p.id = d.parent_id;
    perform set_config('rustok.content_internal', '', true);
    return null;
end
$$;
comment on function content.tg_nodes__reply_count_del() is
    'AFTER DELETE statement trigger on content.nodes: removes deleted approved comments from their parents'' reply_count (parents deleted in the same cascade are skipped).';

create function content.tg_nodes__reply_count_upd() returns trigger
    language plpgsql volatile
as $$
begin
    if not exists (select from new_rows n join old_rows o using (tenant_id, id)
                   where n.kind = 'comment' and (n.status = 'approved') <> (o.status = 'approved')) then
        return null;
    end if;
    perform set_config('rustok.content_internal', 'on', true);
    update content.nodes p set reply_count = p.reply_count + d.delta
    from (select n.tenant_id, n.parent_id,
                 sum((n.status = 'approved')::int - (o.status = 'approved')::int)::int as delta
          from new_rows n join old_rows o using (tenant_id, id)
          where n.kind = 'comment'
          group by 1, 2) as d
    where p.tenant_id = d.tenant_id and p.id = d.parent_id and d.delta <> 0;
    perform set_config('rustok.content_internal', '', true);
    return null;
end
$$;
comment on function content.tg_nodes__reply_count_upd() is
    'AFTER UPDATE statement trigger on content.nodes: adjusts parents'' reply_count when comments become or stop being approved (a comment''s parent cannot change).';

create trigger _500_reply_count_ins after insert on content.nodes
    referencing new table as new_rows for each statement execute function content.tg_nodes__reply_count_ins();
create trigger _500_reply_count_upd after update on content.nodes
    referencing old table as old_rows new table as new_rows for each statement execute function content.tg_nodes__reply_count_upd();
create trigger _500_reply_count_del after delete on content.nodes
    referencing old table as old_rows for each statement execute function content.tg_nodes__reply_count_del();

-- ================================================================ bodies

create table content.bodies (
    tenant_id     uuid not null,
    node_id       uuid not null,
    body          text not null default '' constraint bodies_body_check check (length(body) <= 1048576),
    format        text not null default 'markdown' constraint bodies_format_check check (format in ('markdown', 'html', 'plain')),
    search_vector tsvector,
    updated_at    timestamptz not null default now(),
    primary key (tenant_id, node_id),
    constraint bodies_node_fkey foreign key (tenant_id, node_id) references content.nodes (tenant_id, id) on delete cascade
);
create index bodies_search_idx on content.bodies using gin (tenant_id, search_vector);
comment on table content.bodies is
    'The heavy text of a node, kept apart from content.nodes (one row per node at most). Module: that of the node (content for pages, blog otherwise).';
comment on column content.bodies.body is 'The text, at most 1 MiB.';
comment on column content.bodies.format is 'markdown | html | plain';
comment on column content.bodies.search_vector is
    'Computed: to_tsvector(tenant''s text_search_config, body with HTML tags stripped). Maintained by trigger; read-only.';

create function content.tg_bodies__before_write() returns trigger
    language plpgsql volatile
as $$
declare
    v_config regconfig;
begin
    if tg_op = 'UPDATE' and (new.tenant_id, new.node_id) is distinct from (old.tenant_id, old.node_id) then
        raise exception 'content.bodies.node_id: a body cannot move to another node'
            using errcode = 'check_violation', column = 'node_id';
    end if;
    if tg_op = 'INSERT' or new.body is distinct from old.body or new.format is distinct from old.format
       or new.search_vector is distinct from old.search_vector then
        select t.text_search_config into v_config from core.tenants t where t.id = new.tenant_id;
        new.search_vector := to_tsvector(coalesce(v_config, 'simple'::regconfig),
            case new.format when 'html' then regexp_replace(new.body, '<[^>]*>', ' ', 'g') else new.body end);
        new.updated_at := now();
    end if;
    return new;
end
$$;
comment on function content.tg_bodies__before_write() is
    'BEFORE INSERT/UPDATE on content.bodies: keeps the body on its node and computes search_vector and updated_at.';
create trigger _200_before_write before insert or update on content.bodies
    for each row execute function content.tg_bodies__before_write();

create function content.tg_bodies__assert_module() returns trigger
    language plpgsql volatile
as $$
begin
    if pg_trigger_depth() > 1 then
        return null;
    end if;
    perform content._assert_module('content.bodies',
        array(select distinct b.tenant_id from new_rows b
              join content.nodes n on n.tenant_id = b.tenant_id and n.id = b.node_id where n.kind = 'page'), 'content');
    perform content._assert_module('content.bodies',
        array(select distinct b.tenant_id from new_rows b
              join content.nodes n on n.tenant_id = b.tenant_id and n.id = b.node_id where n.kind <> 'page'), 'blog');
    return null;
end
$$;
comment on function content.tg_bodies__assert_module() is
    'AFTER INSERT/UPDATE statement trigger on content.bodies: refuses (55000) writes when the node''s module (content or blog) is disabled for its tenant.';
create trigger _300_assert_module_ins after insert on content.bodies
    referencing new table as new_rows for each statement execute function content.tg_bodies__assert_module();
create trigger _300_assert_module_upd after update on content.bodies
    referencing new table as new_rows for each statement execute function content.tg_bodies__assert_module();

-- ================================================================ revisions

create table content.revisions (
    tenant_id  uuid not null,
    id         uuid not null default core.new_id(),
    node_id    uuid not null,
    title      text,
    excerpt    text,
    body       text,
    format     text,
    edited_by  uuid,
    created_at timestamptz not null default clock_timestamp(),
    primary key (tenant_id, id),
    constraint revisions_node_fkey foreign key (tenant_id, node_id) references content.nodes (tenant_id, id) on delete cascade,
    constraint revisions_edited_by_fkey foreign key (tenant_id, edited_by)
        references core.users (tenant_id, id) on delete set null (edited_by)
);
create index revisions_node_idx on content.revisions (tenant_id, node_id, created_at desc);
comment on table content.revisions is
    'History of a node''s title, excerpt and body: each change of any of them stores the values BEFORE the change (a full snapshot). '
    'Written by (security definer) triggers only, read-only for the app; restore with content.restore_revision(id).';
comment on column content.revisions.title is 'The node''s title before the change.';
comment on column content.revisions.excerpt is 'The node''s excerpt before the change.';
comment on column content.revisions.body is 'The node''s body before the change (null: the node had no body row).';
comment on column content.revisions.format is 'The body format before the change.';
comment on column content.revisions.edited_by is 'Who made the change (setting rustok.user_id of the writing transaction), null when unknown (psql).';
comment on column content.revisions.created_at is 'When the change was made (clock time, so several changes in one transaction keep their order).';

create function content.tg_nodes__revisions() returns trigger
    language plpgsql volatile
    security definer set search_path = pg_catalog, pg_temp
as $$
begin
    insert into content.revisions (tenant_id, node_id, title, excerpt, body, format, edited_by)
    select o.tenant_id, o.id, o.title, o.excerpt, b.body, b.format, content._current_user_id()
    from old_rows o
    join new_rows n using (tenant_id, id)
    left join content.bodies b on b.tenant_id = o.tenant_id and b.node_id = o.id
    where (o.title, o.excerpt) is distinct from (n.title, n.excerpt);
    return null;
end
$$;
comment on function content.tg_nodes__revisions() is
    'AFTER UPDATE statement trigger on content.nodes: stores a revision (previous title, excerpt and body) for every node whose title or excerpt changed.';
create trigger _600_revisions after update on content.nodes
    referencing old table as old_rows new table as new_rows
    for each statement execute function content.tg_nodes__revisions();

create function content.tg_bodies__revisions() returns trigger
    language plpgsql volatile
    security definer set search_path = pg_catalog, pg_temp
as $$
begin
    if tg_op = 'UPDATE' then
        insert into content.revisions (tenant_id, node_id, title, excerpt, body, format, edited_by)
        select o.tenant_id, o.node_id, n.title, n.excerpt, o.body, o.format, content._current_user_id()
        from old_rows o
        join new_rows b using (tenant_id, node_id)
        join content.nodes n on n.tenant_id = o.tenant_id and n.id = o.node_id
        where (o.body, o.format) is distinct from (b.body, b.format);
    else
        -- a deleted body (not its node: the join skips nodes deleted in the same cascade)
        insert into content.revisions (tenant_id, node_id, title, excerpt, body, format, edited_by)
        select o.tenant_id, o.node_id, n.title, n.excerpt, o.body, o.format, content._current_user_id()
        from old_rows o
        join content.nodes n on n.tenant_id = o.tenant_id and n.id = o.node_id;
    end if;
    return null;
end
$$;
comment on function content.tg_bodies__revisions() is
    'AFTER UPDATE/DELETE statement trigger on content.bodies: stores a revision (title, excerpt and the previous body) when a body changes or is removed.';
create trigger _600_revisions_upd after update on content.bodies
    referencing old table as old_rows new table as new_rows
    for each statement execute function content.tg_bodies__revisions();
create trigger _600_revisions_del after delete on content.bodies
    referencing old table as old_rows
    for each statement execute function content.tg_bodies__revisions();

-- ================================================================ tags and taggables

create table content.tags (
    tenant_id  uuid not null references core.tenants (id) on delete cascade,
    id         uuid not null default core.new_id(),
    name       text not null constraint tags_name_check check (btrim(name) <> '' and length(name) <= 255),
    slug       text not null constraint tags_slug_format check (content.slug_is_valid(slug)),
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    primary key (tenant_id, id),
    constraint tags_slug_key unique (tenant_id, slug)
);
comment on table content.tags is 'Tags of a tenant, attached to nodes or products through content.taggables. Module: content.';
comment on column content.tags.slug is 'URL slug, unique per tenant. Generated from name when null (collision -> -2, -3, ...).';
create trigger _100_timestamps before insert or update on content.tags
    for each row execute function core.tg__timestamps();

create function content.tg_tags__before_write() returns trigger
    language plpgsql volatile
as $$
declare
    v_base text;
begin
    if tg_op = 'UPDATE' and new.tenant_id <> old.tenant_id then
        raise exception 'content.tags.tenant_id: a tag cannot move to another tenant'
            using errcode = 'check_violation', column = 'tenant_id';
    end if;
    if tg_op = 'INSERT' or new.slug is distinct from old.slug then
        if new.slug is null then
            v_base := content.slugify(new.name);
            if v_base is null then
                raise exception 'content.tags.slug: give a slug, or a name with letters or digits to generate it from'
                    using errcode = 'check_violation', column = 'slug';
            end if;
            perform pg_advisory_xact_lock(hashtextextended('content.tags:' || new.tenant_id || ':' || v_base, 0));
            new.slug := content._free_slug(v_base, array(
                select t.slug from content.tags t
                where t.tenant_id = new.tenant_id and t.id <> new.id
                  and (t.slug = v_base or t.slug like v_base || '-%')));
        elsif not content.slug_is_valid(new.slug) then
            raise exception 'content.tags.slug: "%" is not a valid slug (lowercase letters and digits separated by single dashes, at most 255 characters)', new.slug
                using errcode = 'check_violation', column = 'slug';
        elsif exists (select from content.tags t where t.tenant_id = new.tenant_id and t.slug = new.slug and t.id <> new.id) then
            raise exception 'content.tags.slug: "%" is already used by another tag of this tenant', new.slug
                using errcode = 'unique_violation', column = 'slug';
        end if;
    end if;
    return new;
end
$$;
comment on function content.tg_tags__before_write() is 'BEFORE INSERT/UPDATE on content.tags: generates or checks the slug.';
create trigger _200_before_write before insert or update on content.tags
    for each row execute function content.tg_tags__before_write();

create table content.taggables (
    tenant_id   uuid not null,
    tag_id      uuid not null,
    target_type text not null constraint taggables_target_type_check check (target_type in ('node', 'product')),
    target_id   uuid not null,
    created_at  timestamptz not null default now(),
    primary key (tenant_id, tag_id, target_type, target_id),
    constraint taggables_tag_fkey foreign key (tenant_id, tag_id) references content.tags (tenant_id, id) on delete cascade
);
create index taggables_target_idx on content.taggables (tenant_id, target_type, target_id);
comment on table content.taggables is
    'Which tag is on which target (polymorphic). target_type node is checked against content.nodes of the same tenant and removed with the node; '
    'product targets are checked and cleaned up by the commerce module. Module: content.';
comment on column content.taggables.target_type is 'node | product';
comment on column content.taggables.target_id is 'content.nodes.id or commerce product id (same tenant).';

-- ================================================================ SEO meta

create table content.meta (
    tenant_id     uuid not null references core.tenants (id) on delete cascade,
    target_type   text not null constraint meta_target_type_check check (target_type in ('node', 'product')),
    target_id     uuid not null,
    title         text constraint meta_title_check check (length(title) <= 255),
    description   text constraint meta_description_check check (length(description) <= 1000),
    canonical_url text constraint meta_canonical_url_check check (canonical_url ~ '^https?://[^[:space:]]+$' and length(canonical_url) <= 2048),
    image_url     text constraint meta_image_url_check check (image_url ~ '^(https?://|/)[^[:space:]]+$' and length(image_url) <= 2048),
    robots        text constraint meta_robots_check check (
                      robots ~ '^(index|noindex|follow|nofollow|none|all|noarchive|nosnippet|noimageindex|notranslate)(, ?(index|noindex|follow|nofollow|none|all|noarchive|nosnippet|noimageindex|notranslate))*$'),
    created_at    timestamptz not null default now(),
    updated_at    timestamptz not null default now(),
    primary key (tenant_id, target_type, target_id)
);
comment on table content.meta is
    'SEO meta per target (a node or a product; one row per target). Node targets are checked against content.nodes and removed with the node. Module: content.';
comment on column content.meta.title is 'SEO <title>, at most 255 characters.';
comment on column content.meta.description is 'Meta description, at most 1000 characters.';
comment on column content.meta.canonical_url is 'Absolute http(s) canonical URL.';
comment on column content.meta.image_url is 'Social/OG image: absolute http(s) URL or a site path starting with "/".';
comment on column content.meta.robots is 'Robots directives, comma separated, e.g. "noindex, nofollow".';
create trigger _100_timestamps before insert or update on content.meta
    for each row execute function core.tg__timestamps();

-- ================================================================ media

create table content.media (
    tenant_id   uuid not null references core.tenants (id) on delete cascade,
    id          uuid not null default core.new_id(),
    storage_key text constraint media_storage_key_check check (btrim(storage_key) <> '' and length(storage_key) <= 1024),
    url         text constraint media_url_check check (url ~ '^https?://[^[:space:]]+$' and length(url) <= 2048),
    mime_type   text not null constraint media_mime_type_check check (mime_type ~ '^[a-z]+/[a-z0-9][a-z0-9.+_-]*$' and length(mime_type) <= 255),
    size        bigint constraint media_size_check check (size >= 0),
    width       integer constraint media_width_check check (width > 0),
    height      integer constraint media_height_check check (height > 0),
    alt_text    text constraint media_alt_text_check check (length(alt_text) <= 1000),
    uploaded_by uuid,
    metadata    jsonb not null default '{}' constraint media_metadata_check check (jsonb_typeof(metadata) = 'object'),
    created_at  timestamptz not null default now(),
    updated_at  timestamptz not null default now(),
    primary key (tenant_id, id),
    constraint media_location_check check (num_nonnulls(storage_key, url) >= 1),
    constraint media_uploaded_by_fkey foreign key (tenant_id, uploaded_by)
        references core.users (tenant_id, id) on delete set null (uploaded_by)
);
create unique index media_storage_key_key on content.media (tenant_id, storage_key) where storage_key is not null;
comment on table content.media is 'Media files of a tenant (stored object key and/or external URL, type, size, dimensions, alt text). Module: content.';
comment on column content.media.storage_key is 'Key in the object store, unique per tenant. storage_key or url (or both) is required.';
comment on column content.media.url is 'Public http(s) URL.';
comment on column content.media.mime_type is 'MIME type, e.g. image/webp.';
comment on column content.media.size is 'Size in bytes.';
comment on column content.media.width is 'Width in pixels (images, video).';
comment on column content.media.height is 'Height in pixels (images, video).';
comment on column content.media.alt_text is 'Alternative text for accessibility.';
create trigger _100_timestamps before insert or update on content.media
    for each row execute function core.tg__timestamps();

-- ================================================================ polymorphic targets, module checks

create function content.tg__check_node_targets() returns trigger
    language plpgsql volatile
as $$
declare
    v_missing record;
begin
    -- lock the target nodes (key share) so a concurrent delete waits for us, then look for missing ones
    perform 1 from content.nodes n
    where (n.tenant_id, n.id) in (select r.tenant_id, r.target_id from new_rows r where r.target_type = 'node')
    for key share of n;
    select r.tenant_id, r.target_id into v_missing
    from new_rows r
    where r.target_type = 'node'
      and not exists (select from content.nodes n where n.tenant_id = r.tenant_id and n.id = r.target_id)
    limit 1;
    if found then
        raise exception '%.target_id: node % not found in tenant %', tg_argv[0], v_missing.target_id, v_missing.tenant_id
            using errcode = 'foreign_key_violation', column = 'target_id';
    end if;
    return null;
end
$$;
comment on function content.tg__check_node_targets() is
    'AFTER INSERT/UPDATE statement trigger (argument: table name) on content.taggables and content.meta: every target of type node must exist in the same tenant (23503).';

create function content.tg__assert_module() returns trigger
    language plpgsql volatile
as $$
begin
    -- argv: table name, module slug
    if pg_trigger_depth() > 1 then
        return null;
    end if;
    perform content._assert_module(tg_argv[0], array(select distinct r.tenant_id from new_rows r), tg_argv[1]);
    return null;
end
$$;
comment on function content.tg__assert_module() is
    'AFTER INSERT/UPDATE statement trigger (arguments: table name, module): refuses (55000) writes for tenants with that module disabled.';

do $tg$
declare
    v_table text;
begin
    foreach v_table in array array['categories', 'tags', 'taggables', 'meta', 'media'] loop
        execute format('create trigger _300_assert_module_ins after insert on content.%I
                            referencing new table as new_rows for each statement
                            execute function content.tg__assert_module(%L, ''content'')', v_table, 'content.' || v_table);
        execute format('create trigger _300_assert_module_upd after update on content.%I
                            referencing new table as new_rows for each statement
                            execute function content.tg__assert_module(%L, ''content'')', v_table, 'content.' || v_table);
    end loop;
    foreach v_table in array array['taggables', 'meta'] loop
        execute format('create trigger _200_check_targets_ins after insert on content.%I
                            referencing new table as new_rows for each statement
                            execute function content.tg__check_node_targets(%L)', v_table, 'content.' || v_table);
        execute format('create trigger _200_check_targets_upd after update on content.%I
                            referencing new table as new_rows for each statement
                            execute function content.tg__check_node_targets(%L)', v_table, 'content.' || v_table);
    end loop;
end
$tg$;

create function content.tg_nodes__cleanup() returns trigger
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
create trigger _700_cleanup after delete on content.nodes
    referencing old table as old_rows for each statement execute function content.tg_nodes__cleanup();

-- ================================================================ API and operator functions

create function content._require_nodes(p_ids uuid[], p_kinds text[], p_what text) returns void
    language plpgsql stable
as $$
declare
    v_missing uuid[];
begin
    if p_ids is null or cardinality(p_ids) = 0 then
        raise exception '%: give at least one node id', p_what using errcode = 'invalid_parameter_value';
    end if;
    select array_agg(i) into v_missing
    from unnest(p_ids) as i
    where not exists (select from content.nodes n
                      where n.id = i and n.kind = any (p_kinds)
                        and (core.current_tenant_id() is null or n.tenant_id = core.current_tenant_id()));
    if v_missing is not null then
        raise exception '%: no % with id %', p_what, array_to_string(p_kinds, ' or '), array_to_string(v_missing, ', ')
            using errcode = 'no_data_found';
    end if;
end
$$;
comment on function content._require_nodes(uuid[], text[], text) is
    'Internal: raise P0002 naming the ids that are not nodes of the given kinds (in the current tenant, when one is set).';

create function content.publish_nodes(p_node_ids uuid[]) returns setof content.nodes
    language plpgsql volatile
as $$
begin
    perform content._require_nodes(p_node_ids, array['page', 'post'], 'content.publish_nodes(p_node_ids)');
    return query
        update content.nodes n set status = 'published'
        where n.id = any (p_node_ids) and n.status <> 'published'
          and (core.current_tenant_id() is null or n.tenant_id = core.current_tenant_id())
        returning n.*;
end
$$;
comment on function content.publish_nodes(uuid[]) is
    'Publish pages/posts now (draft or scheduled -> published; published_at = now, or the scheduled moment if already past). Already published ones are left alone. Returns the changed rows. 55000 on an invalid transition, P0002 on an unknown id.';

create function content.schedule_nodes(p_node_ids uuid[], p_publish_at timestamptz) returns setof content.nodes
    language plpgsql volatile
as $$
begin
    if p_publish_at is null or p_publish_at <= now() then
        raise exception 'content.schedule_nodes(p_publish_at): must be in the future, got %', p_publish_at
            using errcode = 'invalid_parameter_value';
    end if;
    perform content._require_nodes(p_node_ids, array['page', 'post'], 'content.schedule_nodes(p_node_ids)');
    return query
        update content.nodes n set status = 'scheduled', published_at = p_publish_at
        where n.id = any (p_node_ids)
          and (core.current_tenant_id() is null or n.tenant_id = core.current_tenant_id())
        returning n.*;
end
$$;
comment on function content.schedule_nodes(uuid[], timestamptz) is
    'Schedule pages/posts to be published at a future moment (status scheduled). content.publish_due() publishes them when due. Returns the rows.';

create function content.archive_nodes(p_node_ids uuid[]) returns setof content.nodes
    language plpgsql volatile
as $$
begin
    perform content._require_nodes(p_node_ids, array['page', 'post'], 'content.archive_nodes(p_node_ids)');
    return query
        update content.nodes n set status = 'archived'
        where n.id = any (p_node_ids) and n.status <> 'archived'
          and (core.current_tenant_id() is null or n.tenant_id = core.current_tenant_id())
        returning n.*;
end
$$;
comment on function content.archive_nodes(uuid[]) is
    'Archive pages/posts (draft, scheduled or published -> archived). Returns the changed rows.';

create function content.publish_due() returns table (tenant_id uuid, id uuid, kind text, slug text, published_at timestamptz)
    language sql volatile
as $$
    update content.nodes n set status = 'published'
    where n.status = 'scheduled' and n.published_at <= now()
    returning n.tenant_id, n.id, n.kind, n.slug, n.published_at
$$;
comment on function content.publish_due() is
    'Operator/cron: publish every scheduled node whose published_at has come (keeps the scheduled published_at). Returns what it published. Under rustok_app only the current tenant''s nodes.';

create function content.add_comment(p_parent_id uuid, p_author_id uuid, p_body text,
                                    p_format text default 'markdown', p_status text default 'pending')
    returns content.nodes
    language plpgsql volatile
as $$
declare
    v_tenant uuid;
    v_node   content.nodes;
begin
    if p_body is null or btrim(p_body) = '' then
        raise exception 'content.bodies.body: a comment needs a non-empty body'
            using errcode = 'invalid_parameter_value', column = 'body';
    end if;
    select n.tenant_id into v_tenant from content.nodes n
    where n.id = p_parent_id and (core.current_tenant_id() is null or n.tenant_id = core.current_tenant_id());
    if not found then
        raise exception 'content.nodes.parent_id: node % not found', p_parent_id
            using errcode = 'no_data_found', column = 'parent_id';
    end if;
    insert into content.nodes (tenant_id, parent_id, author_id, kind, status)
    values (v_tenant, p_parent_id, p_author_id, 'comment', p_status)
    returning * into v_node;
    insert into content.bodies (tenant_id, node_id, body, format)
    values (v_tenant, v_node.id, p_body, p_format);
    return v_node;
end
$$;
comment on function content.add_comment(uuid, uuid, text, text, text) is
    'Add a comment (node + body) under a post or a comment. Status pending by default (approved to publish directly). Depth limit, parent state and module blog are enforced by triggers. Returns the comment node.';

create function content.moderate_comments(p_comment_ids uuid[], p_status text) returns setof content.nodes
    language plpgsql volatile
as $$
begin
    if p_status is null or p_status not in ('pending', 'approved', 'spam') then
        raise exception 'content.moderate_comments(p_status): must be pending, approved or spam, got %', p_status
            using errcode = 'invalid_parameter_value';
    end if;
    perform content._require_nodes(p_comment_ids, array['comment'], 'content.moderate_comments(p_comment_ids)');
    return query
        update content.nodes n set status = p_status
        where n.id = any (p_comment_ids) and n.kind = 'comment' and n.status <> p_status
          and (core.current_tenant_id() is null or n.tenant_id = core.current_tenant_id())
        returning n.*;
end
$$;
comment on function content.moderate_comments(uuid[], text) is
    'Set the moderation status (pending | approved | spam) of comments; parents'' reply_count follows. Returns the changed rows.';

create function content.restore_revision(p_revision_id uuid) returns content.nodes
    language plpgsql volatile
as $$
declare
    v_rev  content.revisions;
    v_node content.nodes;
begin
    select r.* into v_rev from content.revisions r
    where r.id = p_revision_id and (core.current_tenant_id() is null or r.tenant_id = core.current_tenant_id());
    if not found then
        raise exception 'content.revisions.id: revision % not found', p_revision_id
            using errcode = 'no_data_found', column = 'id';
    end if;
    update content.nodes n set title = v_rev.title, excerpt = v_rev.excerpt
    where n.tenant_id = v_rev.tenant_id and n.id = v_rev.node_id
    returning n.* into v_node;
    if v_rev.body is null then
        delete from content.bodies b where b.tenant_id = v_rev.tenant_id and b.node_id = v_rev.node_id;
    else
        insert into content.bodies as b (tenant_id, node_id, body, format)
        values (v_rev.tenant_id, v_rev.node_id, v_rev.body, v_rev.format)
        on conflict (tenant_id, node_id) do update set body = excluded.body, format = excluded.format
        where (b.body, b.format) is distinct from (excluded.body, excluded.format);
    end if;
    return v_node;
end
$$;
comment on function content.restore_revision(uuid) is
    'Restore a node''s title, excerpt and body to a revision. The state replaced is itself kept as a new revision, so a restore can be undone. Returns the node.';

create function content.attach_tags(p_tag_ids uuid[], p_target_type text, p_target_ids uuid[])
    returns setof content.taggables
    language plpgsql volatile
as $$
declare
    v_missing uuid[];
begin
    if p_target_type is null or p_target_type not in ('node', 'product') then
        raise exception 'content.taggables.target_type: must be node or product, got %', p_target_type
            using errcode = 'invalid_parameter_value', column = 'target_type';
    end if;
    select array_agg(i) into v_missing from unnest(p_tag_ids) as i
    where not exists (select from content.tags t where t.id = i
                      and (core.current_tenant_id() is null or t.tenant_id = core.current_tenant_id()));
    if v_missing is not null then
        raise exception 'content.taggables.tag_id: no tag with id %', array_to_string(v_missing, ', ')
            using errcode = 'no_data_found', column = 'tag_id';
    end if;
    return query
        insert into content.taggables (tenant_id, tag_id, target_type, target_id)
        select t.tenant_id, t.id, p_target_type, tg.id
        from content.tags t cross join (select distinct u as id from unnest(p_target_ids) as u) as tg
        where t.id = any (p_tag_ids)
          and (core.current_tenant_id() is null or t.tenant_id = core.current_tenant_id())
        on conflict do nothing
        returning *;
end
$$;
comment on function content.attach_tags(uuid[], text, uuid[]) is
    'Attach every given tag to every given target (node or product) in one statement; existing pairs are kept. Returns the newly attached rows. Node targets must exist in the tag''s tenant (23503).';

create function content.detach_tags(p_tag_ids uuid[], p_target_type text, p_target_ids uuid[])
    returns setof content.taggables
    language sql volatile
as $$
    delete from content.taggables x
    where x.tag_id = any (p_tag_ids) and x.target_type = p_target_type and x.target_id = any (p_target_ids)
      and (core.current_tenant_id() is null or x.tenant_id = core.current_tenant_id())
    returning x.*
$$;
comment on function content.detach_tags(uuid[], text, uuid[]) is
    'Detach the given tags from the given targets in one statement. Returns the removed rows (pairs that were not attached are ignored).';

create function content.recount_replies(p_tenant_id uuid) returns bigint
    language plpgsql volatile
as $$
declare
    v_fixed bigint;
begin
    perform set_config('rustok.content_internal', 'on', true);
    with counts as (
        select p.tenant_id, p.id,
               (select count(*) from content.nodes c
                where c.tenant_id = p.tenant_id and c.parent_id = p.id
                  and c.kind = 'comment' and c.status = 'approved')::int as n
        from content.nodes p where p.tenant_id = p_tenant_id
    )
    update content.nodes t set reply_count = c.n
    from counts c where t.tenant_id = c.tenant_id and t.id = c.id and t.reply_count <> c.n;
    get diagnostics v_fixed = row_count;
    perform set_config('rustok.content_internal', '', true);
    return v_fixed;
end
$$;
comment on function content.recount_replies(uuid) is
    'Operator check: recompute reply_count of every node of a tenant from scratch; returns how many were wrong (0 means the triggers kept them exact).';

-- ================================================================ privileges and RLS

grant select, insert, update, delete on content.categories, content.nodes, content.bodies, content.tags,
    content.taggables, content.meta, content.media to rustok_app;
grant select on content.revisions to rustok_app;   -- written only by (security definer) triggers
grant execute on all functions in schema content to rustok_app;

do $rls$
declare
    v_table text;
begin
    foreach v_table in array array['content.categories', 'content.nodes', 'content.bodies', 'content.tags',
                                   'content.taggables', 'content.meta', 'content.media', 'content.revisions'] loop
        execute format('alter table %s enable row level security', v_table);
        execute format('create policy tenant_isolation on %s to rustok_app
                            using (tenant_id = core.current_tenant_id())
                            with check (tenant_id = core.current_tenant_id())', v_table);
    end loop;
end
$rls$;
