-- commerce/categories.sql: commerce categories (a tree) and product categories.

-- ---------------------------------------------------------------- commerce.categories

comment on table commerce.categories is
    'Commerce categories with their own hierarchy (parent_id, never a cycle), ordered by rank among siblings.';
comment on column commerce.categories.is_internal is 'Internal categories are hidden from storefronts.';
comment on column commerce.categories.rank is 'Sort position among siblings (0 first).';
comment on column commerce.categories.tenant_id is
    'The owning tenant (core.tenants.id); row-level security policy tenant_isolation keys on it.';
comment on column commerce.categories.id is
    'Row id, with tenant_id the primary key: a ULID-layout uuid from core.new_id(), so ids sort by creation time.';
comment on column commerce.categories.parent_id is
    'Parent category (same tenant); null for a root. The hierarchy never has a cycle.';
comment on column commerce.categories.name is 'Display name, 1-255 characters.';
comment on column commerce.categories.handle is
    'URL handle, unique per tenant: lowercase letters, digits and single dashes.';
comment on column commerce.categories.description is 'Longer description (free text).';
comment on column commerce.categories.is_active is
    'Inactive categories are hidden from storefronts (and left out of index.products.categories).';
comment on column commerce.categories.metadata is
    'Free-form JSON object for integrations and clients; the database does not interpret it.';
comment on column commerce.categories.created_at is 'When the row was created (write-once; trigger _100_timestamps).';
comment on column commerce.categories.updated_at is
    'When the row last really changed (trigger _100_timestamps; an update that changes nothing keeps it).';

select core.enable_tenant_rls('commerce.categories');
select core.allow_analyst_read('commerce.categories');
grant select, insert, update, delete on commerce.categories to rustok_app;
grant select on commerce.categories to rustok_analyst;

create or replace trigger _100_timestamps before insert or update on commerce.categories
    for each row
    execute function core.tg__timestamps();

create or replace trigger _200_no_cycle_ins after insert on commerce.categories
    referencing new table as new_rows for each statement
    execute function core.tg__no_cycle('category');

create or replace trigger _200_no_cycle_upd after update on commerce.categories
    referencing new table as new_rows for each statement
    execute function core.tg__no_cycle('category');

create or replace function commerce.tg_categories__cleanup_content() returns trigger
    language plpgsql volatile
as $$
begin
    -- content.meta has no foreign key to its targets: remove the deleted categories' SEO meta
    delete from content.meta m
    using old_rows o where m.tenant_id = o.tenant_id and m.target_type = 'catalog_category' and m.target_id = o.id;
    return null;
end
$$;
comment on function commerce.tg_categories__cleanup_content() is
    'AFTER DELETE statement trigger on commerce.categories: removes the deleted categories'' SEO meta (content.meta).';
grant execute on function commerce.tg_categories__cleanup_content() to rustok_app;

create or replace trigger _800_cleanup_content after delete on commerce.categories
    referencing old table as old_rows for each statement
    execute function commerce.tg_categories__cleanup_content();

create or replace trigger _900_events_del after delete on commerce.categories
    referencing old table as old_rows for each statement
    execute function commerce.tg__product_child_events('category', 'id');

create or replace trigger _900_events_ins after insert on commerce.categories
    referencing new table as new_rows for each statement
    execute function commerce.tg__product_child_events('category', 'id');

create or replace trigger _900_events_upd after update on commerce.categories
    referencing old table as old_rows new table as new_rows for each statement
    execute function commerce.tg__product_child_events('category', 'id');

-- ---------------------------------------------------------------- commerce.product_categories

comment on table commerce.product_categories is 'Which commerce categories a product is in (many to many).';
comment on column commerce.product_categories.tenant_id is
    'The owning tenant (core.tenants.id); row-level security policy tenant_isolation keys on it.';
comment on column commerce.product_categories.product_id is 'The product (same tenant).';
comment on column commerce.product_categories.category_id is 'The commerce category it is in (same tenant).';
comment on column commerce.product_categories.created_at is 'When the product was put in the category.';

select core.enable_tenant_rls('commerce.product_categories');
select core.allow_analyst_read('commerce.product_categories');
grant select, insert, update, delete on commerce.product_categories to rustok_app;
grant select on commerce.product_categories to rustok_analyst;

create or replace trigger _900_events_del after delete on commerce.product_categories
    referencing old table as old_rows for each statement
    execute function commerce.tg__product_child_events('product', 'product_id');

create or replace trigger _900_events_ins after insert on commerce.product_categories
    referencing new table as new_rows for each statement
    execute function commerce.tg__product_child_events('product', 'product_id');

create or replace trigger _900_events_upd after update on commerce.product_categories
    referencing old table as old_rows new table as new_rows for each statement
    execute function commerce.tg__product_child_events('product', 'product_id');
