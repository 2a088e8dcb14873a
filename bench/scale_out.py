"""Scale-out figures (issue 16.6), on a throwaway primary + streaming replica of our own:

1. read requests/s with 1 API process vs 3 (`rustok serve --workers N`), a 20-product storefront page,
   interleaved rounds, the load generator in this process (it shares the same cores: say so when quoting);
2. replica lag under a GraphQL write load (createProduct through the API), sampled every 50 ms as bytes
   behind (primary's pg_current_wal_lsn - replica's pg_last_wal_replay_lsn) and pg_stat_replication.replay_lag;
3. the time a read with X-Read-After waits for the replica (p50/p99, from the router's own clock), and how
   often it fell back to the primary.

    .venv/bin/python bench/scale_out.py [--seconds 10] [--rounds 2] [--products 200]

Writes bench/results/<date>-scale-out.json and prints the figures as Markdown (docs/scaling.md quotes them).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import platform
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

import httpx
import psycopg
import uvicorn

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from rustok import migrate  # noqa: E402
from rustok.app import create_app  # noqa: E402
from rustok.auth import hash_password  # noqa: E402
from rustok.config import Settings  # noqa: E402
from rustok.embedded import SUPERUSER, EmbeddedCluster, free_port, port_in_use, replica_for  # noqa: E402
from rustok.httpserver import http_protocol  # noqa: E402

PAGE = {"query": '{ products(first: 20, currency: "EUR") { totalCount nodes { title handle '
                  'priceRange { min { amount currencyCode } max { amount currencyCode } } } } }'}
CREATE = """mutation($input: CreateProductInput!) { createProduct(input: $input) { position } }"""


def percentile(values, q):
    values = sorted(values)
    if not values:
        return None
    return values[min(len(values) - 1, int(round(q * (len(values) - 1))))]


def wait(predicate, timeout=60.0, what="condition"):
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise RuntimeError(f"timed out waiting for {what}")
        time.sleep(0.1)


def seed(url: str, slug: str, products: int) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("insert into core.tenants (name, slug) values ('Bench', %s)", (slug,))
        conn.execute("insert into core.users (tenant_id, email, password_hash, display_name, role) values "
                     "(core.tenant_id_by_slug(%s), 'staff@example.com', %s, 'Staff', 'admin')",
                     (slug, hash_password("password123")))
        with conn.transaction():
            conn.execute("select core.set_tenant(core.tenant_id_by_slug(%s))", (slug,))
            conn.execute("""select commerce.create_product(jsonb_build_object(
                'title', 'Bench product ' || i, 'handle', 'bench-' || i, 'status', 'published',
                'variants', jsonb_build_array(jsonb_build_object('sku', 'B-' || i, 'stock', 10,
                    'prices', jsonb_build_array(jsonb_build_object('amount', 1000 + i, 'currencyCode', 'EUR'))))))
                from generate_series(1, %s) i""", (products,))
        conn.execute("select * from outbox.drain('index')")


async def read_load(base: str, slug: str, seconds: float, clients: int = 16) -> dict:
    done, errors = 0, 0
    deadline = time.monotonic() + seconds

    async def client():
        nonlocal done, errors
        async with httpx.AsyncClient(base_url=base, timeout=30) as http:
            while time.monotonic() < deadline:
                resp = await http.post("/graphql", json=PAGE, headers={"X-Tenant": slug})
                if resp.status_code == 200 and not resp.json().get("errors"):
                    done += 1
                else:
                    errors += 1

    started = time.monotonic()
    await asyncio.gather(*(client() for _ in range(clients)))
    return {"requests_per_s": done / (time.monotonic() - started), "errors": errors}


def serve(url: str, processes: int, port: int, log) -> subprocess.Popen:
    env = {**os.environ, "DATABASE_URL": url, "RUSTOK_DB_POOL_SIZE": "8"}
    env.pop("DATABASE_REPLICA_URLS", None)
    proc = subprocess.Popen([sys.executable, "-m", "rustok.cli", "serve", "--workers", str(processes), "--port",
                             str(port)], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)

    def ready():
        try:
            return httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=2).status_code == 200
        except httpx.HTTPError:
            return False

    wait(ready, 90, "the API")
    return proc


def stop(proc: subprocess.Popen) -> None:
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(30)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)


async def replica_figures(primary, replica, slug: str, seconds: float) -> dict:
    settings = Settings(database_url=primary.url(), replica_urls=(replica.url(),), replica_check_interval=0.2,
                        replica_max_lag=30.0, replica_wait=1.0)
    app = create_app(primary.url(), settings=settings)
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None, access_log=False,
                                           lifespan="on", http=http_protocol()))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    wait(lambda: server.started, 30, "uvicorn")
    router = app.state.router
    await router.wait_checked()
    base = f"http://127.0.0.1:{port}"
    lag_bytes, lag_seconds = [], []
    stop_sampling = threading.Event()

    def sample():
        with psycopg.connect(primary.url(SUPERUSER, "postgres"), autocommit=True) as p, \
                psycopg.connect(replica.url(SUPERUSER, "postgres"), autocommit=True) as r:
            while not stop_sampling.is_set():
                replay = r.execute("select pg_last_wal_replay_lsn()").fetchone()[0]
                behind, lag = p.execute("select pg_wal_lsn_diff(pg_current_wal_lsn(), %s)::bigint, "
                                        "extract(epoch from (select replay_lag from pg_stat_replication limit 1))",
                                        (replay,)).fetchone()
                lag_bytes.append(max(0, behind))
                if lag is not None:
                    lag_seconds.append(float(lag))
                stop_sampling.wait(0.05)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    writes = 0
    deadline = time.monotonic() + seconds
    async with httpx.AsyncClient(base_url=base, timeout=30) as http:
        token = (await http.post("/graphql", headers={"X-Tenant": slug}, json={
            "query": 'mutation { login(email: "staff@example.com", password: "password123") { token } }'})
                 ).json()["data"]["login"]["token"]
        headers = {"X-Tenant": slug, "Authorization": f"Bearer {token}"}

        async def writer():
            nonlocal writes
            async with httpx.AsyncClient(base_url=base, timeout=30) as client:
                while time.monotonic() < deadline:
                    handle = f"w-{uuid.uuid4().hex[:10]}"
                    resp = await client.post("/graphql", headers=headers, json={"query": CREATE, "variables": {
                        "input": {"title": handle, "handle": handle, "variants": [
                            {"sku": handle, "stock": 1, "prices": [{"amount": 500, "currencyCode": "EUR"}]}]}}})
                    position = resp.json()["data"]["createProduct"]["position"]
                    await client.post("/graphql", json={"query": "{ tenant { name } }"},
                                      headers={**headers, "X-Read-After": position})
                    writes += 1

        await asyncio.gather(*(writer() for _ in range(4)))
    stop_sampling.set()
    sampler.join(5)
    server.should_exit = True
    thread.join(30)
    waits = [w * 1000 for w in router.stats.position_waits]
    return {
        "writes_per_s": writes / seconds,
        "lag_bytes": {"p50": percentile(lag_bytes, 0.5), "p99": percentile(lag_bytes, 0.99), "max": max(lag_bytes)},
        "replay_lag_ms": {"p50": percentile(lag_seconds, 0.5) and percentile(lag_seconds, 0.5) * 1000,
                          "p99": percentile(lag_seconds, 0.99) and percentile(lag_seconds, 0.99) * 1000,
                          "samples": len(lag_seconds)},
        "read_after_wait_ms": {"p50": percentile(waits, 0.5), "p99": percentile(waits, 0.99), "max": max(waits or [0]),
                               "served_by_replica": len(waits), "fell_back_to_primary": router.stats.position_fallbacks},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--products", type=int, default=200)
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="rustok-scale-bench-"))
    port = free_port()
    while port_in_use(port + 1):
        port = free_port()
    primary = EmbeddedCluster(tmp, port)
    primary.start()
    replica = replica_for(primary, 1)
    result: dict = {"date": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
                    "machine": f"{platform.machine()} {os.cpu_count()} cpus", "loadavg_before": os.getloadavg()}
    try:
        migrate.apply(primary.url())
        replica.start()
        slug = "bench"
        seed(primary.url(), slug, args.products)
        reads: dict[int, list[float]] = {1: [], 3: []}
        with open(tmp / "serve.log", "w") as log:
            for _ in range(args.rounds):
                for processes in (1, 3):
                    http_port = free_port()
                    proc = serve(primary.url(), processes, http_port, log)
                    try:
                        asyncio.run(read_load(f"http://127.0.0.1:{http_port}", slug, 2.0))  # warm up
                        figure = asyncio.run(read_load(f"http://127.0.0.1:{http_port}", slug, args.seconds))
                    finally:
                        stop(proc)
                    reads[processes].append(figure["requests_per_s"])
        result["reads"] = {f"{n}_process": {"rounds": v, "median": statistics.median(v)} for n, v in reads.items()}
        result["reads"]["ratio_3_to_1"] = statistics.median(reads[3]) / statistics.median(reads[1])
        result["replica"] = asyncio.run(replica_figures(primary, replica, slug, args.seconds))
        result["loadavg_after"] = os.getloadavg()
    finally:
        replica.stop()
        primary.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    out = ROOT / "bench" / "results" / f"{dt.date.today().isoformat()}-scale-out.json"
    out.write_text(json.dumps(result, indent=2) + "\n")
    r = result["replica"]
    print(json.dumps(result, indent=2))
    print(f"\n| figure | value |\n|---|---|\n"
          f"| reads/s, 1 API process | {result['reads']['1_process']['median']:.0f} |\n"
          f"| reads/s, 3 API processes | {result['reads']['3_process']['median']:.0f} "
          f"(x{result['reads']['ratio_3_to_1']:.2f}) |\n"
          f"| writes/s during the lag run | {r['writes_per_s']:.0f} |\n"
          f"| replica behind, bytes p50 / p99 / max | {r['lag_bytes']['p50']} / {r['lag_bytes']['p99']} / "
          f"{r['lag_bytes']['max']} |\n"
          f"| read-after wait on the replica, ms p50 / p99 | {r['read_after_wait_ms']['p50']} / "
          f"{r['read_after_wait_ms']['p99']} ({r['read_after_wait_ms']['served_by_replica']} served, "
          f"{r['read_after_wait_ms']['fell_back_to_primary']} fell back) |\n"
          f"written to {out}")


if __name__ == "__main__":
    main()
