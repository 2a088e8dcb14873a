"""The scenarios of `rustok bench`, one per row of issue 11's table, in the order they run.

Each is a function (bench) -> report.Result. The order matters: `import` is the generator's load, `projector`
drains the backlog that load left, `reindex` rebuilds the products it did not reach; the write scenarios after
them discard what they queue so that `lag` starts with an empty queue.
"""

from __future__ import annotations

from rustok.bench import SCENARIO_NAMES
from rustok.bench.scenarios import lag, load, orders, projector, read, writes

SCENARIOS = {
    "import": load.run,
    "projector": projector.run_projector,
    "reindex": projector.run_reindex,
    "event-path": writes.run_event_path,
    "bulk-update": writes.run_bulk_update,
    "orders": orders.run,
    "lag": lag.run,
    "read": read.run,
}
assert tuple(SCENARIOS) == SCENARIO_NAMES
