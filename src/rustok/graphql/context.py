"""Per-request GraphQL context: the pool, the tenant (X-Tenant header) and the caller's role."""

from __future__ import annotations

from dataclasses import dataclass, field
from uuid import UUID

from psycopg_pool import AsyncConnectionPool


@dataclass
class RequestContext:
    request: object
    pool: AsyncConnectionPool
    tenant_slug: str | None
    _tenant_id: UUID | None = None
    _resolved: bool = False
    cache: dict = field(default_factory=dict)

    async def tenant_id(self) -> UUID | None:
        """Resolve the X-Tenant slug once per request (None when absent or unknown)."""
        if not self._resolved:
            self._resolved = True
            if self.tenant_slug:
                async with self.pool.connection() as conn:
                    row = await (await conn.execute("select core.tenant_id_by_slug(%s)", (self.tenant_slug,))).fetchone()
                self._tenant_id = row[0] if row else None
        return self._tenant_id


async def get_context_value(request, data=None) -> RequestContext:
    return RequestContext(
        request=request,
        pool=request.app.state.pool,
        tenant_slug=request.headers.get("x-tenant"),
    )
