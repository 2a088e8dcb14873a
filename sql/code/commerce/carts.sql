-- Carts: a visitor's cart kept in PostgreSQL. An anonymous visitor's cart is found by the hash of a secret token
-- (the storefront keeps the token in a cookie); a signed-in user's by the user (rustok.user_id). Checkout places
-- the order through commerce.checkout (the same atomic placement as GraphQL placeOrder).

-- ---------------------------------------------------------------- events
create or replace function commerce.tg_carts__events() returns trigger
    language plpgsql volatile
as $$
begin
    perform core.assert_module_enabled(array(select distinct n.tenant_id from new_rows n), 'commerce');
    if tg_op = 'INSERT' then
        insert into outbox.events (tenant_id, event_type, aggregate_type, aggregate_id, payload)
        select n.tenant_id, 'CartCreated', 'cart', n.id, jsonb_build_object('currency_code', n.currency_code)
        from new_rows n;
    else
        insert into outbox.events (tenant_id, event_type, aggregate_type, aggregate_id, payload)
        select n.tenant_id, case when n.status = 'ordered' then 'CartCheckedOut' else 'CartUpdated' end, 'cart', n.id,
               case when n.status = 'ordered' then jsonb_build_object('order_id', n.order_id)
                    else jsonb_build_object('source', 'carts') end
        from new_rows n
        join old_rows o on o.tenant_id = n.tenant_id and o.id = n.id
        where (n.status, n.customer_id, n.currency_code) is distinct from (o.status, o.customer_id, o.currency_code);
    end if;
    return null;
end
$$;
comment on function commerce.tg_carts__events() is
    'AFTER statement trigger on commerce.carts: CartCreated per new cart; CartCheckedOut {order_id} when a cart is '
    'ordered; CartUpdated {source: carts} when its owner or currency changes.';

create or replace function commerce.tg_cart_lines__events() returns trigger
    language plpgsql volatile
as $$
begin
    if tg_op = 'DELETE' then
        insert into outbox.events (tenant_id, event_type, aggregate_type, aggregate_id, payload)
        select distinct o.tenant_id, 'CartUpdated', 'cart', o.cart_id, jsonb_build_object('source', 'cart_lines')
        from old_rows o
        where exists (select from commerce.carts c where c.tenant_id = o.tenant_id and c.id = o.cart_id);
        return null;
    end if;
    perform core.assert_module_enabled(array(select distinct n.tenant_id from new_rows n), 'commerce');
    if tg_op = 'INSERT' then
        insert into outbox.events (tenant_id, event_type, aggregate_type, aggregate_id, payload)
        select distinct n.tenant_id, 'CartUpdated', 'cart', n.cart_id, jsonb_build_object('source', 'cart_lines')
        from new_rows n;
    else
        insert into outbox.events (tenant_id, event_type, aggregate_type, aggregate_id, payload)
        select distinct n.tenant_id, 'CartUpdated', 'cart', n.cart_id, jsonb_build_object('source', 'cart_lines')
        from new_rows n
        join old_rows o on o.tenant_id = n.tenant_id and o.cart_id = n.cart_id and o.variant_id = n.variant_id
        where n.quantity is distinct from o.quantity;
    end if;
    return null;
end
$$;
comment on function commerce.tg_cart_lines__events() is
    'AFTER statement trigger on commerce.cart_lines: CartUpdated {source: cart_lines} per cart whose lines were added, '
    'changed in quantity or removed (not when the cart itself is being deleted).';

-- ---------------------------------------------------------------- API
create or replace function commerce._visitor_cart(p_token_hash text) returns commerce.carts
    language sql stable
as $$
    -- the token's cart (unless another user owns it), else the signed-in user's newest open cart
    select c.*
    from commerce.carts c
    where c.tenant_id = core.current_tenant_id() and c.status = 'open'
      and ((p_token_hash is not null and c.token_hash = p_token_hash
            and (c.customer_id is null or c.customer_id = core.current_user_id()))
           or (p_token_hash is null and core.current_user_id() is not null and c.customer_id = core.current_user_id()))
    order by c.id desc
    limit 1
$$;
comment on function commerce._visitor_cart(text) is
    'Internal: the open cart of this visitor: by the hash of its token (a cart another user owns is not found), '
    'or, without a token, the signed-in user''s newest open cart; no row when there is none.';

create or replace function commerce.open_cart(p_token_hash text, p_currency text default null) returns uuid
    language plpgsql volatile
as $$
declare
    v_cart commerce.carts;
    v_user uuid := core.current_user_id();
begin
    if core.current_tenant_id() is null then
        raise exception 'commerce.open_cart: no tenant in this transaction (select core.set_tenant(...))'
            using errcode = 'invalid_parameter_value';
    end if;
    if p_token_hash is null and v_user is null then
        raise exception 'token: an anonymous cart needs a token' using errcode = 'invalid_parameter_value', column = 'token';
    end if;
    if p_currency is not null and not exists (select from commerce.currencies c where c.code = p_currency) then
        raise exception 'currency: unknown currency % (expected an ISO 4217 code such as EUR)', p_currency
            using errcode = 'invalid_parameter_value', column = 'currency';
    end if;
    v_cart := commerce._visitor_cart(p_token_hash);
    if v_cart.id is null and p_token_hash is not null and v_user is not null then
        v_cart := commerce._visitor_cart(null);       -- a signed-in user keeps one cart
    end if;
    if v_cart.id is null then
        insert into commerce.carts (tenant_id, token_hash, customer_id, currency_code)
        values (core.current_tenant_id(), p_token_hash, v_user, coalesce(p_currency, 'EUR'))
        returning * into v_cart;
    elsif (v_user is not null and v_cart.customer_id is null) or coalesce(p_currency, v_cart.currency_code) <> v_cart.currency_code then
        update commerce.carts c
        set customer_id = coalesce(c.customer_id, v_user), currency_code = coalesce(p_currency, c.currency_code)
        where c.tenant_id = v_cart.tenant_id and c.id = v_cart.id;
    end if;
    return v_cart.id;
end
$$;
comment on function commerce.open_cart(text, text) is
    'The visitor''s open cart (commerce._visitor_cart), created when there is none (anonymous: with this token hash; '
    'signed in: bound to the user, who adopts an anonymous cart they hold the token of). p_currency, when given, '
    'becomes the cart''s currency. Returns the cart id. (GraphQL addToCart.)';
revoke execute on function commerce.open_cart(text, text) from public;
grant execute on function commerce.open_cart(text, text) to rustok_app;

create or replace function commerce.set_cart_line(p_cart_id uuid, p_variant_id uuid, p_quantity integer, p_add boolean)
    returns void
    language plpgsql volatile
as $$
declare
    v_cart commerce.carts;
    v_status text;
begin
    select c.* into v_cart from commerce.carts c
    where c.tenant_id = core.current_tenant_id() and c.id = p_cart_id
      and (c.customer_id is null or c.customer_id = core.current_user_id())
    for update;
    if v_cart.id is null then
        raise exception 'commerce.carts.id: cart % not found', p_cart_id using errcode = 'no_data_found', column = 'id';
    end if;
    if v_cart.status <> 'open' then
        raise exception 'commerce.carts.status: this cart was already ordered' using errcode = 'object_not_in_prerequisite_state', column = 'status';
    end if;
    if p_quantity is null or p_quantity < 0 or (p_add and p_quantity = 0) or p_quantity > 999 then
        raise exception 'quantity: must be a whole number from % to 999, got %', case when p_add then 1 else 0 end, p_quantity
            using errcode = 'invalid_parameter_value', column = 'quantity';
    end if;
    select p.status into v_status
    from commerce.variants v join commerce.products p on p.tenant_id = v.tenant_id and p.id = v.product_id
    where v.tenant_id = v_cart.tenant_id and v.id = p_variant_id;
    if v_status is null or v_status <> 'published' then
        raise exception 'variantId: variant % not found', p_variant_id using errcode = 'no_data_found', column = 'variant_id';
    end if;
    if p_quantity = 0 then
        delete from commerce.cart_lines l
        where l.tenant_id = v_cart.tenant_id and l.cart_id = v_cart.id and l.variant_id = p_variant_id;
    else
        insert into commerce.cart_lines (tenant_id, cart_id, variant_id, quantity)
        values (v_cart.tenant_id, v_cart.id, p_variant_id, p_quantity)
        on conflict (tenant_id, cart_id, variant_id) do update
            set quantity = case when p_add then commerce.cart_lines.quantity + excluded.quantity else excluded.quantity end;
    end if;
end
$$;
comment on function commerce.set_cart_line(uuid, uuid, integer, boolean) is
    'Add p_quantity units of a published variant to an open cart (p_add), or set its quantity (0 removes the line). '
    'A line holds 1-999 units. (GraphQL addToCart, setCartLine, removeCartLine.)';
revoke execute on function commerce.set_cart_line(uuid, uuid, integer, boolean) from public;
grant execute on function commerce.set_cart_line(uuid, uuid, integer, boolean) to rustok_app;

create or replace function commerce.cart_record(p_cart_id uuid) returns jsonb
    language sql stable
as $$
    with c as (
        select * from commerce.carts c
        where c.tenant_id = core.current_tenant_id() and c.id = p_cart_id
          and (c.customer_id is null or c.customer_id = core.current_user_id())
    ), l as (
        select l.*, row_number() over (order by l.created_at, l.variant_id) - 1 as ord
        from c join commerce.cart_lines l on l.tenant_id = c.tenant_id and l.cart_id = c.id
    ), pr as (
        select r.* from commerce._resolve_prices(
            (select array_agg(l.variant_id order by l.ord) from l), (select array_agg(l.quantity order by l.ord) from l),
            (select c.currency_code::text from c), now(), null) r
    ), lines as (
        select l.ord, jsonb_build_object(
                   'variantId', l.variant_id, 'productId', p.id, 'productHandle', p.handle, 'productTitle', p.title,
                   'variantTitle', v.title, 'sku', v.sku, 'quantity', l.quantity,
                   'unitPrice', pr.calculated_amount, 'originalUnitPrice', pr.original_amount,
                   'total', pr.calculated_amount * l.quantity,
                   'available', case when v.manage_inventory and not v.allow_backorder then coalesce(
                       (select min(coalesce(s.available, 0) / vi.required_quantity)
                        from commerce.variant_inventory vi
                        left join lateral (select sum(il.stocked_quantity - il.reserved_quantity)::integer as available
                                           from commerce.inventory_levels il
                                           where il.tenant_id = vi.tenant_id and il.inventory_item_id = vi.inventory_item_id) s on true
                        where vi.tenant_id = v.tenant_id and vi.variant_id = v.id), 0) end) as line,
               pr.calculated_amount * l.quantity as total
        from l
        join commerce.variants v on v.tenant_id = l.tenant_id and v.id = l.variant_id
        join commerce.products p on p.tenant_id = v.tenant_id and p.id = v.product_id
        left join pr on pr.variant_id = l.variant_id and pr.quantity = l.quantity
    )
    select jsonb_build_object(
               'id', c.id, 'currencyCode', c.currency_code, 'status', c.status, 'orderId', c.order_id,
               'createdAt', c.created_at, 'updatedAt', c.updated_at,
               'lines', coalesce((select jsonb_agg(lines.line order by lines.ord) from lines), '[]'),
               'subtotal', coalesce((select sum(lines.total) from lines), 0))
    from c
$$;
comment on function commerce.cart_record(uuid) is
    'A cart as JSON for the API: lines in the order they were added, with product, variant, what one unit costs now in '
    'the cart''s currency (price lists and quantity tiers applied), the line total, and the units available (null when '
    'the variant does not limit stock). Null for a cart of another user.';
revoke execute on function commerce.cart_record(uuid) from public;
grant execute on function commerce.cart_record(uuid) to rustok_app;

create or replace function commerce._cart_order_items(p_cart commerce.carts, p_cart_id uuid) returns jsonb
    language plpgsql stable
as $$
declare
    v_items jsonb;
begin
    -- p_cart: the row the caller locked (all null when p_cart_id named no cart it may order)
    if p_cart.id is null then
        raise exception 'commerce.carts.id: cart % not found', p_cart_id using errcode = 'no_data_found', column = 'id';
    end if;
    if p_cart.status <> 'open' then
        raise exception 'commerce.carts.status: this cart was already ordered' using errcode = 'object_not_in_prerequisite_state', column = 'status';
    end if;
    select jsonb_agg(jsonb_build_object('variant_id', l.variant_id, 'quantity', l.quantity) order by l.created_at, l.variant_id)
    into v_items
    from commerce.cart_lines l where l.tenant_id = p_cart.tenant_id and l.cart_id = p_cart.id;
    if v_items is null then
        raise exception 'lines: the cart is empty' using errcode = 'invalid_parameter_value', column = 'lines';
    end if;
    return v_items;
end
$$;
comment on function commerce._cart_order_items(commerce.carts, uuid) is
    'Internal (checkout_cart, guest_checkout_cart): the order items of a cart the caller locked, in the order the '
    'lines were added ([{variant_id, quantity}]); P0002 when there is no such cart, 55000 when it was ordered, 22023 '
    'when it is empty.';

create or replace function commerce.checkout_cart(
    p_cart_id uuid, p_email text default null, p_shipping_address jsonb default null, p_billing_address jsonb default null
) returns uuid
    language plpgsql volatile
as $$
declare
    v_cart  commerce.carts;
    v_items jsonb;
    v_order uuid;
begin
    perform core.require_permission('orders:place');
    select c.* into v_cart from commerce.carts c
    where c.tenant_id = core.current_tenant_id() and c.id = p_cart_id
      and (c.customer_id is null or c.customer_id = core.current_user_id())
    for update;
    v_items := commerce._cart_order_items(v_cart, p_cart_id);
    v_order := commerce.checkout(p_currency => v_cart.currency_code::text, p_items => v_items,
                                 p_customer_id => core.current_user_id(), p_email => p_email,
                                 p_shipping_address => p_shipping_address, p_billing_address => p_billing_address,
                                 p_metadata => jsonb_build_object('cart_id', v_cart.id));
    update commerce.carts c set status = 'ordered', order_id = v_order, customer_id = coalesce(c.customer_id, core.current_user_id())
    where c.tenant_id = v_cart.tenant_id and c.id = v_cart.id;
    return v_order;
end
$$;
comment on function commerce.checkout_cart(uuid, text, jsonb, jsonb) is
    'Place the order of an open cart through commerce.checkout (same atomic placement, same refusals: items[i] names '
    'the cart line i, in the order the lines were added) and mark the cart ordered. Permission orders:place. '
    '(GraphQL checkoutCart.)';
revoke execute on function commerce.checkout_cart(uuid, text, jsonb, jsonb) from public;
grant execute on function commerce.checkout_cart(uuid, text, jsonb, jsonb) to rustok_app;

create or replace function commerce.guest_checkout_cart(
    p_cart_id uuid, p_email text, p_shipping_address jsonb, p_billing_address jsonb, p_token_hash text
) returns uuid
    language plpgsql volatile
as $$
declare
    v_cart  commerce.carts;
    v_items jsonb;
    v_order commerce.orders;
    v_email text := nullif(btrim(p_email), '');
begin
    if core.current_tenant_id() is null then
        raise exception 'commerce.guest_checkout_cart: no tenant in this transaction (select core.set_tenant(...))'
            using errcode = 'invalid_parameter_value';
    end if;
    if core.current_user_id() is not null then
        raise exception 'signed in: place the order with commerce.checkout_cart (checkoutCart), it is kept with your account'
            using errcode = 'object_not_in_prerequisite_state';
    end if;
    if coalesce((select (t.settings ->> 'guest_checkout')::boolean from core.tenants t
                 where t.id = core.current_tenant_id()), true) is false then
        raise exception 'this shop takes orders from customers with an account only: sign in or create one'
            using errcode = 'object_not_in_prerequisite_state';
    end if;
    if v_email is null or v_email !~ '^[^@[:space:]]+@[^@[:space:]]+\.[^@[:space:]]+$' or length(v_email) > 255 then
        raise exception 'email: an e-mail address (name@example.com) is needed to check out without an account'
            using errcode = 'invalid_parameter_value', column = 'email';
    end if;
    if p_shipping_address is null or jsonb_typeof(p_shipping_address) <> 'object'
       or coalesce(btrim(p_shipping_address ->> 'address1'), '') = '' or coalesce(btrim(p_shipping_address ->> 'city'), '') = ''
       or coalesce(p_shipping_address ->> 'countryCode', '') !~ '^[A-Z]{2}$' then
        raise exception 'shipping_address: a guest order needs a street address (address1), a city and a two-letter countryCode'
            using errcode = 'invalid_parameter_value', column = 'shipping_address';
    end if;
    if p_token_hash is null or p_token_hash !~ '^[0-9a-f]{64}$' then
        raise exception 'token_hash: expected the SHA-256 (hex) of the guest''s order token' using errcode = 'invalid_parameter_value';
    end if;
    select c.* into v_cart from commerce.carts c
    where c.tenant_id = core.current_tenant_id() and c.id = p_cart_id and c.customer_id is null
    for update;
    v_items := commerce._cart_order_items(v_cart, p_cart_id);
    -- the same atomic placement as every order (prices now, stock reserved, all or nothing); no customer
    v_order := commerce.place_order(p_tenant_id => v_cart.tenant_id, p_currency => v_cart.currency_code::text,
                                    p_items => v_items, p_customer_id => null, p_email => v_email,
                                    p_shipping_address => p_shipping_address,
                                    p_billing_address => coalesce(p_billing_address, p_shipping_address),
                                    p_metadata => jsonb_build_object('cart_id', v_cart.id, 'guest', true));
    update commerce.carts c set status = 'ordered', order_id = v_order.id
    where c.tenant_id = v_cart.tenant_id and c.id = v_cart.id;
    insert into commerce.guest_order_tokens (tenant_id, token_hash, order_id, order_created_at)
    values (v_cart.tenant_id, p_token_hash, v_order.id, v_order.created_at);
    return v_order.id;
end
$$;
comment on function commerce.guest_checkout_cart(uuid, text, jsonb, jsonb, text) is
    'Guest checkout: place the order of an anonymous open cart for a visitor without an account (no signed-in user) '
    'through commerce.place_order (the same atomic placement and refusals as commerce.checkout_cart: items[i] names '
    'cart line i), with an e-mail address and a shipping address (address1, city, countryCode) both required; the '
    'billing address defaults to the shipping address. Marks the cart ordered and keeps the SHA-256 of the guest''s '
    'order token (commerce.guest_order_tokens). Refused when the tenant''s settings say guest_checkout: false. '
    '(GraphQL checkoutCart without a session.)';
revoke execute on function commerce.guest_checkout_cart(uuid, text, jsonb, jsonb, text) from public;
grant execute on function commerce.guest_checkout_cart(uuid, text, jsonb, jsonb, text) to rustok_app;

create or replace function commerce.guest_order(p_token_hash text) returns uuid
    language sql stable
as $$
    select g.order_id from commerce.guest_order_tokens g
    where g.tenant_id = core.current_tenant_id() and g.token_hash = p_token_hash
$$;
comment on function commerce.guest_order(text) is
    'The order a guest''s order token (by its SHA-256) opens, or null. (GraphQL guestOrder.)';
revoke execute on function commerce.guest_order(text) from public;
grant execute on function commerce.guest_order(text) to rustok_app;

-- ---------------------------------------------------------------- commerce.guest_order_tokens
comment on table commerce.guest_order_tokens is
    'Guest checkout: the SHA-256 of each guest order''s secret token (the guest''s link to the order; the token '
    'itself is never stored). Written by commerce.guest_checkout_cart, read by commerce.guest_order.';
comment on column commerce.guest_order_tokens.tenant_id is
    'The owning tenant (core.tenants.id); row-level security policy tenant_isolation keys on it.';
comment on column commerce.guest_order_tokens.token_hash is 'SHA-256 (hex) of the guest''s order token.';
comment on column commerce.guest_order_tokens.order_id is 'The order the token opens.';
comment on column commerce.guest_order_tokens.order_created_at is 'The order''s created_at (the orders partition key).';
comment on column commerce.guest_order_tokens.created_at is 'When the token was issued (at checkout).';

select core.enable_tenant_rls('commerce.guest_order_tokens');
grant select, insert, delete on commerce.guest_order_tokens to rustok_app;

-- ---------------------------------------------------------------- commerce.carts
comment on table commerce.carts is
    'Shopping carts (write model). An anonymous visitor''s cart is found by the hash of its secret token, a signed-in '
    'user''s by customer_id; status open until checkout places its order (status ordered, order_id).';
comment on column commerce.carts.tenant_id is
    'The owning tenant (core.tenants.id); row-level security policy tenant_isolation keys on it.';
comment on column commerce.carts.id is 'Identifier (ULID layout), unique within the tenant.';
comment on column commerce.carts.token_hash is
    'SHA-256 (hex) of the visitor''s cart token; the token itself is never stored. Null for a cart made signed in.';
comment on column commerce.carts.customer_id is 'The signed-in user the cart belongs to (null: anonymous).';
comment on column commerce.carts.currency_code is 'The currency the cart is priced and ordered in.';
comment on column commerce.carts.status is 'open, or ordered once checkout placed its order.';
comment on column commerce.carts.order_id is 'The order placed from the cart (status ordered).';
comment on column commerce.carts.created_at is 'When the row was created (write-once; trigger _100_timestamps).';
comment on column commerce.carts.updated_at is
    'When the row last really changed (trigger _100_timestamps; an update that changes nothing keeps it).';

select core.enable_tenant_rls('commerce.carts');
select core.allow_analyst_read('commerce.carts');
grant select, insert, update, delete on commerce.carts to rustok_app;
grant select on commerce.carts to rustok_analyst;

create or replace trigger _100_timestamps before insert or update on commerce.carts
    for each row
    execute function core.tg__timestamps();
create or replace trigger _900_events_ins after insert on commerce.carts
    referencing new table as new_rows
    for each statement
    execute function commerce.tg_carts__events();
create or replace trigger _900_events_upd after update on commerce.carts
    referencing old table as old_rows new table as new_rows
    for each statement
    execute function commerce.tg_carts__events();

-- ---------------------------------------------------------------- commerce.cart_lines
comment on table commerce.cart_lines is 'The lines of a cart: a variant and how many units (1-999).';
comment on column commerce.cart_lines.tenant_id is
    'The owning tenant (core.tenants.id); row-level security policy tenant_isolation keys on it.';
comment on column commerce.cart_lines.cart_id is 'The cart (commerce.carts).';
comment on column commerce.cart_lines.variant_id is 'The variant in the cart (one line per variant).';
comment on column commerce.cart_lines.quantity is 'Units, 1-999.';
comment on column commerce.cart_lines.created_at is 'When the row was created (write-once; trigger _100_timestamps).';
comment on column commerce.cart_lines.updated_at is
    'When the row last really changed (trigger _100_timestamps; an update that changes nothing keeps it).';

select core.enable_tenant_rls('commerce.cart_lines');
select core.allow_analyst_read('commerce.cart_lines');
grant select, insert, update, delete on commerce.cart_lines to rustok_app;
grant select on commerce.cart_lines to rustok_analyst;

create or replace trigger _100_timestamps before insert or update on commerce.cart_lines
    for each row
    execute function core.tg__timestamps();
create or replace trigger _900_events_ins after insert on commerce.cart_lines
    referencing new table as new_rows
    for each statement
    execute function commerce.tg_cart_lines__events();
create or replace trigger _900_events_upd after update on commerce.cart_lines
    referencing old table as old_rows new table as new_rows
    for each statement
    execute function commerce.tg_cart_lines__events();
create or replace trigger _900_events_del after delete on commerce.cart_lines
    referencing old table as old_rows
    for each statement
    execute function commerce.tg_cart_lines__events();
