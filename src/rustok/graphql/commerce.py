"""Commerce mutations: thin resolvers over the commerce SQL functions (write side)."""

from __future__ import annotations

from ariadne import MutationType

from rustok.graphql.common import bigint_scalar, jsonb, not_found, scalar, staff_write, tenant_write
from rustok.graphql.db import require_user
from rustok.ids import parse_id

mutation = MutationType()

_PRODUCT = "select commerce.product_record(%s)"
_ORDER = "select commerce.order_record(%s)"
_UPDATABLE = {"title", "handle", "subtitle", "description", "status", "discountable", "metadata"}


@mutation.field("createProduct")
async def resolve_create_product(_, info, input: dict):
    async with staff_write(info.context) as (conn, result):
        product_id = await scalar(conn, "select commerce.create_product(%s)", (jsonb(input),))
        result["product"] = await scalar(conn, _PRODUCT, (product_id,))
    return result


@mutation.field("updateProduct")
async def resolve_update_product(_, info, id: str, input: dict):
    product_id = parse_id(id)
    patch = {k: v for k, v in input.items() if k in _UPDATABLE}
    async with staff_write(info.context) as (conn, result):
        # One UPDATE; a field absent from the patch keeps its value.
        updated = await scalar(conn, """
            update commerce.products p set
                title = coalesce(%(p)s->>'title', p.title),
                handle = coalesce(%(p)s->>'handle', p.handle),
                subtitle = case when %(p)s ? 'subtitle' then %(p)s->>'subtitle' else p.subtitle end,
                description = case when %(p)s ? 'description' then %(p)s->>'description' else p.description end,
                status = coalesce(%(p)s->>'status', p.status),
                discountable = coalesce((%(p)s->>'discountable')::boolean, p.discountable),
                metadata = coalesce(%(p)s->'metadata', p.metadata)
            where p.tenant_id = core.current_tenant_id() and p.id = %(id)s
            returning p.id""", {"p": jsonb(patch), "id": product_id})
        if updated is None:
            raise not_found("product", id)
        result["product"] = await scalar(conn, _PRODUCT, (product_id,))
    return result


@mutation.field("deleteProduct")
async def resolve_delete_product(_, info, id: str):
    async with staff_write(info.context) as (conn, result):
        deleted = await scalar(conn, "delete from commerce.products where tenant_id = core.current_tenant_id() "
                                     "and id = %s returning id", (parse_id(id),))
        result["deleted"] = deleted is not None
    return result


async def _product_of_variant(conn, variant_id):
    product_id = await scalar(conn, "select product_id from commerce.variants "
                                    "where tenant_id = core.current_tenant_id() and id = %s", (variant_id,))
    if product_id is None:
        raise not_found("variant", variant_id)
    return product_id


@mutation.field("setVariantPrice")
async def resolve_set_variant_price(_, info, variantId: str, currencyCode: str, amount: int, minQuantity: int = 1):  # noqa: N803
    variant_id = parse_id(variantId)
    async with staff_write(info.context) as (conn, result):
        product_id = await _product_of_variant(conn, variant_id)
        await conn.execute("""
            insert into commerce.prices as pr (tenant_id, variant_id, amount, currency_code, min_quantity)
            values (core.current_tenant_id(), %s, %s, %s, %s)
            on conflict (tenant_id, variant_id, currency_code, price_list_id, min_quantity)
                do update set amount = excluded.amount where pr.amount <> excluded.amount""",
            (variant_id, amount, currencyCode, minQuantity))
        result["product"] = await scalar(conn, _PRODUCT, (product_id,))
    return result


@mutation.field("setVariantStock")
async def resolve_set_variant_stock(_, info, variantId: str, stocked: int, locationId: str | None = None):  # noqa: N803
    variant_id = parse_id(variantId)
    location_id = parse_id(locationId) if locationId else None
    async with staff_write(info.context) as (conn, result):
        product_id = await _product_of_variant(conn, variant_id)
        await conn.execute("select commerce.set_variant_stock(%s, %s, %s)", (variant_id, stocked, location_id))
        result["product"] = await scalar(conn, _PRODUCT, (product_id,))
    return result


@mutation.field("placeOrder")
async def resolve_place_order(_, info, input: dict):
    ctx = info.context
    caller = await require_user(ctx)
    items = [{"variant_id": str(parse_id(i["variantId"])), "quantity": i["quantity"]} for i in input["items"]]
    async with tenant_write(ctx) as (conn, result):
        order_id = await scalar(conn, """
            select (commerce.place_order(
                p_tenant_id => core.current_tenant_id(), p_currency => %s::text, p_items => %s, p_customer_id => %s,
                p_email => coalesce(%s::text, (select email from core.users where id = %s)),
                p_shipping_address => %s::jsonb, p_billing_address => %s::jsonb,
                p_shipping_total => %s::bigint, p_discount_total => %s::bigint, p_tax_rate => %s::numeric)).id""",
            (input["currencyCode"], jsonb(items), caller.user_id, input.get("email"), caller.user_id,
             jsonb(input.get("shippingAddress")), jsonb(input.get("billingAddress")),
             input.get("shippingTotal", 0), input.get("discountTotal", 0), input.get("taxRate", 0)))
        result["order"] = await scalar(conn, _ORDER, (order_id,))
    return result


@mutation.field("setOrderStatus")
async def resolve_set_order_status(_, info, id: str, status: str):
    order_id = parse_id(id)
    async with staff_write(info.context) as (conn, result):
        await conn.execute("select commerce.set_order_status(core.current_tenant_id(), %s, %s)", (order_id, status))
        result["order"] = await scalar(conn, _ORDER, (order_id,))
    return result


bindables = [mutation, bigint_scalar]
