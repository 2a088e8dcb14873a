"""The operators' psql scripts (sql/ops/*.sql, issue 14 item 4), run through the wheel's psql with -v variables
and ON_ERROR_STOP=1: each does its job, and a missing or bad variable stops it with exit status 3 and a message
naming the variable."""

from __future__ import annotations

import subprocess
import uuid

import psycopg
from psycopg.rows import dict_row

from rustok.embedded import bin_path
from rustok.paths import sql_dir
from tests.commerce.commerce_helpers import make_shop


def psql(url: str, script: str, **variables) -> subprocess.CompletedProcess:
    args = [str(bin_path("psql")), "-X", "-v", "ON_ERROR_STOP=1", "--dbname", url]
    for name, value in variables.items():
        args += ["-v", f"{name}={value}"]
    args += ["-f", str(sql_dir() / "ops" / script)]
    return subprocess.run(args, capture_output=True, text=True, timeout=120)


def connect(url):
    return psycopg.connect(url, autocommit=True, row_factory=dict_row)


def scalar(c, sql, params=()):
    return next(iter(c.execute(sql, params).fetchone().values()))


def test_every_script_is_tested():
    scripts = sorted(p.name for p in (sql_dir() / "ops").glob("*.sql"))
    assert scripts == ["add_partitions.sql", "create_analyst.sql", "daily_check.sql", "drain_consumer.sql",
                       "reindex_tenant.sql", "replay_range.sql", "retry_dead.sql"]


def test_daily_check(fresh_db):
    with connect(fresh_db) as c:   # the worker's upkeep ran, as on a healthy install
        c.execute("select outbox.claim_periodic_job('ops.maintain', now(), 'test')")
        c.execute("select * from ops.maintain()")
        c.execute("select outbox.finish_periodic_job('ops.maintain')")
    done = psql(fresh_db, "daily_check.sql")
    assert done.returncode == 0, done.stderr
    assert "all checks ok" in done.stdout and "0 fail" in done.stdout
    every = psql(fresh_db, "daily_check.sql", all=1)
    assert "outbox dead letters" in every.stdout
    with connect(fresh_db) as c:
        t = scalar(c, "insert into core.tenants (name, slug) values ('X', %s) returning id", (f"x-{uuid.uuid4().hex[:6]}",))
        c.execute("insert into commerce.order_counters (tenant_id, last_display_id) values (%s, 2100000000)", (t,))
    failed = psql(fresh_db, "daily_check.sql")
    assert failed.returncode == 3
    assert "fail  counters and sequences" in failed.stdout and "-> orders of that tenant" in failed.stdout
    assert "1 health checks failed" in failed.stderr
    assert psql(fresh_db, "daily_check.sql", all="maybe").returncode == 3


def test_drain_consumer(fresh_db):
    with connect(fresh_db) as c:
        shop = make_shop(c)
        for _ in range(4):
            make_shop(c, tenant=shop["tenant"])
        assert scalar(c, "select count(*) from outbox.deliveries") > 0
    done = psql(fresh_db, "drain_consumer.sql", consumer="index", batch=2)
    assert done.returncode == 0, done.stderr
    with connect(fresh_db) as c:
        assert scalar(c, "select count(*) from outbox.deliveries") == 0
        assert scalar(c, "select count(*) from index.products") == 5
    missing = psql(fresh_db, "drain_consumer.sql")
    assert missing.returncode == 3 and "-v consumer: is required" in missing.stderr
    bad = psql(fresh_db, "drain_consumer.sql", consumer="index", batch="lots")
    assert bad.returncode == 3 and "-v batch: lots is not a valid integer" in bad.stderr
    unknown = psql(fresh_db, "drain_consumer.sql", consumer="nope")
    assert unknown.returncode == 3 and "p_consumer: no consumer named nope" in unknown.stderr


def test_retry_dead_of_one_type(fresh_db):
    with connect(fresh_db) as c:
        shop = make_shop(c)
        c.execute("select * from outbox.drain('index')")
        c.execute("update commerce.products set title = 'x' where id = %s", (shop["product"]["id"],))
        c.execute("select ops.request_reindex(%s, 'product')", (shop["tenant"]["id"],))
        c.execute("update outbox.deliveries set state = 'dead', attempts = 10, last_error = 'XX000: boom'")
        types = {r["event_type"] for r in c.execute("select event_type from outbox.deliveries").fetchall()}
        assert types == {"ProductUpdated", "ReindexRequested"}
    done = psql(fresh_db, "retry_dead.sql", consumer="index", event_type="ReindexRequested")
    assert done.returncode == 0, done.stderr
    assert "XX000: boom" in done.stdout
    with connect(fresh_db) as c:
        states = {(r["event_type"], r["state"]) for r in c.execute("select event_type, state from outbox.deliveries").fetchall()}
        assert states == {("ProductUpdated", "dead"), ("ReindexRequested", "pending")}
    assert psql(fresh_db, "retry_dead.sql", consumer="index").returncode == 0
    with connect(fresh_db) as c:
        assert scalar(c, "select count(*) from outbox.deliveries where state = 'dead'") == 0


def test_replay_range(fresh_db):
    with connect(fresh_db) as c:
        make_shop(c)
        c.execute("select * from outbox.drain('index')")
        assert scalar(c, "select count(*) from outbox.deliveries") == 0
        start = scalar(c, "select (now() - interval '1 hour')::text")
    done = psql(fresh_db, "replay_range.sql", consumer="index", **{"from": start, "event_types": "{ProductCreated}"})
    assert done.returncode == 0, done.stderr
    with connect(fresh_db) as c:
        assert {r["event_type"] for r in c.execute("select event_type from outbox.deliveries").fetchall()} == {"ProductCreated"}
    done = psql(fresh_db, "replay_range.sql", consumer="index", **{"from": start})
    with connect(fresh_db) as c:
        assert scalar(c, "select count(distinct event_type) from outbox.deliveries") > 1
    bad = psql(fresh_db, "replay_range.sql", consumer="index", **{"from": "yesterday-ish"})
    assert bad.returncode == 3 and "-v from: yesterday-ish is not a valid timestamp with time zone" in bad.stderr
    backwards = psql(fresh_db, "replay_range.sql", consumer="index", **{"from": "2030-01-01", "to": "2029-01-01"})
    assert backwards.returncode == 3 and "p_from: must be before p_to" in backwards.stderr


def test_reindex_tenant(fresh_db):
    with connect(fresh_db) as c:
        shop = make_shop(c)
        c.execute("select * from outbox.drain('index')")
        c.execute("update index.products set title = 'Wrong' where product_id = %s", (shop["product"]["id"],))
        slug = shop["tenant"]["slug"]
    done = psql(fresh_db, "reindex_tenant.sql", tenant=slug)
    assert done.returncode == 0, done.stderr
    with connect(fresh_db) as c:
        assert scalar(c, "select title from index.products where product_id = %s", (shop["product"]["id"],)) == "Shirt"
    assert psql(fresh_db, "reindex_tenant.sql", tenant=str(shop["tenant"]["id"]), types="{product}").returncode == 0
    unknown = psql(fresh_db, "reindex_tenant.sql", tenant="no-such-shop")
    assert unknown.returncode == 3 and "tenant: no tenant with slug or id no-such-shop" in unknown.stderr
    assert "-v tenant: is required" in psql(fresh_db, "reindex_tenant.sql").stderr


def test_add_partitions(fresh_db):
    with connect(fresh_db) as c:
        far = scalar(c, "select commerce.order_partition_name(now() + interval '18 months')")
        day = scalar(c, "select outbox._partition_name(outbox._today() + 9)")
        assert scalar(c, "select to_regclass('commerce.' || %s)", (far,)) is None
    done = psql(fresh_db, "add_partitions.sql", days=10, quarters=6)
    assert done.returncode == 0, done.stderr
    with connect(fresh_db) as c:
        assert scalar(c, "select to_regclass('commerce.' || %s)::text", (far,)) == f"commerce.{far}"
        assert scalar(c, "select to_regclass('outbox.' || %s)::text", (day,)) == f"outbox.{day}"
    assert psql(fresh_db, "add_partitions.sql").returncode == 0      # defaults; nothing to do
    bad = psql(fresh_db, "add_partitions.sql", quarters=-1)
    assert bad.returncode == 3 and "p_quarters_ahead" in bad.stderr


def test_create_analyst(fresh_db):
    login = f"an_{uuid.uuid4().hex[:10]}"
    with connect(fresh_db) as c:
        slug = f"s-{uuid.uuid4().hex[:6]}"
        c.execute("insert into core.tenants (name, slug) values ('S', %s)", (slug,))
    done = psql(fresh_db, "create_analyst.sql", login=login, tenant=slug)
    try:
        assert done.returncode == 0, done.stderr
        assert f"\\password {login}" in done.stdout
        with connect(fresh_db) as c:
            assert c.execute("select scope, tenant_slug from ops.analysts where login = %s", (login,)).fetchone() == \
                {"scope": "tenant", "tenant_slug": slug}
    finally:
        with connect(fresh_db) as c:
            c.execute("select ops.drop_analyst(%s)", (login,))
    missing = psql(fresh_db, "create_analyst.sql", tenant=slug)
    assert missing.returncode == 3 and "-v login: is required" in missing.stderr
