"""Per-request GraphQL context: the database gate, the tenant (X-Tenant header) and the caller (bearer session).

Tenant and caller are resolved together, once per request, in one round trip
(`core.resolve_request`), and only when a resolver asks for them.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from uuid import UUID

from rustok.auth import STAFF_ROLES, token_hash
from rustok.replicas import RoutedDatabase


@dataclass
class Caller:
    tenant_id: UUID | None = None
    user_id: UUID | None = None
    role: str | None = None

    @property
    def is_staff(self) -> bool:
        return self.role in STAFF_ROLES


@dataclass
class RequestContext:
    request: object
    db: RoutedDatabase  # connection() like DatabaseGate's, routed to the primary or a read replica
    tenant_slug: str | None
    token: str | None
    _caller: Caller | None = None
    # X-Index-Position: reads wait until the read model reflects this mutation position (read-your-writes)
    index_position: str | None = None
    read_wait_seconds: float = 5.0
    # per-request batch loaders by name (rustok.graphql.loaders)
    loaders: dict = field(default_factory=dict)

    async def caller(self) -> Caller:
        if self._caller is None:
            task = self.loaders.get("caller")
            if task is None:   # one lookup per request, shared by resolvers running concurrently
                task = self.loaders["caller"] = asyncio.ensure_future(self._lookup_caller())
            self._caller = await task
        return self._caller

    async def _lookup_caller(self) -> Caller:
        caller = Caller()
        if self.tenant_slug:
            row = await self._resolve(self.db.connection)
            if (row is None or (self.token and row[1] is None)) and self.db.on_replica:
                # A tenant or session newer than the replica's replay (a login a moment ago): ask the primary.
                row = await self._resolve(self.db.primary_connection)
            if row:
                caller = Caller(*row)
        return caller

    async def _resolve(self, connection):
        from rustok.graphql.db import autocommit

        async with connection() as conn, autocommit(conn):   # one statement, one round trip: no BEGIN, no COMMIT
            cur = await conn.execute(
                "select tenant_id, user_id, user_role from core.resolve_request(%s, %s)",
                (self.tenant_slug, token_hash(self.token) if self.token else None),
            )
            return await cur.fetchone()

    async def tenant_id(self) -> UUID | None:
        return (await self.caller()).tenant_id


def _bearer(request) -> str | None:
    header = request.headers.get("authorization") or ""
    scheme, _, value = header.partition(" ")
    return value.strip() or None if scheme.lower() == "bearer" else None


async def get_context_value(request, data=None) -> RequestContext:
    # The HTTP handler says whether the operation is a plain query and which position it must read after
    # (rustok.graphql.http); anything else (mutations, subscriptions) runs on the primary.
    state = request.state
    view = request.app.state.router.view(read_only=getattr(state, "read_only", False),
                                         position=getattr(state, "read_after", None),
                                         force_primary=getattr(state, "force_primary", False))
    state.db_view = view
    return RequestContext(
        request=request,
        db=view,
        tenant_slug=request.headers.get("x-tenant"),
        token=_bearer(request),
        index_position=(request.headers.get("x-index-position") or "").strip() or None,
        read_wait_seconds=getattr(getattr(request.app.state, "settings", None), "read_wait_seconds", 5.0),
    )
