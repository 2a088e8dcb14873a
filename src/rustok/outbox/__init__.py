"""The outbox module: domain events written by triggers, per-consumer queues, the projector worker.

SQL: sql/migrations/0030-0039 (schemas `outbox` and `ops`); operators' guide: docs/outbox.md.
"""

from rustok.outbox.worker import (  # noqa: F401
    CHANNEL,
    OutboxWorker,
    PeriodicJob,
    WorkerConfig,
    drain_once,
    register_periodic_job,
)
