"""The scheduled full reindex (manifest IndexConfig.reindex_schedule, default daily 03:00).

Runs as a periodic job of the outbox worker (`rustok worker`, and the worker inside `rustok up`):
rustok.worker_runtime.periodic_jobs(settings) puts `job(settings)` in the list it hands the worker;
each due run is claimed in outbox.periodic_jobs, so with several worker processes it runs once per day.
Settings.index_full_reindex_at (RUSTOK_INDEX_FULL_REINDEX_AT): "HH:MM" local time, or "off".
"""

from __future__ import annotations

import logging

import psycopg

from rustok.config import Settings
from rustok.errors import ConfigError
from rustok.outbox.periodic import PeriodicJob

log = logging.getLogger("rustok.index")

JOB_NAME = "index.full_reindex"

SQL_TENANTS = "select id, slug from core.tenants where is_active order by slug"
SQL_REINDEX = "select total, succeeded, failed, seconds, failed_ids from index.reindex_tenant(%s)"


def parse_reindex_at(value: str | None) -> str | None:
    """The HH:MM time of the daily reindex, or None when it is off. ConfigError on anything else."""
    raw = (value or "").strip()
    if raw.lower() in ("off", "none", "disabled", "false", "0"):
        return None
    try:
        hour_s, minute_s = raw.split(":")
        hour, minute = int(hour_s), int(minute_s)
    except ValueError:
        hour = minute = -1
    if not (0 <= hour < 24 and 0 <= minute < 60):
        raise ConfigError(f"RUSTOK_INDEX_FULL_REINDEX_AT must be HH:MM (24h) or off (got {value!r})")
    return f"{hour:02d}:{minute:02d}"


async def full_reindex(conn: psycopg.AsyncConnection) -> list[dict]:
    """Reindex every active tenant (one transaction per tenant); return and log each tenant's statistics."""
    cur = await conn.execute(SQL_TENANTS)
    results = []
    for tenant_id, slug in await cur.fetchall():
        cur = await conn.execute(SQL_REINDEX, (tenant_id,))
        total, succeeded, failed, seconds, failed_ids = await cur.fetchone()
        results.append({"tenant": slug, "total": total, "succeeded": succeeded, "failed": failed,
                        "seconds": float(seconds), "failed_ids": failed_ids})
        level = logging.WARNING if failed else logging.INFO
        log.log(level, "index full reindex of %s: %s rows, %s ok, %s failed in %ss%s", slug, total, succeeded,
                failed, seconds, f" (failed: {', '.join(map(str, failed_ids[:10]))})" if failed else "")
    return results


def job(settings: Settings) -> PeriodicJob | None:
    """The PeriodicJob for the worker, or None when the scheduled reindex is off. ConfigError on a bad setting."""
    at = parse_reindex_at(settings.index_full_reindex_at)
    if at is None:
        return None
    return PeriodicJob(JOB_NAME, full_reindex, daily_at=at)
