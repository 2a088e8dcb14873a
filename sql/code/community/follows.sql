-- community/follows.sql: follows between users.

-- ---------------------------------------------------------------- community.follows

comment on table community.follows is
    'A user follows exactly one of: a user, a node or a category (real foreign keys, removed with the target). Module: community.';
comment on column community.follows.target_type is 'Computed: user | node | category.';
comment on column community.follows.target_id is 'Computed: the followed user, node or category id.';

select core.enable_tenant_rls('community.follows');
grant select, insert, update, delete on community.follows to rustok_app;

create or replace trigger _300_assert_module_ins after insert on community.follows
    referencing new table as new_rows for each statement
    execute function community.tg__assert_module('community.follows');

create or replace trigger _300_assert_module_upd after update on community.follows
    referencing new table as new_rows for each statement
    execute function community.tg__assert_module('community.follows');
