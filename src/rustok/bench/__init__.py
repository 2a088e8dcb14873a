"""`rustok bench`: a deterministic data generator and the benchmark scenarios of issue 11.

Every scenario reports its figure next to a reference measured in the same run (interleaved rounds), with
the date, the load average and the machine, into bench/results/<date>-<scenario>.json and a PNG chart.
"""

# The scenarios in the order they run (rustok.bench.scenarios.SCENARIOS maps each to its function).
SCENARIO_NAMES = ("import", "projector", "reindex", "event-path", "bulk-update", "orders", "lag", "read")
