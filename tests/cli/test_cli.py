"""The CLI as a user runs it: real subprocesses, a real embedded cluster, one-line errors."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import psutil
import psycopg
import pytest
from ulid import ULID

from rustok.embedded import free_port

RUSTOK = [sys.executable, "-m", "rustok.cli"]


def run(args, env=None, timeout=120, **kw):
    full_env = {**os.environ, **(env or {})}
    full_env.pop("DATABASE_URL", None) if env is None or "DATABASE_URL" not in env else None
    return subprocess.run(RUSTOK + args, env=full_env, capture_output=True, text=True, timeout=timeout, **kw)


def assert_one_line_error(result, fragment):
    assert result.returncode == 1, result
    lines = [ln for ln in result.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr
    assert fragment in lines[0], lines[0]


@pytest.mark.parametrize("url,fragment", [
    ("mysql://u@localhost/db", "must start with postgresql://"),
    ("not a url at all", "must start with postgresql://"),
    ("postgresql://u@localhost:notaport/db", "malformed"),
    ("postgresql://u@localhost/db?sslmode=bogus&foo=bar", "malformed"),
])
def test_malformed_database_url(url, fragment):
    for cmd in (["migrate"], ["serve"], ["db", "status"]):
        assert_one_line_error(run(cmd, env={"DATABASE_URL": url}), fragment)


def test_unreachable_server():
    port = free_port()
    result = run(["migrate"], env={"DATABASE_URL": f"postgresql://nobody@127.0.0.1:{port}/x"})
    assert_one_line_error(result, "cannot connect to the database")


def test_http_port_in_use(db_url):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        port = sock.getsockname()[1]
        result = run(["serve", "--port", str(port)], env={"DATABASE_URL": db_url})
    assert_one_line_error(result, f"port {port}")


def test_embedded_db_port_in_use(tmp_path):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        port = sock.getsockname()[1]
        result = run(["db", "start"], env={"RUSTOK_DATA_DIR": str(tmp_path / "d"), "RUSTOK_DB_PORT": str(port)})
    assert_one_line_error(result, f"port {port} is already in use")


def test_old_server_is_refused(db_url, monkeypatch):
    from rustok import db
    from rustok.errors import DatabaseUnavailable

    monkeypatch.setattr(db, "MIN_SERVER_VERSION", 990000)  # pretend we need PostgreSQL 99
    with pytest.raises(DatabaseUnavailable, match="too old: RusToK needs PostgreSQL 16 or newer"):
        db.connect(db_url)


def test_embedded_not_running_is_a_clear_error(tmp_path):
    result = run(["serve"], env={"RUSTOK_DATA_DIR": str(tmp_path / "none"), "RUSTOK_DB_PORT": str(free_port())})
    assert_one_line_error(result, "is not running")


def our_postgres(data_dir: Path) -> list[psutil.Process]:
    found = []
    for proc in psutil.process_iter(["name", "cmdline"]):
        try:
            if proc.info["name"] == "postgres" and any(str(data_dir) in arg for arg in proc.info["cmdline"] or []):
                found.append(proc)
        except psutil.Error:
            continue
    return found


def wait_for_graphql(base: str, proc: subprocess.Popen, timeout: float = 90) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"rustok up exited early: {proc.stderr.read()}")
        try:
            resp = httpx.post(f"{base}/graphql", json={"query": "{ __typename }"}, timeout=2)
            return resp.json()
        except httpx.TransportError:
            time.sleep(0.3)
    raise AssertionError("GraphQL did not come up")


def test_db_lifecycle_url_psql_and_up_twice(tmp_path):
    data = tmp_path / "data"
    env = {"RUSTOK_DATA_DIR": str(data), "RUSTOK_DB_PORT": str(free_port())}

    assert run(["db", "status"], env=env).returncode == 3
    started = run(["db", "start"], env=env)
    assert started.returncode == 0, started.stderr
    try:
        url = run(["db", "url"], env=env).stdout.strip()
        assert url.startswith("postgresql://rustok_owner@127.0.0.1:")
        assert run(["migrate"], env=env).returncode == 0
        # psql (the wheel's) through the CLI, and psycopg with the same URL.
        psql = run(["db", "psql", "-XAtc", "select core.new_id()"], env=env)
        assert psql.returncode == 0, psql.stderr
        first = ULID.from_uuid(__import__("uuid").UUID(psql.stdout.strip()))
        with psycopg.connect(url) as conn:
            second = conn.execute("select core.new_id()").fetchone()[0]
        assert ULID.from_uuid(second).milliseconds >= first.milliseconds
        assert run(["db", "status"], env=env).returncode == 0
        yoyo = run(["db", "url", "--yoyo"], env=env).stdout.strip()
        assert yoyo.startswith("postgresql+psycopg://")
        # plain yoyo works with yoyo.ini from the repository root
        root = Path(__file__).resolve().parents[2]
        y = subprocess.run([str(Path(sys.executable).parent / "yoyo"), "apply", "--batch"],
                           env={**os.environ, "DATABASE_URL": yoyo}, cwd=root, capture_output=True, text=True)
        assert y.returncode == 0, y.stderr
    finally:
        stopped = run(["db", "stop"], env=env)
    assert stopped.returncode == 0
    assert our_postgres(data) == []

    # `rustok up` twice: the second run reuses the data of the first.
    for round_no in (1, 2):
        http_port = free_port()
        proc = subprocess.Popen(RUSTOK + ["up", "--port", str(http_port)], env={**os.environ, **env},
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            body = wait_for_graphql(f"http://127.0.0.1:{http_port}", proc)
            assert body == {"data": {"__typename": "Query"}}
            with psycopg.connect(url, autocommit=True) as conn:
                if round_no == 1:
                    conn.execute("insert into core.tenants (name, slug) values ('Kept', 'kept')")
                else:
                    assert conn.execute("select count(*) from core.tenants where slug = 'kept'").fetchone()[0] == 1
        finally:
            proc.send_signal(signal.SIGTERM if round_no == 1 else signal.SIGINT)
            out, err = proc.communicate(timeout=60)
        assert proc.returncode == 0, err
        assert "GraphQL explorer: http://127.0.0.1:" in err
        assert our_postgres(data) == []
