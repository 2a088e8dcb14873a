-- commerce/inventory.sql: inventory items, stock locations, levels and low-stock thresholds.

-- reserved <= stocked unless backorder is allowed: checked only for rows that exceed
create or replace function commerce.tg_inventory_levels__reserved_within_stock() returns trigger
    language plpgsql volatile
as $$
begin
    if not exists (
        select 1
        from commerce.variant_inventory vi
        join commerce.variants v on v.tenant_id = vi.tenant_id and v.id = vi.variant_id
        where vi.tenant_id = new.tenant_id and vi.inventory_item_id = new.inventory_item_id
          and v.allow_backorder
    ) then
        raise exception 'commerce.inventory_levels.reserved_quantity: reserved % exceeds stocked % for inventory item % at location % (no variant of it allows backorder)',
                new.reserved_quantity, new.stocked_quantity, new.inventory_item_id, new.location_id
            using errcode = 'check_violation', column = 'reserved_quantity', table = 'inventory_levels', schema = 'commerce';
    end if;
    return new;
end
$$;
comment on function commerce.tg_inventory_levels__reserved_within_stock() is
    'BEFORE INSERT/UPDATE row trigger (only when reserved > stocked): refuses it unless a variant selling the item allows backorder (23514).';

create or replace function commerce.low_stock_thresholds(p_tenant_id uuid, p_inventory_item_ids uuid[])
    returns table (inventory_item_id uuid, threshold integer)
    language sql stable
as $$
    select i.id,
           coalesce(i.low_stock_threshold,
                    case when t.settings->>'low_stock_threshold' ~ '^[0-9]{1,9}$'
                         then (t.settings->>'low_stock_threshold')::integer end,
                    5)
    from commerce.inventory_items i
    left join core.tenants t on t.id = i.tenant_id
    where i.tenant_id = p_tenant_id and i.id = any (p_inventory_item_ids)
$$;
comment on function commerce.low_stock_thresholds(uuid, uuid[]) is
    'Effective low-stock threshold of items: the item''s own, else core.tenants.settings->>''low_stock_threshold'', else 5.';
grant execute on function commerce.low_stock_thresholds(uuid,uuid[]) to rustok_analyst, rustok_app;

-- ---------------------------------------------------------------- commerce.inventory_items

comment on table commerce.inventory_items is
    'Stock-keeping items (what sits on a shelf). Variants sell them through commerce.variant_inventory.';
comment on column commerce.inventory_items.low_stock_threshold is
    'InventoryLow fires when the item''s available quantity (all locations) drops to or below this. '
    'Null: core.tenants.settings->>''low_stock_threshold'', else 5.';
comment on column commerce.inventory_items.tenant_id is
    'The owning tenant (core.tenants.id); row-level security policy tenant_isolation keys on it.';
comment on column commerce.inventory_items.id is
    'Row id, with tenant_id the primary key: a ULID-layout uuid from core.new_id(), so ids sort by creation time.';
comment on column commerce.inventory_items.sku is
    'Stock keeping unit of the item (at most 64 characters), distinct from the variant''s SKU.';
comment on column commerce.inventory_items.title is 'Name of the item for staff (at most 255 characters).';
comment on column commerce.inventory_items.requires_shipping is
    'Whether the item must be shipped (false for digital goods and services).';
comment on column commerce.inventory_items.metadata is
    'Free-form JSON object for integrations and clients; the database does not interpret it.';
comment on column commerce.inventory_items.created_at is
    'When the row was created (write-once; trigger _100_timestamps).';
comment on column commerce.inventory_items.updated_at is
    'When the row last really changed (trigger _100_timestamps; an update that changes nothing keeps it).';

select core.enable_tenant_rls('commerce.inventory_items');
select core.allow_analyst_read('commerce.inventory_items');
grant select, insert, update, delete on commerce.inventory_items to rustok_app;
grant select on commerce.inventory_items to rustok_analyst;

create or replace trigger _100_timestamps before insert or update on commerce.inventory_items
    for each row
    execute function core.tg__timestamps();

create or replace trigger _900_events_del after delete on commerce.inventory_items
    referencing old table as old_rows for each statement
    execute function commerce.tg__product_child_events('inventory_item', 'id');

create or replace trigger _900_events_ins after insert on commerce.inventory_items
    referencing new table as new_rows for each statement
    execute function commerce.tg__product_child_events('inventory_item', 'id');

create or replace trigger _900_events_upd after update on commerce.inventory_items
    referencing old table as old_rows new table as new_rows for each statement
    execute function commerce.tg__product_child_events('inventory_item', 'id');

-- ---------------------------------------------------------------- commerce.stock_locations

comment on table commerce.stock_locations is 'Warehouses and stores that hold stock.';
comment on column commerce.stock_locations.tenant_id is
    'The owning tenant (core.tenants.id); row-level security policy tenant_isolation keys on it.';
comment on column commerce.stock_locations.id is
    'Row id, with tenant_id the primary key: a ULID-layout uuid from core.new_id(), so ids sort by creation time.';
comment on column commerce.stock_locations.name is 'Name of the warehouse or store, 1-255 characters.';
comment on column commerce.stock_locations.address is 'Postal address as a JSON object (free-form), or null.';
comment on column commerce.stock_locations.metadata is
    'Free-form JSON object for integrations and clients; the database does not interpret it.';
comment on column commerce.stock_locations.created_at is
    'When the row was created (write-once; trigger _100_timestamps).';
comment on column commerce.stock_locations.updated_at is
    'When the row last really changed (trigger _100_timestamps; an update that changes nothing keeps it).';

select core.enable_tenant_rls('commerce.stock_locations');
select core.allow_analyst_read('commerce.stock_locations');
grant select, insert, update, delete on commerce.stock_locations to rustok_app;
grant select on commerce.stock_locations to rustok_analyst;

create or replace trigger _100_timestamps before insert or update on commerce.stock_locations
    for each row
    execute function core.tg__timestamps();

create or replace trigger _900_module_ins after insert on commerce.stock_locations
    referencing new table as new_rows for each statement
    execute function commerce.tg__assert_commerce_enabled();

create or replace trigger _900_module_upd after update on commerce.stock_locations
    referencing new table as new_rows for each statement
    execute function commerce.tg__assert_commerce_enabled();

-- ---------------------------------------------------------------- commerce.inventory_levels

comment on table commerce.inventory_levels is
    'Stock of an item at a location. Available = stocked_quantity - reserved_quantity. Quantities never go negative; '
    'reserved never exceeds stocked unless a variant selling the item allows backorder.';
comment on column commerce.inventory_levels.stocked_quantity is 'Units physically at the location.';
comment on column commerce.inventory_levels.reserved_quantity is 'Units promised to placed, unfulfilled orders.';
comment on column commerce.inventory_levels.incoming_quantity is 'Units on the way (purchase orders, transfers).';
comment on column commerce.inventory_levels.tenant_id is
    'The owning tenant (core.tenants.id); row-level security policy tenant_isolation keys on it.';
comment on column commerce.inventory_levels.id is
    'Row id, with tenant_id the primary key: a ULID-layout uuid from core.new_id(), so ids sort by creation time.';
comment on column commerce.inventory_levels.inventory_item_id is 'The inventory item stocked (same tenant).';
comment on column commerce.inventory_levels.location_id is
    'The stock location holding it (same tenant); one level per item and location.';
comment on column commerce.inventory_levels.created_at is
    'When the row was created (write-once; trigger _100_timestamps).';
comment on column commerce.inventory_levels.updated_at is
    'When the row last really changed (trigger _100_timestamps; an update that changes nothing keeps it).';

select core.enable_tenant_rls('commerce.inventory_levels');
select core.allow_analyst_read('commerce.inventory_levels');
grant select, insert, update, delete on commerce.inventory_levels to rustok_app;
grant select on commerce.inventory_levels to rustok_analyst;

create or replace trigger _100_timestamps before insert or update on commerce.inventory_levels
    for each row
    execute function core.tg__timestamps();

create or replace trigger _200_reserved_within_stock before insert or update on commerce.inventory_levels
    for each row
    when (((new.reserved_quantity > new.stocked_quantity) and (new.stocked_quantity >= 0)))
    execute function commerce.tg_inventory_levels__reserved_within_stock();

create or replace trigger _900_events_del after delete on commerce.inventory_levels
    referencing old table as old_rows for each statement
    execute function commerce.tg_inventory_levels__events();

create or replace trigger _900_events_ins after insert on commerce.inventory_levels
    referencing new table as new_rows for each statement
    execute function commerce.tg_inventory_levels__events();

create or replace trigger _900_events_upd after update on commerce.inventory_levels
    referencing old table as old_rows new table as new_rows for each statement
    execute function commerce.tg_inventory_levels__events();

-- ---------------------------------------------------------------- commerce.variant_inventory

comment on table commerce.variant_inventory is
    'Which inventory items a variant consumes, and how many of each per unit sold (bundles: several rows).';
comment on column commerce.variant_inventory.required_quantity is 'Units of the item per unit of the variant.';
comment on column commerce.variant_inventory.tenant_id is
    'The owning tenant (core.tenants.id); row-level security policy tenant_isolation keys on it.';
comment on column commerce.variant_inventory.variant_id is 'The variant that consumes the item (same tenant).';
comment on column commerce.variant_inventory.inventory_item_id is 'The inventory item consumed (same tenant).';
comment on column commerce.variant_inventory.created_at is
    'When the row was created (write-once; trigger _100_timestamps).';
comment on column commerce.variant_inventory.updated_at is
    'When the row last really changed (trigger _100_timestamps; an update that changes nothing keeps it).';

select core.enable_tenant_rls('commerce.variant_inventory');
select core.allow_analyst_read('commerce.variant_inventory');
grant select, insert, update, delete on commerce.variant_inventory to rustok_app;
grant select on commerce.variant_inventory to rustok_analyst;

create or replace trigger _100_timestamps before insert or update on commerce.variant_inventory
    for each row
    execute function core.tg__timestamps();

create or replace trigger _900_events_del after delete on commerce.variant_inventory
    referencing old table as old_rows for each statement
    execute function commerce.tg__product_child_events('variant', 'variant_id');

create or replace trigger _900_events_ins after insert on commerce.variant_inventory
    referencing new table as new_rows for each statement
    execute function commerce.tg__product_child_events('variant', 'variant_id');

create or replace trigger _900_events_upd after update on commerce.variant_inventory
    referencing old table as old_rows new table as new_rows for each statement
    execute function commerce.tg__product_child_events('variant', 'variant_id');

-- ---------------------------------------------------------------- commerce.inventory_adjustments
comment on table commerce.inventory_adjustments is
    'Log of stock changes made with a reason (commerce.adjust_inventory, GraphQL adjustInventory): which level, by '
    'how much, the stocked quantity after, who and why. Append-only by use.';
comment on column commerce.inventory_adjustments.tenant_id is
    'The owning tenant (core.tenants.id); row-level security policy tenant_isolation keys on it.';
comment on column commerce.inventory_adjustments.id is 'Identifier (ULID layout), unique within the tenant.';
comment on column commerce.inventory_adjustments.inventory_item_id is 'The inventory item whose level changed.';
comment on column commerce.inventory_adjustments.location_id is 'The stock location of that level.';
comment on column commerce.inventory_adjustments.delta is 'Units added (positive) or removed (negative); never 0.';
comment on column commerce.inventory_adjustments.stocked_after is 'The level''s stocked quantity after the change.';
comment on column commerce.inventory_adjustments.reason is 'Why (recount, damaged, delivery ...), 1-1000 characters.';
comment on column commerce.inventory_adjustments.adjusted_by is 'The acting user (core.users.id), null from psql or when deleted.';
comment on column commerce.inventory_adjustments.created_at is 'When the adjustment was made.';

select core.enable_tenant_rls('commerce.inventory_adjustments');
select core.allow_analyst_read('commerce.inventory_adjustments');
grant select, insert on commerce.inventory_adjustments to rustok_app;
grant select on commerce.inventory_adjustments to rustok_analyst;
