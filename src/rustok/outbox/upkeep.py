"""The outbox's own periodic job: partition upkeep (outbox.maintain(), hourly)."""

from __future__ import annotations

import logging

import psycopg

from rustok.outbox.periodic import PeriodicJob

log = logging.getLogger("rustok.outbox.worker")

JOB_NAME = "outbox.maintain"
EVERY_SECONDS = 3600


async def maintain_partitions(conn: psycopg.AsyncConnection) -> object:
    """Create the coming event partitions and purge the drained old ones (outbox.maintain)."""
    cur = await conn.execute("select partition, action, detail from outbox.maintain()")
    rows = await cur.fetchall()
    for partition, action, detail in rows:
        log.info("outbox partitions: %s %s (%s)", action, partition, detail)
    return rows


def job() -> PeriodicJob:
    return PeriodicJob(JOB_NAME, maintain_partitions, every=EVERY_SECONDS)
