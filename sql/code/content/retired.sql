-- content/retired.sql: slugs of pages and posts that are gone for good. A storefront asks
-- content.retired_node(kind, slug) when no visible page or post answers an address: a row means 410 Gone, none 404.
-- Gone means: deleted while public (published or archived: recorded in content.retired_slugs by the AFTER DELETE
-- trigger _800_retire on content.nodes, in nodes.sql), or archived (unpublished for good; read live from
-- content.nodes). A node that takes the slug again removes the record (_800_unretire). Back to draft is not gone:
-- a draft may come back, and 410 tells search engines to forget the address.

create or replace function content.tg_nodes__retire() returns trigger
    language plpgsql volatile
as $$
begin
    insert into content.retired_slugs as r (tenant_id, kind, slug, node_id, title)
    select o.tenant_id, o.kind, o.slug, o.id, o.title
    from old_rows o
    where o.kind in ('page', 'post') and o.status in ('published', 'archived') and o.slug is not null
      and exists (select from core.tenants t where t.id = o.tenant_id)   -- not when the tenant itself goes
    on conflict (tenant_id, kind, slug) do update
        set node_id = excluded.node_id, title = excluded.title, retired_at = excluded.retired_at;
    return null;
end
$$;
comment on function content.tg_nodes__retire() is
    'AFTER DELETE statement trigger on content.nodes: records the slug of every deleted page or post that was public '
    '(published or archived) in content.retired_slugs (its storefront address answers 410 Gone from then on).';

create or replace function content.tg_nodes__unretire() returns trigger
    language plpgsql volatile
as $$
begin
    if tg_op = 'INSERT' then
        delete from content.retired_slugs r
        using new_rows n
        where n.slug is not null and r.tenant_id = n.tenant_id and r.kind = n.kind and r.slug = n.slug;
    else
        delete from content.retired_slugs r
        using new_rows n join old_rows o on o.tenant_id = n.tenant_id and o.id = n.id
        where n.slug is not null and n.slug is distinct from o.slug
          and r.tenant_id = n.tenant_id and r.kind = n.kind and r.slug = n.slug;
    end if;
    return null;
end
$$;
comment on function content.tg_nodes__unretire() is
    'AFTER INSERT/UPDATE statement trigger on content.nodes: a page or post that takes a retired slug removes it '
    'from content.retired_slugs.';

create or replace function content.retired_node(p_kind text, p_slug text)
    returns table (slug text, title text, retired_at timestamptz, reason text)
    language sql stable
as $$
    (select r.slug, r.title, r.retired_at, 'deleted'::text
     from content.retired_slugs r
     where r.tenant_id = core.current_tenant_id() and r.kind = p_kind and r.slug = p_slug
       and not exists (select from content.nodes n where n.tenant_id = r.tenant_id and n.kind = r.kind and n.slug = r.slug))
    union all
    (select n.slug, n.title, n.updated_at, 'archived'::text
     from content.nodes n
     where n.tenant_id = core.current_tenant_id() and n.kind = p_kind and n.slug = p_slug and n.status = 'archived')
    limit 1
$$;
comment on function content.retired_node(text, text) is
    'Whether a page or post address (kind, slug) is gone for good: deleted while public (content.retired_slugs) or '
    'archived. One row (reason deleted or archived): 410 Gone; none: 404. (GraphQL retired(kind: page|post).)';
revoke execute on function content.retired_node(text, text) from public;
grant execute on function content.retired_node(text, text) to rustok_app;

-- ---------------------------------------------------------------- content.retired_slugs
comment on table content.retired_slugs is
    'Storefront addresses of pages and posts deleted while public (410 Gone rather than 404). A node that takes the '
    'slug again removes its row. Written by triggers on content.nodes; read by content.retired_node.';
comment on column content.retired_slugs.tenant_id is
    'The owning tenant (core.tenants.id); row-level security policy tenant_isolation keys on it.';
comment on column content.retired_slugs.kind is 'page or post.';
comment on column content.retired_slugs.slug is 'The slug the deleted node had.';
comment on column content.retired_slugs.node_id is 'The id the deleted node had.';
comment on column content.retired_slugs.title is 'The deleted node''s title.';
comment on column content.retired_slugs.retired_at is 'When the node was deleted.';

select core.enable_tenant_rls('content.retired_slugs');
select core.allow_analyst_read('content.retired_slugs');
grant select, insert, update, delete on content.retired_slugs to rustok_app;
grant select on content.retired_slugs to rustok_analyst;
