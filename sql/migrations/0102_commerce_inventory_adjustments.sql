-- depends: 0101_core_permissions
-- commerce: a log of inventory adjustments made with a reason (who changed which stock level by how much, and why).

create table commerce.inventory_adjustments (
    tenant_id         uuid not null references core.tenants (id) on delete cascade,
    id                uuid not null default core.new_id(),
    inventory_item_id uuid not null,
    location_id       uuid not null,
    delta             integer not null,
    stocked_after     integer not null,
    reason            text not null,
    adjusted_by       uuid,
    created_at        timestamptz not null default now(),
    primary key (tenant_id, id),
    foreign key (tenant_id, inventory_item_id) references commerce.inventory_items (tenant_id, id) on delete cascade,
    foreign key (tenant_id, location_id) references commerce.stock_locations (tenant_id, id) on delete cascade,
    foreign key (tenant_id, adjusted_by) references core.users (tenant_id, id) on delete set null (adjusted_by),
    constraint inventory_adjustments_delta_check check (delta <> 0),
    constraint inventory_adjustments_reason_check check (btrim(reason) <> '' and length(reason) <= 1000)
);
create index inventory_adjustments_item_idx on commerce.inventory_adjustments (tenant_id, inventory_item_id, created_at);
