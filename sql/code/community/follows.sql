-- community/follows.sql: follows between users.

-- ---------------------------------------------------------------- community.follows

comment on table community.follows is
    'A user follows exactly one of: a user, a node or a category (real foreign keys, removed with the target). Module: community.';
comment on column community.follows.target_type is 'Computed: user | node | category.';
comment on column community.follows.target_id is 'Computed: the followed user, node or category id.';
comment on column community.follows.tenant_id is
    'The owning tenant (core.tenants.id); row-level security policy tenant_isolation keys on it.';
comment on column community.follows.id is
    'Row id, with tenant_id the primary key: a ULID-layout uuid from core.new_id(), so ids sort by creation time.';
comment on column community.follows.follower_id is 'The user who follows (core.users, same tenant).';
comment on column community.follows.followed_user_id is
    'The followed user, when the target is a user (exactly one of followed_user_id, node_id, category_id is set).';
comment on column community.follows.node_id is 'The followed node, when the target is a node.';
comment on column community.follows.category_id is 'The followed content category, when the target is a category.';
comment on column community.follows.created_at is 'When the user started following.';

select core.enable_tenant_rls('community.follows');
grant select, insert, update, delete on community.follows to rustok_app;

create or replace trigger _300_assert_module_ins after insert on community.follows
    referencing new table as new_rows for each statement
    execute function community.tg__assert_module('community.follows');

create or replace trigger _300_assert_module_upd after update on community.follows
    referencing new table as new_rows for each statement
    execute function community.tg__assert_module('community.follows');
