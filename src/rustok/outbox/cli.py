"""`rustok worker`: run the outbox projector worker (NOTIFY doorbell + polling fallback)."""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys

from rustok.config import Settings

log = logging.getLogger("rustok.outbox")


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "worker",
        help="run the outbox worker: process every enabled consumer's queue (LISTEN rustok_outbox + poll)",
    )
    p.add_argument("--workers", type=int, help="parallel work slots (default RUSTOK_INDEX_WORKERS, else one per CPU up to 4)")
    p.add_argument("--batch-size", type=int, help="max events per batch (default RUSTOK_INDEX_BATCH_SIZE or 100)")
    p.add_argument("--poll-interval", type=float,
                   help="fallback poll in seconds when no NOTIFY arrives (default RUSTOK_OUTBOX_POLL_INTERVAL or 1)")
    p.add_argument("--consumer", action="append", dest="consumers", metavar="NAME",
                   help="only this consumer (repeatable; default every enabled consumer)")
    p.add_argument("--once", action="store_true", help="drain what is available now, then exit")
    p.add_argument("--no-listen", action="store_true", help="do not LISTEN; poll only")
    p.add_argument("--no-periodic", action="store_true", help="do not run periodic jobs (partition upkeep, ...)")
    p.add_argument("--shutdown-timeout", type=float,
                   help="seconds to let running batches finish on SIGINT/SIGTERM before cancelling them (default 30)")
    p.set_defaults(func=cmd_worker)


def cmd_worker(args: argparse.Namespace, settings: Settings) -> int:
    from rustok import db
    from rustok.outbox.worker import OutboxWorker, WorkerConfig
    from rustok.worker_runtime import periodic_jobs

    url = db.database_url(settings)
    db.connect(url).close()  # one clear line when the database is unreachable
    config = WorkerConfig.from_settings(
        settings,
        workers=args.workers,
        batch_size=args.batch_size,
        poll_interval=args.poll_interval,
        consumers=tuple(args.consumers) if args.consumers else None,
        once=args.once or None,
        listen=False if args.no_listen else None,
        periodic=False if args.no_periodic else None,
        shutdown_timeout=args.shutdown_timeout,
    )

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, _on_signal, stop, sig)
        from rustok.mail import Mailer, MailSettings

        worker = OutboxWorker(url, config, periodic_jobs=periodic_jobs(settings) if config.periodic and not config.once else [],
                              mailer=Mailer(MailSettings.from_settings(settings)))
        stats = await worker.run(stop)
        print(f"outbox worker done: {stats.batches} batches, {stats.succeeded} events processed, "
              f"{stats.failed} failed ({stats.dead} dead)", file=sys.stderr)

    asyncio.run(main())
    return 0


def _on_signal(stop: asyncio.Event, sig: signal.Signals) -> None:
    log.info("received %s: finishing running batches, then stopping", signal.Signals(sig).name)
    stop.set()
