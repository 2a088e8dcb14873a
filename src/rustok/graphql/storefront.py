"""Storefront reads: one SQL round trip per page, straight from the read model (index.search_* JSON)."""

from __future__ import annotations

from ariadne import QueryType

from rustok.graphql.common import jsonb
from rustok.graphql.db import fetch_one, require_tenant, require_user
from rustok.ids import parse_id

query = QueryType()

_ID_LIST_FILTERS = ("categoryIds", "authorIds")


def _filters(data: dict | None) -> dict:
    """GraphQL filter input -> the search functions' JSON (ids normalised, empty values dropped)."""
    out = {}
    for key, value in (data or {}).items():
        if value is None:
            continue
        if key in _ID_LIST_FILTERS:
            value = [str(parse_id(v)) for v in value]
        elif key == "parentId":
            value = str(parse_id(value))
        out[key] = value
    return out


async def _include_unpublished(ctx) -> bool:
    return (await ctx.caller()).is_staff


@query.field("products")
async def resolve_products(_, info, search=None, filter=None, sort=None, first=20, offset=0, currency=None):
    ctx = info.context
    tenant_id = await require_tenant(ctx)
    row = await fetch_one(ctx, "select index.search_products(%s, %s, %s, %s, %s, %s, %s, %s) as page",
                          (tenant_id, search, jsonb(_filters(filter)), sort, first, offset,
                           currency.upper() if currency else None, await _include_unpublished(ctx)))
    return row["page"]


@query.field("product")
async def resolve_product(_, info, handle: str):
    ctx = info.context
    tenant_id = await require_tenant(ctx)
    row = await fetch_one(ctx, "select index.get_product(%s, %s, %s) as product",
                          (tenant_id, handle, await _include_unpublished(ctx)))
    return row["product"]


@query.field("contents")
async def resolve_contents(_, info, search=None, kind=None, filter=None, sort=None, first=20, offset=0):
    ctx = info.context
    tenant_id = await require_tenant(ctx)
    filters = _filters(filter)
    if kind:
        filters["kinds"] = [kind]
    row = await fetch_one(ctx, "select index.search_content(%s, %s, %s, %s, %s, %s, %s) as page",
                          (tenant_id, search, jsonb(filters), sort, first, offset, await _include_unpublished(ctx)))
    return row["page"]


@query.field("content")
async def resolve_content(_, info, kind: str, slug: str):
    ctx = info.context
    tenant_id = await require_tenant(ctx)
    # The read row decides visibility; the full body (not kept in the read row) joins it in the same statement.
    row = await fetch_one(ctx, """
        select c.doc || jsonb_build_object('body', b.body) as content
        from index.get_content(%s, %s, %s, %s) as c(doc)
        left join content.bodies b on b.tenant_id = %s and b.node_id = (c.doc->>'id')::uuid
        where c.doc is not null""",
        (tenant_id, kind, slug, await _include_unpublished(ctx), tenant_id))
    return row["content"] if row else None


@query.field("orders")
async def resolve_orders(_, info, first=20, offset=0, status=None):
    ctx = info.context
    caller = await require_user(ctx)
    row = await fetch_one(ctx, """
        select coalesce(jsonb_agg(jsonb_build_object(
                   'id', o.order_id, 'displayId', o.display_id, 'status', o.status, 'currencyCode', o.currency_code,
                   'subtotal', o.subtotal, 'discountTotal', o.discount_total, 'shippingTotal', o.shipping_total,
                   'taxTotal', o.tax_total, 'total', o.total, 'itemCount', o.item_count, 'items', o.items,
                   'customerId', o.customer_id, 'customerEmail', o.customer_email,
                   'createdAt', o.created_at, 'updatedAt', o.updated_at) order by o.created_at desc), '[]') as orders
        from (select * from index.orders o
              where o.tenant_id = core.current_tenant_id()
                and (%(staff)s or o.customer_id = %(user)s)
                and (%(status)s::text is null or o.status = %(status)s)
              order by o.created_at desc
              limit least(greatest(%(first)s, 1), 100) offset greatest(%(offset)s, 0)) o""",
        {"staff": caller.is_staff, "user": caller.user_id, "status": status, "first": first, "offset": offset})
    return row["orders"]


bindables = [query]
