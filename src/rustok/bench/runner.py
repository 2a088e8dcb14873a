"""What every scenario of `rustok bench` needs: connections as the right role, pgbench, the load average,
and one way to record a result (JSON + PNG, see report.py).

Roles: the API logs in as the migration owner and does `set role rustok_app` with the tenant set, so the
scenarios that measure API writes connect as the owner with the options `-c role=rustok_app -c
rustok.tenant_id=<tenant>` (libpq `options` / PGOPTIONS for pgbench). The worker and operators (projector,
reindex) run as the owner itself. A reference that needs `session_replication_role = replica` logs in as a
superuser (the embedded cluster's `postgres`, or --admin-url) with the same role options.
"""

from __future__ import annotations

import os
import platform
import re
import statistics
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import psycopg

from rustok.bench.generate import LoadResult, Size
from rustok.embedded import bin_path

APP_ROLE = "rustok_app"


def loadavg() -> list[float]:
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:  # pragma: no cover - not on Linux
        return []


def backend_cpu_ms(conn: psycopg.Connection) -> float | None:
    """CPU time (user + system, ms) the server process of this connection has used so far, read from
    /proc/<pid>/stat when the server runs on this machine; None when it cannot be read (a remote server)."""
    try:
        with open(f"/proc/{conn.info.backend_pid}/stat") as fh:
            fields = fh.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) * 1000 / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return None


def median(values: list[float]) -> float:
    return statistics.median(values) if values else 0.0


def percentile(values: list[float], p: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    k = min(len(ordered) - 1, max(0, round(p / 100 * (len(ordered) - 1))))
    return ordered[k]


@dataclass
class PgbenchRun:
    tps: float
    transactions: int
    failed: int
    latencies_ms: list[float]
    seconds: float


@dataclass
class Bench:
    url: str                      # the migration owner
    admin_url: str | None         # a superuser (replica sessions, checkpoints); None: not available
    tenant_id: uuid.UUID
    size: Size
    rounds: int
    seconds: float                # length of one measured run
    out: Path
    work: Path                    # scratch files (pgbench scripts and logs)
    load: LoadResult | None = None
    started: datetime = field(default_factory=lambda: datetime.now(timezone.utc))
    say: object = None            # callable(str) for progress on stderr

    # ---------------------------------------------------------------- connections

    def app_options(self, *, replica: bool = False) -> str:
        opts = f"-c role={APP_ROLE} -c rustok.tenant_id={self.tenant_id}"
        if replica:
            opts += " -c session_replication_role=replica"
        return opts

    def owner(self, **kw) -> psycopg.Connection:
        return psycopg.connect(self.url, autocommit=True, **kw)

    def app(self, *, replica: bool = False, login_admin: bool = False) -> psycopg.Connection:
        """A connection as the API runs: role rustok_app, tenant set. With replica, through the superuser login
        with session_replication_role = replica (every trigger off)."""
        url = self.admin_url if (replica or login_admin) else self.url
        if url is None:
            raise RuntimeError("a superuser URL is needed for session_replication_role")
        return psycopg.connect(url, autocommit=True, options=self.app_options(replica=replica))

    def checkpoint(self) -> None:
        if self.admin_url:
            with psycopg.connect(self.admin_url, autocommit=True) as conn:
                conn.execute("checkpoint")

    def discard_queue(self, consumer: str = "index") -> int:
        """Drop what a scenario left in a consumer's queue (not measured; the read rows stay as they are)."""
        with self.owner() as conn:
            deleted = conn.execute("delete from outbox.deliveries where consumer = %s", (consumer,)).rowcount
            if deleted > 10_000:
                conn.execute("vacuum (analyze) outbox.deliveries")
            return deleted

    def queued(self, consumer: str = "index") -> int:
        with self.owner() as conn:
            return conn.execute("select count(*) from outbox.deliveries where consumer = %s and state = 'pending'",
                                (consumer,)).fetchone()[0]

    # ---------------------------------------------------------------- pgbench

    def pgbench(self, name: str, script: str, *, clients: int, seconds: float | None = None, replica: bool = False,
                app_role: bool = True, login_admin: bool = False) -> PgbenchRun:
        """Run pgbench with one custom script (prepared statements, 2 threads), as rustok_app with the tenant set
        unless app_role is false. Returns tps (without connection time) and every transaction's latency."""
        seconds = seconds or self.seconds
        stamp = f"{name}-{time.monotonic_ns()}"
        path = self.work / f"{stamp}.sql"
        path.write_text(script)
        logdir = self.work / f"{stamp}-log"
        logdir.mkdir()
        url = self.admin_url if (replica or login_admin) else self.url
        env = dict(os.environ)
        env["PGOPTIONS"] = self.app_options(replica=replica) if app_role else (
            "-c session_replication_role=replica" if replica else "")
        threads = min(2, clients)
        cmd = [str(bin_path("pgbench")), "-n", "-M", "prepared", "-c", str(clients), "-j", str(threads),
               "-T", str(max(1, round(seconds))), "-l", f"--log-prefix={logdir}/tx", "-f", str(path), url]
        proc = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=logdir)
        if proc.returncode not in (0, 2):  # 2: some transactions failed (reported)
            raise RuntimeError(f"pgbench {name} failed ({proc.returncode}): {proc.stderr.strip()[-2000:]}")
        out = proc.stdout
        m = re.search(r"tps = ([0-9.]+) \(without initial connection time\)", out)
        if not m:
            raise RuntimeError(f"pgbench {name}: no tps in output: {out[-1000:]} {proc.stderr[-1000:]}")
        done = re.search(r"number of transactions actually processed: (\d+)", out)
        failed = re.search(r"number of failed transactions: (\d+)", out)
        lat: list[float] = []
        for f in sorted(logdir.glob("tx*")):
            for line in f.read_text().splitlines():
                parts = line.split()
                if len(parts) >= 3 and parts[2].isdigit():
                    lat.append(int(parts[2]) / 1000.0)
        for f in logdir.glob("tx*"):
            f.unlink()
        logdir.rmdir()
        return PgbenchRun(float(m.group(1)), int(done.group(1)) if done else len(lat),
                          int(failed.group(1)) if failed else 0, lat, seconds)

    # ---------------------------------------------------------------- facts about the run

    def machine(self) -> dict:
        with self.owner() as conn:
            version = conn.execute("show server_version").fetchone()[0]
            settings = dict(conn.execute(
                "select name, setting from pg_settings where name in ('shared_buffers', 'synchronous_commit', "
                "'max_connections', 'track_commit_timestamp', 'work_mem', 'fsync')").fetchall())
        return {
            "cores": os.cpu_count(),
            "postgres": version,
            "postgres_settings": settings,
            "platform": platform.platform(),
            "python": sys.version.split()[0],
            "hostname": platform.node(),
        }

    def size_facts(self) -> dict:
        s = self.size
        return {"name": s.name, "products": s.products, "content_nodes": s.content_nodes, "comments": s.comments,
                "orders": s.orders, "users": s.users}

    def log(self, message: str) -> None:
        if self.say:
            self.say(message)
