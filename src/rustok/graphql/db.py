"""Connections and access checks for resolvers.

Every tenant query runs in one transaction with the tenant setting applied, as
the application role, so row-level security holds whatever the resolver does.
"""

from __future__ import annotations

import contextlib
from typing import AsyncIterator
from uuid import UUID

from psycopg import AsyncConnection

from rustok.db import TENANT_SETTING, USER_SETTING
from rustok.graphql.errors import ApiError


async def require_tenant(ctx) -> UUID:
    tenant_id = await ctx.tenant_id()
    if tenant_id is None:
        if ctx.tenant_slug:
            raise ApiError("NOT_FOUND", f"unknown or inactive tenant {ctx.tenant_slug!r} (X-Tenant header)")
        raise ApiError("BAD_USER_INPUT", "this operation needs a tenant: send the X-Tenant header with the tenant slug")
    return tenant_id


async def require_user(ctx):
    await require_tenant(ctx)
    caller = await ctx.caller()
    if caller.user_id is None:
        raise ApiError("UNAUTHENTICATED", "sign in first: send Authorization: Bearer <token> from the login mutation")
    return caller


async def require_staff(ctx):
    caller = await require_user(ctx)
    if not caller.is_staff:
        raise ApiError("FORBIDDEN", f"this operation needs a staff role (admin, manager, editor or author), not {caller.role}")
    return caller


@contextlib.asynccontextmanager
async def tenant_connection(ctx, tenant_id: UUID) -> AsyncIterator[AsyncConnection]:
    """A pooled connection inside one transaction with the tenant (and acting user) settings applied."""
    caller = await ctx.caller()
    user = str(caller.user_id) if caller.user_id else ""
    async with ctx.db.connection() as conn:
        async with conn.transaction():
            await conn.execute("select set_config(%s, %s, true), set_config(%s, %s, true)",
                               (TENANT_SETTING, str(tenant_id), USER_SETTING, user))
            yield conn


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def camel_row(cursor):
    """Row factory: dicts keyed by the GraphQL (camelCase) spelling of the column names."""
    names = [_camel(c.name) for c in cursor.description or ()]

    def make(values):
        return dict(zip(names, values))

    return make


async def fetch_one(ctx, sql: str, params: tuple | dict = ()) -> dict | None:
    """One row (a dict with camelCase keys) from one statement in the caller's tenant."""
    tenant_id = await require_tenant(ctx)
    async with tenant_connection(ctx, tenant_id) as conn:
        cur = conn.cursor(row_factory=camel_row)
        await cur.execute(sql, params)
        return await cur.fetchone()


async def fetch_all(ctx, sql: str, params: tuple | dict = ()) -> list[dict]:
    """All rows (dicts with camelCase keys) from one statement in the caller's tenant."""
    tenant_id = await require_tenant(ctx)
    async with tenant_connection(ctx, tenant_id) as conn:
        cur = conn.cursor(row_factory=camel_row)
        await cur.execute(sql, params)
        return await cur.fetchall()
