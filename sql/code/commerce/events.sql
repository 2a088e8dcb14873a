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
    -- first the key column of the changed rows (an UPDATE's unchanged rows are in neither EXCEPT) ...
    if tg_op = 'INSERT' then
        if core._import_active() then  -- commerce.import_products emits one event per product itself
            return null;
        end if;
        perform core.assert_module_enabled(array(select distinct n.tenant_id from new_rows n), 'commerce');
        case v_col
            when 'product_id' then
                select array_agg(c.tenant_id), array_agg(c.product_id) into v_tenants, v_keys from new_rows c;
            when 'variant_id' then
                select array_agg(c.tenant_id), array_agg(c.variant_id) into v_tenants, v_keys from new_rows c;
            when 'option_id' then
                select array_agg(c.tenant_id), array_agg(c.option_id) into v_tenants, v_keys from new_rows c;
            when 'price_list_id' then
                select array_agg(c.tenant_id), array_agg(c.price_list_id) into v_tenants, v_keys from new_rows c;
            when 'id' then
                select array_agg(c.tenant_id), array_agg(c.id) into v_tenants, v_keys from new_rows c;
        end case;
    elsif tg_op = 'UPDATE' then
        perform core.assert_module_enabled(array(select distinct n.tenant_id from new_rows n), 'commerce');
        case v_col
            when 'product_id' then
                select array_agg(c.tenant_id), array_agg(c.product_id) into v_tenants, v_keys from ((select * from new_rows except select * from old_rows)
                      union all (select * from old_rows except select * from new_rows)) c;
            when 'variant_id' then
                select array_agg(c.tenant_id), array_agg(c.variant_id) into v_tenants, v_keys from ((select * from new_rows except select * from old_rows)
                      union all (select * from old_rows except select * from new_rows)) c;
            when 'option_id' then
                select array_agg(c.tenant_id), array_agg(c.option_id) into v_tenants, v_keys from ((select * from new_rows except select * from old_rows)
                      union all (select * from old_rows except select * from new_rows)) c;
            when 'price_list_id' then
                select array_agg(c.tenant_id), array_agg(c.price_list_id) into v_tenants, v_keys from ((select * from new_rows except select * from old_rows)
                      union all (select * from old_rows except select * from new_rows)) c;
            when 'id' then
                select array_agg(c.tenant_id), array_agg(c.id) into v_tenants, v_keys from ((select * from new_rows except select * from old_rows)
                      union all (select * from old_rows except select * from new_rows)) c;
        end case;
    else
        case v_col
            when 'product_id' then
                select array_agg(c.tenant_id), array_agg(c.product_id) into v_tenants, v_keys from old_rows c;
            when 'variant_id' then
                select array_agg(c.tenant_id), array_agg(c.variant_id) into v_tenants, v_keys from old_rows c;
            when 'option_id' then
                select array_agg(c.tenant_id), array_agg(c.option_id) into v_tenants, v_keys from old_rows c;
            when 'price_list_id' then
                select array_agg(c.tenant_id), array_agg(c.price_list_id) into v_tenants, v_keys from old_rows c;
            when 'id' then
                select array_agg(c.tenant_id), array_agg(c.id) into v_tenants, v_keys from old_rows c;
        end case;
    end if;
    if v_keys is null then
        return null;
    end if;

    -- ... then the products they belong to, by the route (one statement; the other routes' branches are
    -- switched off by their one-time filter)
    insert into outbox.events (tenant_id, event_type, aggregate_type, aggregate_id, payload)
    select m.tenant_id, 'ProductUpdated', 'product', m.product_id, jsonb_build_object('source', tg_table_name)
    from (
        select distinct mp.tenant_id, mp.product_id
        from (select distinct k.tenant_id, k.key from unnest(v_tenants, v_keys) as k (tenant_id, key)) c
        cross join lateral (
            select c.tenant_id, c.key as product_id where v_route = 'product'
            union all
            select v.tenant_id, v.product_id from commerce.variants v
            where v_route = 'variant' and v.tenant_id = c.tenant_id and v.id = c.key
            union all
            select o.tenant_id, o.product_id from commerce.options o
            where v_route = 'option' and o.tenant_id = c.tenant_id and o.id = c.key
            union all
            select v.tenant_id, v.product_id
            from commerce.prices p
            join commerce.variants v on v.tenant_id = p.tenant_id and v.id = p.variant_id
            where v_route = 'price_list' and p.tenant_id = c.tenant_id and p.price_list_id = c.key
            union all
            select v.tenant_id, v.product_id
            from commerce.variant_inventory vi
            join commerce.variants v on v.tenant_id = vi.tenant_id and v.id = vi.variant_id
            where v_route = 'inventory_item' and vi.tenant_id = c.tenant_id and vi.inventory_item_id = c.key
            union all
            select pc.tenant_id, pc.product_id from commerce.product_categories pc
            where v_route = 'category' and pc.tenant_id = c.tenant_id and pc.category_id = c.key
        ) mp
    ) m
    where exists (select 1 from commerce.products p where p.tenant_id = m.tenant_id and p.id = m.product_id);
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
create or replace function commerce.tg_inventory_levels__events() returns trigger
    language plpgsql volatile
as $$
declare
    v_levels commerce._level_change[];
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
    elsif tg_op = 'UPDATE' then
        perform core.assert_module_enabled(array(select distinct n.tenant_id from new_rows n), 'commerce');
        select array_agg(row(n.tenant_id, n.inventory_item_id, n.location_id, o.stocked_quantity, n.stocked_quantity,
                             o.stocked_quantity - o.reserved_quantity,
                             n.stocked_quantity - n.reserved_quantity)::commerce._level_change)
        into v_levels
        from new_rows n
        join old_rows o on o.tenant_id = n.tenant_id and o.id = n.id
        where (n.*) is distinct from (o.*);
    else
        select array_agg(row(o.tenant_id, o.inventory_item_id, o.location_id, o.stocked_quantity, 0,
                             o.stocked_quantity - o.reserved_quantity, 0)::commerce._level_change)
        into v_levels
        from old_rows o;
    end if;
    if v_levels is null then
        return null;
    end if;

    with levels as (
        select * from unnest(v_levels)
    ),
    product_levels as (
        select v.tenant_id, v.product_id, l.inventory_item_id, l.location_id, l.old_quantity, l.new_quantity,
               l.old_available, l.new_available,
               count(*) over (partition by v.tenant_id, v.product_id) as changed_levels,
               row_number() over (partition by v.tenant_id, v.product_id order by l.inventory_item_id, l.location_id) as rn
        from levels l
        join commerce.variant_inventory vi on vi.tenant_id = l.tenant_id and vi.inventory_item_id = l.inventory_item_id
        join commerce.variants v on v.tenant_id = vi.tenant_id and v.id = vi.variant_id
    ),
    items as (
        select l.tenant_id, l.inventory_item_id, sum(l.new_available - l.old_available) as delta
        from levels l group by l.tenant_id, l.inventory_item_id
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
    select distinct v.tenant_id, 'InventoryLow', 'product', v.product_id,
           jsonb_build_object('inventory_item_id', c.inventory_item_id, 'remaining', c.remaining, 'threshold', c.threshold)
    from crossed c
    join commerce.variant_inventory vi on vi.tenant_id = c.tenant_id and vi.inventory_item_id = c.inventory_item_id
    join commerce.variants v on v.tenant_id = vi.tenant_id and v.id = vi.variant_id;
    return null;
end
$$;
comment on function commerce.tg_inventory_levels__events() is
    'AFTER statement trigger on commerce.inventory_levels: one InventoryUpdated per affected product (payload: the '
    'first changed level''s inventory_item_id, location_id, old/new stocked quantity (old_quantity/new_quantity), '
    'old/new available, and changed_levels = how many of the product''s levels changed), and InventoryLow per '
    'product and item whose available quantity (all locations) drops from above to at or below its threshold.';

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
