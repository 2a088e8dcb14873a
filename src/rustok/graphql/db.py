"""Connections for resolvers: every tenant query runs in a transaction scoped to the tenant (RLS)."""

from __future__ import annotations

import contextlib
from typing import AsyncIterator
from uuid import UUID

from psycopg import AsyncConnection

from rustok.db import TENANT_SETTING
from rustok.graphql.errors import ApiError


async def require_tenant(ctx) -> UUID:
    tenant_id = await ctx.tenant_id()
    if tenant_id is None:
        if ctx.tenant_slug:
            raise ApiError("NOT_FOUND", f"unknown or inactive tenant {ctx.tenant_slug!r} (X-Tenant header)")
        raise ApiError("BAD_USER_INPUT", "this query needs a tenant: send the X-Tenant header with the tenant slug")
    return tenant_id


@contextlib.asynccontextmanager
async def tenant_connection(ctx, tenant_id: UUID) -> AsyncIterator[AsyncConnection]:
    """A pooled connection inside one transaction with the tenant setting applied."""
    async with ctx.pool.connection() as conn:
        async with conn.transaction():
            await conn.execute("select set_config(%s, %s, true)", (TENANT_SETTING, str(tenant_id)))
            yield conn
