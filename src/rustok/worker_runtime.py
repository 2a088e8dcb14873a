"""Background workers run inside `rustok up`: the outbox worker (projector) and its periodic jobs."""

from __future__ import annotations

import asyncio
import logging

from rustok.config import Settings

log = logging.getLogger(__name__)


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
    worker = OutboxWorker(url, config)
    return [asyncio.create_task(worker.run(stop), name="rustok-outbox-worker")]
