"""Scheduled publishing: pages and posts scheduled for a moment get published by a periodic job of the
outbox worker (every 30 s), which calls content.publish_due()."""

from __future__ import annotations

import logging

import psycopg

from rustok.outbox.periodic import PeriodicJob

log = logging.getLogger("rustok.content")

JOB_NAME = "content.publish_due"
EVERY_SECONDS = 30


async def publish_due(conn: psycopg.AsyncConnection) -> object:
    """Scheduled pages and posts whose moment has come get published (content.publish_due)."""
    cur = await conn.execute("select tenant_id, kind, slug from content.publish_due()")
    rows = await cur.fetchall()
    for tenant_id, kind, slug in rows:
        log.info("content: published scheduled %s %s (tenant %s)", kind, slug, tenant_id)
    return rows


def job() -> PeriodicJob:
    return PeriodicJob(JOB_NAME, publish_due, every=EVERY_SECONDS)
