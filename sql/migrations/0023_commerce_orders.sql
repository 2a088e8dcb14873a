-- depends: 0001_core 0030_outbox_events 0020_commerce_catalog 0021_commerce_prices 0022_commerce_inventory
-- Orders: range-partitioned by created_at (quarterly + default, manifest 5.5), order items, stock
-- reservations, a per-tenant display_id counter, the status state machine, place_order and
-- partition upkeep.

-- ---------------------------------------------------------------- orders
create table commerce.orders (
    tenant_id        uuid not null references core.tenants (id) on delete cascade,
    id               uuid not null default core.new_id(),
    created_at       timestamptz not null default now(),
    display_id       bigint not null constraint orders_display_id_check check (display_id >= 1),
    status           text not null default 'pending'
                     constraint orders_status_check check (status in ('pending', 'paid', 'fulfilled', 'completed', 'cancelled')),
    customer_id      uuid,
    email            text constraint orders_email_check check (email ~ '^[^@[:space:]]+@[^@[:space:]]+$' and length(email) <= 255),
    currency_code    text not null
                     constraint orders_currency_code_check check (currency_code ~ '^[A-Z]{3}$')
                     constraint orders_currency_code_fkey references commerce.currencies (code) on update cascade on delete restrict,
    subtotal         bigint not null constraint orders_subtotal_check check (subtotal >= 0),
    discount_total   bigint not null default 0 constraint orders_discount_total_check check (discount_total >= 0 and discount_total <= subtotal),
    shipping_total   bigint not null default 0 constraint orders_shipping_total_check check (shipping_total >= 0),
    tax_rate         numeric(7, 6) not null default 0 constraint orders_tax_rate_check check (tax_rate >= 0 and tax_rate <= 1),
    tax_total        bigint not null default 0 constraint orders_tax_total_check check (tax_total >= 0),
    total            bigint not null
                     constraint orders_total_check check (total = subtotal - discount_total + shipping_total + tax_total),
    shipping_address jsonb constraint orders_shipping_address_check check (jsonb_typeof(shipping_address) = 'object'),
    billing_address  jsonb constraint orders_billing_address_check check (jsonb_typeof(billing_address) = 'object'),
    metadata         jsonb not null default '{}' constraint orders_metadata_check check (jsonb_typeof(metadata) = 'object'),
    updated_at       timestamptz not null default now(),
    paid_at          timestamptz,
    fulfilled_at     timestamptz,
    completed_at     timestamptz,
    cancelled_at     timestamptz,
    primary key (tenant_id, id, created_at),
    constraint orders_customer_id_fkey foreign key (tenant_id, customer_id)
        references core.users (tenant_id, id) on delete set null (customer_id)
) partition by range (created_at);
create index orders_tenant_created_idx on commerce.orders (tenant_id, created_at desc);
create index orders_tenant_display_idx on commerce.orders (tenant_id, display_id);
create index orders_tenant_status_idx on commerce.orders (tenant_id, status);
create index orders_customer_idx on commerce.orders (tenant_id, customer_id) where customer_id is not null;
comment on table commerce.orders is
    'Orders, range-partitioned by created_at: one partition per quarter (UTC), named orders_pYYYYqN, plus '
    'orders_default for anything outside them (keep it empty: commerce.create_order_partitions). Key '
    '(tenant_id, id, created_at). Place with commerce.place_order, move with commerce.set_order_status.';
comment on column commerce.orders.display_id is
    'Human order number, per tenant, from commerce.order_counters (no gaps: a rolled-back order returns its number).';
comment on column commerce.orders.status is
    'pending -> paid -> fulfilled -> completed; pending or paid -> cancelled. Other changes are refused (55000).';
comment on column commerce.orders.subtotal is 'Sum of item totals, minor units of currency_code.';
comment on column commerce.orders.tax_rate is 'Tax rate as a fraction (0.2 = 20%), applied to subtotal - discount + shipping.';
comment on column commerce.orders.total is 'subtotal - discount_total + shipping_total + tax_total (checked).';

create table commerce.orders_default partition of commerce.orders default;
comment on table commerce.orders_default is
    'Default partition of commerce.orders: rows outside every quarterly partition. Should stay empty; '
    'commerce.order_default_rows() reports what is in it and commerce.create_order_partition moves it out.';

-- ---------------------------------------------------------------- display_id counter
create table commerce.order_counters (
    tenant_id       uuid primary key references core.tenants (id) on delete cascade,
    last_display_id bigint not null default 0 constraint order_counters_last_display_id_check check (last_display_id >= 0)
);
comment on table commerce.order_counters is
    'Last display_id handed out per tenant. The row is locked until the ordering transaction ends, so numbers are '
    'gap-free and unique per tenant (orders of one tenant serialize on it briefly: place_order takes it last).';

create function commerce.tg_orders__display_id() returns trigger
    language plpgsql volatile
as $$
begin
    if new.display_id is null then
        insert into commerce.order_counters as c (tenant_id, last_display_id)
        values (new.tenant_id, 1)
        on conflict (tenant_id) do update set last_display_id = c.last_display_id + 1
        returning c.last_display_id into new.display_id;
    else
        -- an imported number: make sure later numbers come after it
        insert into commerce.order_counters as c (tenant_id, last_display_id)
        values (new.tenant_id, new.display_id)
        on conflict (tenant_id) do update set last_display_id = greatest(c.last_display_id, excluded.last_display_id)
        where c.last_display_id < excluded.last_display_id;
    end if;
    return new;
end
$$;
comment on function commerce.tg_orders__display_id() is
    'BEFORE INSERT row trigger on commerce.orders: assigns the next per-tenant display_id (or advances the counter past an imported one).';
create trigger _050_display_id before insert on commerce.orders
    for each row execute function commerce.tg_orders__display_id();

-- ---------------------------------------------------------------- state machine
create table commerce.order_status_transitions (
    from_status text not null,
    to_status   text not null,
    primary key (from_status, to_status)
);
comment on table commerce.order_status_transitions is 'Allowed order status changes (reference data for the status guard).';
insert into commerce.order_status_transitions values
    ('pending', 'paid'), ('paid', 'fulfilled'), ('fulfilled', 'completed'),
    ('pending', 'cancelled'), ('paid', 'cancelled');

create function commerce.tg_orders__guard() returns trigger
    language plpgsql volatile
as $$
begin
    if new.tenant_id is distinct from old.tenant_id or new.id is distinct from old.id
       or new.created_at is distinct from old.created_at or new.display_id is distinct from old.display_id
       or new.currency_code is distinct from old.currency_code then
        raise exception 'commerce.orders: tenant_id, id, created_at, display_id and currency_code of order % are write-once', old.id
            using errcode = 'object_not_in_prerequisite_state', table = 'orders', schema = 'commerce';
    end if;
    if new.status is distinct from old.status then
        if not exists (select 1 from commerce.order_status_transitions t
                       where t.from_status = old.status and t.to_status = new.status) then
            raise exception 'commerce.orders.status: order % (#%) cannot go from % to %', old.id, old.display_id, old.status, new.status
                using errcode = 'object_not_in_prerequisite_state', column = 'status', table = 'orders', schema = 'commerce',
                      hint = 'allowed: pending -> paid -> fulfilled -> completed; pending or paid -> cancelled';
        end if;
        case new.status
            when 'paid' then new.paid_at := coalesce(new.paid_at, now());
            when 'fulfilled' then new.fulfilled_at := coalesce(new.fulfilled_at, now());
            when 'completed' then new.completed_at := coalesce(new.completed_at, now());
            when 'cancelled' then new.cancelled_at := coalesce(new.cancelled_at, now());
            else null;
        end case;
    end if;
    if new is distinct from old then
        new.updated_at := greatest(now(), old.updated_at);
    end if;
    return new;
end
$$;
comment on function commerce.tg_orders__guard() is
    'BEFORE UPDATE row trigger on commerce.orders: enforces the status state machine (55000) and write-once keys for every UPDATE, raw or not; stamps paid_at/fulfilled_at/completed_at/cancelled_at.';
create trigger _100_guard before update on commerce.orders
    for each row execute function commerce.tg_orders__guard();

-- ---------------------------------------------------------------- order items and reservations
create table commerce.order_items (
    tenant_id           uuid not null references core.tenants (id) on delete cascade,
    id                  uuid not null default core.new_id(),
    order_id            uuid not null,
    order_created_at    timestamptz not null,
    variant_id          uuid,
    product_id          uuid,
    title               text not null constraint order_items_title_check check (btrim(title) <> '' and length(title) <= 512),
    sku                 text constraint order_items_sku_check check (length(sku) <= 64),
    quantity            integer not null constraint order_items_quantity_check check (quantity >= 1),
    unit_price          bigint not null constraint order_items_unit_price_check check (unit_price >= 0),
    original_unit_price bigint constraint order_items_original_unit_price_check check (original_unit_price >= 0),
    price_list_id       uuid,
    total               bigint not null constraint order_items_total_check check (total = unit_price * quantity),
    metadata            jsonb not null default '{}' constraint order_items_metadata_check check (jsonb_typeof(metadata) = 'object'),
    created_at          timestamptz not null default now(),
    primary key (tenant_id, id),
    constraint order_items_order_item_key unique (tenant_id, order_id, id),
    constraint order_items_order_id_fkey foreign key (tenant_id, order_id, order_created_at)
        references commerce.orders (tenant_id, id, created_at) on delete no action,
    constraint order_items_variant_id_fkey foreign key (tenant_id, variant_id)
        references commerce.variants (tenant_id, id) on delete set null (variant_id),
    constraint order_items_product_id_fkey foreign key (tenant_id, product_id)
        references commerce.products (tenant_id, id) on delete set null (product_id)
);
create index order_items_order_idx on commerce.order_items (tenant_id, order_id, order_created_at);
create index order_items_variant_idx on commerce.order_items (tenant_id, variant_id);
comment on table commerce.order_items is
    'Lines of an order: a snapshot of title, sku and prices at placement (variant_id/product_id become null if those are deleted).';
comment on column commerce.order_items.order_created_at is 'The order''s created_at (part of the partitioned orders key).';
comment on column commerce.order_items.original_unit_price is 'Unit price before a sale price list (equals unit_price when none applied).';

create table commerce.order_reservations (
    tenant_id         uuid not null references core.tenants (id) on delete cascade,
    id                uuid not null default core.new_id(),
    order_id          uuid not null,
    order_item_id     uuid not null,
    inventory_item_id uuid not null,
    location_id       uuid not null,
    quantity          integer not null constraint order_reservations_quantity_check check (quantity >= 1),
    created_at        timestamptz not null default now(),
    primary key (tenant_id, id),
    constraint order_reservations_order_item_id_fkey foreign key (tenant_id, order_id, order_item_id)
        references commerce.order_items (tenant_id, order_id, id) on delete cascade,
    constraint order_reservations_level_fkey foreign key (tenant_id, inventory_item_id, location_id)
        references commerce.inventory_levels (tenant_id, inventory_item_id, location_id) on delete restrict
);
create index order_reservations_order_idx on commerce.order_reservations (tenant_id, order_id);
create index order_reservations_level_idx on commerce.order_reservations (tenant_id, inventory_item_id, location_id);
comment on table commerce.order_reservations is
    'Stock held for an open order (counted in inventory_levels.reserved_quantity). Cancelling releases it; '
    'fulfilment turns it into a stock decrement. Either way the reservation row is removed.';

create function commerce.tg_orders__inventory() returns trigger
    language plpgsql volatile
as $$
begin
    if not exists (select 1 from new_rows n join old_rows o on o.tenant_id = n.tenant_id and o.id = n.id and o.created_at = n.created_at
                   where n.status is distinct from o.status and n.status in ('cancelled', 'fulfilled')) then
        return null;
    end if;

    -- lock the levels in a fixed order (no deadlock with place_order), then settle set-based
    perform 1
    from commerce.inventory_levels il
    where (il.tenant_id, il.inventory_item_id, il.location_id) in (
        select r.tenant_id, r.inventory_item_id, r.location_id
        from commerce.order_reservations r
        join new_rows n on n.tenant_id = r.tenant_id and n.id = r.order_id
        join old_rows o on o.tenant_id = n.tenant_id and o.id = n.id and o.created_at = n.created_at
        where n.status is distinct from o.status and n.status in ('cancelled', 'fulfilled'))
    order by il.tenant_id, il.inventory_item_id, il.location_id
    for no key update;

    with settled as (
        select n.tenant_id, n.id, n.status
        from new_rows n join old_rows o on o.tenant_id = n.tenant_id and o.id = n.id and o.created_at = n.created_at
        where n.status is distinct from o.status and n.status in ('cancelled', 'fulfilled')
    ), settle as (
        select r.tenant_id, r.inventory_item_id, r.location_id,
               sum(r.quantity) as released,
               coalesce(sum(r.quantity) filter (where s.status = 'fulfilled'), 0) as shipped
        from commerce.order_reservations r
        join settled s on s.tenant_id = r.tenant_id and s.id = r.order_id
        group by r.tenant_id, r.inventory_item_id, r.location_id
    )
    update commerce.inventory_levels il
    set reserved_quantity = il.reserved_quantity - s.released,
        stocked_quantity = il.stocked_quantity - s.shipped
    from settle s
    where il.tenant_id = s.tenant_id and il.inventory_item_id = s.inventory_item_id and il.location_id = s.location_id;

    delete from commerce.order_reservations r
    using new_rows n join old_rows o on o.tenant_id = n.tenant_id and o.id = n.id and o.created_at = n.created_at
    where n.status is distinct from o.status and n.status in ('cancelled', 'fulfilled')
      and n.tenant_id = r.tenant_id and n.id = r.order_id;
    return null;
end
$$;
comment on function commerce.tg_orders__inventory() is
    'AFTER UPDATE statement trigger on commerce.orders: cancelled orders release their reservations, fulfilled orders '
    'turn them into stock decrements (stocked and reserved both drop), set-based over the transition tables.';
create trigger _300_inventory after update on commerce.orders
    referencing old table as old_rows new table as new_rows
    for each statement execute function commerce.tg_orders__inventory();

-- ---------------------------------------------------------------- place_order
create type commerce._order_line as (
    ord                 integer,
    item_id             uuid,
    variant_id          uuid,
    quantity            integer,
    product_id          uuid,
    product_title       text,
    product_handle      text,
    product_status      text,
    discountable        boolean,
    variant_title       text,
    sku                 text,
    manage_inventory    boolean,
    allow_backorder     boolean,
    unit_price          bigint,
    original_unit_price bigint,
    price_list_id       uuid
);
comment on type commerce._order_line is 'Internal: one resolved line of commerce.place_order.';

create type commerce._stock_allocation as (
    inventory_item_id uuid,
    location_id       uuid,
    needed            integer,
    available         integer,
    backorder         boolean
);
comment on type commerce._stock_allocation is 'Internal: where commerce.place_order reserves an inventory item.';

create function commerce.place_order(
    p_tenant_id        uuid,
    p_currency         text,
    p_items            jsonb,
    p_customer_id      uuid default null,
    p_email            text default null,
    p_shipping_address jsonb default null,
    p_billing_address  jsonb default null,
    p_shipping_total   bigint default 0,
    p_discount_total   bigint default 0,
    p_tax_rate         numeric default 0,
    p_customer_group   text default null,
    p_location_id      uuid default null,
    p_metadata         jsonb default '{}'
) returns commerce.orders
    language plpgsql volatile
as $$
declare
    v_lines    commerce._order_line[];
    v_alloc    commerce._stock_allocation[];
    v_bad      record;
    v_subtotal bigint;
    v_discountable bigint;
    v_tax      bigint;
    v_order    commerce.orders;
begin
    -- ---- arguments
    if p_tenant_id is null then
        raise exception 'tenant_id: is required' using errcode = 'invalid_parameter_value', column = 'tenant_id';
    end if;
    if core.current_tenant_id() is not null and core.current_tenant_id() <> p_tenant_id then
        raise exception 'tenant_id: % is not the current tenant', p_tenant_id using errcode = 'insufficient_privilege', column = 'tenant_id';
    end if;
    perform core.assert_module_enabled(array[p_tenant_id], 'commerce');
    if p_currency is null or not exists (select 1 from commerce.currencies c where c.code = p_currency) then
        raise exception 'commerce.orders.currency_code: unknown currency % (expected an ISO 4217 code such as EUR)', coalesce(p_currency, 'null')
            using errcode = 'invalid_parameter_value', column = 'currency_code', table = 'orders', schema = 'commerce';
    end if;
    if p_items is null or jsonb_typeof(p_items) <> 'array' or jsonb_array_length(p_items) = 0 then
        raise exception 'items: must be a non-empty JSON array of {variant_id, quantity}'
            using errcode = 'invalid_parameter_value', column = 'items';
    end if;
    select x.ord, x.e into v_bad
    from jsonb_array_elements(p_items) with ordinality as x (e, ord)
    where case
        when jsonb_typeof(x.e) <> 'object' then true
        when coalesce(x.e->>'variant_id', '') !~* '^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$' then true
        when jsonb_typeof(x.e->'quantity') <> 'number' or (x.e->>'quantity') !~ '^[0-9]{1,9}$' then true
        else (x.e->>'quantity')::integer < 1
    end
    order by x.ord
    limit 1;
    if found then
        raise exception 'items[%]: needs a variant_id (uuid) and a whole quantity of at least 1, got %', v_bad.ord - 1, v_bad.e
            using errcode = 'invalid_parameter_value', column = 'quantity';
    end if;
    if coalesce(p_shipping_total, -1) < 0 then
        raise exception 'commerce.orders.shipping_total: must be 0 or more, got %', p_shipping_total
            using errcode = 'invalid_parameter_value', column = 'shipping_total';
    end if;
    if coalesce(p_discount_total, -1) < 0 then
        raise exception 'commerce.orders.discount_total: must be 0 or more, got %', p_discount_total
            using errcode = 'invalid_parameter_value', column = 'discount_total';
    end if;
    if p_tax_rate is null or p_tax_rate < 0 or p_tax_rate > 1 then
        raise exception 'commerce.orders.tax_rate: must be a fraction between 0 and 1, got %', p_tax_rate
            using errcode = 'invalid_parameter_value', column = 'tax_rate';
    end if;

    -- ---- lines: merge repeated variants, resolve variant, product and price in one statement
    with req as (
        select min(x.ord)::integer as ord, (x.e->>'variant_id')::uuid as variant_id,
               sum((x.e->>'quantity')::integer)::integer as quantity
        from jsonb_array_elements(p_items) with ordinality as x (e, ord)
        group by (x.e->>'variant_id')::uuid
    ), price as (
        select r.variant_id, r.quantity, r.calculated_amount, r.original_amount, r.calculated_price_list_id
        from commerce._resolve_prices(
            (select array_agg(req.variant_id order by req.ord) from req),
            (select array_agg(req.quantity order by req.ord) from req),
            p_currency, now(), p_customer_group) r
    )
    select array_agg(row(req.ord, core.new_id(), req.variant_id, req.quantity,
                         p.id, p.title, p.handle, p.status, p.discountable,
                         v.title, v.sku, v.manage_inventory, v.allow_backorder,
                         pr.calculated_amount, pr.original_amount, pr.calculated_price_list_id)::commerce._order_line
                     order by req.ord)
    into v_lines
    from req
    left join commerce.variants v on v.tenant_id = p_tenant_id and v.id = req.variant_id
    left join commerce.products p on p.tenant_id = v.tenant_id and p.id = v.product_id
    left join price pr on pr.variant_id = req.variant_id and pr.quantity = req.quantity;

    select l.* into v_bad from unnest(v_lines) l where l.product_id is null order by l.ord limit 1;
    if found then
        raise exception 'items[%].variant_id: variant % not found', v_bad.ord - 1, v_bad.variant_id
            using errcode = 'no_data_found', column = 'variant_id';
    end if;
    select l.* into v_bad from unnest(v_lines) l where l.product_status <> 'published' order by l.ord limit 1;
    if found then
        raise exception 'commerce.products.status: product "%" (variant %, sku %) is %, only published products can be ordered',
                v_bad.product_handle, v_bad.variant_id, coalesce(v_bad.sku, '-'), v_bad.product_status
            using errcode = 'object_not_in_prerequisite_state', column = 'status', table = 'products', schema = 'commerce';
    end if;
    select l.* into v_bad from unnest(v_lines) l where l.unit_price is null order by l.ord limit 1;
    if found then
        raise exception 'commerce.prices.amount: variant % (sku %) has no price in % for quantity %',
                v_bad.variant_id, coalesce(v_bad.sku, '-'), p_currency, v_bad.quantity
            using errcode = 'no_data_found', column = 'amount', table = 'prices', schema = 'commerce';
    end if;

    -- a variant that manages inventory but is linked to no inventory item cannot be sold safely
    select l.* into v_bad
    from unnest(v_lines) l
    where l.manage_inventory
      and not exists (select 1 from commerce.variant_inventory vi where vi.tenant_id = p_tenant_id and vi.variant_id = l.variant_id)
    order by l.ord limit 1;
    if found then
        raise exception 'items[%].quantity: insufficient stock for variant % (sku %): requested %, available 0 (it manages inventory but has no inventory item)',
                v_bad.ord - 1, v_bad.variant_id, coalesce(v_bad.sku, '-'), v_bad.quantity
            using errcode = 'check_violation', column = 'quantity', table = 'variant_inventory', schema = 'commerce';
    end if;

    -- ---- stock: lock the candidate levels in a fixed order, pick a location per item, check, reserve
    perform 1
    from commerce.inventory_levels il
    where il.tenant_id = p_tenant_id
      and (p_location_id is null or il.location_id = p_location_id)
      and il.inventory_item_id in (
          select vi.inventory_item_id
          from unnest(v_lines) l
          join commerce.variant_inventory vi on vi.tenant_id = p_tenant_id and vi.variant_id = l.variant_id
          where l.manage_inventory)
    order by il.inventory_item_id, il.location_id
    for no key update;

    with need as (
        select vi.inventory_item_id, sum(l.quantity * vi.required_quantity)::integer as needed,
               bool_and(l.allow_backorder) as backorder
        from unnest(v_lines) l
        join commerce.variant_inventory vi on vi.tenant_id = p_tenant_id and vi.variant_id = l.variant_id
        where l.manage_inventory
        group by vi.inventory_item_id
    )
    select array_agg(a) into v_alloc
    from (
        select distinct on (n.inventory_item_id)
               row(n.inventory_item_id, il.location_id, n.needed,
                   coalesce(il.stocked_quantity - il.reserved_quantity, 0), n.backorder)::commerce._stock_allocation as a
        from need n
        left join commerce.inventory_levels il
          on il.tenant_id = p_tenant_id and il.inventory_item_id = n.inventory_item_id
         and (p_location_id is null or il.location_id = p_location_id)
        order by n.inventory_item_id, il.stocked_quantity - il.reserved_quantity desc nulls last, il.location_id
    ) s;

    select l.ord, l.variant_id, l.sku, l.quantity, a.inventory_item_id, a.location_id,
           greatest(a.available, 0) / vi.required_quantity as available
    into v_bad
    from unnest(v_alloc) a
    join commerce.variant_inventory vi on vi.tenant_id = p_tenant_id and vi.inventory_item_id = a.inventory_item_id
    join unnest(v_lines) l on l.variant_id = vi.variant_id and l.manage_inventory
    where a.location_id is null or (a.available < a.needed and not a.backorder)
    order by l.ord
    limit 1;
    if found then
        raise exception 'items[%].quantity: insufficient stock for variant % (sku %): requested %, available %',
                v_bad.ord - 1, v_bad.variant_id, coalesce(v_bad.sku, '-'), v_bad.quantity, v_bad.available
            using errcode = 'check_violation', column = 'quantity', table = 'inventory_levels', schema = 'commerce',
                  detail = format('inventory item %s, location %s', v_bad.inventory_item_id, coalesce(v_bad.location_id::text, 'none stocked'));
    end if;

    update commerce.inventory_levels il
    set reserved_quantity = il.reserved_quantity + a.needed
    from unnest(v_alloc) a
    where il.tenant_id = p_tenant_id and il.inventory_item_id = a.inventory_item_id and il.location_id = a.location_id;

    -- ---- totals
    select sum(l.unit_price * l.quantity), coalesce(sum(l.unit_price * l.quantity) filter (where l.discountable), 0)
    into v_subtotal, v_discountable
    from unnest(v_lines) l;
    if p_discount_total > v_discountable then
        raise exception 'commerce.orders.discount_total: % exceeds the discountable subtotal %', p_discount_total, v_discountable
            using errcode = 'invalid_parameter_value', column = 'discount_total', table = 'orders', schema = 'commerce';
    end if;
    v_tax := round((v_subtotal - p_discount_total + p_shipping_total) * p_tax_rate)::bigint;

    -- ---- write (the display_id counter row is taken here, last, to keep its lock short)
    insert into commerce.orders (tenant_id, customer_id, email, currency_code, subtotal, discount_total,
                                 shipping_total, tax_rate, tax_total, total, shipping_address, billing_address, metadata)
    values (p_tenant_id, p_customer_id, p_email, p_currency, v_subtotal, p_discount_total,
            p_shipping_total, p_tax_rate, v_tax, v_subtotal - p_discount_total + p_shipping_total + v_tax,
            p_shipping_address, p_billing_address, coalesce(p_metadata, '{}'))
    returning * into v_order;

    insert into commerce.order_items (tenant_id, id, order_id, order_created_at, variant_id, product_id, title, sku,
                                      quantity, unit_price, original_unit_price, price_list_id, total)
    select p_tenant_id, l.item_id, v_order.id, v_order.created_at, l.variant_id, l.product_id,
           case when l.variant_title = l.product_title then l.product_title
                else l.product_title || ' - ' || l.variant_title end,
           l.sku, l.quantity, l.unit_price, l.original_unit_price, l.price_list_id, l.unit_price * l.quantity
    from unnest(v_lines) l
    order by l.ord;

    insert into commerce.order_reservations (tenant_id, order_id, order_item_id, inventory_item_id, location_id, quantity)
    select p_tenant_id, v_order.id, l.item_id, a.inventory_item_id, a.location_id, l.quantity * vi.required_quantity
    from unnest(v_lines) l
    join commerce.variant_inventory vi on vi.tenant_id = p_tenant_id and vi.variant_id = l.variant_id
    join unnest(v_alloc) a on a.inventory_item_id = vi.inventory_item_id
    where l.manage_inventory;

    return v_order;
end
$$;
comment on function commerce.place_order(uuid, text, jsonb, uuid, text, jsonb, jsonb, bigint, bigint, numeric, text, uuid, jsonb) is
    'Place an order, all or nothing: p_items = [{"variant_id": uuid, "quantity": n}, ...]. Resolves prices '
    '(commerce.calculate_prices rules, per line quantity), refuses unknown variants (P0002), unpublished products '
    '(55000), unknown currencies (22023) and missing stock (23514 naming the variant, sku and available quantity; '
    'backorder variants may oversell), reserves stock (per item at p_location_id or the location with most available), '
    'computes subtotal, discount (<= discountable subtotal), shipping, tax (p_tax_rate fraction of subtotal - discount + '
    'shipping, rounded) and total, writes the order (next display_id) and its items. Returns the order row.';

-- ---------------------------------------------------------------- set_order_status
create function commerce.set_order_status(p_tenant_id uuid, p_order_id uuid, p_new_status text)
    returns commerce.orders
    language plpgsql volatile
as $$
declare
    v_order commerce.orders;
begin
    if p_new_status is null or p_new_status not in ('pending', 'paid', 'fulfilled', 'completed', 'cancelled') then
        raise exception 'commerce.orders.status: unknown status % (pending, paid, fulfilled, completed, cancelled)', coalesce(p_new_status, 'null')
            using errcode = 'invalid_parameter_value', column = 'status', table = 'orders', schema = 'commerce';
    end if;
    update commerce.orders o
    set status = p_new_status
    where o.tenant_id = p_tenant_id and o.id = p_order_id
    returning o.* into v_order;
    if not found then
        raise exception 'commerce.orders.id: order % not found', p_order_id
            using errcode = 'no_data_found', column = 'id', table = 'orders', schema = 'commerce';
    end if;
    return v_order;
end
$$;
comment on function commerce.set_order_status(uuid, uuid, text) is
    'Move an order to a new status (pending -> paid -> fulfilled -> completed; pending|paid -> cancelled). Invalid '
    'changes raise 55000 (the same guard applies to raw UPDATEs); cancelling releases reserved stock, fulfilling '
    'decrements it. Setting the current status again is a no-op. Returns the order row.';

-- ---------------------------------------------------------------- partition upkeep
create function commerce._quarter_start(p_at timestamptz) returns timestamptz
    language sql immutable strict parallel safe
as $$ select date_trunc('quarter', p_at at time zone 'UTC') at time zone 'UTC' $$;
comment on function commerce._quarter_start(timestamptz) is 'Internal: start of the UTC calendar quarter containing p_at.';

create function commerce.order_partition_name(p_at timestamptz) returns text
    language sql immutable strict parallel safe
as $$
    select format('orders_p%sq%s',
                  to_char(p_at at time zone 'UTC', 'YYYY'),
                  extract(quarter from p_at at time zone 'UTC'))
$$;
comment on function commerce.order_partition_name(timestamptz) is
    'Name of the quarterly commerce.orders partition holding moment p_at, e.g. orders_p2026q4 (UTC quarters).';

create function commerce.create_order_partition(p_at timestamptz)
    returns table (partition_name text, range_from timestamptz, range_to timestamptz, created boolean, moved_rows bigint)
    language plpgsql volatile
as $$
declare
    v_from  timestamptz := commerce._quarter_start(p_at);
    v_to    timestamptz := (((commerce._quarter_start(p_at)) at time zone 'UTC') + interval '3 months') at time zone 'UTC';
    v_name  text := commerce.order_partition_name(p_at);
    v_moved bigint;
begin
    if p_at is null then
        raise exception 'p_at: is required' using errcode = 'invalid_parameter_value';
    end if;
    if to_regclass(format('commerce.%I', v_name)) is not null then
        return query select v_name, v_from, v_to, false, 0::bigint;
        return;
    end if;
    -- Like pg_partman: build the partition as a plain table, move the matching rows out of the
    -- default partition into it, then attach it. Inserts that would land in the default partition
    -- wait meanwhile. The moved orders' items (and their stock reservations) reference the default
    -- partition, so they are set aside and put back unchanged around the move.
    lock table commerce.orders_default in access exclusive mode;
    execute format('create table commerce.%I (like commerce.orders including defaults including constraints)', v_name);
    execute format('alter table commerce.%I add constraint %I check (created_at >= %L and created_at < %L)',
                   v_name, v_name || '_bounds', v_from, v_to);
    if exists (select 1 from commerce.orders_default d where d.created_at >= v_from and d.created_at < v_to) then
        create temporary table _commerce_moved_items on commit drop as
            select i.* from commerce.order_items i
            where (i.tenant_id, i.order_id, i.order_created_at) in (
                select d.tenant_id, d.id, d.created_at from commerce.orders_default d
                where d.created_at >= v_from and d.created_at < v_to);
        create temporary table _commerce_moved_reservations on commit drop as
            select r.* from commerce.order_reservations r
            where (r.tenant_id, r.order_item_id) in (select m.tenant_id, m.id from _commerce_moved_items m);
        delete from commerce.order_items i using _commerce_moved_items m where i.tenant_id = m.tenant_id and i.id = m.id;
        execute format($q$
            with moved as (
                delete from commerce.orders_default where created_at >= %L and created_at < %L returning *
            )
            insert into commerce.%I select * from moved$q$, v_from, v_to, v_name);
        get diagnostics v_moved = row_count;
    else
        v_moved := 0;
    end if;
    execute format('alter table commerce.orders attach partition commerce.%I for values from (%L) to (%L)', v_name, v_from, v_to);
    execute format('alter table commerce.%I drop constraint %I', v_name, v_name || '_bounds');
    execute format('comment on table commerce.%I is %L', v_name,
                   format('Partition of commerce.orders: orders created in %s Q%s (UTC) [%s, %s).',
                          to_char(v_from at time zone 'UTC', 'YYYY'), extract(quarter from v_from at time zone 'UTC'), v_from, v_to));
    if to_regclass('pg_temp._commerce_moved_items') is not null then
        insert into commerce.order_items select * from _commerce_moved_items;
        insert into commerce.order_reservations select * from _commerce_moved_reservations;
        drop table _commerce_moved_reservations;
        drop table _commerce_moved_items;
    end if;
    return query select v_name, v_from, v_to, true, v_moved;
end
$$;
comment on function commerce.create_order_partition(timestamptz) is
    'Create the quarterly commerce.orders partition holding moment p_at (no-op when it exists). Rows of that quarter '
    'sitting in orders_default are moved into it first (pg_partman style), so it works with a populated default. '
    'Operator function (DDL): run as the migration owner.';

create function commerce.create_order_partitions(p_quarters_ahead integer default 4, p_from timestamptz default now())
    returns table (partition_name text, range_from timestamptz, range_to timestamptz, created boolean, moved_rows bigint)
    language plpgsql volatile
as $$
declare
    v_i integer;
begin
    if p_quarters_ahead is null or p_quarters_ahead < 0 or p_quarters_ahead > 200 then
        raise exception 'p_quarters_ahead: must be between 0 and 200, got %', p_quarters_ahead
            using errcode = 'invalid_parameter_value';
    end if;
    for v_i in 0 .. p_quarters_ahead loop
        return query
        select * from commerce.create_order_partition(
            ((commerce._quarter_start(coalesce(p_from, now())) at time zone 'UTC') + make_interval(months => 3 * v_i)) at time zone 'UTC');
    end loop;
end
$$;
comment on function commerce.create_order_partitions(integer, timestamptz) is
    'Create the quarterly commerce.orders partitions for the quarter of p_from (default now) and p_quarters_ahead '
    'quarters after it, moving matching rows out of the default partition. Returns one row per quarter. Run it '
    'from a scheduler or psql, e.g. monthly: select * from commerce.create_order_partitions(4);';

create function commerce.order_partitions()
    returns table (partition_name text, is_default boolean, range_from timestamptz, range_to timestamptz, row_count bigint)
    language plpgsql volatile
as $$
declare
    v_part record;
begin
    for v_part in
        select c.relname::text as relname, pg_get_expr(c.relpartbound, c.oid) as bound
        from pg_catalog.pg_inherits i
        join pg_catalog.pg_class c on c.oid = i.inhrelid
        where i.inhparent = 'commerce.orders'::regclass
        order by pg_get_expr(c.relpartbound, c.oid) = 'DEFAULT', c.relname
    loop
        partition_name := v_part.relname;
        is_default := v_part.bound = 'DEFAULT';
        range_from := (regexp_match(v_part.bound, 'FROM \(''([^'']+)''\)'))[1]::timestamptz;
        range_to := (regexp_match(v_part.bound, 'TO \(''([^'']+)''\)'))[1]::timestamptz;
        execute format('select count(*) from commerce.%I', v_part.relname) into row_count;
        return next;
    end loop;
end
$$;
comment on function commerce.order_partitions() is
    'The partitions of commerce.orders with their bounds and exact row counts (count(*) per partition).';

create function commerce.order_default_rows()
    returns table (quarter_from timestamptz, quarter_to timestamptz, expected_partition text, row_count bigint)
    language sql stable
as $$
    select commerce._quarter_start(d.created_at),
           ((commerce._quarter_start(d.created_at) at time zone 'UTC') + interval '3 months') at time zone 'UTC',
           commerce.order_partition_name(d.created_at),
           count(*)
    from commerce.orders_default d
    group by 1, 2, 3
    order by 1
$$;
comment on function commerce.order_default_rows() is
    'Rows sitting in the default partition of commerce.orders, per quarter, with the partition that should hold them. '
    'Empty when partitions are created ahead; fix with select * from commerce.create_order_partition(quarter_from).';

revoke execute on function commerce.create_order_partition(timestamptz), commerce.create_order_partitions(integer, timestamptz),
    commerce.order_partitions(), commerce.order_default_rows() from public;

-- the current quarter and three ahead
do $parts$ begin perform commerce.create_order_partitions(3); end $parts$;

-- ---------------------------------------------------------------- privileges and RLS
grant select, insert, update, delete on commerce.orders, commerce.order_items, commerce.order_reservations,
    commerce.order_counters to rustok_app;
grant select on commerce.order_status_transitions to rustok_app, rustok_analyst;
grant select on commerce.orders, commerce.order_items to rustok_analyst;
grant execute on function commerce.place_order(uuid, text, jsonb, uuid, text, jsonb, jsonb, bigint, bigint, numeric, text, uuid, jsonb),
    commerce.set_order_status(uuid, uuid, text), commerce.order_partition_name(timestamptz),
    commerce._quarter_start(timestamptz) to rustok_app;

do $rls$
declare
    v_table text;
begin
    foreach v_table in array array['commerce.orders', 'commerce.order_items', 'commerce.order_reservations',
                                   'commerce.order_counters'] loop
        execute format('alter table %s enable row level security', v_table);
        execute format('create policy tenant_isolation on %s to rustok_app
                            using (tenant_id = core.current_tenant_id())
                            with check (tenant_id = core.current_tenant_id())', v_table);
    end loop;
    create policy analyst_read on commerce.orders for select to rustok_analyst using (true);
    create policy analyst_read on commerce.order_items for select to rustok_analyst using (true);
end
$rls$;
