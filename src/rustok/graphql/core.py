"""Core resolvers: version, the current tenant."""

from __future__ import annotations

from ariadne import MutationType, QueryType, ScalarType

from rustok import __version__
from rustok.graphql.db import tenant_connection

query = QueryType()
mutation = MutationType()
json_scalar = ScalarType("JSON")
datetime_scalar = ScalarType("DateTime")


@datetime_scalar.serializer
def serialize_datetime(value):
    return value.isoformat() if hasattr(value, "isoformat") else value


@query.field("version")
async def resolve_version(*_):
    return __version__


@mutation.field("ping")
async def resolve_ping(*_):
    return __version__


@query.field("tenant")
async def resolve_tenant(_, info):
    ctx = info.context
    tenant_id = await ctx.tenant_id()
    if tenant_id is None:
        return None
    async with tenant_connection(ctx, tenant_id) as conn:
        cur = await conn.execute(
            "select id, name, slug, is_active, text_search_config::text, created_at from core.tenants where id = %s",
            (tenant_id,),
        )
        row = await cur.fetchone()
    if row is None:
        return None
    return {"id": row[0], "name": row[1], "slug": row[2], "isActive": row[3],
            "textSearchConfig": row[4], "createdAt": row[5]}


bindables = [query, mutation, json_scalar, datetime_scalar]
