"""The API behind PgBouncer in transaction mode (issue 16.3, docs/scaling.md): two tenants' requests share two
server connections; every answer names its own tenant and user (the tenant setting is transaction-local),
writes land in the right tenant, and nothing fails with RUSTOK_DB_PREPARE_THRESHOLD=off. The API logs in
as a member of rustok_app, as the docs say. Needs the `pgbouncer` binary (Debian: apt-get install
pgbouncer); skipped without it."""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import subprocess
import tempfile
import threading
import time
import uuid
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import psycopg
import pytest
import uvicorn

from rustok.app import create_app
from rustok.auth import hash_password
from rustok.config import Settings
from rustok.embedded import SYSTEM_USER, free_port
from tests.outbox.helpers import wait_for

PGBOUNCER = shutil.which("pgbouncer")
pytestmark = pytest.mark.skipif(PGBOUNCER is None, reason="pgbouncer is not installed (apt-get install pgbouncer)")


@pytest.fixture
def bouncer(pg, fresh_db):
    """PgBouncer in transaction mode, 2 server connections, in front of fresh_db, for the login rustok_api."""
    with pg.admin() as admin:
        admin.execute("do $$ begin if not exists (select from pg_roles where rolname = 'rustok_api') then "
                      "create role rustok_api login in role rustok_app; end if; end $$")
    target = urlsplit(fresh_db)
    port = free_port()
    # pgbouncer runs as the cluster's system user when we are root: a directory it can reach (not pytest's 0700 one)
    tmp_path = Path(tempfile.mkdtemp(prefix="rustok-pgbouncer-"))
    tmp_path.chmod(0o755)
    (tmp_path / "users.txt").write_text('"rustok_api" ""\n')
    (tmp_path / "pgbouncer.ini").write_text(f"""
[databases]
rustok = host={target.hostname} port={target.port} dbname={target.path.lstrip('/')}
[pgbouncer]
listen_addr = 127.0.0.1
listen_port = {port}
unix_socket_dir =
auth_type = trust
auth_file = {tmp_path / 'users.txt'}
pool_mode = transaction
default_pool_size = 2
max_client_conn = 100
server_reset_query =
""")
    for f in tmp_path.iterdir():
        f.chmod(0o644)
    command = [PGBOUNCER, str(tmp_path / "pgbouncer.ini")]
    if os.geteuid() == 0:  # pgbouncer refuses to run as root
        command = ["runuser", "-u", SYSTEM_USER, "--", *command]
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
    url = f"postgresql://rustok_api@127.0.0.1:{port}/rustok"

    def up() -> bool:
        assert proc.poll() is None, proc.stdout.read().decode(errors="replace")[-2000:]
        try:
            psycopg.connect(url, connect_timeout=2).close()
            return True
        except psycopg.OperationalError:
            return False

    try:
        wait_for(up, timeout=30, what="pgbouncer accepting connections")
        yield url
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(10)
        shutil.rmtree(tmp_path, ignore_errors=True)


async def test_api_behind_pgbouncer_transaction_mode(bouncer, fresh_db):
    slugs = [f"pgb-{uuid.uuid4().hex[:6]}" for _ in range(2)]
    with psycopg.connect(fresh_db, autocommit=True) as owner:
        for slug in slugs:
            owner.execute("insert into core.tenants (name, slug) values (%s, %s)", (slug.upper(), slug))
            owner.execute("insert into core.users (tenant_id, email, password_hash, display_name, role) values "
                          "(core.tenant_id_by_slug(%s), %s, %s, 'Staff', 'admin')",
                          (slug, f"staff@{slug}.example", hash_password("password123")))
    settings = Settings(database_url=bouncer, db_pool_size=6, db_prepare_threshold=None)
    app = create_app(bouncer, settings=settings)
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None, access_log=False,
                                           lifespan="on"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    failures: list[str] = []
    answers = 0
    try:
        await asyncio.to_thread(wait_for, lambda: server.started, 30, 0.05, "uvicorn started")
        base = f"http://127.0.0.1:{port}"
        tokens = {}
        async with httpx.AsyncClient(base_url=base, timeout=30) as http:
            for slug in slugs:
                resp = await http.post("/graphql", headers={"X-Tenant": slug}, json={"query": (
                    f'mutation {{ login(email: "staff@{slug}.example", password: "password123") {{ token }} }}')})
                tokens[slug] = resp.json()["data"]["login"]["token"]
        deadline = time.monotonic() + 5

        async def client(n: int):
            nonlocal answers
            slug = slugs[n % 2]
            headers = {"X-Tenant": slug, "Authorization": f"Bearer {tokens[slug]}"}
            async with httpx.AsyncClient(base_url=base, timeout=30) as http:
                while time.monotonic() < deadline:
                    body = (await http.post("/graphql", headers=headers,
                                            json={"query": "{ tenant { name } me { email } }"})).json()
                    if body.get("errors") or body["data"]["tenant"]["name"] != slug.upper() \
                            or body["data"]["me"]["email"] != f"staff@{slug}.example":
                        failures.append(f"read as {slug}: {body}")
                    handle = f"h-{uuid.uuid4().hex[:8]}"
                    body = (await http.post("/graphql", headers=headers, json={
                        "query": "mutation($i: CreateProductInput!) { createProduct(input: $i) { position } }",
                        "variables": {"i": {"title": slug, "handle": handle}}})).json()
                    if body.get("errors"):
                        failures.append(f"write as {slug}: {body['errors']}")
                    answers += 2

        await asyncio.gather(*(client(n) for n in range(8)))
    finally:
        server.should_exit = True
        await asyncio.to_thread(thread.join, 30)
    assert not failures, failures[:3]
    assert answers > 20
    with psycopg.connect(fresh_db, autocommit=True) as owner:
        misplaced = owner.execute("select count(*) from commerce.products p join core.tenants t on t.id = p.tenant_id "
                                  "where p.tenant_id = any(select id from core.tenants where slug = any(%s)) "
                                  "and upper(t.slug) <> upper(p.title)", (slugs,)).fetchone()[0]
        written = owner.execute("select count(*) from commerce.products").fetchone()[0]
    assert written > 5 and misplaced == 0
