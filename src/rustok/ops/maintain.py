"""The worker's upkeep job: `ops.maintain()` every 30 s (order and outbox partitions ahead, expired outbox
partitions dropped, scheduled content published when due, expired sessions purged). Each run is claimed
in outbox.periodic_jobs, so several worker processes run it once."""

from __future__ import annotations

import logging

import psycopg

from rustok.outbox.periodic import PeriodicJob

log = logging.getLogger("rustok.ops")

JOB_NAME = "ops.maintain"
EVERY_SECONDS = 30   # the granularity of scheduled publishing; a run with nothing to do costs a few ms
SQL_MAINTAIN = "select module, action, detail from ops.maintain()"


async def maintain(conn: psycopg.AsyncConnection) -> object:
    cur = await conn.execute(SQL_MAINTAIN)
    rows = await cur.fetchall()
    for module, action, detail in rows:
        log.info("maintain: %s %s: %s", module, action, detail)
    return rows


def job() -> PeriodicJob:
    return PeriodicJob(JOB_NAME, maintain, every=EVERY_SECONDS)
