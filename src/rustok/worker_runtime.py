"""Wiring of the background worker: which periodic jobs it runs, and the worker inside `rustok up`.

`periodic_jobs(settings)` is the one list of periodic jobs, built from settings; `rustok worker`
(rustok.outbox.cli) and `rustok up` (start_background_workers) both pass it to OutboxWorker. Modules
only define their jobs (rustok.ops.maintain, rustok.index.schedule); nothing
registers itself on import.
"""

from __future__ import annotations

import asyncio
import logging

from rustok.config import Settings
from rustok.errors import ConfigError
from rustok.index import schedule as index_schedule
from rustok.ops import maintain as ops_maintain
from rustok.outbox.periodic import PeriodicJob

log = logging.getLogger(__name__)


def periodic_jobs(settings: Settings) -> list[PeriodicJob]:
    """The periodic jobs of a worker process: every module's upkeep (ops.maintain(), every 30 s) and,
    unless off, the daily full reindex at settings.index_full_reindex_at.

    A bad reindex time is logged as a warning and leaves the reindex off; the other jobs still run.
    """
    jobs = [ops_maintain.job()]
    try:
        reindex = index_schedule.job(settings)
    except ConfigError as exc:
        log.warning("%s; the scheduled full reindex is off", exc)
        reindex = None
    if reindex is not None:
        jobs.append(reindex)
    return jobs


async def start_background_workers(url: str, settings: Settings, stop: asyncio.Event) -> list[asyncio.Task]:
    """Start the in-process workers; return their tasks (they end when `stop` is set).

    With index_realtime_sync off, no event processing runs here (only periodic jobs such as partition
    upkeep and the scheduled full reindex); run `rustok worker` separately or drain from psql.
    """
    from rustok.outbox.worker import OutboxWorker, WorkerConfig

    config = WorkerConfig.from_settings(settings)
    if not settings.index_realtime_sync:
        config.workers = 0
        log.info("index_realtime_sync is off: the in-process worker runs periodic jobs only")
    from rustok.mail import Mailer, MailSettings

    worker = OutboxWorker(url, config, periodic_jobs=periodic_jobs(settings),
                          mailer=Mailer(MailSettings.from_settings(settings)))
    return [asyncio.create_task(worker.run(stop), name="rustok-outbox-worker")]
