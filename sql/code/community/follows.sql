-- community/follows.sql: follows between users.

-- ---------------------------------------------------------------- community.follows

comment on table community.follows is
    'A user follows exactly one of: a user, a node or a category (real foreign keys, removed with the target). Module: community.';
comment on column community.follows.target_type is 'Computed: user | node | category.';
comment on column community.follows.target_id is 'Computed: the followed user, node or category id.';

select core.enable_tenant_rls('community.follows');
grant select, insert, update, delete on community.follows to rustok_app;
