-- Bound experiment (bench/README.md, "What the remaining goals need"), not the platform's code: the leanest order placement
-- on the real tables, one statement, one line, base price, no validation, every trigger on; the order's id and the
-- placing_order hint are made in the statement. As rustok_app with the tenant set, plan_cache_mode force_generic_plan.
\set v random(1, 10)
with x as materialized (
  select s.oid, core.new_id() as iid, set_config('synchronous_commit', 'off', true) as sc, set_config('rustok.placing_order', s.oid::text, true) as po
  from (select core.new_id() as oid) s
), l as (
  select v.id as variant_id, v.product_id, p.title as ptitle, v.title as vtitle, v.sku, pr.amount, vi.inventory_item_id, vi.required_quantity
  from commerce.variants v
  join commerce.products p on p.tenant_id = v.tenant_id and p.id = v.product_id and p.status = 'published'
  join commerce.prices pr on pr.tenant_id = v.tenant_id and pr.variant_id = v.id and pr.currency_code = 'EUR' and pr.price_list_id is null and pr.min_quantity = 1
  join commerce.variant_inventory vi on vi.tenant_id = v.tenant_id and vi.variant_id = v.id
  where v.tenant_id = core.current_tenant_id() and v.id = (array['018bcfe5-6805-0004-3b19-e2a499d29de5', '018bcfe5-6809-0004-6261-cc3d91bcab5b', '018bcfe5-680d-0004-d012-3d185f9da700', '018bcfe5-6811-0004-61f1-280455e164b3', '018bcfe5-6815-0004-f99e-7ae694272221', '018bcfe5-6819-0004-ef93-dfaf469bbbdf', '018bcfe5-681d-0004-afca-df4fe57a3960', '018bcfe5-6821-0004-3183-08038db8308b', '018bcfe5-6825-0004-0a56-30dab31ab6a2', '018bcfe5-6829-0004-21da-a8460a581fec']::uuid[])[:v]
), lv as (
  update commerce.inventory_levels il set reserved_quantity = il.reserved_quantity + l.required_quantity
  from l where il.tenant_id = core.current_tenant_id() and il.inventory_item_id = l.inventory_item_id
    and il.stocked_quantity - il.reserved_quantity >= l.required_quantity
  returning il.inventory_item_id, il.location_id
), it as (
  insert into commerce.order_items (tenant_id, id, order_id, order_created_at, variant_id, product_id, title, sku, quantity, unit_price, original_unit_price, total)
  select core.current_tenant_id(), x.iid, x.oid, now(), l.variant_id, l.product_id, l.ptitle || ' - ' || l.vtitle, l.sku, 1, l.amount, l.amount, l.amount from l, x
  returning id
), rs as (
  insert into commerce.order_reservations (tenant_id, order_id, order_item_id, inventory_item_id, location_id, quantity)
  select core.current_tenant_id(), x.oid, it.id, lv.inventory_item_id, lv.location_id, 1 from lv, it, x
)
insert into commerce.orders (tenant_id, id, created_at, currency_code, subtotal, total)
select core.current_tenant_id(), x.oid, now(), 'EUR', l.amount, l.amount from l, x;
select pg_logical_emit_message(false, 'rustok.flush', '', true)::text;
