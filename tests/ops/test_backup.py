"""rustok db backup / restore (issue 14 item 2): a database with data in every module is dumped, restored into a
new data directory (a new cluster, where the platform's roles do not exist yet) and into a new database of the same
cluster; every row is found again, the outbox queues are intact, the read model verifies clean, and a worker
processes a new write after the restore."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path

import psycopg
import pytest
from psycopg.rows import dict_row

from rustok import cli
from rustok.demo import load_demo
from rustok.embedded import EmbeddedCluster, free_port
from tests.commerce.commerce_helpers import place

SQL_TABLES = """
select format('%I.%I', n.nspname, c.relname) as t
from pg_class c join pg_namespace n on n.oid = c.relnamespace
where c.relkind = 'r'
  and (n.nspname in ('core', 'outbox', 'content', 'community', 'commerce', 'index', 'analytics', 'ops')
       or (n.nspname = 'public' and c.relname like '\\_yoyo%'))
order by 1
"""


def counts(url) -> dict[str, int]:
    with psycopg.connect(url, autocommit=True) as c:
        return {t: c.execute(f"select count(*) from {t}").fetchone()[0] for (t,) in c.execute(SQL_TABLES).fetchall()}


def queues(url) -> list[tuple]:
    with psycopg.connect(url, autocommit=True) as c:
        return c.execute("select consumer, event_id, occurred_at, event_type, state, attempts, last_error "
                         "from outbox.deliveries order by consumer, event_id").fetchall()


def drift(url) -> list[tuple]:
    with psycopg.connect(url, autocommit=True) as c:
        return c.execute("select t.slug, v.* from core.tenants t, index.verify(t.id) v order by 1, 2, 3").fetchall()


def populate(url: str) -> None:
    """Data in every module: tenants, users, sessions, content with bodies, tags and comments, reactions, a catalog
    with variants, prices and stock, an order, index rows, pending and dead deliveries, an analyst mapping."""
    load_demo(url)
    with psycopg.connect(url, autocommit=True, row_factory=dict_row) as c:
        t = c.execute("select id from core.tenants where slug = 'demo'").fetchone()["id"]
        c.execute("insert into core.tenants (name, slug) values ('Second', 'second')")
        writer = c.execute("select id from core.users where email = 'writer@demo.example'").fetchone()["id"]
        shopper = c.execute("select id from core.users where email = 'shopper@demo.example'").fetchone()["id"]
        c.execute("insert into core.sessions (tenant_id, user_id, token_hash, expires_at) "
                  "values (%s, %s, repeat('d', 64), now() + interval '1 day')", (t, shopper))
        post = c.execute("select id from content.nodes where tenant_id = %s and kind = 'post'", (t,)).fetchone()["id"]
        tag = c.execute("insert into content.tags (tenant_id, name, slug) values (%s, 'News', 'news') returning id",
                        (t,)).fetchone()["id"]
        c.execute("select content.attach_tags(array[%s]::uuid[], 'node', array[%s]::uuid[])", (tag, post))
        c.execute("select * from content.add_comment(%s, %s, 'Nice post', 'markdown', 'approved')", (post, writer))
        c.execute("insert into community.reactions (tenant_id, node_id, user_id, kind) values (%s, %s, %s, 'like')",
                  (t, post, shopper))
        variant = c.execute("select v.id from commerce.variants v where v.tenant_id = %s and v.sku = 'TEE-S'",
                            (t,)).fetchone()["id"]
        place(c, t, [{"variant_id": str(variant), "quantity": 2}], email="sam@example.com")
        c.execute("select * from outbox.drain('index')")
        c.execute("select * from ops.maintain()")
        c.execute("insert into core.analyst_tenants (role_name, tenant_id) values ('demo_analyst_gone', %s)", (t,))
        # still queued at backup time: a pending change and a dead letter
        c.execute("update commerce.products set title = 'Classic Tee (v2)' where tenant_id = %s and handle = 'classic-tee'", (t,))
        c.execute("update content.nodes set title = 'Hello again' where id = %s", (post,))
        c.execute("select ops.request_reindex((select id from core.tenants where slug = 'second'), 'product')")
        c.execute("update outbox.deliveries set state = 'dead', attempts = 10, last_error = 'XX000: kept for the test' "
                  "where event_type = 'ReindexRequested'")


def run_worker_once(url: str) -> str:
    env = {**os.environ, "DATABASE_URL": url}
    proc = subprocess.run([sys.executable, "-m", "rustok.cli", "worker", "--once", "--no-listen"], env=env,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    return proc.stderr


def assert_same_and_alive(source: str, restored: str) -> None:
    before, after = counts(source), counts(restored)
    assert set(after) == set(before)
    assert after == before
    nonempty = {t for t, n in before.items() if n}
    for table in ("core.tenants", "core.users", "core.sessions", "content.nodes_p0", "content.bodies", "content.tags",
                  "content.taggables", "community.reactions", "commerce.products", "commerce.variants",
                  "commerce.prices", "commerce.inventory_levels", "commerce.order_items", "index.products",
                  "index.content", "index.orders", "outbox.deliveries", "core.analyst_tenants", "public._yoyo_migration"):
        if table != "content.nodes_p0":
            assert table in nonempty, f"the test data has no rows in {table}"
    assert sum(before[t] for t in before if t.startswith("commerce.orders_p")) == 1
    assert sum(before[t] for t in before if t.startswith("outbox.events_p")) > 0
    assert queues(restored) == queues(source)
    assert any(q[4] == "pending" for q in queues(restored)) and any(q[4] == "dead" for q in queues(restored))
    assert drift(restored) == drift(source)          # the same read model, pending changes not yet applied
    with psycopg.connect(restored, autocommit=True, row_factory=dict_row) as c:
        assert c.execute("select count(*) as n from outbox.deliveries where state = 'pending'").fetchone()["n"] > 0
        # a new write after the restore, then a real worker process
        c.execute("update commerce.products set title = 'Restored Mug' where handle = 'ceramic-mug'")
    worker_log = run_worker_once(restored)
    with psycopg.connect(restored, autocommit=True, row_factory=dict_row) as c:
        left = c.execute("select consumer, event_type, state, attempts, available_at, locked_by, locked_until, "
                         "locked_pid, last_error, now() as now from outbox.deliveries where state = 'pending'").fetchall()
        # the rows in full (pytest shortens a list diff): this failed once under load in CI, not reproduced
        assert left == [], f"still pending after the worker: {left!r} (worker: {worker_log[-2000:]})"
        assert c.execute("select title from index.products where handle = 'ceramic-mug'").fetchone()["title"] == "Restored Mug"
        assert c.execute("select title from index.products where handle = 'classic-tee'").fetchone()["title"] == "Classic Tee (v2)"
        found = {r["check_name"]: r for r in c.execute("select * from ops.health()").fetchall()}
        assert found["migrations and code tree"]["status"] == "ok"
    assert drift(restored) == []


@pytest.fixture
def dump_file(fresh_db, monkeypatch, capsys):
    populate(fresh_db)
    tmp = Path(tempfile.mkdtemp(prefix="rustok-backup-"))
    file = tmp / "rustok.dump"
    monkeypatch.setenv("DATABASE_URL", fresh_db)
    assert cli.main(["db", "backup", str(file)]) == 0
    assert "backup written" in capsys.readouterr().err
    monkeypatch.delenv("DATABASE_URL")
    try:
        yield file
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def test_restore_into_a_new_data_directory(fresh_db, dump_file, monkeypatch, capsys):
    data = Path(tempfile.mkdtemp(prefix="rustok-restored-"))
    cluster = EmbeddedCluster(data, free_port())
    monkeypatch.setenv("RUSTOK_DATA_DIR", str(data))
    monkeypatch.setenv("RUSTOK_DB_PORT", str(cluster.port))
    try:
        assert cli.main(["db", "restore", str(dump_file)]) == 0
        err = capsys.readouterr().err
        assert "restored" in err and "demo_analyst_gone" in err and "ops.create_analyst" in err
        with psycopg.connect(cluster.url("postgres", "postgres"), autocommit=True) as admin:
            # the new cluster had none of the platform's roles: the restore made them, with their settings
            assert {r[0] for r in admin.execute("select rolname from pg_roles where rolname like 'rustok%'")} == {
                "rustok_owner", "rustok_app", "rustok_analyst", "rustok_tenant_analyst"}
            assert admin.execute("select setconfig from pg_db_role_setting s join pg_roles r on r.oid = s.setrole "
                                 "where r.rolname = 'rustok_analyst'").fetchone()[0]
        assert_same_and_alive(fresh_db, cluster.url())
        # the app role works as before on the restored database
        with psycopg.connect(cluster.url(), autocommit=True) as c:
            c.execute("set role rustok_app")
            assert c.execute("select count(*) from commerce.products").fetchone()[0] == 0   # no tenant set: RLS
        # a second restore into the same (now full) database is refused, and changes nothing
        before = counts(cluster.url())
        assert cli.main(["db", "restore", str(dump_file)]) == 1
        assert "is not empty" in capsys.readouterr().err
        assert counts(cluster.url()) == before
    finally:
        cluster.stop()
        shutil.rmtree(data, ignore_errors=True)


def test_restore_into_a_new_database_of_the_same_cluster(pg, fresh_db, dump_file, monkeypatch, capsys):
    name = f"rustok_restored_{uuid.uuid4().hex[:8]}"
    monkeypatch.setenv("DATABASE_URL", fresh_db)
    try:
        # the migration owner may not create databases (no CREATEDB): it says so, and a DBA makes an empty one
        assert cli.main(["db", "restore", str(dump_file), "--database", name]) == 1
        assert f"createdb -O rustok_owner {name}" in capsys.readouterr().err
        pg.create_database(name)
        assert cli.main(["db", "restore", str(dump_file), "--database", name]) == 0
        assert_same_and_alive(fresh_db, pg.url(name))
    finally:
        pg.drop_database(name)


def test_restore_refuses_a_missing_file_and_backup_an_existing_one(fresh_db, dump_file, monkeypatch, capsys):
    monkeypatch.setenv("DATABASE_URL", fresh_db)
    assert cli.main(["db", "restore", str(dump_file) + ".nope", "--database", "whatever_db"]) == 1
    assert "no such backup file" in capsys.readouterr().err
    assert cli.main(["db", "backup", str(dump_file)]) == 1
    assert "already exists" in capsys.readouterr().err
