"""The outbox module: domain events written by triggers, per-consumer queues, the projector worker.

SQL: sql/code/outbox/ (schemas `outbox` and `ops`); operators' guide: docs/outbox.md.
Python: worker.py (the worker loop), periodic.py (the periodic-job scheduler), reconnect.py (the one
reconnect loop every connection uses), cli.py (`rustok worker`). Upkeep: rustok.ops.maintain.
"""

from rustok.outbox.periodic import PeriodicJob  # noqa: F401
from rustok.outbox.worker import CHANNEL, OutboxWorker, WorkerConfig, drain_once  # noqa: F401
