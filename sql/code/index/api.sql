-- index/api.sql: API reads of the read model for the current tenant (core.current_tenant_id()), called by
-- GraphQL queries. Security invoker: row-level security applies.

create or replace function index.list_orders(p_customer_id uuid, p_status text default null,
                                             p_first integer default 20, p_offset integer default 0)
    returns jsonb
    language sql stable
as $$
    select coalesce(jsonb_agg(jsonb_build_object(
               'id', o.order_id, 'displayId', o.display_id, 'status', o.status, 'currencyCode', o.currency_code,
               'subtotal', o.subtotal, 'discountTotal', o.discount_total, 'shippingTotal', o.shipping_total,
               'taxTotal', o.tax_total, 'total', o.total, 'itemCount', o.item_count, 'items', o.items,
               'customerId', o.customer_id, 'customerEmail', o.customer_email,
               'createdAt', o.created_at, 'updatedAt', o.updated_at) order by o.created_at desc), '[]')
    from (select *
          from index.orders o
          where o.tenant_id = core.current_tenant_id()
            and (p_customer_id is null or o.customer_id = p_customer_id)
            and (p_status is null or o.status = p_status)
          order by o.created_at desc
          limit least(greatest(p_first, 1), 100) offset greatest(p_offset, 0)) o
$$;
comment on function index.list_orders(uuid, text, integer, integer) is
    'A page of the current tenant''s orders from the read model, newest first, as a JSON array (camelCase keys): '
    'only those of customer p_customer_id, or every order when it is null (staff); optionally one status; '
    'p_first 1..100, p_offset >= 0. (GraphQL orders.)';
revoke execute on function index.list_orders(uuid, text, integer, integer) from public;
grant execute on function index.list_orders(uuid, text, integer, integer) to rustok_app;
