-- content/categories.sql: content categories (a tree).

create or replace function content.tg_categories__before_write() returns trigger
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
grant execute on function content.tg_categories__before_write() to rustok_app;

-- ---------------------------------------------------------------- content.categories

comment on table content.categories is
    'Content categories (a tree per tenant via parent_id). Slug unique per tenant; generated from name when missing. Module: content.';
comment on column content.categories.parent_id is 'Parent category (same tenant; no cycles). Deleting a parent makes its children roots.';
comment on column content.categories.slug is 'URL slug, unique per tenant. Generated from name when null (collision -> -2, -3, ...).';
comment on column content.categories.position is 'Order among siblings (ascending).';
comment on column content.categories.tenant_id is
    'The owning tenant (core.tenants.id); row-level security policy tenant_isolation keys on it.';
comment on column content.categories.id is
    'Row id, with tenant_id the primary key: a ULID-layout uuid from core.new_id(), so ids sort by creation time.';
comment on column content.categories.name is 'Display name, 1-255 characters.';
comment on column content.categories.description is 'Longer description, at most 10 000 characters.';
comment on column content.categories.created_at is 'When the row was created (write-once; trigger _100_timestamps).';
comment on column content.categories.updated_at is
    'When the row last really changed (trigger _100_timestamps; an update that changes nothing keeps it).';

select core.enable_tenant_rls('content.categories');
grant select, insert, update, delete on content.categories to rustok_app;

create or replace trigger _100_timestamps before insert or update on content.categories
    for each row
    execute function core.tg__timestamps();

create or replace trigger _200_before_write before insert or update on content.categories
    for each row
    execute function content.tg_categories__before_write();

create or replace trigger _300_assert_module_ins after insert on content.categories
    referencing new table as new_rows for each statement
    execute function content.tg__assert_module('content.categories', 'content');

create or replace trigger _300_assert_module_upd after update on content.categories
    referencing new table as new_rows for each statement
    execute function content.tg__assert_module('content.categories', 'content');

create or replace trigger _900_events_upd after update on content.categories
    referencing old table as old_rows new table as new_rows for each statement
    execute function content.tg_categories__events();
