-- depends: 0001_core 0030_outbox_events 0020_commerce_catalog
-- Inventory: items, stock locations, levels (stocked / reserved / incoming per item and location),
-- variant-to-item links with a required quantity, and the low-stock threshold.

create table commerce.inventory_items (
    tenant_id           uuid not null references core.tenants (id) on delete cascade,
    id                  uuid not null default core.new_id(),
    sku                 text constraint inventory_items_sku_check check (btrim(sku) <> '' and length(sku) <= 64),
    title               text constraint inventory_items_title_check check (length(title) <= 255),
    requires_shipping   boolean not null default true,
    low_stock_threshold integer constraint inventory_items_low_stock_threshold_check check (low_stock_threshold >= 0),
    metadata            jsonb not null default '{}' constraint inventory_items_metadata_check check (jsonb_typeof(metadata) = 'object'),
    created_at          timestamptz not null default now(),
    updated_at          timestamptz not null default now(),
    primary key (tenant_id, id),
    constraint inventory_items_sku_key unique (tenant_id, sku)
);
comment on table commerce.inventory_items is
    'Stock-keeping items (what sits on a shelf). Variants sell them through commerce.variant_inventory.';
comment on column commerce.inventory_items.low_stock_threshold is
    'InventoryLow fires when the item''s available quantity (all locations) drops to or below this. '
    'Null: core.tenants.settings->>''low_stock_threshold'', else 5.';
create trigger _100_timestamps before insert or update on commerce.inventory_items
    for each row execute function core.tg__timestamps();

create table commerce.stock_locations (
    tenant_id  uuid not null references core.tenants (id) on delete cascade,
    id         uuid not null default core.new_id(),
    name       text not null constraint stock_locations_name_check check (btrim(name) <> '' and length(name) <= 255),
    address    jsonb constraint stock_locations_address_check check (jsonb_typeof(address) = 'object'),
    metadata   jsonb not null default '{}' constraint stock_locations_metadata_check check (jsonb_typeof(metadata) = 'object'),
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    primary key (tenant_id, id),
    constraint stock_locations_name_key unique (tenant_id, name)
);
comment on table commerce.stock_locations is 'Warehouses and stores that hold stock.';
create trigger _100_timestamps before insert or update on commerce.stock_locations
    for each row execute function core.tg__timestamps();

create table commerce.inventory_levels (
    tenant_id         uuid not null references core.tenants (id) on delete cascade,
    id                uuid not null default core.new_id(),
    inventory_item_id uuid not null,
    location_id       uuid not null,
    stocked_quantity  integer not null default 0
                      constraint inventory_levels_stocked_quantity_check check (stocked_quantity >= 0),
    reserved_quantity integer not null default 0
                      constraint inventory_levels_reserved_quantity_check check (reserved_quantity >= 0),
    incoming_quantity integer not null default 0
                      constraint inventory_levels_incoming_quantity_check check (incoming_quantity >= 0),
    created_at        timestamptz not null default now(),
    updated_at        timestamptz not null default now(),
    primary key (tenant_id, id),
    constraint inventory_levels_inventory_item_id_fkey foreign key (tenant_id, inventory_item_id)
        references commerce.inventory_items (tenant_id, id) on delete cascade,
    constraint inventory_levels_location_id_fkey foreign key (tenant_id, location_id)
        references commerce.stock_locations (tenant_id, id) on delete cascade,
    constraint inventory_levels_item_location_key unique (tenant_id, inventory_item_id, location_id)
);
create index inventory_levels_location_idx on commerce.inventory_levels (tenant_id, location_id);
comment on table commerce.inventory_levels is
    'Stock of an item at a location. Available = stocked_quantity - reserved_quantity. Quantities never go negative; '
    'reserved never exceeds stocked unless a variant selling the item allows backorder.';
comment on column commerce.inventory_levels.stocked_quantity is 'Units physically at the location.';
comment on column commerce.inventory_levels.reserved_quantity is 'Units promised to placed, unfulfilled orders.';
comment on column commerce.inventory_levels.incoming_quantity is 'Units on the way (purchase orders, transfers).';
create trigger _100_timestamps before insert or update on commerce.inventory_levels
    for each row execute function core.tg__timestamps();

create table commerce.variant_inventory (
    tenant_id         uuid not null references core.tenants (id) on delete cascade,
    variant_id        uuid not null,
    inventory_item_id uuid not null,
    required_quantity integer not null default 1
                      constraint variant_inventory_required_quantity_check check (required_quantity >= 1),
    created_at        timestamptz not null default now(),
    updated_at        timestamptz not null default now(),
    primary key (tenant_id, variant_id, inventory_item_id),
    constraint variant_inventory_variant_id_fkey foreign key (tenant_id, variant_id)
        references commerce.variants (tenant_id, id) on delete cascade,
    constraint variant_inventory_inventory_item_id_fkey foreign key (tenant_id, inventory_item_id)
        references commerce.inventory_items (tenant_id, id) on delete cascade
);
create index variant_inventory_item_idx on commerce.variant_inventory (tenant_id, inventory_item_id);
comment on table commerce.variant_inventory is
    'Which inventory items a variant consumes, and how many of each per unit sold (bundles: several rows).';
comment on column commerce.variant_inventory.required_quantity is 'Units of the item per unit of the variant.';
create trigger _100_timestamps before insert or update on commerce.variant_inventory
    for each row execute function core.tg__timestamps();

-- reserved <= stocked unless backorder is allowed: checked only for rows that exceed
create function commerce.tg_inventory_levels__reserved_within_stock() returns trigger
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
create trigger _200_reserved_within_stock before insert or update on commerce.inventory_levels
    for each row when (new.reserved_quantity > new.stocked_quantity and new.stocked_quantity >= 0)
    execute function commerce.tg_inventory_levels__reserved_within_stock();

create function commerce.low_stock_thresholds(p_tenant_id uuid, p_inventory_item_ids uuid[])
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

grant select, insert, update, delete on commerce.inventory_items, commerce.stock_locations,
    commerce.inventory_levels, commerce.variant_inventory to rustok_app;
grant select on commerce.inventory_items, commerce.stock_locations,
    commerce.inventory_levels, commerce.variant_inventory to rustok_analyst;
grant execute on function commerce.low_stock_thresholds(uuid, uuid[]) to rustok_app, rustok_analyst;

do $rls$
declare
    v_table text;
begin
    foreach v_table in array array['commerce.inventory_items', 'commerce.stock_locations',
        'commerce.inventory_levels', 'commerce.variant_inventory'] loop
        execute format('alter table %s enable row level security', v_table);
        execute format('create policy tenant_isolation on %s to rustok_app
                            using (tenant_id = core.current_tenant_id())
                            with check (tenant_id = core.current_tenant_id())', v_table);
        execute format('create policy analyst_read on %s for select to rustok_analyst using (true)', v_table);
    end loop;
end
$rls$;
