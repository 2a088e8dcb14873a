"""Many processes on one database (issue 16.3): `rustok serve --workers 3` and three `rustok worker` processes,
real subprocesses, under a GraphQL write + read load and plain SQL writes for a bounded time
(RUSTOK_SCALE_SECONDS, default 20).

Checked afterwards: no request failed; no event was processed by two transactions at once (the recording
consumer of tests/outbox/helpers takes an advisory lock per event and records any overlap); nothing was
lost (every event has a committed effect of the recording consumer, no delivery pending or dead);
`index.verify` is clean; and no process ever held more database connections than its budget
(rustok.cli.api_connection_budget / worker_connection_budget), counted from the processes' own sockets.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections import defaultdict
from urllib.parse import urlsplit

import httpx
import psutil
import psycopg

from rustok.auth import hash_password
from rustok.cli import api_connection_budget, worker_connection_budget
from rustok.config import Settings
from rustok.embedded import free_port
from tests.outbox.helpers import ROOT, add_consumer, install_handlers, wait_for

SECONDS = float(os.environ.get("RUSTOK_SCALE_SECONDS", "20"))
API_PROCESSES, WORKERS, POOL, SLOTS = 3, 3, 3, 2
RUSTOK = [sys.executable, "-m", "rustok.cli"]

CREATE = """mutation($input: CreateProductInput!) { createProduct(input: $input) { position product { id } } }"""
UPDATE = """mutation($id: ID!, $t: String!) { updateProduct(id: $id, input: {title: $t}) { position } }"""
SEARCH = """{ products(search: "soak", currency: "EUR", first: 5) { totalCount nodes { title } } }"""


def _start(args: list[str], env: dict, log) -> subprocess.Popen:
    return subprocess.Popen(RUSTOK + args, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                            start_new_session=True)


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(10)


def _db_connections(pid: int, port: int) -> int:
    try:
        return sum(1 for c in psutil.Process(pid).net_connections(kind="tcp")
                   if c.raddr and c.raddr.port == port and c.status == psutil.CONN_ESTABLISHED)
    except (psutil.NoSuchProcess, psutil.AccessDenied):
        return 0


class ConnectionSampler(threading.Thread):
    """Samples every process's established connections to the database port; keeps each one's maximum."""

    def __init__(self, api: subprocess.Popen, workers: list[subprocess.Popen], port: int):
        super().__init__(daemon=True)
        self.api, self.workers, self.port = api, workers, port
        self.api_max: dict[int, int] = defaultdict(int)     # API child pid -> most connections seen
        self.worker_max: dict[int, int] = defaultdict(int)
        self.parent_max = 0
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.is_set():
            self.sample()
            self.stop.wait(0.2)

    def sample(self) -> None:
        try:
            children = psutil.Process(self.api.pid).children(recursive=True)
        except psutil.NoSuchProcess:
            children = []
        for child in children:
            self.api_max[child.pid] = max(self.api_max[child.pid], _db_connections(child.pid, self.port))
        self.parent_max = max(self.parent_max, _db_connections(self.api.pid, self.port))
        for proc in self.workers:
            self.worker_max[proc.pid] = max(self.worker_max[proc.pid], _db_connections(proc.pid, self.port))


async def _load(base: str, slug: str, token: str, deadline: float, counts: dict, failures: list) -> None:
    created: list[str] = []

    async def post(http, query, variables=None, auth=False):
        headers = {"X-Tenant": slug}
        if auth:
            headers["Authorization"] = f"Bearer {token}"
        resp = await http.post("/graphql", json={"query": query, "variables": variables or {}}, headers=headers)
        body = resp.json() if resp.headers.get("content-type", "").startswith("application/") else {}
        if resp.status_code != 200 or body.get("errors"):
            failures.append(f"{resp.status_code} {resp.text[:300]}")
            return None
        return body["data"]

    async def writer(n: int):
        async with httpx.AsyncClient(base_url=base, timeout=30) as http:
            while time.monotonic() < deadline:
                handle = f"soak-{n}-{uuid.uuid4().hex[:8]}"
                data = await post(http, CREATE, {"input": {"title": f"Soak {handle}", "handle": handle,
                                                           "status": "published", "variants": [
                    {"sku": handle, "stock": 5, "prices": [{"amount": 1999, "currencyCode": "EUR"}]}]}}, auth=True)
                counts["writes"] += 1
                if data:
                    created.append(data["createProduct"]["product"]["id"])
                if len(created) > 3:
                    await post(http, UPDATE, {"id": created[-3], "t": f"Soak updated {n}"}, auth=True)
                    counts["writes"] += 1

    async def reader():
        async with httpx.AsyncClient(base_url=base, timeout=30) as http:
            while time.monotonic() < deadline:
                await post(http, SEARCH)
                await post(http, "{ tenant { name } }")
                counts["reads"] += 2

    await asyncio.gather(*(writer(n) for n in range(2)), *(reader() for _ in range(4)))


async def test_three_api_processes_and_three_workers_under_load(fresh_db, tmp_path):
    url = fresh_db
    db_port = urlsplit(url).port
    slug = f"soak-{uuid.uuid4().hex[:6]}"
    with psycopg.connect(url, autocommit=True) as owner:
        install_handlers(owner)
        add_consumer(owner, "a", batch_size=20)
        owner.execute("update outbox_test.knobs set sleep = 0.002")
        tenant_id = owner.execute("insert into core.tenants (name, slug) values ('Soak', %s) returning id",
                                  (slug,)).fetchone()[0]
        owner.execute("insert into core.users (tenant_id, email, password_hash, display_name, role) "
                      "values (%s, 'staff@example.com', %s, 'Staff', 'admin')", (tenant_id, hash_password("password123")))

    http_port = free_port()
    env = {**os.environ, "DATABASE_URL": url, "RUSTOK_DB_POOL_SIZE": str(POOL), "RUSTOK_INDEX_WORKERS": str(SLOTS),
           "RUSTOK_INDEX_FULL_REINDEX_AT": "off", "RUSTOK_LOGIN_ADDRESS_LIMIT": "1000", "PYTHONUNBUFFERED": "1"}
    env.pop("DATABASE_REPLICA_URLS", None)
    settings = Settings(db_pool_size=POOL, index_workers=SLOTS)
    log_path = tmp_path / "processes.log"
    with open(log_path, "w") as log:
        api = _start(["serve", "--workers", str(API_PROCESSES), "--port", str(http_port)], env, log)
        workers = [_start(["worker", "--poll-interval", "0.5"], env, log) for _ in range(WORKERS)]
        sampler = ConnectionSampler(api, workers, db_port)
        failures: list[str] = []
        counts = {"reads": 0, "writes": 0}
        try:
            base = f"http://127.0.0.1:{http_port}"

            def ready() -> bool:
                assert api.poll() is None, f"rustok serve exited: {log_path.read_text()[-2000:]}"
                try:
                    return httpx.get(base + "/readyz", timeout=2).status_code == 200
                except httpx.HTTPError:
                    return False

            await asyncio.to_thread(wait_for, ready, 90, 0.2, "the API ready")
            # every API process up (each opens its pool: at least one connection)
            await asyncio.to_thread(wait_for, lambda: (sampler.sample() or True) and sum(
                1 for n in sampler.api_max.values() if n > 0) == API_PROCESSES, 60, 0.2, "three API processes")
            sampler.start()
            async with httpx.AsyncClient(base_url=base, timeout=30) as http:
                resp = await http.post("/graphql", headers={"X-Tenant": slug}, json={
                    "query": 'mutation { login(email: "staff@example.com", password: "password123") { token } }'})
                token = resp.json()["data"]["login"]["token"]

            async def sql_writer(deadline: float) -> None:
                # an analyst's / operator's bulk UPDATE in psql: reaches the read model through the same outbox
                async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
                    while time.monotonic() < deadline:
                        await conn.execute("update commerce.products set subtitle = 'bulk ' || now()::text "
                                           "where tenant_id = %s and random() < 0.2", (tenant_id,))
                        counts["sql"] = counts.get("sql", 0) + 1
                        await asyncio.sleep(0.5)

            deadline = time.monotonic() + SECONDS
            await asyncio.gather(_load(base, slug, token, deadline, counts, failures), sql_writer(deadline))

            with psycopg.connect(url, autocommit=True) as owner:
                def drained() -> bool:
                    return owner.execute("select count(*) from outbox.deliveries where state = 'pending'").fetchone()[0] == 0

                await asyncio.to_thread(wait_for, drained, 120, 0.2, "every queue drained by the three workers")
                sampler.stop.set()
                sampler.join(5)
                events = owner.execute("select count(*) from outbox.events").fetchone()[0]
                lost = owner.execute("select count(*) from outbox.events e where not exists ("
                                     "select from outbox_test.effects f where f.consumer = 'a' and f.event_id = e.id)"
                                     ).fetchone()[0]
                replayed = owner.execute("select count(*) from outbox_test.effects where n > 1").fetchone()[0]
                overlaps = owner.execute("select count(*) from outbox_test.overlaps").fetchone()[0]
                dead = owner.execute("select count(*) from outbox.deliveries where state = 'dead'").fetchone()[0]
                backends = owner.execute("select count(distinct backend) from outbox_test.effects").fetchone()[0]
                drift = owner.execute("select count(*) from index.verify(%s)", (tenant_id,)).fetchone()[0]
                products = owner.execute("select count(*) from index.products where tenant_id = %s",
                                         (tenant_id,)).fetchone()[0]
        finally:
            sampler.stop.set()
            for proc in [api, *workers]:
                _stop(proc)

    summary = (f"{API_PROCESSES} API processes + {WORKERS} workers for {SECONDS:g}s: {counts['reads']} reads, "
               f"{counts['writes']} GraphQL writes, {counts.get('sql', 0)} SQL bulk updates, {events} events, "
               f"{products} indexed products; {replayed} events processed again (at least once), {overlaps} "
               f"overlapping, {lost} lost, {dead} dead; {backends} worker backends; most connections per API process "
               f"{dict(sampler.api_max)}, per worker {dict(sampler.worker_max)}")
    print(summary)
    assert not failures, (len(failures), failures[:5])
    assert counts["reads"] > 50 and counts["writes"] > 10 and events > 10, summary
    assert overlaps == 0, summary
    assert lost == 0 and dead == 0, summary
    assert drift == 0, summary
    assert backends >= 2, "the load was shared by several worker connections: " + summary
    api_children = [pid for pid, n in sampler.api_max.items() if n > 0]
    assert len(api_children) == API_PROCESSES, summary
    assert sampler.parent_max == 0, "the supervisor process holds no database connection"
    assert max(sampler.api_max.values()) <= api_connection_budget(settings), summary
    assert max(sampler.worker_max.values()) <= worker_connection_budget(settings), summary
    assert min(sampler.worker_max.values()) >= SLOTS, "every worker process ran its slots: " + summary
