-- commerce/categories.sql: commerce categories (a tree) and product categories.

-- ---------------------------------------------------------------- commerce.categories

comment on table commerce.categories is
    'Commerce categories with their own hierarchy (parent_id, never a cycle), ordered by rank among siblings.';
comment on column commerce.categories.is_internal is 'Internal categories are hidden from storefronts.';
comment on column commerce.categories.rank is 'Sort position among siblings (0 first).';

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

-- ---------------------------------------------------------------- commerce.product_categories

comment on table commerce.product_categories is 'Which commerce categories a product is in (many to many).';

select core.enable_tenant_rls('commerce.product_categories');
select core.allow_analyst_read('commerce.product_categories');
grant select, insert, update, delete on commerce.product_categories to rustok_app;
grant select on commerce.product_categories to rustok_analyst;
