-- commerce/events.sql: commerce's domain events (Product*, Variant*, Inventory*, Order*).

-- ---------------------------------------------------------------- products
create or replace function commerce.tg_products__events() returns trigger
    language plpgsql volatile
as $$
begin
    if tg_op = 'INSERT' then
        if core._import_active() then  -- commerce.import_products emits one event per product itself
            return null;
        end if;
        perform core.assert_module_enabled(array(select distinct n.tenant_id from new_rows n), 'commerce');
        insert into outbox.events (tenant_id, event_type, aggregate_type, aggregate_id, payload)
        select n.tenant_id, e.event_type, 'product', n.id, jsonb_build_object('handle', n.handle, 'status', n.status)
        from new_rows n
        cross join lateral (values ('ProductCreated'), ('ProductPublished')) as e (event_type)
        where e.event_type = 'ProductCreated' or n.status = 'published';
    elsif tg_op = 'UPDATE' then
        perform core.assert_module_enabled(array(select distinct n.tenant_id from new_rows n), 'commerce');
        insert into outbox.events (tenant_id, event_type, aggregate_type, aggregate_id, payload)
        select n.tenant_id, e.event_type, 'product', n.id,
               case when n.status is distinct from o.status
                    then jsonb_build_object('old_status', o.status, 'new_status', n.status) else '{}'::jsonb end
        from new_rows n
        join old_rows o on o.tenant_id = n.tenant_id and o.id = n.id
        cross join lateral (values ('ProductUpdated'), ('ProductPublished')) as e (event_type)
        where n is distinct from o
          and (e.event_type = 'ProductUpdated' or (n.status = 'published' and o.status is distinct from 'published'));
    else
        insert into outbox.events (tenant_id, event_type, aggregate_type, aggregate_id, payload)
        select o.tenant_id, 'ProductDeleted', 'product', o.id, jsonb_build_object('handle', o.handle)
        from old_rows o;
    end if;
    return null;
end
$$;
comment on function commerce.tg_products__events() is
    'AFTER statement trigger on commerce.products: ProductCreated (+ProductPublished when inserted published), '
    'ProductUpdated for rows that really changed (+ProductPublished when status becomes published), ProductDeleted.';

-- ---------------------------------------------------------------- variants
create or replace function commerce.tg_variants__events() returns trigger
    language plpgsql volatile
as $$
begin
    if tg_op = 'INSERT' then
        if core._import_active() then  -- commerce.import_products emits one event per product itself
            return null;
        end if;
        perform core.assert_module_enabled(array(select distinct n.tenant_id from new_rows n), 'commerce');
        insert into outbox.events (tenant_id, event_type, aggregate_type, aggregate_id, payload)
        select n.tenant_id, 'VariantCreated', 'product', n.product_id, jsonb_build_object('variant_id', n.id)
        from new_rows n;
    elsif tg_op = 'UPDATE' then
        perform core.assert_module_enabled(array(select distinct n.tenant_id from new_rows n), 'commerce');
        insert into outbox.events (tenant_id, event_type, aggregate_type, aggregate_id, payload)
        select distinct x.tenant_id, 'VariantUpdated', 'product', x.product_id, jsonb_build_object('variant_id', x.id)
        from new_rows n
        join old_rows o on o.tenant_id = n.tenant_id and o.id = n.id
        cross join lateral (values (n.tenant_id, n.product_id, n.id), (o.tenant_id, o.product_id, o.id)) as x (tenant_id, product_id, id)
        where n is distinct from o;
    else
        -- a deleted variant changes its product (if the product itself still exists)
        insert into outbox.events (tenant_id, event_type, aggregate_type, aggregate_id, payload)
        select o.tenant_id, 'ProductUpdated', 'product', o.product_id,
               jsonb_build_object('source', 'variants', 'variant_id', o.id, 'deleted', true)
        from old_rows o
        where exists (select 1 from commerce.products p where p.tenant_id = o.tenant_id and p.id = o.product_id);
    end if;
    return null;
end
$$;
comment on function commerce.tg_variants__events() is
    'AFTER statement trigger on commerce.variants: VariantCreated / VariantUpdated (aggregate_type product, '
    'aggregate_id = product id, payload {variant_id}); a deleted variant emits ProductUpdated for its surviving product.';

-- ---------------------------------------------------------------- children of a product -> ProductUpdated
create or replace function commerce.tg__product_child_events() returns trigger
    language plpgsql volatile
as $$
declare
    v_route   text := tg_argv[0];
    v_col     text := tg_argv[1];
    v_tenants uuid[];
    v_keys    uuid[];
begin
    if v_route not in ('product', 'variant', 'option', 'price_list', 'inventory_item', 'category')
       or v_col not in ('product_id', 'variant_id', 'option_id', 'price_list_id', 'id') then
        raise exception 'commerce.tg__product_child_events: unknown route % or column % on %', v_route, v_col, tg_table_name
            using errcode = 'invalid_parameter_value';
    end if;
    -- Static statements only (plpgsql caches their plans; a dynamic statement was planned on every call):
    -- first the distinct (tenant, key) pairs of the changed rows (an UPDATE's unchanged rows are in neither
    -- EXCEPT; deduplicated here, before the lookups, so that each pair is looked up and tenant-checked once) ...
    if tg_op = 'INSERT' then
        if core._import_active() then  -- commerce.import_products emits one event per product itself
            return null;
        end if;
        perform core.assert_module_enabled(array(select distinct n.tenant_id from new_rows n), 'commerce');
        case v_col
            when 'product_id' then
                select array_agg(c.tenant_id), array_agg(c.product_id) into v_tenants, v_keys from (select distinct r.tenant_id, r.product_id from new_rows r) c;
            when 'variant_id' then
                select array_agg(c.tenant_id), array_agg(c.variant_id) into v_tenants, v_keys from (select distinct r.tenant_id, r.variant_id from new_rows r) c;
            when 'option_id' then
                select array_agg(c.tenant_id), array_agg(c.option_id) into v_tenants, v_keys from (select distinct r.tenant_id, r.option_id from new_rows r) c;
            when 'price_list_id' then
                select array_agg(c.tenant_id), array_agg(c.price_list_id) into v_tenants, v_keys from (select distinct r.tenant_id, r.price_list_id from new_rows r) c;
            when 'id' then
                select array_agg(c.tenant_id), array_agg(c.id) into v_tenants, v_keys from (select distinct r.tenant_id, r.id from new_rows r) c;
        end case;
    elsif tg_op = 'UPDATE' then
        perform core.assert_module_enabled(array(select distinct n.tenant_id from new_rows n), 'commerce');
        case v_col
            when 'product_id' then
                select array_agg(c.tenant_id), array_agg(c.product_id) into v_tenants, v_keys from (
                    select distinct r.tenant_id, r.product_id from ((select * from new_rows except select * from old_rows)
                      union all (select * from old_rows except select * from new_rows)) r) c;
            when 'variant_id' then
                select array_agg(c.tenant_id), array_agg(c.variant_id) into v_tenants, v_keys from (
                    select distinct r.tenant_id, r.variant_id from ((select * from new_rows except select * from old_rows)
                      union all (select * from old_rows except select * from new_rows)) r) c;
            when 'option_id' then
                select array_agg(c.tenant_id), array_agg(c.option_id) into v_tenants, v_keys from (
                    select distinct r.tenant_id, r.option_id from ((select * from new_rows except select * from old_rows)
                      union all (select * from old_rows except select * from new_rows)) r) c;
            when 'price_list_id' then
                select array_agg(c.tenant_id), array_agg(c.price_list_id) into v_tenants, v_keys from (
                    select distinct r.tenant_id, r.price_list_id from ((select * from new_rows except select * from old_rows)
                      union all (select * from old_rows except select * from new_rows)) r) c;
            when 'id' then
                select array_agg(c.tenant_id), array_agg(c.id) into v_tenants, v_keys from (
                    select distinct r.tenant_id, r.id from ((select * from new_rows except select * from old_rows)
                      union all (select * from old_rows except select * from new_rows)) r) c;
        end case;
    else
        case v_col
            when 'product_id' then
                select array_agg(c.tenant_id), array_agg(c.product_id) into v_tenants, v_keys from (select distinct r.tenant_id, r.product_id from old_rows r) c;
            when 'variant_id' then
                select array_agg(c.tenant_id), array_agg(c.variant_id) into v_tenants, v_keys from (select distinct r.tenant_id, r.variant_id from old_rows r) c;
            when 'option_id' then
                select array_agg(c.tenant_id), array_agg(c.option_id) into v_tenants, v_keys from (select distinct r.tenant_id, r.option_id from old_rows r) c;
            when 'price_list_id' then
                select array_agg(c.tenant_id), array_agg(c.price_list_id) into v_tenants, v_keys from (select distinct r.tenant_id, r.price_list_id from old_rows r) c;
            when 'id' then
                select array_agg(c.tenant_id), array_agg(c.id) into v_tenants, v_keys from (select distinct r.tenant_id, r.id from old_rows r) c;
        end case;
    end if;
    if v_keys is null then
        return null;
    end if;

    -- ... then the products they belong to: one static statement per route (one statement with a branch per route
    -- ran every branch's one-time filter for each key and was planned again on every call), one ProductUpdated per
    -- existing product. The pairs are distinct already (fewer rows for the tenant check row-level security adds).
    case v_route
        when 'product' then
            insert into outbox.events (tenant_id, event_type, aggregate_type, aggregate_id, payload)
            select k.tenant_id, 'ProductUpdated', 'product', k.key, jsonb_build_object('source', tg_table_name)
            from unnest(v_tenants, v_keys) as k (tenant_id, key)
            where exists (select 1 from commerce.products p where p.tenant_id = k.tenant_id and p.id = k.key);
        when 'variant' then
            insert into outbox.events (tenant_id, event_type, aggregate_type, aggregate_id, payload)
            select m.tenant_id, 'ProductUpdated', 'product', m.product_id, jsonb_build_object('source', tg_table_name)
            from (select distinct v.tenant_id, v.product_id
                  from unnest(v_tenants, v_keys) as k (tenant_id, key)
                  join commerce.variants v on v.tenant_id = k.tenant_id and v.id = k.key) m
            where exists (select 1 from commerce.products p where p.tenant_id = m.tenant_id and p.id = m.product_id);
        when 'option' then
            insert into outbox.events (tenant_id, event_type, aggregate_type, aggregate_id, payload)
            select m.tenant_id, 'ProductUpdated', 'product', m.product_id, jsonb_build_object('source', tg_table_name)
            from (select distinct o.tenant_id, o.product_id
                  from unnest(v_tenants, v_keys) as k (tenant_id, key)
                  join commerce.options o on o.tenant_id = k.tenant_id and o.id = k.key) m
            where exists (select 1 from commerce.products p where p.tenant_id = m.tenant_id and p.id = m.product_id);
        when 'price_list' then
            insert into outbox.events (tenant_id, event_type, aggregate_type, aggregate_id, payload)
            select m.tenant_id, 'ProductUpdated', 'product', m.product_id, jsonb_build_object('source', tg_table_name)
            from (select distinct v.tenant_id, v.product_id
                  from unnest(v_tenants, v_keys) as k (tenant_id, key)
                  join commerce.prices p on p.tenant_id = k.tenant_id and p.price_list_id = k.key
                  join commerce.variants v on v.tenant_id = p.tenant_id and v.id = p.variant_id) m
            where exists (select 1 from commerce.products p where p.tenant_id = m.tenant_id and p.id = m.product_id);
        when 'inventory_item' then
            insert into outbox.events (tenant_id, event_type, aggregate_type, aggregate_id, payload)
            select m.tenant_id, 'ProductUpdated', 'product', m.product_id, jsonb_build_object('source', tg_table_name)
            from (select distinct v.tenant_id, v.product_id
                  from unnest(v_tenants, v_keys) as k (tenant_id, key)
                  join commerce.variant_inventory vi on vi.tenant_id = k.tenant_id and vi.inventory_item_id = k.key
                  join commerce.variants v on v.tenant_id = vi.tenant_id and v.id = vi.variant_id) m
            where exists (select 1 from commerce.products p where p.tenant_id = m.tenant_id and p.id = m.product_id);
        when 'category' then
            insert into outbox.events (tenant_id, event_type, aggregate_type, aggregate_id, payload)
            select m.tenant_id, 'ProductUpdated', 'product', m.product_id, jsonb_build_object('source', tg_table_name)
            from (select distinct pc.tenant_id, pc.product_id
                  from unnest(v_tenants, v_keys) as k (tenant_id, key)
                  join commerce.product_categories pc on pc.tenant_id = k.tenant_id and pc.category_id = k.key) m
            where exists (select 1 from commerce.products p where p.tenant_id = m.tenant_id and p.id = m.product_id);
    end case;
    return null;
end
$$;
comment on function commerce.tg__product_child_events() is
    'Generic AFTER statement trigger for tables that belong to products: one ProductUpdated per affected (existing) '
    'product, payload {source: table}. TG_ARGV[0] is the route to the product (product, variant, option, price_list, '
    'inventory_item, category), TG_ARGV[1] the column of the changed row that starts it. Unchanged rows of an UPDATE '
    'are ignored (new EXCEPT old).';

-- stock locations carry no product facts; still refuse writes for tenants without commerce
create or replace function commerce.tg__assert_commerce_enabled() returns trigger
    language plpgsql volatile
as $$
begin
    perform core.assert_module_enabled(array(select distinct n.tenant_id from new_rows n), 'commerce');
    return null;
end
$$;
comment on function commerce.tg__assert_commerce_enabled() is
    'AFTER INSERT/UPDATE statement trigger: refuses writes for tenants whose commerce module is disabled (55000).';

-- ---------------------------------------------------------------- inventory levels
create or replace function commerce._inventory_crossings(p_levels commerce._level_change[])
    returns table (tenant_id uuid, product_id uuid, inventory_item_id uuid, remaining bigint, threshold integer)
    language sql stable
as $$
    with items as (
        select l.tenant_id, l.inventory_item_id, sum(l.new_available - l.old_available) as delta
        from unnest(p_levels) l group by l.tenant_id, l.inventory_item_id
    ),
    crossed as (
        select i.tenant_id, i.inventory_item_id, a.available as remaining, th.threshold
        from items i
        cross join lateral (select coalesce(sum(il.stocked_quantity - il.reserved_quantity), 0) as available
                            from commerce.inventory_levels il
                            where il.tenant_id = i.tenant_id and il.inventory_item_id = i.inventory_item_id) a
        join commerce.inventory_items ii on ii.tenant_id = i.tenant_id and ii.id = i.inventory_item_id
        left join core.tenants t on t.id = i.tenant_id
        cross join lateral (select coalesce(ii.low_stock_threshold,
                                case when t.settings->>'low_stock_threshold' ~ '^[0-9]{1,9}$'
                                     then (t.settings->>'low_stock_threshold')::integer end, 5) as threshold) th
        where i.delta < 0 and a.available <= th.threshold and a.available - i.delta > th.threshold
    )
    select distinct v.tenant_id, v.product_id, c.inventory_item_id, c.remaining, c.threshold
    from crossed c
    join commerce.variant_inventory vi on vi.tenant_id = c.tenant_id and vi.inventory_item_id = c.inventory_item_id
    join commerce.variants v on v.tenant_id = vi.tenant_id and v.id = vi.variant_id
$$;
comment on function commerce._inventory_crossings(commerce._level_change[]) is
    'Internal (commerce.tg_inventory_levels__events): the products and items whose available quantity (all '
    'locations, after the change) dropped from above their low-stock threshold to at or below it.';

create or replace function commerce.tg_inventory_levels__events() returns trigger
    language plpgsql volatile
as $$
declare
    v_levels    commerce._level_change[];
    v_announced commerce._level_change[];
    v_order     uuid;
    v_low       boolean;
begin
    -- Static statements only (plpgsql caches their plans): the changed rows of this statement, before and
    -- after; an UPDATE that leaves a row as it was changes nothing.
    if tg_op = 'INSERT' then
        if core._import_active() then  -- commerce.import_products emits one event per product itself
            return null;
        end if;
        perform core.assert_module_enabled(array(select distinct n.tenant_id from new_rows n), 'commerce');
        select array_agg(row(n.tenant_id, n.inventory_item_id, n.location_id, 0, n.stocked_quantity,
                             0, n.stocked_quantity - n.reserved_quantity)::commerce._level_change)
        into v_levels
        from new_rows n;
        v_announced := v_levels;
    elsif tg_op = 'UPDATE' then
        perform core.assert_module_enabled(array(select distinct n.tenant_id from new_rows n), 'commerce');
        -- commerce.place_order names the order it is reserving for (a transaction-local setting, only around its
        -- reservation statement). A level whose only change is a reservation of that order, placed in this
        -- transaction, for an item its lines sell, is announced by the order's OrderPlaced: the index consumer
        -- rebuilds the products of the items an OrderPlaced order sells. The setting is only a hint: a level
        -- without such a reservation is announced as always, whoever set it.
        v_order := case when current_setting('rustok.placing_order', true) ~ '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'
                        then current_setting('rustok.placing_order', true)::uuid end;
        with mine as materialized (   -- the reservations of that order, found by the order (never by a hot level)
            select r.tenant_id, r.inventory_item_id, r.location_id
            from (select distinct n.tenant_id from new_rows n where v_order is not null) t
            cross join lateral (select r.tenant_id, r.order_id, r.order_item_id, r.inventory_item_id, r.location_id
                                from commerce.order_reservations r
                                where r.tenant_id = t.tenant_id and r.order_id = v_order offset 0) r
            cross join lateral (select i.variant_id from commerce.order_items i
                                where i.tenant_id = r.tenant_id and i.order_id = r.order_id and i.id = r.order_item_id
                                  and i.order_created_at = now() offset 0) i
            where exists (select 1 from commerce.variant_inventory vi
                          where vi.tenant_id = r.tenant_id and vi.variant_id = i.variant_id
                            and vi.inventory_item_id = r.inventory_item_id)
        )
        select array_agg(x.l), array_agg(x.l) filter (where not x.covered)
        into v_levels, v_announced
        from (
            select row(n.tenant_id, n.inventory_item_id, n.location_id, o.stocked_quantity, n.stocked_quantity,
                       o.stocked_quantity - o.reserved_quantity,
                       n.stocked_quantity - n.reserved_quantity)::commerce._level_change as l,
                   (n.reserved_quantity > o.reserved_quantity
                    and (n.tenant_id, n.inventory_item_id, n.location_id, n.stocked_quantity, n.incoming_quantity)
                        = (o.tenant_id, o.inventory_item_id, o.location_id, o.stocked_quantity, o.incoming_quantity)
                    and exists (select 1 from mine m
                                where m.tenant_id = n.tenant_id and m.inventory_item_id = n.inventory_item_id
                                  and m.location_id = n.location_id)) as covered
            from new_rows n
            join old_rows o on o.tenant_id = n.tenant_id and o.id = n.id
            where (n.*) is distinct from (o.*)
        ) x;
    else
        select array_agg(row(o.tenant_id, o.inventory_item_id, o.location_id, o.stocked_quantity, 0,
                             o.stocked_quantity - o.reserved_quantity, 0)::commerce._level_change)
        into v_levels
        from old_rows o;
        v_announced := v_levels;
    end if;
    if v_levels is null then
        return null;
    end if;
    if v_announced is null then
        -- all of it an order's reservations: only a low-stock crossing is news (asked first: an insert of no rows
        -- would still run the fan-out trigger of outbox.events)
        select true into v_low from commerce._inventory_crossings(v_levels) limit 1;
        if v_low is null then
            return null;
        end if;
    end if;

    with product_levels as (
        select v.tenant_id, v.product_id, l.inventory_item_id, l.location_id, l.old_quantity, l.new_quantity,
               l.old_available, l.new_available,
               count(*) over (partition by v.tenant_id, v.product_id) as changed_levels,
               row_number() over (partition by v.tenant_id, v.product_id order by l.inventory_item_id, l.location_id) as rn
        from unnest(v_announced) l
        join commerce.variant_inventory vi on vi.tenant_id = l.tenant_id and vi.inventory_item_id = l.inventory_item_id
        join commerce.variants v on v.tenant_id = vi.tenant_id and v.id = vi.variant_id
    )
    insert into outbox.events (tenant_id, event_type, aggregate_type, aggregate_id, payload)
    select pl.tenant_id, 'InventoryUpdated', 'product', pl.product_id,
           jsonb_build_object('inventory_item_id', pl.inventory_item_id, 'location_id', pl.location_id,
                              'old_quantity', pl.old_quantity, 'new_quantity', pl.new_quantity,
                              'old_available', pl.old_available, 'new_available', pl.new_available,
                              'changed_levels', pl.changed_levels)
    from product_levels pl
    where pl.rn = 1
      and exists (select 1 from commerce.products p where p.tenant_id = pl.tenant_id and p.id = pl.product_id)
    union all
    select c.tenant_id, 'InventoryLow', 'product', c.product_id,
           jsonb_build_object('inventory_item_id', c.inventory_item_id, 'remaining', c.remaining, 'threshold', c.threshold)
    from commerce._inventory_crossings(v_levels) c;
    return null;
end
$$;
comment on function commerce.tg_inventory_levels__events() is
    'AFTER statement trigger on commerce.inventory_levels: one InventoryUpdated per affected product (payload: the '
    'first changed level''s inventory_item_id, location_id, old/new stocked quantity (old_quantity/new_quantity), '
    'old/new available, and changed_levels = how many of the product''s levels changed), and InventoryLow per '
    'product and item whose available quantity (all locations) drops from above to at or below its threshold. '
    'The reservations commerce.place_order makes for the order it is placing (setting rustok.placing_order, checked '
    'against the order''s reservations) emit no InventoryUpdated: that order''s OrderPlaced covers them.';

comment on type commerce._level_change is
    'Internal: one inventory level changed by a statement (old and new stocked and available quantities; 0 for a '
    'row inserted or deleted), collected by commerce.tg_inventory_levels__events.';

-- ---------------------------------------------------------------- orders
create or replace function commerce.tg_orders__events() returns trigger
    language plpgsql volatile
as $$
begin
    if tg_op = 'INSERT' then
        perform core.assert_module_enabled(array(select distinct n.tenant_id from new_rows n), 'commerce');
        insert into outbox.events (tenant_id, event_type, aggregate_type, aggregate_id, payload)
        select n.tenant_id, 'OrderPlaced', 'order', n.id,
               jsonb_build_object('display_id', n.display_id, 'status', n.status, 'total', n.total,
                                  'currency_code', n.currency_code, 'created_at', n.created_at)
        from new_rows n;
    else
        perform core.assert_module_enabled(array(select distinct n.tenant_id from new_rows n), 'commerce');
        insert into outbox.events (tenant_id, event_type, aggregate_type, aggregate_id, payload)
        select n.tenant_id, e.event_type, 'order', n.id,
               jsonb_build_object('old_status', o.status, 'new_status', n.status, 'display_id', n.display_id,
                                  'created_at', n.created_at)
        from new_rows n
        join old_rows o on o.tenant_id = n.tenant_id and o.id = n.id and o.created_at = n.created_at
        cross join lateral (values ('OrderStatusChanged'), ('OrderCompleted'), ('OrderCancelled')) as e (event_type)
        where n.status is distinct from o.status
          and (e.event_type = 'OrderStatusChanged'
               or (e.event_type = 'OrderCompleted' and n.status = 'completed')
               or (e.event_type = 'OrderCancelled' and n.status = 'cancelled'));
    end if;
    return null;
end
$$;
comment on function commerce.tg_orders__events() is
    'AFTER statement trigger on the partitioned commerce.orders: OrderPlaced per new order; per status change '
    'OrderStatusChanged {old_status, new_status} plus OrderCompleted or OrderCancelled. Other column changes emit nothing.';

-- ---------------------------------------------------------------- order edits -> OrderUpdated
-- Order changes other than status (email, addresses, metadata; line items edited after placement) are
-- OrderUpdated. Commerce only says what changed; the index consumer decides what to rebuild.
create or replace function commerce.tg_orders__updated_events() returns trigger
    language plpgsql volatile
as $$
begin
    insert into outbox.events (tenant_id, event_type, aggregate_type, aggregate_id, payload)
    select n.tenant_id, 'OrderUpdated', 'order', n.id, jsonb_build_object('source', 'orders')
    from new_rows n
    join old_rows o on o.tenant_id = n.tenant_id and o.id = n.id and o.created_at = n.created_at
    where n.status is not distinct from o.status          -- status changes have their own events
      and (n.*) is distinct from (o.*);
    return null;
end
$$;
comment on function commerce.tg_orders__updated_events() is
    'AFTER UPDATE statement trigger on commerce.orders: OrderUpdated {source: orders} for each order whose columns '
    'other than status changed (status changes emit OrderStatusChanged).';

create or replace function commerce.tg_order_items__updated_events() returns trigger
    language plpgsql volatile
as $$
begin
    -- Items written by commerce.place_order belong to an order placed in this same transaction
    -- (created_at = now()): its OrderPlaced event already covers them.
    -- (asked first: an insert of no rows would still run the fan-out trigger of outbox.events)
    if not exists (select 1 from changed_rows r where r.order_created_at <> now()) then
        return null;
    end if;
    insert into outbox.events (tenant_id, event_type, aggregate_type, aggregate_id, payload)
    select distinct r.tenant_id, 'OrderUpdated', 'order', r.order_id, jsonb_build_object('source', 'order_items')
    from (select tenant_id, order_id, order_created_at from changed_rows) r
    where r.order_created_at <> now();
    return null;
end
$$;
comment on function commerce.tg_order_items__updated_events() is
    'AFTER statement trigger on commerce.order_items: OrderUpdated {source: order_items} for each order whose items '
    'were inserted, changed or deleted after the order was placed (placement itself is covered by OrderPlaced).';
