-- commerce/api.sql: API functions called by GraphQL mutations (products, stock, records).

-- Write functions for the GraphQL API (also handy from psql): a whole product in one call, stock by variant.
-- Security invoker: they run as the caller, so row-level security and the module's triggers apply.
create or replace function commerce._default_location(p_tenant_id uuid) returns uuid
    language plpgsql volatile
as $$
declare
    v_id uuid;
begin
    select l.id into v_id from commerce.stock_locations l where l.tenant_id = p_tenant_id order by l.id limit 1;
    if v_id is null then
        -- do nothing, not do update: an update on conflict would lock the row (FOR UPDATE strength) until commit,
        -- and a concurrent import chunk that takes its FOR KEY SHARE lock after the tag locks would deadlock
        -- with this one waiting for those tag locks. The next statement's snapshot sees the concurrent row.
        insert into commerce.stock_locations (tenant_id, name) values (p_tenant_id, 'Default')
        on conflict (tenant_id, name) do nothing
        returning id into v_id;
        if v_id is null then
            select l.id into v_id from commerce.stock_locations l where l.tenant_id = p_tenant_id order by l.id limit 1;
        end if;
    end if;
    return v_id;
end
$$;
comment on function commerce._default_location(uuid) is
    'Internal: the tenant''s first stock location, creating one named Default when it has none.';
grant execute on function commerce._default_location(uuid) to rustok_app;

create or replace function commerce.create_product(p_input jsonb) returns uuid
    language plpgsql volatile
as $$
declare
    v_tenant   uuid := core.current_tenant_id();
    v_product  uuid := core.new_id();
    v_location uuid;
begin
    perform core.require_permission('catalog:write');
    if v_tenant is null then
        raise exception 'commerce.create_product: no tenant in this transaction (select core.set_tenant(...))'
            using errcode = 'invalid_parameter_value';
    end if;
    if p_input is null or jsonb_typeof(p_input) <> 'object' then
        raise exception 'commerce.create_product(p_input): expected a JSON object' using errcode = 'invalid_parameter_value';
    end if;
    if jsonb_typeof(p_input->'variants') = 'array' and jsonb_array_length(p_input->'variants') > 100 then
        raise exception 'variants: a product has at most 100 variants (got %)', jsonb_array_length(p_input->'variants')
            using errcode = 'check_violation', column = 'variants';
    end if;

    insert into commerce.products (tenant_id, id, title, subtitle, handle, description, status, discountable, metadata)
    values (v_tenant, v_product, p_input->>'title', p_input->>'subtitle', p_input->>'handle', p_input->>'description',
            coalesce(p_input->>'status', 'draft'), coalesce((p_input->>'discountable')::boolean, true),
            coalesce(p_input->'metadata', '{}'));

    -- Variants with ids made up front, so prices and stock can refer to them set-based.
    create temporary table if not exists _new_variants (id uuid, ord bigint, input jsonb) on commit drop;
    truncate _new_variants;
    insert into _new_variants
    select core.new_id(), v.ord, v.elem
    from jsonb_array_elements(coalesce(p_input->'variants', '[]')) with ordinality as v(elem, ord);

    insert into commerce.variants (tenant_id, id, product_id, title, sku, barcode, manage_inventory, allow_backorder,
                                   weight, position, metadata)
    select v_tenant, n.id, v_product, coalesce(n.input->>'title', p_input->>'title'), n.input->>'sku',
           n.input->>'barcode', coalesce((n.input->>'manageInventory')::boolean, true),
           coalesce((n.input->>'allowBackorder')::boolean, false), (n.input->>'weight')::int,
           n.ord - 1, coalesce(n.input->'metadata', '{}')
    from _new_variants n order by n.ord;

    insert into commerce.prices (tenant_id, variant_id, amount, currency_code, min_quantity)
    select v_tenant, n.id, (p->>'amount')::bigint, p->>'currencyCode', coalesce((p->>'minQuantity')::int, 1)
    from _new_variants n, jsonb_array_elements(coalesce(n.input->'prices', '[]')) as p;

    if exists (select from _new_variants n where n.input ? 'stock') then
        v_location := commerce._default_location(v_tenant);
        insert into commerce.inventory_items (tenant_id, id, sku, title)
        select v_tenant, n.id, n.input->>'sku', coalesce(n.input->>'title', p_input->>'title')
        from _new_variants n where n.input ? 'stock';
        insert into commerce.variant_inventory (tenant_id, variant_id, inventory_item_id)
        select v_tenant, n.id, n.id from _new_variants n where n.input ? 'stock';
        insert into commerce.inventory_levels (tenant_id, inventory_item_id, location_id, stocked_quantity)
        select v_tenant, n.id, v_location, (n.input->>'stock')::int from _new_variants n where n.input ? 'stock';
    end if;
    return v_product;
end
$$;
comment on function commerce.create_product(jsonb) is
    'Create a product with its variants, prices and opening stock in one call (current tenant): '
    '{"title","handle","subtitle","description","status","discountable","metadata", "variants":[{"title","sku","barcode",'
    '"manageInventory","allowBackorder","weight","prices":[{"amount","currencyCode","minQuantity"}],"stock"}]}. '
    'Stock goes to the tenant''s first stock location (created as Default when missing). Returns the product id.';
grant execute on function commerce.create_product(jsonb) to rustok_app;

create or replace function commerce.set_variant_stock(p_variant_id uuid, p_stocked integer, p_location_id uuid default null)
    returns commerce.inventory_levels
    language plpgsql volatile
as $$
declare
    v_tenant   uuid := core.current_tenant_id();
    v_item     uuid;
    v_location uuid;
    v_level    commerce.inventory_levels;
begin
    perform core.require_permission('catalog:write');
    if p_stocked is null or p_stocked < 0 then
        raise exception 'commerce.inventory_levels.stocked_quantity: must be 0 or more, got %', p_stocked
            using errcode = 'check_violation', column = 'stocked_quantity';
    end if;
    select vi.inventory_item_id into v_item
    from commerce.variants v
    left join commerce.variant_inventory vi on vi.tenant_id = v.tenant_id and vi.variant_id = v.id
    where v.tenant_id = v_tenant and v.id = p_variant_id
    order by vi.inventory_item_id limit 1;
    if not found then
        raise exception 'variant_id: no variant %', p_variant_id using errcode = 'no_data_found', column = 'variant_id';
    end if;
    if v_item is null then  -- first stock for this variant: its own inventory item
        insert into commerce.inventory_items (tenant_id, sku, title)
        select v.tenant_id, v.sku, v.title from commerce.variants v where v.tenant_id = v_tenant and v.id = p_variant_id
        returning id into v_item;
        insert into commerce.variant_inventory (tenant_id, variant_id, inventory_item_id) values (v_tenant, p_variant_id, v_item);
    end if;
    v_location := coalesce(p_location_id, commerce._default_location(v_tenant));
    insert into commerce.inventory_levels as l (tenant_id, inventory_item_id, location_id, stocked_quantity)
    values (v_tenant, v_item, v_location, p_stocked)
    on conflict (tenant_id, inventory_item_id, location_id)
        do update set stocked_quantity = excluded.stocked_quantity
    returning l.* into v_level;
    return v_level;
end
$$;
comment on function commerce.set_variant_stock(uuid, integer, uuid) is
    'Set the stocked quantity of a variant''s inventory item at a location (default: the first location), creating '
    'the item, link and level when missing. Reserved stock is kept; stocked below reserved is refused (23514).';
grant execute on function commerce.set_variant_stock(uuid,integer,uuid) to rustok_app;

-- Records for API responses: the write-side state of an aggregate as one JSON document (camelCase keys),
-- built in one statement so a mutation answers in one round trip.
create or replace function commerce.product_record(p_product_id uuid) returns jsonb
    language sql stable
as $$
    select jsonb_build_object(
        'id', p.id, 'title', p.title, 'subtitle', p.subtitle, 'handle', p.handle, 'description', p.description,
        'status', p.status, 'discountable', p.discountable, 'metadata', p.metadata,
        'createdAt', p.created_at, 'updatedAt', p.updated_at,
        'variants', coalesce((
            select jsonb_agg(jsonb_build_object(
                'id', v.id, 'title', v.title, 'sku', v.sku, 'barcode', v.barcode,
                'manageInventory', v.manage_inventory, 'allowBackorder', v.allow_backorder, 'position', v.position,
                'prices', coalesce((
                    select jsonb_agg(jsonb_build_object('amount', pr.amount, 'currencyCode', pr.currency_code,
                                                        'minQuantity', pr.min_quantity, 'priceListId', pr.price_list_id)
                                     order by pr.currency_code, pr.min_quantity)
                    from commerce.prices pr where pr.tenant_id = v.tenant_id and pr.variant_id = v.id), '[]'),
                'stocked', st.stocked, 'reserved', st.reserved)
                order by v.position, v.id)
            from commerce.variants v
            left join lateral (
                select sum(l.stocked_quantity)::int as stocked, sum(l.reserved_quantity)::int as reserved
                from commerce.variant_inventory vi
                join commerce.inventory_levels l on l.tenant_id = vi.tenant_id and l.inventory_item_id = vi.inventory_item_id
                where vi.tenant_id = v.tenant_id and vi.variant_id = v.id) st on true
            where v.tenant_id = p.tenant_id and v.product_id = p.id), '[]'))
    from commerce.products p
    where p.tenant_id = core.current_tenant_id() and p.id = p_product_id
$$;
comment on function commerce.product_record(uuid) is
    'A product of the current tenant with its variants, prices and stock as one JSON document (write-side state, camelCase keys); null when absent.';
grant execute on function commerce.product_record(uuid) to rustok_app;

create or replace function commerce.order_record(p_order_id uuid) returns jsonb
    language sql stable
as $$
    select jsonb_build_object(
        'id', o.id, 'displayId', o.display_id, 'status', o.status, 'email', o.email, 'customerId', o.customer_id,
        'currencyCode', o.currency_code, 'subtotal', o.subtotal, 'discountTotal', o.discount_total,
        'shippingTotal', o.shipping_total, 'taxTotal', o.tax_total, 'total', o.total,
        'shippingAddress', o.shipping_address, 'billingAddress', o.billing_address,
        'createdAt', o.created_at, 'updatedAt', o.updated_at, 'cancellation', o.metadata->'cancellation',
        'items', coalesce((
            select jsonb_agg(jsonb_build_object('id', i.id, 'variantId', i.variant_id, 'productId', i.product_id,
                                                'title', i.title, 'sku', i.sku, 'quantity', i.quantity,
                                                'unitPrice', i.unit_price, 'total', i.total) order by i.id)
            from commerce.order_items i where i.tenant_id = o.tenant_id and i.order_id = o.id), '[]'))
    from commerce.orders o
    where o.tenant_id = core.current_tenant_id() and o.id = p_order_id
$$;
comment on function commerce.order_record(uuid) is
    'An order of the current tenant with its items as one JSON document (write-side state, camelCase keys); null when absent.';
grant execute on function commerce.order_record(uuid) to rustok_app;

-- ---------------------------------------------------------------- API: catalog edits and orders of the current tenant
-- Called by the GraphQL mutations (one function each); the tenant is core.current_tenant_id(), never a parameter.
-- Security invoker: row-level security and the module's triggers apply to the caller.

create or replace function commerce.update_product(p_product_id uuid, p_patch jsonb) returns uuid
    language plpgsql volatile
as $$
begin
    perform core.require_permission('catalog:write');
    if p_patch is null or jsonb_typeof(p_patch) <> 'object' then
        raise exception 'commerce.update_product(p_patch): expected a JSON object' using errcode = 'invalid_parameter_value';
    end if;
    -- One UPDATE; a field absent from the patch keeps its value (title, handle, status, discountable and
    -- metadata also keep it when given as null; subtitle and description are cleared by null).
    update commerce.products p set
        title        = coalesce(p_patch->>'title', p.title),
        handle       = coalesce(p_patch->>'handle', p.handle),
        subtitle     = case when p_patch ? 'subtitle' then p_patch->>'subtitle' else p.subtitle end,
        description  = case when p_patch ? 'description' then p_patch->>'description' else p.description end,
        status       = coalesce(p_patch->>'status', p.status),
        discountable = coalesce((p_patch->>'discountable')::boolean, p.discountable),
        metadata     = coalesce(p_patch->'metadata', p.metadata)
    where p.tenant_id = core.current_tenant_id() and p.id = p_product_id;
    if not found then
        raise exception 'commerce.products.id: no product %', p_product_id using errcode = 'no_data_found', column = 'id';
    end if;
    return p_product_id;
end
$$;
comment on function commerce.update_product(uuid, jsonb) is
    'Change the fields of a product of the current tenant given in the patch: {"title","handle","subtitle",'
    '"description","status","discountable","metadata"}; absent keys are left alone. Unknown product: P0002. '
    'Returns the id. (GraphQL updateProduct.)';
revoke execute on function commerce.update_product(uuid, jsonb) from public;
grant execute on function commerce.update_product(uuid, jsonb) to rustok_app;

create or replace function commerce.delete_product(p_product_id uuid) returns boolean
    language plpgsql volatile
as $$
begin
    perform core.require_permission('catalog:write');
    delete from commerce.products p where p.tenant_id = core.current_tenant_id() and p.id = p_product_id;
    return found;
end
$$;
comment on function commerce.delete_product(uuid) is
    'Delete a product of the current tenant (its variants, prices, tags and meta go with it). True when it existed. '
    '(GraphQL deleteProduct.)';
revoke execute on function commerce.delete_product(uuid) from public;
grant execute on function commerce.delete_product(uuid) to rustok_app;

create or replace function commerce.product_of_variant(p_variant_id uuid) returns uuid
    language plpgsql stable
as $$
declare
    v_product uuid;
begin
    select v.product_id into v_product
    from commerce.variants v
    where v.tenant_id = core.current_tenant_id() and v.id = p_variant_id;
    if v_product is null then
        raise exception 'variant_id: no variant %', p_variant_id using errcode = 'no_data_found', column = 'variant_id';
    end if;
    return v_product;
end
$$;
comment on function commerce.product_of_variant(uuid) is
    'The product of a variant of the current tenant; P0002 when there is no such variant.';
revoke execute on function commerce.product_of_variant(uuid) from public;
grant execute on function commerce.product_of_variant(uuid) to rustok_app;

create or replace function commerce.set_variant_price(p_variant_id uuid, p_currency_code text, p_amount bigint,
                                                      p_min_quantity integer default 1) returns uuid
    language plpgsql volatile
as $$
declare
    v_product uuid := commerce.product_of_variant(p_variant_id);
begin
    perform core.require_permission('catalog:write');
    insert into commerce.prices as pr (tenant_id, variant_id, amount, currency_code, min_quantity)
    values (core.current_tenant_id(), p_variant_id, p_amount, p_currency_code, p_min_quantity)
    on conflict (tenant_id, variant_id, currency_code, price_list_id, min_quantity)
        do update set amount = excluded.amount where pr.amount <> excluded.amount;
    return v_product;
end
$$;
comment on function commerce.set_variant_price(uuid, text, bigint, integer) is
    'Set (insert or replace) the base price of a variant of the current tenant in a currency for a quantity tier '
    '(minor units; an unchanged amount writes nothing). Unknown variant: P0002. Returns the variant''s product id. '
    '(GraphQL setVariantPrice.)';
revoke execute on function commerce.set_variant_price(uuid, text, bigint, integer) from public;
grant execute on function commerce.set_variant_price(uuid, text, bigint, integer) to rustok_app;

create or replace function commerce.remove_variant_price(p_variant_id uuid, p_currency_code text,
                                                         p_min_quantity integer default 1) returns uuid
    language plpgsql volatile
as $$
declare
    v_product uuid := commerce.product_of_variant(p_variant_id);
begin
    perform core.require_permission('catalog:write');
    delete from commerce.prices pr
    where pr.tenant_id = core.current_tenant_id() and pr.variant_id = p_variant_id and pr.price_list_id is null
      and pr.currency_code = p_currency_code and pr.min_quantity = p_min_quantity;
    if not found then
        raise exception 'currency_code: the variant has no base price in % for quantity %', p_currency_code, p_min_quantity
            using errcode = 'no_data_found', column = 'currency_code';
    end if;
    return v_product;
end
$$;
comment on function commerce.remove_variant_price(uuid, text, integer) is
    'Remove a variant''s base price in a currency for a quantity tier (price lists untouched); none there: P0002 '
    'naming currency_code. Permission catalog:write. Returns the variant''s product id. (GraphQL removeVariantPrice.)';
revoke execute on function commerce.remove_variant_price(uuid, text, integer) from public;
grant execute on function commerce.remove_variant_price(uuid, text, integer) to rustok_app;

create or replace function commerce.checkout(
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
) returns uuid
    language plpgsql volatile
    set plan_cache_mode = force_generic_plan   -- see commerce.place_order
as $$
declare
    v_tenant uuid := core.current_tenant_id();
begin
    perform core.require_permission('orders:place');
    if v_tenant is null then
        raise exception 'commerce.checkout: no tenant in this transaction (select core.set_tenant(...))'
            using errcode = 'invalid_parameter_value';
    end if;
    return (commerce.place_order(
        p_tenant_id        => v_tenant,
        p_currency         => p_currency,
        p_items            => p_items,
        p_customer_id      => p_customer_id,
        p_email            => coalesce(p_email, (select u.email from core.users u
                                                 where u.tenant_id = v_tenant and u.id = p_customer_id)),
        p_shipping_address => p_shipping_address,
        p_billing_address  => p_billing_address,
        p_shipping_total   => p_shipping_total,
        p_discount_total   => p_discount_total,
        p_tax_rate         => p_tax_rate,
        p_customer_group   => p_customer_group,
        p_location_id      => p_location_id,
        p_metadata         => p_metadata)).id;
end
$$;
comment on function commerce.checkout(text, jsonb, uuid, text, jsonb, jsonb, bigint, bigint, numeric, text, uuid, jsonb) is
    'Place an order in the current tenant: commerce.place_order without the tenant parameter (the operator form), '
    'same rules and errors. Without p_email the customer''s account email is used. Returns the order id. '
    '(GraphQL placeOrder.)';
revoke execute on function commerce.checkout(text, jsonb, uuid, text, jsonb, jsonb, bigint, bigint, numeric, text, uuid, jsonb) from public;
grant execute on function commerce.checkout(text, jsonb, uuid, text, jsonb, jsonb, bigint, bigint, numeric, text, uuid, jsonb) to rustok_app;

create or replace function commerce.change_order_status(p_order_id uuid, p_status text) returns uuid
    language plpgsql volatile
as $$
declare
    v_tenant uuid := core.current_tenant_id();
begin
    perform core.require_permission('orders:write');
    if v_tenant is null then
        raise exception 'commerce.change_order_status: no tenant in this transaction (select core.set_tenant(...))'
            using errcode = 'invalid_parameter_value';
    end if;
    return (commerce.set_order_status(v_tenant, p_order_id, p_status)).id;
end
$$;
comment on function commerce.change_order_status(uuid, text) is
    'Move an order of the current tenant to a new status: commerce.set_order_status without the tenant parameter '
    '(the operator form), same state machine and errors. Returns the order id. (GraphQL setOrderStatus.)';
revoke execute on function commerce.change_order_status(uuid, text) from public;
grant execute on function commerce.change_order_status(uuid, text) to rustok_app;

-- ---------------------------------------------------------------- admin: variants and categories
create or replace function commerce.upsert_variant(p_product_id uuid, p_variant_id uuid, p_input jsonb) returns uuid
    language plpgsql volatile
as $$
declare
    v_tenant uuid := core.current_tenant_id();
    v_id     uuid := coalesce(p_variant_id, core.new_id());
begin
    perform core.require_permission('catalog:write');
    if p_input is null or jsonb_typeof(p_input) <> 'object' then
        raise exception 'input: expected an object' using errcode = 'invalid_parameter_value';
    end if;
    if p_variant_id is null then
        if not exists (select 1 from commerce.products p where p.tenant_id = v_tenant and p.id = p_product_id) then
            raise exception 'product_id: no product %', p_product_id using errcode = 'no_data_found', column = 'product_id';
        end if;
        if (select count(*) from commerce.variants v where v.tenant_id = v_tenant and v.product_id = p_product_id) >= 100 then
            raise exception 'product_id: a product has at most 100 variants' using errcode = 'check_violation',
                column = 'product_id';
        end if;
        insert into commerce.variants (tenant_id, id, product_id, title, sku, barcode, manage_inventory, allow_backorder,
                                       weight, position, metadata)
        values (v_tenant, v_id, p_product_id, coalesce(p_input->>'title', 'Default'), p_input->>'sku', p_input->>'barcode',
                coalesce((p_input->>'manageInventory')::boolean, true), coalesce((p_input->>'allowBackorder')::boolean, false),
                (p_input->>'weight')::int,
                coalesce((p_input->>'position')::int,
                         (select coalesce(max(v.position) + 1, 0) from commerce.variants v
                          where v.tenant_id = v_tenant and v.product_id = p_product_id)),
                coalesce(p_input->'metadata', '{}'));
        insert into commerce.prices (tenant_id, variant_id, amount, currency_code, min_quantity)
        select v_tenant, v_id, (p->>'amount')::bigint, p->>'currencyCode', coalesce((p->>'minQuantity')::int, 1)
        from jsonb_array_elements(coalesce(p_input->'prices', '[]')) as p;
    else
        update commerce.variants v set
            title            = case when p_input ? 'title' then p_input->>'title' else v.title end,
            sku              = case when p_input ? 'sku' then p_input->>'sku' else v.sku end,
            barcode          = case when p_input ? 'barcode' then p_input->>'barcode' else v.barcode end,
            manage_inventory = case when p_input ? 'manageInventory' then (p_input->>'manageInventory')::boolean else v.manage_inventory end,
            allow_backorder  = case when p_input ? 'allowBackorder' then (p_input->>'allowBackorder')::boolean else v.allow_backorder end,
            weight           = case when p_input ? 'weight' then (p_input->>'weight')::int else v.weight end,
            position         = case when p_input ? 'position' then (p_input->>'position')::int else v.position end,
            metadata         = case when p_input ? 'metadata' then p_input->'metadata' else v.metadata end
        where v.tenant_id = v_tenant and v.id = p_variant_id;
        if not found then
            raise exception 'id: no variant %', p_variant_id using errcode = 'no_data_found', column = 'id';
        end if;
    end if;
    return v_id;
end
$$;
comment on function commerce.upsert_variant(uuid, uuid, jsonb) is
    'Add a variant to a product (p_variant_id null: {title, sku, barcode, manageInventory, allowBackorder, weight, '
    'position (default: last), metadata, prices: [{amount, currencyCode, minQuantity}]}) or change one (keys given '
    'are set, others kept). Permission catalog:write. Returns the variant id. (GraphQL addVariant, updateVariant.)';
revoke execute on function commerce.upsert_variant(uuid, uuid, jsonb) from public;
grant execute on function commerce.upsert_variant(uuid, uuid, jsonb) to rustok_app;

create or replace function commerce.delete_variant(p_variant_id uuid) returns uuid
    language plpgsql volatile
as $$
declare
    v_product uuid;
begin
    perform core.require_permission('catalog:write');
    delete from commerce.variants v where v.tenant_id = core.current_tenant_id() and v.id = p_variant_id
    returning v.product_id into v_product;
    if v_product is null then
        raise exception 'id: no variant %', p_variant_id using errcode = 'no_data_found', column = 'id';
    end if;
    return v_product;
end
$$;
comment on function commerce.delete_variant(uuid) is
    'Delete a variant (its prices and option links go with it; order lines keep their copy). Permission '
    'catalog:write. Returns its product''s id. (GraphQL deleteVariant.)';
revoke execute on function commerce.delete_variant(uuid) from public;
grant execute on function commerce.delete_variant(uuid) to rustok_app;

create or replace function commerce.reorder_variants(p_product_id uuid, p_variant_ids uuid[]) returns uuid
    language plpgsql volatile
as $$
begin
    perform core.require_permission('catalog:write');
    if (select count(*) from commerce.variants v where v.tenant_id = core.current_tenant_id() and v.product_id = p_product_id)
       <> cardinality(p_variant_ids)
       or exists (select 1 from unnest(p_variant_ids) i
                  where not exists (select 1 from commerce.variants v where v.tenant_id = core.current_tenant_id()
                                    and v.product_id = p_product_id and v.id = i)) then
        raise exception 'variantIds: give every variant of product % exactly once', p_product_id
            using errcode = 'invalid_parameter_value', column = 'variant_ids';
    end if;
    update commerce.variants v set position = o.ord - 1
    from unnest(p_variant_ids) with ordinality as o (id, ord)
    where v.tenant_id = core.current_tenant_id() and v.id = o.id and v.position is distinct from (o.ord - 1)::int;
    return p_product_id;
end
$$;
comment on function commerce.reorder_variants(uuid, uuid[]) is
    'Put a product''s variants in the given order (every variant exactly once). Permission catalog:write. '
    '(GraphQL reorderVariants.)';
revoke execute on function commerce.reorder_variants(uuid, uuid[]) from public;
grant execute on function commerce.reorder_variants(uuid, uuid[]) to rustok_app;

create or replace function commerce.upsert_category(p_category_id uuid, p_input jsonb) returns uuid
    language plpgsql volatile
as $$
declare
    v_id uuid := coalesce(p_category_id, core.new_id());
begin
    perform core.require_permission('catalog:write');
    if p_input is null or jsonb_typeof(p_input) <> 'object' then
        raise exception 'input: expected an object' using errcode = 'invalid_parameter_value';
    end if;
    -- the storefront's category tree is answered whole (GraphQL categories): a shop has at most 1,000 categories
    if p_category_id is null
       and (select count(*) from commerce.categories c where c.tenant_id = core.current_tenant_id()) >= 1000 then
        raise exception 'input: a shop has at most 1000 catalog categories' using errcode = 'check_violation';
    end if;
    if p_category_id is null then
        insert into commerce.categories (tenant_id, id, parent_id, name, handle, description, is_active, is_internal, rank, metadata)
        values (core.current_tenant_id(), v_id, (p_input->>'parentId')::uuid, p_input->>'name', p_input->>'handle',
                p_input->>'description', coalesce((p_input->>'isActive')::boolean, true),
                coalesce((p_input->>'isInternal')::boolean, false), coalesce((p_input->>'rank')::int, 0),
                coalesce(p_input->'metadata', '{}'));
    else
        update commerce.categories c set
            parent_id   = case when p_input ? 'parentId' then (p_input->>'parentId')::uuid else c.parent_id end,
            name        = case when p_input ? 'name' then p_input->>'name' else c.name end,
            handle      = case when p_input ? 'handle' then p_input->>'handle' else c.handle end,
            description = case when p_input ? 'description' then p_input->>'description' else c.description end,
            is_active   = case when p_input ? 'isActive' then (p_input->>'isActive')::boolean else c.is_active end,
            is_internal = case when p_input ? 'isInternal' then (p_input->>'isInternal')::boolean else c.is_internal end,
            rank        = case when p_input ? 'rank' then (p_input->>'rank')::int else c.rank end,
            metadata    = case when p_input ? 'metadata' then p_input->'metadata' else c.metadata end
        where c.tenant_id = core.current_tenant_id() and c.id = p_category_id;
        if not found then
            raise exception 'id: no category %', p_category_id using errcode = 'no_data_found', column = 'id';
        end if;
    end if;
    if p_input ? 'productIds' then
        -- the category's products become exactly these
        delete from commerce.product_categories pc
        where pc.tenant_id = core.current_tenant_id() and pc.category_id = v_id
          and not (pc.product_id = any (array(select jsonb_array_elements_text(p_input->'productIds')::uuid)));
        insert into commerce.product_categories (tenant_id, product_id, category_id)
        select core.current_tenant_id(), e::uuid, v_id from jsonb_array_elements_text(p_input->'productIds') e
        on conflict do nothing;
    end if;
    return v_id;
end
$$;
comment on function commerce.upsert_category(uuid, jsonb) is
    'Create (p_category_id null) or change a catalog category: {parentId, name, handle, description, isActive, '
    'isInternal, rank, metadata, productIds (the category''s products become exactly these)}. Permission '
    'catalog:write. A shop has at most 1,000 catalog categories (the storefront''s tree is answered whole): a new one '
    'past that is refused (23514). Returns the id. (GraphQL createCategory, updateCategory.)';
revoke execute on function commerce.upsert_category(uuid, jsonb) from public;
grant execute on function commerce.upsert_category(uuid, jsonb) to rustok_app;

create or replace function commerce.delete_category(p_category_id uuid) returns boolean
    language plpgsql volatile
as $$
begin
    perform core.require_permission('catalog:write');
    delete from commerce.categories c where c.tenant_id = core.current_tenant_id() and c.id = p_category_id;
    return found;
end
$$;
comment on function commerce.delete_category(uuid) is
    'Delete a catalog category (its product links go; children per the parent key''s rule). Permission catalog:write. '
    'False when there was none. (GraphQL deleteCategory.)';
revoke execute on function commerce.delete_category(uuid) from public;
grant execute on function commerce.delete_category(uuid) to rustok_app;

-- ---------------------------------------------------------------- admin: price lists, order cancellation
create or replace function commerce.create_price_list(p_input jsonb) returns uuid
    language plpgsql volatile
as $$
declare
    v_tenant uuid := core.current_tenant_id();
    v_id     uuid := core.new_id();
begin
    perform core.require_permission('catalog:write');
    if p_input is null or jsonb_typeof(p_input) <> 'object' then
        raise exception 'input: expected an object' using errcode = 'invalid_parameter_value';
    end if;
    insert into commerce.price_lists (tenant_id, id, title, description, type, status, starts_at, ends_at, metadata)
    values (v_tenant, v_id, p_input->>'title', p_input->>'description', coalesce(p_input->>'type', 'sale'),
            coalesce(p_input->>'status', 'active'), (p_input->>'startsAt')::timestamptz, (p_input->>'endsAt')::timestamptz,
            coalesce(p_input->'metadata', '{}'));
    insert into commerce.prices (tenant_id, variant_id, amount, currency_code, min_quantity, price_list_id)
    select v_tenant, (p->>'variantId')::uuid, (p->>'amount')::bigint, p->>'currencyCode',
           coalesce((p->>'minQuantity')::int, 1), v_id
    from jsonb_array_elements(coalesce(p_input->'prices', '[]')) as p;
    if jsonb_array_length(coalesce(p_input->'customerGroups', '[]')) > 0 then
        insert into commerce.price_list_rules (tenant_id, price_list_id, attribute, "values")
        values (v_tenant, v_id, 'customer_group', array(select jsonb_array_elements_text(p_input->'customerGroups')));
    end if;
    return v_id;
end
$$;
comment on function commerce.create_price_list(jsonb) is
    'Create a price list with its prices: {title, description, type (sale | override), status (active | draft, '
    'default active), startsAt, endsAt (validity window), customerGroups (rule: only these groups), metadata, '
    'prices: [{variantId, amount, currencyCode, minQuantity}]}. Permission catalog:write. Storefront prices follow it '
    'while it is active and within its window. (GraphQL createPriceList.)';
revoke execute on function commerce.create_price_list(jsonb) from public;
grant execute on function commerce.create_price_list(jsonb) to rustok_app;

create or replace function commerce.cancel_order(p_order_id uuid, p_reason text) returns uuid
    language plpgsql volatile
as $$
begin
    perform core.require_permission('orders:write');
    if p_reason is null or btrim(p_reason) = '' or length(p_reason) > 1000 then
        raise exception 'reason: say why the order is cancelled (1 to 1000 characters)'
            using errcode = 'invalid_parameter_value', column = 'reason';
    end if;
    perform commerce.change_order_status(p_order_id, 'cancelled');
    update commerce.orders o
       set metadata = o.metadata || jsonb_build_object('cancellation', jsonb_build_object(
               'reason', p_reason, 'by', core.current_user_id(), 'at', now()))
     where o.tenant_id = core.current_tenant_id() and o.id = p_order_id;
    return p_order_id;
end
$$;
comment on function commerce.cancel_order(uuid, text) is
    'Cancel an order (from pending or paid; its reserved stock returns) and record why in metadata.cancellation '
    '{reason, by, at}. Permission orders:write. (GraphQL cancelOrder.)';
revoke execute on function commerce.cancel_order(uuid, text) from public;
grant execute on function commerce.cancel_order(uuid, text) to rustok_app;

-- ---------------------------------------------------------------- admin: stock locations, inventory adjustments
create or replace function commerce.create_stock_location(p_name text) returns uuid
    language plpgsql volatile
as $$
declare
    v_id uuid;
begin
    perform core.require_permission('catalog:write');
    insert into commerce.stock_locations (tenant_id, name) values (core.current_tenant_id(), p_name) returning id into v_id;
    return v_id;
end
$$;
comment on function commerce.create_stock_location(text) is
    'Create a stock location (warehouse, store) in the current tenant. Permission catalog:write. (GraphQL createStockLocation.)';
revoke execute on function commerce.create_stock_location(text) from public;
grant execute on function commerce.create_stock_location(text) to rustok_app;

create or replace function commerce.page_categories(p_after jsonb, p_before jsonb, p_limit integer,
                                                    p_from_end boolean default false)
    returns table (category_id uuid, cursor jsonb)
    language plpgsql stable
as $$
declare
    v_after  text[];
    v_before text[];
begin
    perform core.require_permission('catalog:write');
    perform core._check_page_size(p_limit);
    v_after := core._page_key(p_after, 'rank', array['text', 'text', 'uuid'], 'after');
    v_before := core._page_key(p_before, 'rank', array['text', 'text', 'uuid'], 'before');
    if v_after[1] !~ '^-?[0-9]{1,9}$' or v_before[1] !~ '^-?[0-9]{1,9}$' then
        raise exception '%: not a cursor of this list (take cursors from edges or pageInfo)',
            case when v_after[1] !~ '^-?[0-9]{1,9}$' then 'after' else 'before' end
            using errcode = 'invalid_parameter_value';
    end if;
    if not coalesce(p_from_end, false) then
        return query
        select c.id, jsonb_build_object('s', 'rank', 'k', jsonb_build_array(c.rank::text, c.name, c.id))
        from commerce.categories c
        where c.tenant_id = core.current_tenant_id()
          and (v_after is null or (c.rank, c.name, c.id) > (v_after[1]::int, v_after[2], v_after[3]::uuid))
          and (v_before is null or (c.rank, c.name, c.id) < (v_before[1]::int, v_before[2], v_before[3]::uuid))
        order by c.rank, c.name, c.id
        limit p_limit + 1;
    else
        return query
        select c.id, jsonb_build_object('s', 'rank', 'k', jsonb_build_array(c.rank::text, c.name, c.id))
        from commerce.categories c
        where c.tenant_id = core.current_tenant_id()
          and (v_after is null or (c.rank, c.name, c.id) > (v_after[1]::int, v_after[2], v_after[3]::uuid))
          and (v_before is null or (c.rank, c.name, c.id) < (v_before[1]::int, v_before[2], v_before[3]::uuid))
        order by c.rank desc, c.name desc, c.id desc
        limit p_limit + 1;
    end if;
end
$$;
comment on function commerce.page_categories(jsonb, jsonb, integer, boolean) is
    'One keyset page (p_limit rows, 0..100, plus one to tell whether more follow) of every catalog category of the '
    'current tenant (inactive and internal ones too), by rank, then name, then id. Cursors {"s": "rank", "k": [rank, '
    'name, id]} after / before; p_from_end pages backwards. Permission catalog:write. (GraphQL allCategories.)';
revoke execute on function commerce.page_categories(jsonb, jsonb, integer, boolean) from public;
grant execute on function commerce.page_categories(jsonb, jsonb, integer, boolean) to rustok_app;

create or replace function commerce.count_categories(p_cap integer default 10001) returns integer
    language plpgsql stable
as $$
begin
    perform core.require_permission('catalog:write');
    return (select count(*)::int from (
        select 1 from commerce.categories c where c.tenant_id = core.current_tenant_id() limit p_cap) x);
end
$$;
comment on function commerce.count_categories(integer) is
    'How many catalog categories the current tenant has, counted up to p_cap. Permission catalog:write. '
    '(GraphQL allCategories.totalCount.)';
revoke execute on function commerce.count_categories(integer) from public;
grant execute on function commerce.count_categories(integer) to rustok_app;

create or replace function commerce.delete_stock_location(p_location_id uuid) returns boolean
    language plpgsql volatile
as $$
declare
    v_units bigint;
begin
    perform core.require_permission('catalog:write');
    perform 1 from commerce.stock_locations l
    where l.tenant_id = core.current_tenant_id() and l.id = p_location_id for update;
    if not found then
        raise exception 'id: no stock location %', p_location_id using errcode = 'no_data_found', column = 'id';
    end if;
    select coalesce(sum(v.stocked_quantity + v.reserved_quantity + v.incoming_quantity), 0) into v_units
    from commerce.inventory_levels v
    where v.tenant_id = core.current_tenant_id() and v.location_id = p_location_id;
    if v_units > 0 then
        raise exception 'id: the location still holds stock (% units stocked, reserved or incoming); adjust it to 0 first', v_units
            using errcode = 'restrict_violation', column = 'id';
    end if;
    delete from commerce.stock_locations l where l.tenant_id = core.current_tenant_id() and l.id = p_location_id;
    return true;
end
$$;
comment on function commerce.delete_stock_location(uuid) is
    'Delete a stock location of the current tenant that holds no stock (its empty levels and its adjustment log go '
    'with it); one that still holds stocked, reserved or incoming units is refused (23001, IN_USE). Permission '
    'catalog:write. (GraphQL deleteStockLocation.)';
revoke execute on function commerce.delete_stock_location(uuid) from public;
grant execute on function commerce.delete_stock_location(uuid) to rustok_app;

create or replace function commerce.page_inventory_adjustments(p_variant_id uuid, p_after jsonb, p_before jsonb,
                                                               p_limit integer, p_from_end boolean default false)
    returns table (adjustment_id uuid, cursor jsonb)
    language plpgsql stable
as $$
declare
    v_after  text[];
    v_before text[];
begin
    perform core.require_permission('catalog:write');
    perform core._check_page_size(p_limit);
    v_after := core._page_key(p_after, 'newest', array['timestamptz', 'uuid'], 'after');
    v_before := core._page_key(p_before, 'newest', array['timestamptz', 'uuid'], 'before');
    return query
    select a.id, jsonb_build_object('s', 'newest', 'k', jsonb_build_array(a.created_at, a.id))
    from commerce.inventory_adjustments a
    where a.tenant_id = core.current_tenant_id()
      and (p_variant_id is null or a.inventory_item_id in (
          select vi.inventory_item_id from commerce.variant_inventory vi
          where vi.tenant_id = core.current_tenant_id() and vi.variant_id = p_variant_id))
      and (v_after is null or (a.created_at, a.id) < (v_after[1]::timestamptz, v_after[2]::uuid))
      and (v_before is null or (a.created_at, a.id) > (v_before[1]::timestamptz, v_before[2]::uuid))
    order by case when p_from_end then a.created_at end, case when p_from_end then a.id end,
             a.created_at desc, a.id desc
    limit p_limit + 1;
end
$$;
comment on function commerce.page_inventory_adjustments(uuid, jsonb, jsonb, integer, boolean) is
    'One keyset page (p_limit rows, 0..100, plus one to tell whether more follow) of the current tenant''s inventory '
    'adjustments (of one variant''s inventory items when p_variant_id is given), newest first (created_at, then id). '
    'Cursors {"s": "newest", "k": [created_at, id]}; p_from_end pages backwards. Permission catalog:write. '
    '(GraphQL inventoryAdjustments.)';
revoke execute on function commerce.page_inventory_adjustments(uuid, jsonb, jsonb, integer, boolean) from public;
grant execute on function commerce.page_inventory_adjustments(uuid, jsonb, jsonb, integer, boolean) to rustok_app;

create or replace function commerce.count_inventory_adjustments(p_variant_id uuid, p_cap integer default 10001)
    returns integer
    language plpgsql stable
as $$
begin
    perform core.require_permission('catalog:write');
    return (select count(*)::int from (
        select 1 from commerce.inventory_adjustments a
        where a.tenant_id = core.current_tenant_id()
          and (p_variant_id is null or a.inventory_item_id in (
              select vi.inventory_item_id from commerce.variant_inventory vi
              where vi.tenant_id = core.current_tenant_id() and vi.variant_id = p_variant_id))
        limit p_cap) x);
end
$$;
comment on function commerce.count_inventory_adjustments(uuid, integer) is
    'How many inventory adjustments the current tenant has (of one variant when given), counted up to p_cap. '
    'Permission catalog:write. (GraphQL inventoryAdjustments.totalCount.)';
revoke execute on function commerce.count_inventory_adjustments(uuid, integer) from public;
grant execute on function commerce.count_inventory_adjustments(uuid, integer) to rustok_app;

create or replace function commerce.update_stock_location(p_location_id uuid, p_name text) returns uuid
    language plpgsql volatile
as $$
begin
    perform core.require_permission('catalog:write');
    update commerce.stock_locations l set name = p_name
    where l.tenant_id = core.current_tenant_id() and l.id = p_location_id;
    if not found then
        raise exception 'commerce.stock_locations.id: no stock location %', p_location_id
            using errcode = 'no_data_found', column = 'id';
    end if;
    return p_location_id;
end
$$;
comment on function commerce.update_stock_location(uuid, text) is
    'Rename a stock location of the current tenant (names are unique per tenant). Permission catalog:write. '
    '(GraphQL updateStockLocation.)';
revoke execute on function commerce.update_stock_location(uuid, text) from public;
grant execute on function commerce.update_stock_location(uuid, text) to rustok_app;

create or replace function commerce.page_stock_locations(p_after jsonb, p_before jsonb, p_limit integer,
                                                         p_from_end boolean default false)
    returns table (location_id uuid, cursor jsonb)
    language plpgsql stable
as $$
declare
    v_after  text[];
    v_before text[];
begin
    perform core.require_permission('catalog:write');
    perform core._check_page_size(p_limit);
    v_after := core._page_key(p_after, 'oldest', array['timestamptz', 'uuid'], 'after');
    v_before := core._page_key(p_before, 'oldest', array['timestamptz', 'uuid'], 'before');
    if not coalesce(p_from_end, false) then
        return query
        select l.id, jsonb_build_object('s', 'oldest', 'k', jsonb_build_array(l.created_at, l.id))
        from commerce.stock_locations l
        where l.tenant_id = core.current_tenant_id()
          and (v_after is null or (l.created_at, l.id) > (v_after[1]::timestamptz, v_after[2]::uuid))
          and (v_before is null or (l.created_at, l.id) < (v_before[1]::timestamptz, v_before[2]::uuid))
        order by l.created_at, l.id
        limit p_limit + 1;
    else
        return query
        select l.id, jsonb_build_object('s', 'oldest', 'k', jsonb_build_array(l.created_at, l.id))
        from commerce.stock_locations l
        where l.tenant_id = core.current_tenant_id()
          and (v_after is null or (l.created_at, l.id) > (v_after[1]::timestamptz, v_after[2]::uuid))
          and (v_before is null or (l.created_at, l.id) < (v_before[1]::timestamptz, v_before[2]::uuid))
        order by l.created_at desc, l.id desc
        limit p_limit + 1;
    end if;
end
$$;
comment on function commerce.page_stock_locations(jsonb, jsonb, integer, boolean) is
    'One keyset page (p_limit rows, 0..100, plus one to tell whether more follow) of the current tenant''s stock '
    'locations, oldest first (the first is where stock goes by default; created_at, then id). Cursors '
    '{"s": "oldest", "k": [created_at, id]} after / before; p_from_end pages backwards. Permission catalog:write. '
    '(GraphQL stockLocations.)';
revoke execute on function commerce.page_stock_locations(jsonb, jsonb, integer, boolean) from public;
grant execute on function commerce.page_stock_locations(jsonb, jsonb, integer, boolean) to rustok_app;

create or replace function commerce.count_stock_locations(p_cap integer default 10001) returns integer
    language plpgsql stable
as $$
begin
    perform core.require_permission('catalog:write');
    return (select count(*)::int from (
        select 1 from commerce.stock_locations l where l.tenant_id = core.current_tenant_id() limit p_cap) x);
end
$$;
comment on function commerce.count_stock_locations(integer) is
    'How many stock locations the current tenant has, counted up to p_cap. Permission catalog:write. '
    '(GraphQL stockLocations.totalCount.)';
revoke execute on function commerce.count_stock_locations(integer) from public;
grant execute on function commerce.count_stock_locations(integer) to rustok_app;

create or replace function commerce.adjust_inventory(p_variant_id uuid, p_location_id uuid, p_delta integer, p_reason text)
    returns integer
    language plpgsql volatile
as $$
declare
    v_tenant uuid := core.current_tenant_id();
    v_item   uuid;
    v_after  integer;
begin
    perform core.require_permission('catalog:write');
    if p_delta is null or p_delta = 0 then
        raise exception 'delta: must be a non-zero number of units' using errcode = 'invalid_parameter_value', column = 'delta';
    end if;
    if p_reason is null or btrim(p_reason) = '' or length(p_reason) > 1000 then
        raise exception 'reason: say why the stock changes (1 to 1000 characters)'
            using errcode = 'invalid_parameter_value', column = 'reason';
    end if;
    select vi.inventory_item_id into v_item from commerce.variant_inventory vi
    where vi.tenant_id = v_tenant and vi.variant_id = p_variant_id order by vi.inventory_item_id limit 1;
    if v_item is null then
        -- no stock yet: start from 0 with commerce.set_variant_stock, which makes the item and level
        perform commerce.set_variant_stock(p_variant_id, 0, p_location_id);
        select vi.inventory_item_id into v_item from commerce.variant_inventory vi
        where vi.tenant_id = v_tenant and vi.variant_id = p_variant_id order by vi.inventory_item_id limit 1;
    end if;
    p_location_id := coalesce(p_location_id, commerce._default_location(v_tenant));
    select coalesce(sum(l.stocked_quantity), 0) + p_delta into v_after from commerce.inventory_levels l
    where l.tenant_id = v_tenant and l.inventory_item_id = v_item and l.location_id = p_location_id;
    if v_after < 0 then
        raise exception 'delta: would leave % units stocked (a level cannot go below 0)', v_after
            using errcode = 'check_violation', column = 'delta';
    end if;
    -- update first: an insert ... on conflict would check the proposed row (a negative delta) against
    -- inventory_levels_stocked_quantity_check before it finds the existing level
    update commerce.inventory_levels l set stocked_quantity = l.stocked_quantity + p_delta
    where l.tenant_id = v_tenant and l.inventory_item_id = v_item and l.location_id = p_location_id
    returning l.stocked_quantity into v_after;
    if not found then
        insert into commerce.inventory_levels (tenant_id, inventory_item_id, location_id, stocked_quantity)
        values (v_tenant, v_item, p_location_id, p_delta)
        returning stocked_quantity into v_after;
    end if;
    insert into commerce.inventory_adjustments (tenant_id, inventory_item_id, location_id, delta, stocked_after, reason, adjusted_by)
    values (v_tenant, v_item, p_location_id, p_delta, v_after, p_reason, core.current_user_id());
    return v_after;
end
$$;
comment on function commerce.adjust_inventory(uuid, uuid, integer, text) is
    'Add or remove units of a variant''s stock at a location (default: the first) with a reason, logged in '
    'commerce.inventory_adjustments. Refuses a level below 0 or below what is reserved. Permission catalog:write. '
    'Returns the stocked quantity after. (GraphQL adjustInventory.)';
revoke execute on function commerce.adjust_inventory(uuid, uuid, integer, text) from public;
grant execute on function commerce.adjust_inventory(uuid, uuid, integer, text) to rustok_app;

create or replace function commerce.update_price_list(p_price_list_id uuid, p_patch jsonb) returns uuid
    language plpgsql volatile
as $$
declare
    v_tenant uuid := core.current_tenant_id();
begin
    perform core.require_permission('catalog:write');
    if p_patch is null or jsonb_typeof(p_patch) <> 'object' then
        raise exception 'input: expected an object' using errcode = 'invalid_parameter_value';
    end if;
    update commerce.price_lists l set
        title       = case when p_patch ? 'title' then p_patch->>'title' else l.title end,
        description = case when p_patch ? 'description' then p_patch->>'description' else l.description end,
        type        = case when p_patch ? 'type' then p_patch->>'type' else l.type end,
        status      = case when p_patch ? 'status' then p_patch->>'status' else l.status end,
        starts_at   = case when p_patch ? 'startsAt' then (p_patch->>'startsAt')::timestamptz else l.starts_at end,
        ends_at     = case when p_patch ? 'endsAt' then (p_patch->>'endsAt')::timestamptz else l.ends_at end
    where l.tenant_id = v_tenant and l.id = p_price_list_id;
    if not found then
        raise exception 'commerce.price_lists.id: no price list %', p_price_list_id using errcode = 'no_data_found', column = 'id';
    end if;
    if p_patch ? 'customerGroups' then
        if jsonb_typeof(p_patch->'customerGroups') not in ('array', 'null') then
            raise exception 'customerGroups: expected a list of customer groups' using errcode = 'invalid_parameter_value',
                column = 'customerGroups';
        end if;
        delete from commerce.price_list_rules r
        where r.tenant_id = v_tenant and r.price_list_id = p_price_list_id and r.attribute = 'customer_group';
        if jsonb_array_length(coalesce(nullif(p_patch->'customerGroups', 'null'), '[]')) > 0 then
            insert into commerce.price_list_rules (tenant_id, price_list_id, attribute, "values")
            values (v_tenant, p_price_list_id, 'customer_group',
                    array(select jsonb_array_elements_text(p_patch->'customerGroups')));
        end if;
    end if;
    if p_patch ? 'prices' and jsonb_typeof(p_patch->'prices') = 'array' then
        if jsonb_typeof(p_patch->'variantIds') = 'array' then
            if exists (select from jsonb_array_elements(p_patch->'prices') x
                       where not (p_patch->'variantIds') @> jsonb_build_array(x->>'variantId')) then
                raise exception 'prices: with variantIds, give prices of those variants only'
                    using errcode = 'invalid_parameter_value', column = 'prices';
            end if;
            delete from commerce.prices p where p.tenant_id = v_tenant and p.price_list_id = p_price_list_id
              and p.variant_id in (select (jsonb_array_elements_text(p_patch->'variantIds'))::uuid);
        else
            delete from commerce.prices p where p.tenant_id = v_tenant and p.price_list_id = p_price_list_id;
        end if;
        insert into commerce.prices (tenant_id, variant_id, amount, currency_code, min_quantity, price_list_id)
        select v_tenant, (p->>'variantId')::uuid, (p->>'amount')::bigint, p->>'currencyCode',
               coalesce((p->>'minQuantity')::int, 1), p_price_list_id
        from jsonb_array_elements(p_patch->'prices') as p;
    end if;
    return p_price_list_id;
end
$$;
comment on function commerce.update_price_list(uuid, jsonb) is
    'Change a price list: the keys given of {title, description, type, status, startsAt, endsAt} (null clears a '
    'window end), customerGroups (replaces the customer-group rule; an empty list or null removes it: the list then '
    'applies to everyone) and prices (replaces all of the list''s prices; with variantIds, only the prices of those '
    'variants, and prices may name only them). Permission catalog:write. (GraphQL updatePriceList.)';
revoke execute on function commerce.update_price_list(uuid, jsonb) from public;
grant execute on function commerce.update_price_list(uuid, jsonb) to rustok_app;

create or replace function commerce.delete_price_list(p_price_list_id uuid) returns boolean
    language plpgsql volatile
as $$
begin
    perform core.require_permission('catalog:write');
    delete from commerce.prices p where p.tenant_id = core.current_tenant_id() and p.price_list_id = p_price_list_id;
    delete from commerce.price_lists l where l.tenant_id = core.current_tenant_id() and l.id = p_price_list_id;
    if not found then
        raise exception 'commerce.price_lists.id: no price list %', p_price_list_id using errcode = 'no_data_found', column = 'id';
    end if;
    return true;
end
$$;
comment on function commerce.delete_price_list(uuid) is
    'Delete a price list with its prices and rules. Permission catalog:write. (GraphQL deletePriceList.)';
revoke execute on function commerce.delete_price_list(uuid) from public;
grant execute on function commerce.delete_price_list(uuid) to rustok_app;

create or replace function commerce.set_product_options(p_product_id uuid, p_options jsonb) returns uuid
    language plpgsql volatile
as $$
declare
    v_tenant uuid := core.current_tenant_id();
    v_opt    jsonb;
    v_pos    integer := 0;
    v_id     uuid;
    v_vpos   integer;
    v_value  text;
    v_titles text[] := '{}';
begin
    perform core.require_permission('catalog:write');
    if not exists (select from commerce.products p where p.tenant_id = v_tenant and p.id = p_product_id) then
        raise exception 'product_id: no product %', p_product_id using errcode = 'no_data_found';
    end if;
    if p_options is null or jsonb_typeof(p_options) <> 'array' then
        raise exception 'options: expected a list' using errcode = 'invalid_parameter_value';
    end if;
    if jsonb_array_length(p_options) > 10 then
        raise exception 'options: a product has at most 10 options (got %)', jsonb_array_length(p_options)
            using errcode = 'check_violation';
    end if;
    for v_opt in select * from jsonb_array_elements(p_options) loop
        if coalesce(btrim(v_opt->>'title'), '') = '' then
            raise exception 'options[%].title: is required', v_pos using errcode = 'check_violation';
        end if;
        if lower(v_opt->>'title') = any (v_titles) then
            raise exception 'options[%].title: "%" is given twice', v_pos, v_opt->>'title' using errcode = 'unique_violation';
        end if;
        v_titles := v_titles || lower(v_opt->>'title');
        select o.id into v_id from commerce.options o
        where o.tenant_id = v_tenant and o.product_id = p_product_id and lower(o.title) = lower(v_opt->>'title');
        if v_id is null then
            insert into commerce.options (tenant_id, product_id, title, position)
            values (v_tenant, p_product_id, btrim(v_opt->>'title'), v_pos) returning id into v_id;
        else
            update commerce.options o set position = v_pos, title = btrim(v_opt->>'title')
            where o.tenant_id = v_tenant and o.id = v_id and (o.position, o.title) is distinct from (v_pos, btrim(v_opt->>'title'));
        end if;
        v_vpos := 0;
        for v_value in select btrim(x) from jsonb_array_elements_text(coalesce(v_opt->'values', '[]')) as x loop
            if v_value = '' then
                raise exception 'options[%].values[%]: must not be empty', v_pos, v_vpos using errcode = 'check_violation';
            end if;
            if exists (select from commerce.option_values ov where ov.tenant_id = v_tenant and ov.option_id = v_id and ov.value = v_value) then
                update commerce.option_values ov set position = v_vpos
                where ov.tenant_id = v_tenant and ov.option_id = v_id and ov.value = v_value and ov.position <> v_vpos;
            else
                insert into commerce.option_values (tenant_id, option_id, value, position) values (v_tenant, v_id, v_value, v_vpos);
            end if;
            v_vpos := v_vpos + 1;
        end loop;
        delete from commerce.option_values ov
        where ov.tenant_id = v_tenant and ov.option_id = v_id
          and ov.value <> all (array(select btrim(x) from jsonb_array_elements_text(coalesce(v_opt->'values', '[]')) as x));
        v_pos := v_pos + 1;
    end loop;
    delete from commerce.options o
    where o.tenant_id = v_tenant and o.product_id = p_product_id and lower(o.title) <> all (v_titles);
    return p_product_id;
end
$$;
comment on function commerce.set_product_options(uuid, jsonb) is
    'Set a product''s options: [{title, values: [..]}] in order (matched by title, case-insensitively; options and values '
    'not given are deleted, with the variants'' choices of them). Permission catalog:write. (GraphQL setProductOptions.)';
revoke execute on function commerce.set_product_options(uuid, jsonb) from public;
grant execute on function commerce.set_product_options(uuid, jsonb) to rustok_app;

create or replace function commerce.set_variant_options(p_variant_id uuid, p_options jsonb) returns uuid
    language plpgsql volatile
as $$
declare
    v_tenant  uuid := core.current_tenant_id();
    v_product uuid;
    v_sel     jsonb;
    v_i       integer := 0;
    v_value   uuid;
begin
    perform core.require_permission('catalog:write');
    select v.product_id into v_product from commerce.variants v where v.tenant_id = v_tenant and v.id = p_variant_id;
    if v_product is null then
        raise exception 'variant_id: no variant %', p_variant_id using errcode = 'no_data_found';
    end if;
    delete from commerce.variant_options vo where vo.tenant_id = v_tenant and vo.variant_id = p_variant_id;
    for v_sel in select * from jsonb_array_elements(coalesce(p_options, '[]')) loop
        select ov.id into v_value
        from commerce.options o
        join commerce.option_values ov on ov.tenant_id = o.tenant_id and ov.option_id = o.id
        where o.tenant_id = v_tenant and o.product_id = v_product
          and lower(o.title) = lower(v_sel->>'name') and ov.value = v_sel->>'value';
        if v_value is null then
            raise exception 'options[%].value: the product has no option "%" with the value "%"', v_i, v_sel->>'name', v_sel->>'value'
                using errcode = 'no_data_found';
        end if;
        insert into commerce.variant_options (tenant_id, variant_id, option_value_id) values (v_tenant, p_variant_id, v_value);
        v_i := v_i + 1;
    end loop;
    return p_variant_id;
end
$$;
comment on function commerce.set_variant_options(uuid, jsonb) is
    'Set a variant''s option values: [{name (option title), value}] (replaces them; two variants of a product cannot '
    'share a combination). Permission catalog:write. (GraphQL setVariantOptions.)';
revoke execute on function commerce.set_variant_options(uuid, jsonb) from public;
grant execute on function commerce.set_variant_options(uuid, jsonb) to rustok_app;

create or replace function commerce.set_product_categories(p_product_id uuid, p_category_ids uuid[]) returns uuid
    language plpgsql volatile
as $$
declare
    v_tenant  uuid := core.current_tenant_id();
    v_missing uuid;
begin
    perform core.require_permission('catalog:write');
    if not exists (select from commerce.products p where p.tenant_id = v_tenant and p.id = p_product_id) then
        raise exception 'product_id: no product %', p_product_id using errcode = 'no_data_found';
    end if;
    if cardinality(p_category_ids) > 50 then
        raise exception 'category_ids: a product is in at most 50 categories (got %)', cardinality(p_category_ids)
            using errcode = 'check_violation', column = 'category_ids';
    end if;
    select i into v_missing from unnest(coalesce(p_category_ids, '{}')) as i
    where not exists (select from commerce.categories c where c.tenant_id = v_tenant and c.id = i) limit 1;
    if v_missing is not null then
        raise exception 'category_ids: no category %', v_missing using errcode = 'no_data_found';
    end if;
    delete from commerce.product_categories pc
    where pc.tenant_id = v_tenant and pc.product_id = p_product_id and pc.category_id <> all (coalesce(p_category_ids, '{}'));
    insert into commerce.product_categories (tenant_id, product_id, category_id)
    select distinct v_tenant, p_product_id, i from unnest(coalesce(p_category_ids, '{}')) as i
    on conflict do nothing;
    return p_product_id;
end
$$;
comment on function commerce.set_product_categories(uuid, uuid[]) is
    'Put a product in exactly these catalog categories (replaces its memberships). Permission catalog:write. '
    '(GraphQL setProductCategories.)';
revoke execute on function commerce.set_product_categories(uuid, uuid[]) from public;
grant execute on function commerce.set_product_categories(uuid, uuid[]) to rustok_app;

create or replace function commerce.set_product_images(p_product_id uuid, p_media_ids uuid[]) returns uuid
    language plpgsql volatile
as $$
declare
    v_tenant uuid := core.current_tenant_id();
begin
    perform core.require_permission('catalog:write');
    if not exists (select from commerce.products p where p.tenant_id = v_tenant and p.id = p_product_id) then
        raise exception 'product_id: no product %', p_product_id using errcode = 'no_data_found';
    end if;
    perform content._check_image_ids(p_media_ids);
    delete from commerce.product_images pi where pi.tenant_id = v_tenant and pi.product_id = p_product_id;
    insert into commerce.product_images (tenant_id, product_id, media_id, position)
    select v_tenant, p_product_id, i, (o - 1)::int from unnest(coalesce(p_media_ids, '{}')) with ordinality as x (i, o);
    return p_product_id;
end
$$;
comment on function commerce.set_product_images(uuid, uuid[]) is
    'Set a product''s images (uploaded media of the current tenant, image types), in this order (replaces them). '
    'Permission catalog:write. (GraphQL setProductImages.)';
revoke execute on function commerce.set_product_images(uuid, uuid[]) from public;
grant execute on function commerce.set_product_images(uuid, uuid[]) to rustok_app;

-- ---------------------------------------------------------------- the admin's price lists (GraphQL priceLists)
create or replace function commerce.page_price_lists(p_after jsonb, p_before jsonb, p_limit integer,
                                                     p_from_end boolean default false)
    returns table (price_list_id uuid, cursor jsonb)
    language plpgsql stable
as $$
declare
    v_after  text[];
    v_before text[];
begin
    perform core.require_permission('catalog:write');
    perform core._check_page_size(p_limit);
    v_after := core._page_key(p_after, 'newest', array['timestamptz', 'uuid'], 'after');
    v_before := core._page_key(p_before, 'newest', array['timestamptz', 'uuid'], 'before');
    if not coalesce(p_from_end, false) then
        return query
        select l.id, jsonb_build_object('s', 'newest', 'k', jsonb_build_array(l.created_at, l.id))
        from commerce.price_lists l
        where l.tenant_id = core.current_tenant_id()
          and (v_after is null or (l.created_at, l.id) < (v_after[1]::timestamptz, v_after[2]::uuid))
          and (v_before is null or (l.created_at, l.id) > (v_before[1]::timestamptz, v_before[2]::uuid))
        order by l.created_at desc, l.id desc
        limit p_limit + 1;
    else
        return query
        select l.id, jsonb_build_object('s', 'newest', 'k', jsonb_build_array(l.created_at, l.id))
        from commerce.price_lists l
        where l.tenant_id = core.current_tenant_id()
          and (v_after is null or (l.created_at, l.id) < (v_after[1]::timestamptz, v_after[2]::uuid))
          and (v_before is null or (l.created_at, l.id) > (v_before[1]::timestamptz, v_before[2]::uuid))
        order by l.created_at, l.id
        limit p_limit + 1;
    end if;
end
$$;
comment on function commerce.page_price_lists(jsonb, jsonb, integer, boolean) is
    'One keyset page (p_limit rows, 0..100, plus one to tell whether more follow) of the current tenant''s price '
    'lists, newest first (created_at, then id). Cursors {"s": "newest", "k": [created_at, id]} after / before; '
    'p_from_end pages backwards (rows nearest the before cursor first). Permission catalog:write. (GraphQL priceLists.)';
revoke execute on function commerce.page_price_lists(jsonb, jsonb, integer, boolean) from public;
grant execute on function commerce.page_price_lists(jsonb, jsonb, integer, boolean) to rustok_app;

create or replace function commerce.page_price_list_prices(p_price_list_id uuid, p_variant_ids uuid[],
                                                           p_after jsonb, p_before jsonb, p_limit integer,
                                                           p_from_end boolean default false)
    returns table (variant_id uuid, currency_code text, min_quantity integer, amount bigint, cursor jsonb)
    language plpgsql stable
as $$
declare
    v_after  text[];
    v_before text[];
begin
    perform core.require_permission('catalog:write');
    perform core._check_page_size(p_limit);
    v_after := core._page_key(p_after, 'variant', array['uuid', 'text', 'text'], 'after');
    v_before := core._page_key(p_before, 'variant', array['uuid', 'text', 'text'], 'before');
    if v_after[3] !~ '^[0-9]{1,9}$' or v_before[3] !~ '^[0-9]{1,9}$' then
        raise exception '%: not a cursor of this list (take cursors from edges or pageInfo)',
            case when v_after[3] !~ '^[0-9]{1,9}$' then 'after' else 'before' end using errcode = 'invalid_parameter_value';
    end if;
    if not coalesce(p_from_end, false) then
        return query
        select p.variant_id, p.currency_code, p.min_quantity, p.amount,
               jsonb_build_object('s', 'variant', 'k', jsonb_build_array(p.variant_id, p.currency_code, p.min_quantity::text))
        from commerce.prices p
        where p.tenant_id = core.current_tenant_id() and p.price_list_id = p_price_list_id
          and (p_variant_ids is null or p.variant_id = any (p_variant_ids))
          and (v_after is null or (p.variant_id, p.currency_code, p.min_quantity)
                                  > (v_after[1]::uuid, v_after[2], v_after[3]::int))
          and (v_before is null or (p.variant_id, p.currency_code, p.min_quantity)
                                   < (v_before[1]::uuid, v_before[2], v_before[3]::int))
        order by p.variant_id, p.currency_code, p.min_quantity
        limit p_limit + 1;
    else
        return query
        select p.variant_id, p.currency_code, p.min_quantity, p.amount,
               jsonb_build_object('s', 'variant', 'k', jsonb_build_array(p.variant_id, p.currency_code, p.min_quantity::text))
        from commerce.prices p
        where p.tenant_id = core.current_tenant_id() and p.price_list_id = p_price_list_id
          and (p_variant_ids is null or p.variant_id = any (p_variant_ids))
          and (v_after is null or (p.variant_id, p.currency_code, p.min_quantity)
                                  > (v_after[1]::uuid, v_after[2], v_after[3]::int))
          and (v_before is null or (p.variant_id, p.currency_code, p.min_quantity)
                                   < (v_before[1]::uuid, v_before[2], v_before[3]::int))
        order by p.variant_id desc, p.currency_code desc, p.min_quantity desc
        limit p_limit + 1;
    end if;
end
$$;
comment on function commerce.page_price_list_prices(uuid, uuid[], jsonb, jsonb, integer, boolean) is
    'One keyset page (p_limit rows, 0..100, plus one to tell whether more follow) of a price list''s prices (only of '
    'p_variant_ids when given), by variant, currency and minimum quantity. Cursors {"s": "variant", "k": [variant_id, '
    'currency_code, min_quantity]} after / before; p_from_end pages backwards. Permission catalog:write. '
    '(GraphQL PriceList.prices.)';
revoke execute on function commerce.page_price_list_prices(uuid, uuid[], jsonb, jsonb, integer, boolean) from public;
grant execute on function commerce.page_price_list_prices(uuid, uuid[], jsonb, jsonb, integer, boolean) to rustok_app;

create or replace function commerce.count_price_list_prices(p_price_list_id uuid, p_variant_ids uuid[],
                                                            p_cap integer default 10001) returns integer
    language plpgsql stable
as $$
begin
    perform core.require_permission('catalog:write');
    return (select count(*)::int from (
        select 1 from commerce.prices p
        where p.tenant_id = core.current_tenant_id() and p.price_list_id = p_price_list_id
          and (p_variant_ids is null or p.variant_id = any (p_variant_ids))
        limit p_cap) x);
end
$$;
comment on function commerce.count_price_list_prices(uuid, uuid[], integer) is
    'How many prices a price list has (of p_variant_ids when given), counted up to p_cap. Permission catalog:write. '
    '(GraphQL PriceList.prices.totalCount.)';
revoke execute on function commerce.count_price_list_prices(uuid, uuid[], integer) from public;
grant execute on function commerce.count_price_list_prices(uuid, uuid[], integer) to rustok_app;

create or replace function commerce.count_price_lists(p_cap integer default 10001) returns integer
    language plpgsql stable
as $$
begin
    perform core.require_permission('catalog:write');
    return (select count(*)::int from (
        select 1 from commerce.price_lists l where l.tenant_id = core.current_tenant_id() limit p_cap) x);
end
$$;
comment on function commerce.count_price_lists(integer) is
    'How many price lists the current tenant has, counted up to p_cap. Permission catalog:write. '
    '(GraphQL priceLists.totalCount.)';
revoke execute on function commerce.count_price_lists(integer) from public;
grant execute on function commerce.count_price_lists(integer) to rustok_app;
