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

create or replace function index.page_verify(p_after jsonb, p_before jsonb, p_limit integer,
                                              p_from_end boolean default false)
    returns table (aggregate_type text, aggregate_id uuid, problem text, columns text[], cursor jsonb)
    language plpgsql stable security definer
    set search_path = pg_catalog, pg_temp
as $$
declare
    v_after  text[];
    v_before text[];
begin
    perform core.require_permission('ops:manage');
    perform core._check_page_size(p_limit);
    v_after := core._page_key(p_after, 'aggregate', array['text', 'uuid'], 'after');
    v_before := core._page_key(p_before, 'aggregate', array['text', 'uuid'], 'before');
    -- index.verify compares the whole tenant in one set-based pass; the page is taken from its answer
    return query
    select p.aggregate_type, p.aggregate_id, p.problem, p.columns,
           jsonb_build_object('s', 'aggregate', 'k', jsonb_build_array(p.aggregate_type, p.aggregate_id))
    from (select v.aggregate_type, v.aggregate_id, v.problem, v.columns
          from index.verify(core.current_tenant_id()) v
          where (v_after is null or (v.aggregate_type, v.aggregate_id) > (v_after[1], v_after[2]::uuid))
            and (v_before is null or (v.aggregate_type, v.aggregate_id) < (v_before[1], v_before[2]::uuid))
          order by case when p_from_end then null else v.aggregate_type end,
                   case when p_from_end then null else v.aggregate_id end,
                   case when p_from_end then v.aggregate_type end desc,
                   case when p_from_end then v.aggregate_id end desc
          limit p_limit + 1) p
    order by case when p_from_end then null else p.aggregate_type end,
             case when p_from_end then null else p.aggregate_id end,
             case when p_from_end then p.aggregate_type end desc,
             case when p_from_end then p.aggregate_id end desc;
end
$$;
comment on function index.page_verify(jsonb, jsonb, integer, boolean) is
    'One keyset page (p_limit rows, 0..100, plus one to tell whether more follow) of index.verify() of the current '
    'tenant (drifted read rows; none = exact), by aggregate type and id. Cursors {"s": "aggregate", "k": [type, id]} '
    'after / before; p_from_end pages backwards (rows nearest the before cursor first). Permission ops:manage. '
    '(GraphQL verifyIndex.)';
revoke all on function index.page_verify(jsonb, jsonb, integer, boolean) from public;
grant execute on function index.page_verify(jsonb, jsonb, integer, boolean) to rustok_app;

create or replace function index.count_verify(p_cap integer default 10001) returns integer
    language plpgsql stable security definer
    set search_path = pg_catalog, pg_temp
as $$
begin
    perform core.require_permission('ops:manage');
    return (select count(*)::int from (select 1 from index.verify(core.current_tenant_id()) limit p_cap) x);
end
$$;
comment on function index.count_verify(integer) is
    'How many drifted read rows index.verify() finds for the current tenant, counted up to p_cap. Permission '
    'ops:manage. (GraphQL verifyIndex.totalCount.)';
revoke all on function index.count_verify(integer) from public;
grant execute on function index.count_verify(integer) to rustok_app;

create or replace function index.tenant_reindex() returns integer
    language plpgsql volatile security definer
    set search_path = pg_catalog, pg_temp
as $$
begin
    perform core.require_permission('ops:manage');
    return ops.request_reindex(core.current_tenant_id(), 'product')
         + ops.request_reindex(core.current_tenant_id(), 'node')
         + ops.request_reindex(core.current_tenant_id(), 'order');
end
$$;
comment on function index.tenant_reindex() is
    'Request a rebuild of the current tenant''s whole read model (ReindexRequested for products, nodes, orders; the '
    'projector does it, its progress shows in outbox.tenant_backlog()). Permission ops:manage. (GraphQL reindexTenant.)';
revoke all on function index.tenant_reindex() from public;
grant execute on function index.tenant_reindex() to rustok_app;

create or replace function index.page_staff_orders(
    p_statuses text[], p_email text, p_display_id integer, p_created_from timestamptz, p_created_to timestamptz,
    p_after jsonb, p_before jsonb, p_limit integer, p_from_end boolean default false
) returns table (order_id uuid, cursor jsonb)
    language plpgsql stable
as $$
begin
    perform core.assert_module_enabled(array[core.current_tenant_id()], 'commerce');
    perform core.require_permission('orders:read_all');
    perform core._check_page_size(p_limit);
    perform index._cursor_key(p_after, 'newest', 'timestamptz', 'after'),
            index._cursor_key(p_before, 'newest', 'timestamptz', 'before');
    return query
    select o.order_id, jsonb_build_object('s', 'newest', 'k', jsonb_build_array(o.created_at, o.order_id))
    from index.orders o
    where o.tenant_id = core.current_tenant_id()
      and (p_statuses is null or o.status = any (p_statuses))
      and (p_email is null or o.customer_email ilike '%' || replace(replace(replace(p_email, '\', '\\'), '%', '\%'), '_', '\_') || '%')
      and (p_display_id is null or o.display_id = p_display_id)
      and (p_created_from is null or o.created_at >= p_created_from)
      and (p_created_to is null or o.created_at < p_created_to)
      and (p_after is null or (o.created_at, o.order_id) < ((p_after -> 'k' ->> 0)::timestamptz, (p_after -> 'k' ->> 1)::uuid))
      and (p_before is null or (o.created_at, o.order_id) > ((p_before -> 'k' ->> 0)::timestamptz, (p_before -> 'k' ->> 1)::uuid))
    order by case when coalesce(p_from_end, false) then o.created_at end asc,
             case when coalesce(p_from_end, false) then o.order_id end asc,
             o.created_at desc, o.order_id desc
    limit p_limit + 1;
end
$$;
comment on function index.page_staff_orders(text[], text, integer, timestamptz, timestamptz, jsonb, jsonb, integer, boolean) is
    'One keyset page of the current tenant''s orders for order staff (orders:read_all), newest first, filtered by '
    'statuses, customer email (part of it, case-insensitive), order number (display_id) and a created_at window '
    '[from, to). Cursors as index.page_orders. (GraphQL staffOrders.)';
revoke execute on function index.page_staff_orders(text[], text, integer, timestamptz, timestamptz, jsonb, jsonb, integer, boolean) from public;
grant execute on function index.page_staff_orders(text[], text, integer, timestamptz, timestamptz, jsonb, jsonb, integer, boolean) to rustok_app;
