"""Addresses gone for good (schema/retired.graphql): the storefront's 410 Gone. Thin resolver over
commerce.retired_product and content.retired_node (sql/code/*/retired.sql)."""

from __future__ import annotations

from ariadne import QueryType

from rustok.graphql.access import require_module, require_tenant
from rustok.graphql.db import fetch_one
from rustok.ids import InvalidIdError, parse_id

query = QueryType()

_MAX_KEY = 300


@query.field("retired")
async def resolve_retired(_, info, kind: str, key: str):
    ctx = info.context
    await require_tenant(ctx)
    if not key or len(key) > _MAX_KEY:
        return None
    if kind == "product":
        await require_module(ctx, "commerce")
        try:
            product_id = parse_id(key)    # /products/<id>: the deleted product's id answers too
        except InvalidIdError:
            product_id = None
        row = await fetch_one(ctx, "select r.handle as key, r.title, r.retired_at, 'deleted' as reason "
                                   "from commerce.retired_product(%s, %s) r", (key, product_id))
    else:
        await require_module(ctx, "content")
        row = await fetch_one(ctx, "select r.slug as key, r.title, r.retired_at, r.reason "
                                   "from content.retired_node(%s, %s) r", (kind, key))
    return {**row, "kind": kind} if row else None


bindables = [query]
