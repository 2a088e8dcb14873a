"""Single-row commits/s at 8 clients: the whole event path on vs. triggers off, in one run.

Starts a throwaway embedded PostgreSQL 18 (like tests/conftest.py), migrates it, registers one
consumer (a no-op handler, so every event is fanned out into outbox.deliveries), and drives
pgbench with one INSERT INTO core.users per transaction (synchronous_commit on) in three modes,
interleaved over several rounds:

  off     the UserRegistered trigger disabled: no outbox row, no fan-out, no doorbell
  on      trigger on: outbox.events row + fan-out to outbox.deliveries + doorbell check
          (no worker running, so the doorbell flag stays cleared: the common busy case)
  worker  as "on", plus a `rustok worker` draining the queue and setting the idle flag whenever it
          catches up, so the doorbell really rings (and the worker competes for the 2 CPUs)

Usage: .venv/bin/python bench/outbox_commit_ratio.py [--seconds 10] [--rounds 3] [--clients 8]
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psycopg

from rustok import migrate
from rustok.embedded import EmbeddedCluster, bin_path, free_port

SCRIPT = """insert into core.users (tenant_id, email, password_hash) values ('{tenant}', gen_random_uuid()::text || '@b.io', 'x');
"""


def pgbench(url: str, script: Path, clients: int, seconds: int) -> float:
    out = subprocess.run(
        [str(bin_path("pgbench")), "-n", "-c", str(clients), "-j", "2", "-T", str(seconds), "-f", str(script), url],
        capture_output=True, text=True, check=True,
    ).stdout
    return float(re.search(r"tps = ([0-9.]+) \(without initial connection time\)", out).group(1))


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=int, default=10)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--clients", type=int, default=8)
    args = ap.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="rustok-bench-"))
    cluster = EmbeddedCluster(tmp, free_port())
    cluster.start()
    worker = None
    try:
        url = cluster.url()
        migrate.apply(url)
        with psycopg.connect(url, autocommit=True) as conn:
            version = conn.execute("show server_version").fetchone()[0]
            fsync = conn.execute("show synchronous_commit").fetchone()[0]
            tenant = conn.execute("insert into core.tenants (name, slug) values ('Bench', 'bench') returning id").fetchone()[0]
            conn.execute("create schema bench")
            conn.execute("create function bench.noop(p_events outbox.events[]) returns void language sql as $$ select $$")
            conn.execute("select outbox.register_consumer('bench', 'bench.noop(outbox.events[])')")
        script = tmp / "insert_user.sql"
        script.write_text(SCRIPT.format(tenant=tenant))

        def set_trigger(on: bool) -> None:
            with psycopg.connect(url, autocommit=True) as conn:
                conn.execute(f"alter table core.users {'enable' if on else 'disable'} trigger _900_user_registered")
            with psycopg.connect(cluster.url("postgres"), autocommit=True) as conn:
                conn.execute("checkpoint")

        results: dict[str, list[float]] = {"off": [], "on": [], "worker": []}
        for rnd in range(args.rounds):
            for mode in ("off", "on", "worker"):
                set_trigger(mode != "off")
                if mode == "worker":
                    env = dict(os.environ, DATABASE_URL=url)
                    worker = subprocess.Popen([sys.executable, "-m", "rustok.cli", "worker", "--workers", "1",
                                               "--no-periodic"], env=env, stdout=subprocess.DEVNULL,
                                              stderr=subprocess.DEVNULL)
                    time.sleep(2)
                tps = pgbench(url, script, args.clients, args.seconds)
                if worker is not None:
                    worker.terminate()
                    worker.wait(60)
                    worker = None
                results[mode].append(tps)
                print(f"round {rnd + 1} {mode:6s} {tps:9.0f} commits/s", flush=True)
        with psycopg.connect(url, autocommit=True) as conn:
            events = conn.execute("select count(*) from outbox.events").fetchone()[0]
            queued = conn.execute("select count(*) from outbox.deliveries").fetchone()[0]
        med = {k: statistics.median(v) for k, v in results.items()}
        print(f"\nPostgreSQL {version}, synchronous_commit={fsync}, {args.clients} clients, "
              f"{args.rounds} rounds x {args.seconds}s per mode")
        print(f"median commits/s: off {med['off']:.0f}, on {med['on']:.0f}, on+worker {med['worker']:.0f}")
        print(f"ratio on/off {med['on'] / med['off']:.2f}; on+worker/off {med['worker'] / med['off']:.2f} (goal >= 0.7)")
        print(f"events written {events}, deliveries still queued {queued}")
        return 0
    finally:
        if worker is not None:
            worker.kill()
        cluster.stop()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
