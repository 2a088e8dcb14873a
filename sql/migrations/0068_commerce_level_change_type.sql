-- depends: 0067_core_tenant_analysts
-- commerce: one changed inventory level as a value, so the inventory_levels event trigger can collect the
-- changed rows of INSERT, UPDATE and DELETE with static SQL (cached plans) instead of building one dynamic
-- statement per operation and planning it on every call (3-5 ms of every order placement).

create type commerce._level_change as (
    tenant_id         uuid,
    inventory_item_id uuid,
    location_id       uuid,
    old_quantity      integer,
    new_quantity      integer,
    old_available     integer,
    new_available     integer
);
