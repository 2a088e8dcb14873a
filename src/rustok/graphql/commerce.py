"""Commerce mutations: thin resolvers over the commerce SQL API (sql/code/commerce/api.sql), one API
function per mutation; the answer is the fresh write-side record (commerce.product_record / order_record)."""

from __future__ import annotations

from ariadne import MutationType

from rustok.graphql.access import require_permission
from rustok.graphql.db import permission_write, scalar, tenant_write
from rustok.graphql.storefront import address_of, cancellation_of
from rustok.graphql.scalars import jsonb, optional_id
from rustok.graphql.payloads import mutation_payload
from rustok.ids import parse_id

mutation = MutationType()

_PRODUCT = "select commerce.product_record(%s)"
_ORDER = "select commerce.order_record(%s)"


def _address(value: dict | None) -> dict | None:
    """AddressInput -> the stored JSON (camelCase keys, unset fields left out)."""
    return None if value is None else {k: v for k, v in value.items() if v is not None}


_ORDER_MONEY = ("subtotal", "discountTotal", "shippingTotal", "taxTotal", "total")


def _order(record: dict | None) -> dict | None:
    """commerce.order_record's JSON as OrderRecord: amounts as Money in the order's currency, typed addresses."""
    if record:
        currency = record["currencyCode"]

        def money(amount):
            return None if amount is None else {"amount": amount, "currencyCode": currency}

        record = {**record, "shippingAddress": address_of(record.get("shippingAddress")),
                  "billingAddress": address_of(record.get("billingAddress")),
                  "cancellation": cancellation_of(record.get("cancellation")),
                  **{key: money(record.get(key)) for key in _ORDER_MONEY},
                  "items": [{**item, "unitPrice": money(item.get("unitPrice")), "total": money(item.get("total"))}
                            for item in record.get("items") or []]}
    return record


@mutation.field("createProduct")
@mutation_payload
async def resolve_create_product(_, info, input: dict):
    async with permission_write(info.context, "catalog:write") as (conn, result):
        product_id = await scalar(conn, "select commerce.create_product(%s)", (jsonb(input),))
        result["product"] = await scalar(conn, _PRODUCT, (product_id,))
    return result


@mutation.field("updateProduct")
@mutation_payload
async def resolve_update_product(_, info, id: str, input: dict):
    product_id = parse_id(id)
    async with permission_write(info.context, "catalog:write") as (conn, result):
        await scalar(conn, "select commerce.update_product(%s, %s)", (product_id, jsonb(input)))
        result["product"] = await scalar(conn, _PRODUCT, (product_id,))
    return result


@mutation.field("deleteProduct")
@mutation_payload
async def resolve_delete_product(_, info, id: str):
    async with permission_write(info.context, "catalog:write") as (conn, result):
        result["deleted"] = await scalar(conn, "select commerce.delete_product(%s)", (parse_id(id),))
    return result


@mutation.field("removeVariantPrice")
@mutation_payload
async def resolve_remove_variant_price(_, info, variantId: str, currencyCode: str, minQuantity: int = 1):  # noqa: N803
    variant_id = parse_id(variantId)
    async with permission_write(info.context, "catalog:write") as (conn, result):
        product_id = await scalar(conn, "select commerce.remove_variant_price(%s, %s, %s)",
                                  (variant_id, currencyCode, minQuantity))
        result["product"] = await scalar(conn, _PRODUCT, (product_id,))
    return result


@mutation.field("setVariantPrice")
@mutation_payload
async def resolve_set_variant_price(_, info, variantId: str, currencyCode: str, amount: int, minQuantity: int = 1):  # noqa: N803
    variant_id = parse_id(variantId)
    async with permission_write(info.context, "catalog:write") as (conn, result):
        product_id = await scalar(conn, "select commerce.set_variant_price(%s, %s, %s, %s)",
                                  (variant_id, currencyCode, amount, minQuantity))
        result["product"] = await scalar(conn, _PRODUCT, (product_id,))
    return result


@mutation.field("setVariantStock")
@mutation_payload
async def resolve_set_variant_stock(_, info, variantId: str, stocked: int, locationId: str | None = None):  # noqa: N803
    variant_id = parse_id(variantId)
    location_id = optional_id(locationId)
    async with permission_write(info.context, "catalog:write") as (conn, result):
        product_id = await scalar(conn, "select commerce.product_of_variant(%s)", (variant_id,))
        await conn.execute("select commerce.set_variant_stock(%s, %s, %s)", (variant_id, stocked, location_id))
        result["product"] = await scalar(conn, _PRODUCT, (product_id,))
    return result


@mutation.field("placeOrder")
@mutation_payload
async def resolve_place_order(_, info, input: dict):
    ctx = info.context
    caller = await require_permission(ctx, "orders:place")
    items = [{"variant_id": str(parse_id(i["variantId"])), "quantity": i["quantity"]} for i in input["items"]]
    async with tenant_write(ctx, early_release=True) as (conn, result):
        order_id = await scalar(conn, """
            select commerce.checkout(
                p_currency => %s::text, p_items => %s, p_customer_id => %s, p_email => %s::text,
                p_shipping_address => %s::jsonb, p_billing_address => %s::jsonb,
                p_shipping_total => %s::bigint, p_discount_total => %s::bigint, p_tax_rate => %s::numeric)""",
            (input["currencyCode"], jsonb(items), caller.user_id, input.get("email"),
             jsonb(_address(input.get("shippingAddress"))), jsonb(_address(input.get("billingAddress"))),
             input.get("shippingTotal", 0), input.get("discountTotal", 0), input.get("taxRate", 0)))
        result["order"] = _order(await scalar(conn, _ORDER, (order_id,)))
    return result


@mutation.field("setOrderStatus")
@mutation_payload
async def resolve_set_order_status(_, info, id: str, status: str):
    order_id = parse_id(id)
    async with permission_write(info.context, "orders:write") as (conn, result):
        await scalar(conn, "select commerce.change_order_status(%s, %s)", (order_id, status))
        result["order"] = _order(await scalar(conn, _ORDER, (order_id,)))
    return result


bindables = [mutation]
