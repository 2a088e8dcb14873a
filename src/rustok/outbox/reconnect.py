"""The one reconnect loop of the outbox worker: every long-lived connection (the LISTEN connection, each
work slot, the periodic-job scheduler) runs its body through `with_reconnect`.

A lost connection (database restart, `pg_terminate_backend`, network) raises psycopg.OperationalError
out of the body; the helper logs it, waits (capped exponential backoff, cut short by `stop`), opens a
fresh connection and runs the body again. Any other exception propagates: it is a bug, not an outage.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Awaitable, Callable

import psycopg

log = logging.getLogger("rustok.outbox.worker")

INITIAL_BACKOFF = 0.5

Body = Callable[[psycopg.AsyncConnection], Awaitable[object]]


async def connect(url: str, role: str) -> psycopg.AsyncConnection:
    """An autocommit connection named `rustok-outbox-<role>` in pg_stat_activity."""
    conn = await psycopg.AsyncConnection.connect(
        url, autocommit=True, connect_timeout=10, application_name=f"rustok-outbox-{role}")
    # A killed worker's backend notices the lost client within a second and rolls back its batch.
    await conn.execute("set client_connection_check_interval = '1s'")
    return conn


async def with_reconnect(url: str, role: str, body: Body, *, what: str, stop: asyncio.Event,
                         max_backoff: float = 10.0, on_lost: Callable[[], None] | None = None) -> None:
    """Run `body(conn)` on a fresh connection until it returns or `stop` is set.

    On psycopg.OperationalError (from connecting or from the body) the connection is dropped, the loss
    logged as a warning naming `what`, `on_lost` called, and after a backoff (0.5 s doubling up to
    `max_backoff`, reset by every successful connect) a new connection is opened; each reconnect is
    logged. Returns when the body returns, or quietly when the connection is lost after `stop` was set.
    """
    backoff = INITIAL_BACKOFF
    lost = False
    while not stop.is_set():
        try:
            async with await connect(url, role) as conn:
                if lost:
                    log.info("%s: reconnected", what)
                    lost = False
                backoff = INITIAL_BACKOFF
                await body(conn)
            return
        except psycopg.OperationalError as exc:
            if stop.is_set():
                return
            lost = True
            log.warning("%s: connection lost (%s); reconnecting in %.1fs", what, first_line(exc), backoff)
            if on_lost is not None:
                on_lost()
            await sleep_until(stop, backoff)
            backoff = min(backoff * 2, max_backoff)


async def sleep_until(stop: asyncio.Event, seconds: float, bell: asyncio.Event | None = None) -> None:
    """Sleep `seconds`, or less when `stop` (or `bell`) is set meanwhile."""
    waits = [asyncio.ensure_future(stop.wait())]
    if bell is not None:
        waits.append(asyncio.ensure_future(bell.wait()))
    try:
        await asyncio.wait(waits, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for w in waits:
            w.cancel()


def first_line(exc: BaseException) -> str:
    """The first line of an exception's message (psycopg messages carry DETAIL/HINT lines after it)."""
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
