-- content/categories.sql: content categories (a tree).

create or replace function content.tg_categories__before_write() returns trigger
    language plpgsql volatile
as $$
begin
    if tg_op = 'UPDATE' and new.tenant_id <> old.tenant_id then
        raise exception 'content.categories.tenant_id: a category cannot move to another tenant'
            using errcode = 'check_violation', column = 'tenant_id';
    end if;
    -- slug: generated from the name when missing, else checked
    if tg_op = 'INSERT' or new.slug is distinct from old.slug then
        new.slug := content._slug('content.categories', 'category', new.tenant_id, new.id, new.slug, new.name, 'name');
    end if;
    -- parent: same tenant (no cycle: trigger _200_no_cycle, core.tg__no_cycle)
    if new.parent_id is not null and (tg_op = 'INSERT' or new.parent_id is distinct from old.parent_id) then
        if not exists (select from content.categories c where c.tenant_id = new.tenant_id and c.id = new.parent_id) then
            raise exception 'content.categories.parent_id: category % not found in tenant %', new.parent_id, new.tenant_id
                using errcode = 'foreign_key_violation', column = 'parent_id';
        end if;
    end if;
    return new;
end
$$;
comment on function content.tg_categories__before_write() is
    'BEFORE INSERT/UPDATE on content.categories: generates or checks the slug, checks the parent is in the same tenant.';
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

create or replace trigger _200_no_cycle_ins after insert on content.categories
    referencing new table as new_rows for each statement
    execute function core.tg__no_cycle('category');

create or replace trigger _200_no_cycle_upd after update on content.categories
    referencing new table as new_rows for each statement
    execute function core.tg__no_cycle('category');

create or replace trigger _300_assert_module_ins after insert on content.categories
    referencing new table as new_rows for each statement
    execute function content.tg__assert_module('content.categories', 'content');

create or replace trigger _300_assert_module_upd after update on content.categories
    referencing new table as new_rows for each statement
    execute function content.tg__assert_module('content.categories', 'content');

create or replace function content.tg_categories__cleanup() returns trigger
    language plpgsql volatile
as $$
begin
    -- polymorphic rows have no foreign key: remove the deleted categories' SEO meta
    delete from content.meta m using old_rows o
    where m.tenant_id = o.tenant_id and m.target_type = 'content_category' and m.target_id = o.id;
    return null;
end
$$;
comment on function content.tg_categories__cleanup() is
    'AFTER DELETE statement trigger on content.categories: deletes the SEO meta (content.meta) of the deleted categories.';
grant execute on function content.tg_categories__cleanup() to rustok_app;

create or replace trigger _700_cleanup after delete on content.categories
    referencing old table as old_rows for each statement
    execute function content.tg_categories__cleanup();

create or replace trigger _900_events_upd after update on content.categories
    referencing old table as old_rows new table as new_rows for each statement
    execute function content.tg_categories__events();
