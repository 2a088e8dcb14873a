"""Storefront reads: one SQL round trip per page, straight from the read model (index.search_* JSON)."""

from __future__ import annotations

from ariadne import QueryType

from rustok.graphql.access import is_staff, orders_customer, require_tenant, require_user
from rustok.graphql.db import fetch_one
from rustok.graphql.scalars import jsonb
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


@query.field("products")
async def resolve_products(_, info, search=None, filter=None, sort=None, first=20, offset=0, currency=None):
    ctx = info.context
    tenant_id = await require_tenant(ctx)
    row = await fetch_one(ctx, "select index.search_products(%s, %s, %s, %s, %s, %s, %s, %s) as page",
                          (tenant_id, search, jsonb(_filters(filter)), sort, first, offset,
                           currency.upper() if currency else None, await is_staff(ctx)))
    return row["page"]


@query.field("product")
async def resolve_product(_, info, handle: str):
    ctx = info.context
    tenant_id = await require_tenant(ctx)
    row = await fetch_one(ctx, "select index.get_product(%s, %s, %s) as product",
                          (tenant_id, handle, await is_staff(ctx)))
    return row["product"]


@query.field("contents")
async def resolve_contents(_, info, search=None, kind=None, filter=None, sort=None, first=20, offset=0):
    ctx = info.context
    tenant_id = await require_tenant(ctx)
    filters = _filters(filter)
    if kind:
        filters["kinds"] = [kind]
    row = await fetch_one(ctx, "select index.search_content(%s, %s, %s, %s, %s, %s, %s) as page",
                          (tenant_id, search, jsonb(filters), sort, first, offset, await is_staff(ctx)))
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
        (tenant_id, kind, slug, await is_staff(ctx), tenant_id))
    return row["content"] if row else None


@query.field("orders")
async def resolve_orders(_, info, first=20, offset=0, status=None):
    ctx = info.context
    caller = await require_user(ctx)
    row = await fetch_one(ctx, "select index.list_orders(%s, %s, %s, %s) as orders",
                          (orders_customer(caller), status, first, offset))
    return row["orders"]


bindables = [query]
