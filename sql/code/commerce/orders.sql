-- commerce/orders.sql: orders, their items and reservations; atomic order placement and status changes.

create or replace function commerce.tg_orders__display_id() returns trigger
    language plpgsql volatile
as $$
begin
    if new.display_id is null then
        -- a plain update first: the row is held from here to commit (orders of a tenant queue on it), so this is
        -- the hot path; an upsert would lock the row (a WAL record of its own) before updating it
        update commerce.order_counters c set last_display_id = c.last_display_id + 1
        where c.tenant_id = new.tenant_id
        returning c.last_display_id into new.display_id;
        if not found then   -- the tenant's first order (a concurrent first order makes the upsert update)
            insert into commerce.order_counters as c (tenant_id, last_display_id)
            values (new.tenant_id, 1)
            on conflict (tenant_id) do update set last_display_id = c.last_display_id + 1
            returning c.last_display_id into new.display_id;
        end if;
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

create or replace function commerce.tg_orders__guard() returns trigger
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

create or replace function commerce.tg_orders__inventory() returns trigger
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

create or replace function commerce.place_order(
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
    -- Generic plans: every statement here is keyed lookups whose custom plans cost more to make (about 5 ms
    -- per order, re-planned on every call because the arrays look cheaper than the generic estimate) than to run.
    set plan_cache_mode = force_generic_plan
as $$
declare
    v_lines    commerce._order_line[];
    v_alloc    commerce._stock_allocation[];
    v_bad      record;
    v_subtotal bigint;
    v_discountable bigint;
    v_tax      bigint;
    v_order    commerce.orders;
    v_order_id uuid;
    v_created_at timestamptz;
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

    -- ---- lines: merge repeated variants, resolve variant, product and price in one statement. The variant and
    -- product are lateral keyed lookups (limit 1 keeps them so under the generic plan: joined plainly, the plan
    -- estimated 100 request lines and hashed a scan of every variant of the tenant, ~5 ms per order at 20k variants)
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
    left join lateral (select v.product_id, v.title, v.sku, v.manage_inventory, v.allow_backorder
                       from commerce.variants v
                       where v.tenant_id = p_tenant_id and v.id = req.variant_id limit 1) v on true
    left join lateral (select p.id, p.title, p.handle, p.status, p.discountable
                       from commerce.products p
                       where p.tenant_id = p_tenant_id and p.id = v.product_id limit 1) p on true
    left join price pr on pr.variant_id = req.variant_id and pr.quantity = req.quantity;

    -- the first refused line, in the order of the checks: unknown variant, unpublished product, no price, a
    -- variant that manages inventory but is linked to no inventory item (it cannot be sold safely)
    select l.*, k.refusal into v_bad
    from unnest(v_lines) l
    cross join lateral (select case
        when l.product_id is null then 1
        when l.product_status <> 'published' then 2
        when l.unit_price is null then 3
        when l.manage_inventory and not exists (select 1 from commerce.variant_inventory vi
                                                where vi.tenant_id = p_tenant_id and vi.variant_id = l.variant_id) then 4
        end as refusal) k
    where k.refusal is not null
    order by k.refusal, l.ord
    limit 1;
    if found then
        case v_bad.refusal
            when 1 then
                raise exception 'items[%].variant_id: variant % not found', v_bad.ord - 1, v_bad.variant_id
                    using errcode = 'no_data_found', column = 'variant_id';
            when 2 then
                raise exception 'commerce.products.status: product "%" (variant %, sku %) is %, only published products can be ordered',
                        v_bad.product_handle, v_bad.variant_id, coalesce(v_bad.sku, '-'), v_bad.product_status
                    using errcode = 'object_not_in_prerequisite_state', column = 'status', table = 'products', schema = 'commerce';
            when 3 then
                raise exception 'currency_code: variant % (sku %) has no price in % for quantity %',
                        v_bad.variant_id, coalesce(v_bad.sku, '-'), p_currency, v_bad.quantity
                    using errcode = 'no_data_found', column = 'currency_code', table = 'prices', schema = 'commerce';
            else
                raise exception 'items[%].quantity: insufficient stock for variant % (sku %): requested %, available 0 (it manages inventory but has no inventory item)',
                        v_bad.ord - 1, v_bad.variant_id, coalesce(v_bad.sku, '-'), v_bad.quantity
                    using errcode = 'check_violation', column = 'quantity', table = 'variant_inventory', schema = 'commerce';
        end case;
    end if;

    -- ---- totals
    select sum(l.unit_price * l.quantity), coalesce(sum(l.unit_price * l.quantity) filter (where l.discountable), 0)
    into v_subtotal, v_discountable
    from unnest(v_lines) l;
    if p_discount_total > v_discountable then
        raise exception 'commerce.orders.discount_total: % exceeds the discountable subtotal %', p_discount_total, v_discountable
            using errcode = 'invalid_parameter_value', column = 'discount_total', table = 'orders', schema = 'commerce';
    end if;
    v_tax := round((v_subtotal - p_discount_total + p_shipping_total) * p_tax_rate)::bigint;

    -- ---- write: the items first (their order row comes last; the foreign key is checked when the order exists)
    v_order_id := core.new_id();
    v_created_at := now();
    -- `all`, not the constraint's name: commerce.order_items_order_id_fkey is the only deferrable constraint
    -- (tests/commerce/test_orders.py keeps it so), and a named SET CONSTRAINTS looks the name and its ten
    -- partition clones up in pg_constraint and pg_trigger on every call (~75 us each way, bench/README.md)
    set constraints all deferred;
    insert into commerce.order_items (tenant_id, id, order_id, order_created_at, variant_id, product_id, title, sku,
                                      quantity, unit_price, original_unit_price, price_list_id, total)
    select p_tenant_id, l.item_id, v_order_id, v_created_at, l.variant_id, l.product_id,
           case when l.variant_title = l.product_title then l.product_title
                else l.product_title || ' - ' || l.variant_title end,
           l.sku, l.quantity, l.unit_price, l.original_unit_price, l.price_list_id, l.unit_price * l.quantity
    from unnest(v_lines) l
    order by l.ord;

    -- ---- stock: lock the candidate levels in a fixed order (item, location) and read them in the same statement
    -- (a locked row is read as its latest version), pick a location per item, check, reserve.
    -- The hot rows come last: stock levels here, then the display_id counter (the order row); both stay
    -- locked until commit, so everything else (items above) is written before them.
    with need as (
        select vi.inventory_item_id, sum(l.quantity * vi.required_quantity)::integer as needed,
               bool_and(l.allow_backorder) as backorder
        from unnest(v_lines) l
        join commerce.variant_inventory vi on vi.tenant_id = p_tenant_id and vi.variant_id = l.variant_id
        where l.manage_inventory
        group by vi.inventory_item_id
    ), locked as materialized (
        select il.inventory_item_id, il.location_id, il.stocked_quantity - il.reserved_quantity as available
        from commerce.inventory_levels il
        where il.tenant_id = p_tenant_id
          and (p_location_id is null or il.location_id = p_location_id)
          and il.inventory_item_id in (select n.inventory_item_id from need n)
        order by il.inventory_item_id, il.location_id
        for no key update
    )
    select array_agg(a) into v_alloc
    from (
        select distinct on (n.inventory_item_id)
               row(n.inventory_item_id, il.location_id, n.needed, coalesce(il.available, 0), n.backorder)::commerce._stock_allocation as a
        from need n
        left join locked il on il.inventory_item_id = n.inventory_item_id
        order by n.inventory_item_id, il.available desc nulls last, il.location_id
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

    -- reserve and record the reservations in one statement (the update runs whole, read or not). The setting names
    -- the order to the stock levels' event trigger: these changes are announced by the order's OrderPlaced (the
    -- index consumer rebuilds the products of the items an OrderPlaced order sells), not by InventoryUpdated.
    perform set_config('rustok.placing_order', v_order_id::text, true);
    with reserve as (
        update commerce.inventory_levels il
        set reserved_quantity = il.reserved_quantity + a.needed
        from unnest(v_alloc) a
        where il.tenant_id = p_tenant_id and il.inventory_item_id = a.inventory_item_id and il.location_id = a.location_id
    )
    insert into commerce.order_reservations (tenant_id, order_id, order_item_id, inventory_item_id, location_id, quantity)
    select p_tenant_id, v_order_id, l.item_id, a.inventory_item_id, a.location_id, l.quantity * vi.required_quantity
    from unnest(v_lines) l
    join commerce.variant_inventory vi on vi.tenant_id = p_tenant_id and vi.variant_id = l.variant_id
    join unnest(v_alloc) a on a.inventory_item_id = vi.inventory_item_id
    where l.manage_inventory;
    perform set_config('rustok.placing_order', '', true);

    -- ---- the order row last: its BEFORE trigger takes the tenant's display_id counter row
    insert into commerce.orders (tenant_id, id, created_at, customer_id, email, currency_code, subtotal, discount_total,
                                 shipping_total, tax_rate, tax_total, total, shipping_address, billing_address, metadata)
    values (p_tenant_id, v_order_id, v_created_at, p_customer_id, p_email, p_currency, v_subtotal, p_discount_total,
            p_shipping_total, p_tax_rate, v_tax, v_subtotal - p_discount_total + p_shipping_total + v_tax,
            p_shipping_address, p_billing_address, coalesce(p_metadata, '{}'))
    returning * into v_order;

    set constraints all immediate;   -- checks the items' foreign key now
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
grant execute on function commerce.place_order(uuid,text,jsonb,uuid,text,jsonb,jsonb,bigint,bigint,numeric,text,uuid,jsonb) to rustok_app;

-- ---------------------------------------------------------------- set_order_status
create or replace function commerce.set_order_status(p_tenant_id uuid, p_order_id uuid, p_new_status text)
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
grant execute on function commerce.set_order_status(uuid,uuid,text) to rustok_app;

-- ---------------------------------------------------------------- commerce.orders

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
comment on column commerce.orders.tenant_id is
    'The owning tenant (core.tenants.id); row-level security policy tenant_isolation keys on it.';
comment on column commerce.orders.id is
    'Row id, with tenant_id the primary key: a ULID-layout uuid from core.new_id(), so ids sort by creation time.';
comment on column commerce.orders.created_at is
    'When the order was placed: the partition key (quarterly partitions, UTC) and part of the primary key; write-once.';
comment on column commerce.orders.customer_id is
    'The customer (core.users, same tenant), or null for a guest order; set to null when the user is deleted.';
comment on column commerce.orders.email is 'Contact email given with the order.';
comment on column commerce.orders.currency_code is 'ISO 4217 currency of every amount of the order; write-once.';
comment on column commerce.orders.discount_total is 'Discount on the order, minor units; at most the subtotal.';
comment on column commerce.orders.shipping_total is 'Shipping charged, minor units.';
comment on column commerce.orders.tax_total is
    'Tax charged, minor units: tax_rate applied to subtotal - discount_total + shipping_total.';
comment on column commerce.orders.shipping_address is 'Shipping address as a JSON object (free-form), or null.';
comment on column commerce.orders.billing_address is 'Billing address as a JSON object (free-form), or null.';
comment on column commerce.orders.metadata is
    'Free-form JSON object for integrations and clients; the database does not interpret it.';
comment on column commerce.orders.updated_at is 'When the order last really changed (set by trigger _100_guard).';
comment on column commerce.orders.paid_at is 'When the order became paid (set by the status guard on the transition).';
comment on column commerce.orders.fulfilled_at is 'When the order became fulfilled (set by the status guard).';
comment on column commerce.orders.completed_at is 'When the order became completed (set by the status guard).';
comment on column commerce.orders.cancelled_at is 'When the order was cancelled (set by the status guard).';

select core.enable_tenant_rls('commerce.orders');
select core.allow_analyst_read('commerce.orders');
grant select, insert, update, delete on commerce.orders to rustok_app;
grant select on commerce.orders to rustok_analyst;

create or replace trigger _050_display_id before insert on commerce.orders
    for each row
    execute function commerce.tg_orders__display_id();

create or replace trigger _100_guard before update on commerce.orders
    for each row
    execute function commerce.tg_orders__guard();

create or replace trigger _300_inventory after update on commerce.orders
    referencing old table as old_rows new table as new_rows for each statement
    execute function commerce.tg_orders__inventory();

create or replace trigger _900_events_ins after insert on commerce.orders
    referencing new table as new_rows for each statement
    execute function commerce.tg_orders__events();

create or replace trigger _900_events_upd after update on commerce.orders
    referencing old table as old_rows new table as new_rows for each statement
    execute function commerce.tg_orders__events();

create or replace trigger _910_updated_events after update on commerce.orders
    referencing old table as old_rows new table as new_rows for each statement
    execute function commerce.tg_orders__updated_events();

-- ---------------------------------------------------------------- commerce.order_counters

comment on table commerce.order_counters is
    'Last display_id handed out per tenant. The row is locked until the ordering transaction ends, so numbers are '
    'gap-free and unique per tenant (orders of one tenant serialize on it briefly: place_order takes it last).';
comment on column commerce.order_counters.tenant_id is
    'The tenant whose order numbers this row hands out (one row per tenant).';
comment on column commerce.order_counters.last_display_id is
    'The last display_id given to an order of the tenant; the next order gets this + 1.';

select core.enable_tenant_rls('commerce.order_counters');
grant select, insert, update, delete on commerce.order_counters to rustok_app;

-- ---------------------------------------------------------------- commerce.order_status_transitions

comment on table commerce.order_status_transitions is 'Allowed order status changes (reference data for the status guard).';
comment on column commerce.order_status_transitions.from_status is 'Status an order may leave.';
comment on column commerce.order_status_transitions.to_status is 'Status it may go to from from_status.';

grant select on commerce.order_status_transitions to rustok_analyst, rustok_app;

-- ---------------------------------------------------------------- commerce.order_items

comment on table commerce.order_items is
    'Lines of an order: a snapshot of title, sku and prices at placement (variant_id/product_id become null if those are deleted).';
comment on column commerce.order_items.order_created_at is 'The order''s created_at (part of the partitioned orders key).';
comment on column commerce.order_items.original_unit_price is 'Unit price before a sale price list (equals unit_price when none applied).';
comment on column commerce.order_items.tenant_id is
    'The owning tenant (core.tenants.id); row-level security policy tenant_isolation keys on it.';
comment on column commerce.order_items.id is
    'Row id, with tenant_id the primary key: a ULID-layout uuid from core.new_id(), so ids sort by creation time.';
comment on column commerce.order_items.order_id is
    'The order (with order_created_at, the key of the partitioned commerce.orders).';
comment on column commerce.order_items.variant_id is
    'The variant ordered; null after the variant is deleted (the line keeps its snapshot).';
comment on column commerce.order_items.product_id is 'The variant''s product; null after the product is deleted.';
comment on column commerce.order_items.title is 'Product and variant title at placement (snapshot).';
comment on column commerce.order_items.sku is 'Variant SKU at placement (snapshot).';
comment on column commerce.order_items.quantity is 'Units ordered, at least 1.';
comment on column commerce.order_items.unit_price is
    'Price of one unit charged, minor units of the order''s currency (after a sale or override price list).';
comment on column commerce.order_items.price_list_id is
    'The price list whose price was charged; null for the base price.';
comment on column commerce.order_items.total is 'unit_price * quantity (checked).';
comment on column commerce.order_items.metadata is
    'Free-form JSON object for integrations and clients; the database does not interpret it.';
comment on column commerce.order_items.created_at is 'When the line was written (with its order).';

select core.enable_tenant_rls('commerce.order_items');
select core.allow_analyst_read('commerce.order_items');
grant select, insert, update, delete on commerce.order_items to rustok_app;
grant select on commerce.order_items to rustok_analyst;

create or replace trigger _910_updated_events_del after delete on commerce.order_items
    referencing old table as changed_rows for each statement
    execute function commerce.tg_order_items__updated_events();

create or replace trigger _910_updated_events_ins after insert on commerce.order_items
    referencing new table as changed_rows for each statement
    execute function commerce.tg_order_items__updated_events();

create or replace trigger _910_updated_events_upd after update on commerce.order_items
    referencing new table as changed_rows for each statement
    execute function commerce.tg_order_items__updated_events();

-- ---------------------------------------------------------------- commerce.order_reservations

comment on table commerce.order_reservations is
    'Stock held for an open order (counted in inventory_levels.reserved_quantity). Cancelling releases it; '
    'fulfilment turns it into a stock decrement. Either way the reservation row is removed.';
comment on column commerce.order_reservations.tenant_id is
    'The owning tenant (core.tenants.id); row-level security policy tenant_isolation keys on it.';
comment on column commerce.order_reservations.id is
    'Row id, with tenant_id the primary key: a ULID-layout uuid from core.new_id(), so ids sort by creation time.';
comment on column commerce.order_reservations.order_id is 'The open order holding the stock.';
comment on column commerce.order_reservations.order_item_id is 'The order line the stock is held for.';
comment on column commerce.order_reservations.inventory_item_id is 'The inventory item held.';
comment on column commerce.order_reservations.location_id is 'The stock location the units are held at.';
comment on column commerce.order_reservations.quantity is
    'Units held (counted in inventory_levels.reserved_quantity), at least 1.';
comment on column commerce.order_reservations.created_at is 'When the stock was reserved (at placement).';

select core.enable_tenant_rls('commerce.order_reservations');
grant select, insert, update, delete on commerce.order_reservations to rustok_app;

comment on type commerce._order_line is 'Internal: one resolved line of commerce.place_order.';

comment on type commerce._stock_allocation is 'Internal: where commerce.place_order reserves an inventory item.';
