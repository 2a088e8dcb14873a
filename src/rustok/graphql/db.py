"""Connections for resolvers.

Every tenant query runs in one transaction with the tenant setting applied, as the application role, so
row-level security holds whatever the resolver does. Writes go through `tenant_write` / `permission_write`,
which also return the event position of the transaction (with its commit LSN: rustok.replicas).
"""

from __future__ import annotations

import contextlib
from typing import Any, AsyncIterator
from uuid import UUID

from psycopg import AsyncConnection, pq

from rustok.db import TENANT_SETTING, USER_SETTING
from rustok.graphql.access import require_permission, require_tenant
from rustok.replicas import stamp_position


@contextlib.asynccontextmanager
async def tenant_connection(ctx, tenant_id: UUID) -> AsyncIterator[AsyncConnection]:
    """A pooled connection inside one transaction with the tenant (and acting user) settings applied."""
    user = await _acting_user(ctx)  # before taking a connection: the caller may need one of its own
    async with ctx.db.connection() as conn:
        async with _tenant_transaction(conn, tenant_id, user):
            yield conn


async def _acting_user(ctx) -> str:
    caller = await ctx.caller()
    return str(caller.user_id) if caller.user_id else ""


_SETTINGS = ("select set_config(%s, %s, true), set_config(%s, %s, true), "
             "set_config('rustok.actor', 'api', true)")

# The commit record inserted but not yet flushed: row locks are released at once (see tenant_write).
_SETTINGS_EARLY_RELEASE = _SETTINGS + ", set_config('synchronous_commit', 'off', true)"

# After an early-release commit: writes a tiny WAL record and flushes the WAL up to it, i.e. past the commit record
# (WAL is flushed in order); returns its LSN. The caller hears of the write only after this, so a write it has been
# told of is on disk. A flush requested while another is running is served by that one (group commit).
FLUSHED_LSN = "select pg_logical_emit_message(false, 'rustok.flush', '', true)::text"
COMMIT_LSN = "select pg_current_wal_insert_lsn()::text"


@contextlib.asynccontextmanager
async def _tenant_transaction(conn: AsyncConnection, tenant_id: UUID, user: str,
                              early_release: bool = False) -> AsyncIterator[None]:
    async with conn.transaction():
        # set_config(..., true): transaction-local, so the settings never outlive the request's transaction
        # (which also keeps the API correct behind PgBouncer in transaction mode: docs/scaling.md).
        # rustok.actor = api: a transaction without a user is an anonymous caller, not the system.
        await conn.execute(_SETTINGS_EARLY_RELEASE if early_release else _SETTINGS,
                           (TENANT_SETTING, str(tenant_id), USER_SETTING, user))
        yield


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def camel_row(cursor):
    """Row factory: dicts keyed by the GraphQL (camelCase) spelling of the column names."""
    names = [_camel(c.name) for c in cursor.description or ()]

    def make(values):
        return dict(zip(names, values))

    return make


@contextlib.asynccontextmanager
async def autocommit(conn: AsyncConnection) -> AsyncIterator[AsyncConnection]:
    """A pooled connection in autocommit mode for one statement (or one pipeline), back to the pool's mode after.
    A connection interrupted mid-statement (the server went away) is closed instead, so the original error travels
    on unmasked (the gate sees the outage) and the pool replaces the connection."""
    await conn.set_autocommit(True)
    try:
        yield conn
    finally:
        if not conn.closed and conn.pgconn.transaction_status == pq.TransactionStatus.IDLE:
            await conn.set_autocommit(False)
        else:
            await conn.close()


async def _read(ctx, sql: str, params, many: bool):
    """One read statement in the caller's tenant, in ONE round trip: on an autocommit connection in pipeline
    mode, the settings (set_config(..., true)) and the statement go out together and run in one implicit
    transaction, which ends at the sync that fetching the rows sends; no BEGIN, no COMMIT."""
    tenant_id = await require_tenant(ctx)
    user = await _acting_user(ctx)
    async with ctx.db.connection() as conn, autocommit(conn), conn.pipeline():
        await conn.execute("select set_config(%s, %s, true), set_config(%s, %s, true), "
                           "set_config('rustok.actor', 'api', true)",
                           (TENANT_SETTING, str(tenant_id), USER_SETTING, user))
        cur = conn.cursor(row_factory=camel_row)
        await cur.execute(sql, params)
        return await (cur.fetchall() if many else cur.fetchone())


async def fetch_one(ctx, sql: str, params: tuple | dict = ()) -> dict | None:
    """One row (a dict with camelCase keys) from one statement in the caller's tenant (one round trip)."""
    return await _read(ctx, sql, params, many=False)


async def fetch_all(ctx, sql: str, params: tuple | dict = ()) -> list[dict]:
    """All rows (dicts with camelCase keys) from one statement in the caller's tenant (one round trip)."""
    return await _read(ctx, sql, params, many=True)


async def scalar(conn: AsyncConnection, sql: str, params: tuple = ()) -> Any:
    """The first column of the first row (None when there is no row)."""
    cur = await conn.execute(sql, params)
    row = await cur.fetchone()
    return row[0] if row else None


async def one(conn: AsyncConnection, sql: str, params: tuple = ()) -> dict | None:
    """The first row as a dict with camelCase keys (None when there is no row)."""
    cur = conn.cursor(row_factory=camel_row)
    await cur.execute(sql, params)
    return await cur.fetchone()


@contextlib.asynccontextmanager
async def tenant_write(ctx, *, early_release: bool = False) -> AsyncIterator[tuple[AsyncConnection, dict]]:
    """A write transaction in the caller's tenant. Put fields of the result into the dict; `position` is
    added at the end (inside the transaction, after every event it wrote).

    early_release: for writes that queue on one hot row until commit (order placement: the tenant's display-number
    counter). The transaction commits with synchronous_commit off, so its row locks go at the commit record instead
    of after the WAL flush, and the next writer does not wait for this one's fsync; the flush is then awaited
    (FLUSHED_LSN) before the caller hears of the write, so nothing a client was told of can be lost in a crash, and
    concurrent writers share fsyncs. Other sessions may see the write a moment before it is on disk (as with a
    synchronous standby); anything they commit after seeing it is flushed after it. docs/commerce.md."""
    tenant_id = await require_tenant(ctx)
    result: dict = {}
    user = await _acting_user(ctx)
    async with ctx.db.connection() as conn:
        async with _tenant_transaction(conn, tenant_id, user, early_release):
            yield conn, result
            position = await scalar(conn, "select core.event_position()")
        # After the commit: a WAL position at or past the commit record, carried in the position so that a
        # read replica answers a read after it only once it has replayed the commit (rustok.replicas).
        result["position"] = stamp_position(position, await scalar(conn, FLUSHED_LSN if early_release else COMMIT_LSN))


@contextlib.asynccontextmanager
async def permission_write(ctx, permission: str) -> AsyncIterator[tuple[AsyncConnection, dict]]:
    """A write transaction for callers whose role holds `permission` (see tenant_write); the SQL API function
    it calls checks the same permission again."""
    await require_permission(ctx, permission)
    async with tenant_write(ctx) as (conn, result):
        yield conn, result
