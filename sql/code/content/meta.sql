-- content/meta.sql: SEO meta of any target.

-- ---------------------------------------------------------------- content.meta

comment on table content.meta is
    'SEO meta per target (a node, a product, a catalog category or a content category; one row per target). Each '
    'target is checked against its table in the same tenant and the meta is removed with the target. Module: content.';
comment on column content.meta.title is 'SEO <title>, at most 255 characters.';
comment on column content.meta.description is 'Meta description, at most 1000 characters.';
comment on column content.meta.canonical_url is 'Absolute http(s) canonical URL.';
comment on column content.meta.image_url is 'Social/OG image: absolute http(s) URL or a site path starting with "/".';
comment on column content.meta.robots is 'Robots directives, comma separated, e.g. "noindex, nofollow".';
comment on column content.meta.tenant_id is
    'The owning tenant (core.tenants.id); row-level security policy tenant_isolation keys on it.';
comment on column content.meta.target_type is
    'node | product | catalog_category | content_category: what target_id refers to.';
comment on column content.meta.target_id is
    'content.nodes.id, commerce.products.id, commerce.categories.id or content.categories.id (same tenant, by '
    'target_type); one meta row per target.';
comment on column content.meta.created_at is 'When the row was created (write-once; trigger _100_timestamps).';
comment on column content.meta.updated_at is
    'When the row last really changed (trigger _100_timestamps; an update that changes nothing keeps it).';

select core.enable_tenant_rls('content.meta');
grant select, insert, update, delete on content.meta to rustok_app;

create or replace trigger _100_timestamps before insert or update on content.meta
    for each row
    execute function core.tg__timestamps();

create or replace trigger _200_check_targets_ins after insert on content.meta
    referencing new table as new_rows for each statement
    execute function content.tg__check_targets('content.meta', 'node', 'content.nodes');

create or replace trigger _200_check_targets_upd after update on content.meta
    referencing new table as new_rows for each statement
    execute function content.tg__check_targets('content.meta', 'node', 'content.nodes');

create or replace trigger _210_check_product_targets_ins after insert on content.meta
    referencing new table as new_rows for each statement
    execute function content.tg__check_targets('content.meta', 'product', 'commerce.products');

create or replace trigger _210_check_product_targets_upd after update on content.meta
    referencing new table as new_rows for each statement
    execute function content.tg__check_targets('content.meta', 'product', 'commerce.products');

create or replace trigger _220_check_catalog_category_targets_ins after insert on content.meta
    referencing new table as new_rows for each statement
    execute function content.tg__check_targets('content.meta', 'catalog_category', 'commerce.categories');

create or replace trigger _220_check_catalog_category_targets_upd after update on content.meta
    referencing new table as new_rows for each statement
    execute function content.tg__check_targets('content.meta', 'catalog_category', 'commerce.categories');

create or replace trigger _230_check_content_category_targets_ins after insert on content.meta
    referencing new table as new_rows for each statement
    execute function content.tg__check_targets('content.meta', 'content_category', 'content.categories');

create or replace trigger _230_check_content_category_targets_upd after update on content.meta
    referencing new table as new_rows for each statement
    execute function content.tg__check_targets('content.meta', 'content_category', 'content.categories');

create or replace trigger _300_assert_module_ins after insert on content.meta
    referencing new table as new_rows for each statement
    execute function content.tg__assert_module('content.meta', 'content');

create or replace trigger _300_assert_module_upd after update on content.meta
    referencing new table as new_rows for each statement
    execute function content.tg__assert_module('content.meta', 'content');

create or replace trigger _900_events_del after delete on content.meta
    referencing old table as old_rows for each statement
    execute function content.tg_meta__events();

create or replace trigger _900_events_ins after insert on content.meta
    referencing new table as new_rows for each statement
    execute function content.tg_meta__events();

create or replace trigger _900_events_upd after update on content.meta
    referencing old table as old_rows new table as new_rows for each statement
    execute function content.tg_meta__events();
