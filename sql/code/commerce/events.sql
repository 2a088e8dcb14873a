-- commerce/events.sql: commerce's domain events (Product*, Variant*, Inventory*, Order*).

-- ---------------------------------------------------------------- products
create or replace function commerce.tg_products__events() returns trigger
    language plpgsql volatile
as $$
begin
    if tg_op = 'INSERT' then
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
    v_changed text;
    v_map     text;
begin
    if tg_op in ('INSERT', 'UPDATE') then
        perform core.assert_module_enabled(array(select distinct n.tenant_id from new_rows n), 'commerce');
    end if;
    v_changed := case tg_op
        when 'INSERT' then 'select * from new_rows'
        when 'DELETE' then 'select * from old_rows'
        else '(select * from new_rows except select * from old_rows) union all (select * from old_rows except select * from new_rows)'
    end;
    v_map := case v_route
        when 'product' then
            'select c.tenant_id, c.%1$I as product_id from changed c'
        when 'variant' then
            'select v.tenant_id, v.product_id from changed c
             join commerce.variants v on v.tenant_id = c.tenant_id and v.id = c.%1$I'
        when 'option' then
            'select o.tenant_id, o.product_id from changed c
             join commerce.options o on o.tenant_id = c.tenant_id and o.id = c.%1$I'
        when 'price_list' then
            'select v.tenant_id, v.product_id from changed c
             join commerce.prices p on p.tenant_id = c.tenant_id and p.price_list_id = c.%1$I
             join commerce.variants v on v.tenant_id = p.tenant_id and v.id = p.variant_id'
        when 'inventory_item' then
            'select v.tenant_id, v.product_id from changed c
             join commerce.variant_inventory vi on vi.tenant_id = c.tenant_id and vi.inventory_item_id = c.%1$I
             join commerce.variants v on v.tenant_id = vi.tenant_id and v.id = vi.variant_id'
        when 'category' then
            'select pc.tenant_id, pc.product_id from changed c
             join commerce.product_categories pc on pc.tenant_id = c.tenant_id and pc.category_id = c.%1$I'
    end;
    if v_map is null then
        raise exception 'commerce.tg__product_child_events: unknown route % on %', v_route, tg_table_name
            using errcode = 'invalid_parameter_value';
    end if;
    execute format(
        'with changed as (%s), mapped as (%s)
         insert into outbox.events (tenant_id, event_type, aggregate_type, aggregate_id, payload)
         select m.tenant_id, ''ProductUpdated'', ''product'', m.product_id, jsonb_build_object(''source'', %L)
         from (select distinct mp.tenant_id, mp.product_id from mapped mp) m
         where exists (select 1 from commerce.products p where p.tenant_id = m.tenant_id and p.id = m.product_id)',
        v_changed, format(v_map, v_col), tg_table_name);
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
    v_new text;
    v_old text;
begin
    if tg_op in ('INSERT', 'UPDATE') then
        perform core.assert_module_enabled(array(select distinct n.tenant_id from new_rows n), 'commerce');
    end if;
    -- changed row versions before (old) and after (new); an untouched row is in neither
    v_new := case tg_op when 'INSERT' then 'select * from new_rows'
                        when 'UPDATE' then 'select * from new_rows except select * from old_rows'
                        else 'select * from commerce.inventory_levels where false' end;
    v_old := case tg_op when 'DELETE' then 'select * from old_rows'
                        when 'UPDATE' then 'select * from old_rows except select * from new_rows'
                        else 'select * from commerce.inventory_levels where false' end;
    execute format($q$
        with n as (%s), o as (%s),
        levels as (
            select coalesce(n.tenant_id, o.tenant_id) as tenant_id,
                   coalesce(n.inventory_item_id, o.inventory_item_id) as inventory_item_id,
                   coalesce(n.location_id, o.location_id) as location_id,
                   coalesce(o.stocked_quantity, 0) as old_quantity,
                   coalesce(n.stocked_quantity, 0) as new_quantity,
                   coalesce(o.stocked_quantity - o.reserved_quantity, 0) as old_available,
                   coalesce(n.stocked_quantity - n.reserved_quantity, 0) as new_available
            from n full join o on o.tenant_id = n.tenant_id and o.id = n.id
        ),
        product_levels as (
            select v.tenant_id, v.product_id, l.inventory_item_id, l.location_id, l.old_quantity, l.new_quantity,
                   l.old_available, l.new_available,
                   count(*) over (partition by v.tenant_id, v.product_id) as changed_levels,
                   row_number() over (partition by v.tenant_id, v.product_id order by l.inventory_item_id, l.location_id) as rn
            from (select distinct * from levels) l
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
        join commerce.variants v on v.tenant_id = vi.tenant_id and v.id = vi.variant_id
    $q$, v_new, v_old);
    return null;
end
$$;
comment on function commerce.tg_inventory_levels__events() is
    'AFTER statement trigger on commerce.inventory_levels: one InventoryUpdated per affected product (payload: the '
    'first changed level''s inventory_item_id, location_id, old/new stocked quantity (old_quantity/new_quantity), '
    'old/new available, and changed_levels = how many of the product''s levels changed), and InventoryLow per '
    'product and item whose available quantity (all locations) drops from above to at or below its threshold.';

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
