-- content/tags.sql: tags and the polymorphic taggables.

create or replace function content.tg_tags__before_write() returns trigger
    language plpgsql volatile
as $$
begin
    if tg_op = 'UPDATE' and new.tenant_id <> old.tenant_id then
        raise exception 'content.tags.tenant_id: a tag cannot move to another tenant'
            using errcode = 'check_violation', column = 'tenant_id';
    end if;
    if tg_op = 'INSERT' or new.slug is distinct from old.slug then
        new.slug := content._slug('content.tags', 'tag', new.tenant_id, new.id, new.slug, new.name, 'name');
    end if;
    return new;
end
$$;
comment on function content.tg_tags__before_write() is 'BEFORE INSERT/UPDATE on content.tags: generates or checks the slug.';
grant execute on function content.tg_tags__before_write() to rustok_app;

create or replace function content.attach_tags(p_tag_ids uuid[], p_target_type text, p_target_ids uuid[])
    returns setof content.taggables
    language plpgsql volatile
as $$
declare
    v_missing uuid[];
begin
    perform core.require_permission('tags:manage');
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
    if exists (select from content.taggables x
               where x.target_type = p_target_type and x.target_id = any (p_target_ids)
                 and (core.current_tenant_id() is null or x.tenant_id = core.current_tenant_id())
               group by x.tenant_id, x.target_id having count(*) > 100) then
        raise exception 'tag_ids: at most 100 tags on one product, page or post' using errcode = 'check_violation',
            column = 'tag_ids';
    end if;
end
$$;
comment on function content.attach_tags(uuid[], text, uuid[]) is
    'Attach every given tag to every given target (node or product) in one statement; existing pairs are kept. Returns the newly attached rows. Node targets must exist in the tag''s tenant (23503); a target would carry more than 100 tags: 23514.';
grant execute on function content.attach_tags(uuid[],text,uuid[]) to rustok_app;

create or replace function content.detach_tags(p_tag_ids uuid[], p_target_type text, p_target_ids uuid[])
    returns setof content.taggables
    language sql volatile
as $$
    select core.require_permission('tags:manage');
    delete from content.taggables x
    where x.tag_id = any (p_tag_ids) and x.target_type = p_target_type and x.target_id = any (p_target_ids)
      and (core.current_tenant_id() is null or x.tenant_id = core.current_tenant_id())
    returning x.*
$$;
comment on function content.detach_tags(uuid[], text, uuid[]) is
    'Detach the given tags from the given targets in one statement. Returns the removed rows (pairs that were not attached are ignored).';
grant execute on function content.detach_tags(uuid[],text,uuid[]) to rustok_app;

-- ---------------------------------------------------------------- content.tags

comment on table content.tags is 'Tags of a tenant, attached to nodes or products through content.taggables. Module: content.';
comment on column content.tags.slug is 'URL slug, unique per tenant. Generated from name when null (collision -> -2, -3, ...).';
comment on column content.tags.tenant_id is
    'The owning tenant (core.tenants.id); row-level security policy tenant_isolation keys on it.';
comment on column content.tags.id is
    'Row id, with tenant_id the primary key: a ULID-layout uuid from core.new_id(), so ids sort by creation time.';
comment on column content.tags.name is 'Display name, 1-255 characters.';
comment on column content.tags.created_at is 'When the row was created (write-once; trigger _100_timestamps).';
comment on column content.tags.updated_at is
    'When the row last really changed (trigger _100_timestamps; an update that changes nothing keeps it).';

select core.enable_tenant_rls('content.tags');
grant select, insert, update, delete on content.tags to rustok_app;

create or replace trigger _100_timestamps before insert or update on content.tags
    for each row
    execute function core.tg__timestamps();

create or replace trigger _200_before_write before insert or update on content.tags
    for each row
    execute function content.tg_tags__before_write();

create or replace trigger _300_assert_module_ins after insert on content.tags
    referencing new table as new_rows for each statement
    execute function content.tg__assert_module('content.tags', 'content');

create or replace trigger _300_assert_module_upd after update on content.tags
    referencing new table as new_rows for each statement
    execute function content.tg__assert_module('content.tags', 'content');

create or replace trigger _900_events_upd after update on content.tags
    referencing old table as old_rows new table as new_rows for each statement
    execute function content.tg_tags__events();

-- ---------------------------------------------------------------- content.taggables

comment on table content.taggables is
    'Which tag is on which target (polymorphic). target_type node is checked against content.nodes of the same tenant and removed with the node; '
    'product targets are checked and cleaned up by the commerce module. Module: content.';
comment on column content.taggables.target_type is 'node | product';
comment on column content.taggables.target_id is 'content.nodes.id or commerce product id (same tenant).';
comment on column content.taggables.tenant_id is
    'The owning tenant (core.tenants.id); row-level security policy tenant_isolation keys on it.';
comment on column content.taggables.tag_id is 'The tag attached (same tenant).';
comment on column content.taggables.created_at is 'When the tag was attached.';

select core.enable_tenant_rls('content.taggables');
grant select, insert, update, delete on content.taggables to rustok_app;

create or replace trigger _200_check_targets_ins after insert on content.taggables
    referencing new table as new_rows for each statement
    execute function content.tg__check_targets('content.taggables', 'node', 'content.nodes');

create or replace trigger _200_check_targets_upd after update on content.taggables
    referencing new table as new_rows for each statement
    execute function content.tg__check_targets('content.taggables', 'node', 'content.nodes');

create or replace trigger _210_check_product_targets_ins after insert on content.taggables
    referencing new table as new_rows for each statement
    execute function content.tg__check_targets('content.taggables', 'product', 'commerce.products');

create or replace trigger _210_check_product_targets_upd after update on content.taggables
    referencing new table as new_rows for each statement
    execute function content.tg__check_targets('content.taggables', 'product', 'commerce.products');

create or replace trigger _300_assert_module_ins after insert on content.taggables
    referencing new table as new_rows for each statement
    execute function content.tg__assert_module('content.taggables', 'content');

create or replace trigger _300_assert_module_upd after update on content.taggables
    referencing new table as new_rows for each statement
    execute function content.tg__assert_module('content.taggables', 'content');

create or replace trigger _900_events_del after delete on content.taggables
    referencing old table as old_rows for each statement
    execute function content.tg_taggables__events();

create or replace trigger _900_events_ins after insert on content.taggables
    referencing new table as new_rows for each statement
    execute function content.tg_taggables__events();

create or replace trigger _900_events_upd after update on content.taggables
    referencing old table as old_rows new table as new_rows for each statement
    execute function content.tg_taggables__events();
