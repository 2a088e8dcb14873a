"""ops.health() and rustok doctor (issue 14 item 1): each check is provoked, turns warn or fail, and turns ok again
after the fix its advice names. Real PostgreSQL, one cloned database per test."""

from __future__ import annotations

import threading
import time
import uuid

import psycopg
import pytest
from psycopg.rows import dict_row

from rustok import cli, migrate
from tests.commerce.commerce_helpers import make_shop, place
from tests.conftest import make_tenant, make_user


def health(c) -> dict[str, dict]:
    rows = c.execute("select * from ops.health()").fetchall()
    assert rows and all(r["status"] in ("ok", "warn", "fail") for r in rows)
    assert all((r["advice"] is None) == (r["status"] == "ok") for r in rows), rows
    return {r["check_name"]: r for r in rows}


def status(c, check: str) -> str:
    return health(c)[check]["status"]


def connect(url):
    return psycopg.connect(url, autocommit=True, row_factory=dict_row)


def flush_stats(c) -> None:
    c.execute("select pg_stat_force_next_flush()")
    c.execute("select 1")


def worker_ran(c) -> None:
    """A healthy install has a worker: record the upkeep run it makes every 30 s (the template may be older than
    the 5 minutes a new install is given)."""
    _run_job(c, "ops.maintain")


def test_a_fresh_database_is_healthy(fresh_db):
    with connect(fresh_db) as c:
        worker_ran(c)
        found = health(c)
        assert {k: v["status"] for k, v in found.items() if v["status"] != "ok"} == {}
        assert found["replica lag"]["figure"] == "no replicas"
        for name in ("migrations and code tree", "outbox backlog: index", "outbox dead letters",
                     "outbox leases of dead workers", "default partition: commerce.orders",
                     "default partition: outbox.events", "partitions ahead: commerce.orders",
                     "partitions ahead: outbox.events", "expired outbox partitions", "index drift (sampled)",
                     "replica lag", "replication slots", "bloat: outbox.deliveries", "bloat: outbox.events",
                     "bloat: index.products", "long-running statements", "idle in transaction",
                     "counters and sequences", "transaction id age", "last ops.maintain()", "last full reindex"):
            assert name in found


def test_is_for_operators_only(fresh_db):
    with connect(fresh_db) as c:
        for role in ("rustok_app", "rustok_analyst", "rustok_tenant_analyst"):
            assert c.execute("select has_function_privilege(%s, 'ops.health()', 'execute') as x", (role,)).fetchone()["x"] is False


def test_settings_are_checked_and_a_missing_row_is_named(fresh_db):
    with connect(fresh_db) as c:
        with pytest.raises(psycopg.errors.CheckViolation) as info:
            c.execute("update ops.health_settings set backlog_warn_age = '1 hour', backlog_fail_age = '1 minute'")
        assert "health_settings_backlog_check" in str(info.value)
        c.execute("delete from ops.health_settings")
        with pytest.raises(psycopg.errors.ObjectNotInPrerequisiteState, match="ops.health_settings"):
            c.execute("select * from ops.health()")
        c.execute("insert into ops.health_settings default values")
        assert status(c, "outbox dead letters") == "ok"


def test_migrations_and_code_tree(fresh_db):
    with connect(fresh_db) as c:
        c.execute("update ops.code_tree_state set migrations = migrations || '9999_core_from_the_future'::text")
        row = health(c)["migrations and code tree"]
        assert row["status"] == "fail" and "9999_core_from_the_future" in row["figure"]
        assert "rustok migrate" in row["advice"]
        c.execute("update ops.code_tree_state set digest = repeat('0', 64)")   # files differ: only doctor sees it
    migrate.apply(fresh_db)
    with connect(fresh_db) as c:
        assert status(c, "migrations and code tree") == "ok"
        c.execute("insert into public._yoyo_migration (migration_hash, migration_id, applied_at_utc) "
                  "values (repeat('f', 64), '9998_applied_by_a_newer_release', now())")
        assert status(c, "migrations and code tree") == "warn"


def _index_backlog(c, n=3):
    shop = make_shop(c)
    for _ in range(n - 1):
        make_shop(c, tenant=shop["tenant"])
    return shop


def test_outbox_backlog(fresh_db):
    with connect(fresh_db) as c:
        _index_backlog(c)
        assert status(c, "outbox backlog: index") == "ok"      # young events are not a backlog
        c.execute("update ops.health_settings set backlog_warn_age = '1 second', backlog_fail_age = '1 hour'")
        time.sleep(1.2)
        row = health(c)["outbox backlog: index"]
        assert row["status"] == "warn" and "pending" in row["figure"] and "drain_consumer.sql" in row["advice"]
        c.execute("update ops.health_settings set backlog_fail_age = '1 second'")
        assert status(c, "outbox backlog: index") == "fail"
        c.execute("update outbox.consumers set enabled = false where name = 'index'")
        assert "disabled" in health(c)["outbox backlog: index"]["figure"]
        c.execute("update outbox.consumers set enabled = true where name = 'index'")
        c.execute("select * from outbox.drain('index')")
        row = health(c)["outbox backlog: index"]
        assert row["status"] == "ok" and row["figure"].startswith("0 pending")


def test_dead_letters(fresh_db):
    with connect(fresh_db) as c:
        _index_backlog(c)
        c.execute("update outbox.deliveries set state = 'dead', attempts = 10, last_error = 'XX000: boom', "
                  "last_error_at = now() where consumer = 'index'")
        row = health(c)["outbox dead letters"]
        assert row["status"] == "warn" and "index ProductCreated" in row["figure"] and "retry_dead" in row["advice"]
        c.execute("update ops.health_settings set dead_letters_fail = 2")
        assert status(c, "outbox dead letters") == "fail"
        assert c.execute("select ops.retry_dead('index') as n").fetchone()["n"] > 0
        c.execute("select * from outbox.drain('index')")
        assert status(c, "outbox dead letters") == "ok"


def test_leases_of_a_gone_worker(fresh_db):
    with connect(fresh_db) as c:
        _index_backlog(c)
        with psycopg.connect(fresh_db, autocommit=True) as worker:
            held = worker.execute("select outbox.claim('index', 'w-gone', 100)").fetchone()[0]
            assert held > 0
        time.sleep(0.2)   # the backend ends after the client closes
        row = health(c)["outbox leases of dead workers"]
        assert row["status"] == "warn" and "w-gone" in row["figure"] and "release_stale_leases" in row["advice"]
        assert c.execute("select ops.release_stale_leases() as n").fetchone()["n"] == held
        assert status(c, "outbox leases of dead workers") == "ok"
        assert c.execute("select count(*) as n from outbox.deliveries where locked_by is not null").fetchone()["n"] == 0
        with pytest.raises(psycopg.errors.NoDataFound, match="p_consumer"):
            c.execute("select ops.release_stale_leases('nope')")


def _drop_partition(c, schema, name):
    parent = "commerce.orders" if schema == "commerce" else "outbox.events"
    c.execute(f"alter table {parent} detach partition {schema}.{name}")
    c.execute(f"drop table {schema}.{name}")


def test_default_partitions_and_partitions_ahead(fresh_db):
    with connect(fresh_db) as c:
        shop = make_shop(c)
        this_quarter = c.execute("select commerce.order_partition_name(now()) as n").fetchone()["n"]
        today = c.execute("select outbox._partition_name(outbox._today()) as n").fetchone()["n"]
        c.execute("select * from outbox.drain('index')")
        # a database whose upkeep stopped long ago: no partition for now
        c.execute("delete from outbox.deliveries")
        _drop_partition(c, "commerce", this_quarter)
        _drop_partition(c, "outbox", today)
        found = health(c)
        assert found["partitions ahead: commerce.orders"]["status"] == "fail"
        assert this_quarter in found["partitions ahead: commerce.orders"]["figure"]
        assert found["partitions ahead: outbox.events"]["status"] == "fail"
        place(c, shop["tenant"]["id"], [{"variant_id": str(shop["variant"]["id"]), "quantity": 1}])
        found = health(c)
        orders = found["default partition: commerce.orders"]
        assert orders["status"] == "warn" and this_quarter in orders["figure"]
        assert "create_order_partition" in orders["advice"]
        events = found["default partition: outbox.events"]
        assert events["status"] == "warn" and "events of" in events["figure"]
        c.execute("select * from ops.maintain()")
        found = health(c)
        for name in ("default partition: commerce.orders", "default partition: outbox.events",
                     "partitions ahead: commerce.orders", "partitions ahead: outbox.events"):
            assert found[name]["status"] == "ok", found[name]


def test_partitions_ahead_missing_is_a_warning(fresh_db):
    with connect(fresh_db) as c:
        nxt = c.execute("select commerce.order_partition_name(now() + interval '3 months') as n").fetchone()["n"]
        tomorrow = c.execute("select outbox._partition_name(outbox._today() + 1) as n").fetchone()["n"]
        _drop_partition(c, "commerce", nxt)
        _drop_partition(c, "outbox", tomorrow)
        found = health(c)
        assert found["partitions ahead: commerce.orders"]["status"] == "warn"
        assert found["partitions ahead: outbox.events"] == {
            "check_name": "partitions ahead: outbox.events", "status": "warn", "figure": f"missing: {tomorrow}",
            "advice": found["partitions ahead: outbox.events"]["advice"]}
        c.execute("select * from ops.maintain()")
        assert status(c, "partitions ahead: commerce.orders") == "ok"
        assert status(c, "partitions ahead: outbox.events") == "ok"


def test_expired_outbox_partitions(fresh_db):
    with connect(fresh_db) as c:
        t = make_tenant(c)["id"]
        c.execute("create table outbox.events_p20200101 partition of outbox.events "
                  "for values from ('2020-01-01 00:00+00') to ('2020-01-02 00:00+00')")
        # an old event still queued for the index consumer keeps its partition
        c.execute("insert into outbox.events (tenant_id, event_type, aggregate_type, aggregate_id, payload, occurred_at) "
                  "values (%s, 'ProductUpdated', 'product', core.new_id(), '{}', '2020-01-01 12:00+00')", (t,))
        row = health(c)["expired outbox partitions"]
        assert row["status"] == "warn" and "2020-01-01" in row["figure"] and "1 deliveries" in row["figure"]
        assert "drain" in row["advice"]
        c.execute("select * from ops.maintain()")
        assert status(c, "expired outbox partitions") == "warn"       # kept: a delivery refers to it
        c.execute("select * from outbox.drain('index')")
        c.execute("select * from ops.maintain()")
        assert status(c, "expired outbox partitions") == "ok"
        assert c.execute("select to_regclass('outbox.events_p20200101') as r").fetchone()["r"] is None


def test_index_drift_on_a_sample(fresh_db):
    with connect(fresh_db) as c:
        shop = make_shop(c)
        t, product = shop["tenant"]["id"], shop["product"]["id"]
        c.execute("select * from outbox.drain('index')")
        assert status(c, "index drift (sampled)") == "ok"
        # a pending change is lag, not drift
        c.execute("update commerce.products set title = 'Renamed' where id = %s", (product,))
        assert status(c, "index drift (sampled)") == "ok"
        c.execute("select * from outbox.drain('index')")
        c.execute("update index.products set title = 'Wrong' where product_id = %s", (product,))
        row = health(c)["index drift (sampled)"]
        assert row["status"] == "warn" and str(product) in row["figure"] and "request_reindex" in row["advice"]
        c.execute("select ops.request_reindex(%s, 'product', array[%s]::uuid[])", (t, product))
        c.execute("select * from outbox.drain('index')")
        assert status(c, "index drift (sampled)") == "ok"
        c.execute("update ops.health_settings set verify_sample = 0")
        assert health(c)["index drift (sampled)"]["figure"].startswith("not checked")


def test_verify_sample_checks_its_arguments_and_finds_extra_rows(fresh_db):
    with connect(fresh_db) as c:
        shop = make_shop(c)
        t = shop["tenant"]["id"]
        c.execute("select * from outbox.drain('index')")
        with pytest.raises(psycopg.errors.InvalidParameterValue, match="p_sample"):
            c.execute("select * from index.verify_sample(%s, 0)", (t,))
        with pytest.raises(psycopg.errors.InvalidParameterValue, match="p_tenant_id"):
            c.execute("select * from index.verify_sample(null, 5)")
        # a read row whose product does not exist
        c.execute("insert into index.products select (jsonb_populate_record(null::index.products, to_jsonb(p) "
                  "|| jsonb_build_object('product_id', core.new_id(), 'handle', 'ghost'))).* from index.products p")
        rows = c.execute("select * from index.verify_sample(%s, 5)", (t,)).fetchall()
        assert [(r["aggregate_type"], r["problem"]) for r in rows] == [("product", "extra")]
        assert rows == c.execute("select * from index.verify(%s)", (t,)).fetchall()


def test_inactive_replication_slot(pg, fresh_db):
    name = f"health_{uuid.uuid4().hex[:8]}"
    with pg.admin() as admin:   # slots need the replication privilege; they are cluster-wide
        admin.execute("select pg_create_physical_replication_slot(%s, true)", (name,))
        try:
            with connect(fresh_db) as c:
                row = health(c)["replication slots"]
                assert row["status"] == "warn" and name in row["figure"] and "pg_drop_replication_slot" in row["advice"]
        finally:
            admin.execute("select pg_drop_replication_slot(%s)", (name,))
    with connect(fresh_db) as c:
        assert status(c, "replication slots") == "ok"


def test_bloat_of_a_hot_table(fresh_db):
    with connect(fresh_db) as c:
        c.execute("alter table index.products set (autovacuum_enabled = false)")
        shop = make_shop(c)
        for _ in range(29):
            make_shop(c, tenant=shop["tenant"])
        c.execute("select * from outbox.drain('index')")
        c.execute("update ops.health_settings set dead_tuples_min = 10")
        flush_stats(c)
        assert status(c, "bloat: index.products") == "ok"
        c.execute("delete from index.products")
        flush_stats(c)
        row = health(c)["bloat: index.products"]
        assert row["status"] == "fail" and row["figure"].startswith("100% dead (30 dead")
        assert "vacuum (verbose, analyze) index.products" in row["advice"]
        c.execute("vacuum index.products")
        flush_stats(c)
        assert status(c, "bloat: index.products") == "ok"


def test_long_running_statement(fresh_db):
    with connect(fresh_db) as c:
        c.execute("update ops.health_settings set long_query_warn = '1 second', long_query_fail = '1 hour'")
        # another role's session: the owner sees its state through pg_monitor (granted by the embedded bootstrap)
        other = psycopg.connect(fresh_db.replace("rustok_owner@", "rustok_analyst@"), autocommit=True)
        pid = other.info.backend_pid

        def sleeper():
            with pytest.raises(psycopg.errors.QueryCanceled):
                other.execute("select pg_sleep(60)")

        thread = threading.Thread(target=sleeper)
        thread.start()
        try:
            time.sleep(1.5)
            row = health(c)["long-running statements"]
            assert row["status"] == "warn" and f"pid {pid} (rustok_analyst" in row["figure"]
            assert "pg_cancel_backend" in row["advice"] and "not visible" not in row["figure"]
            c.execute("select pg_cancel_backend(%s)", (pid,))
            thread.join(10)
            assert status(c, "long-running statements") == "ok"
        finally:
            thread.join(10)
            other.close()


def test_idle_in_transaction(fresh_db):
    with connect(fresh_db) as c:
        c.execute("update ops.health_settings set idle_in_transaction_warn = '1 second', idle_in_transaction_fail = '2 seconds'")
        with psycopg.connect(fresh_db) as other:
            other.execute("select 1")          # psycopg opened a transaction: now idle in it
            pid = other.info.backend_pid
            time.sleep(1.3)
            row = health(c)["idle in transaction"]
            assert row["status"] == "warn" and f"pid {pid}" in row["figure"] and "pg_terminate_backend" in row["advice"]
            time.sleep(1)
            assert status(c, "idle in transaction") == "fail"
            other.rollback()
            assert status(c, "idle in transaction") == "ok"


def test_counters_and_sequences(fresh_db):
    with connect(fresh_db) as c:
        t = make_tenant(c)
        c.execute("insert into commerce.order_counters (tenant_id, last_display_id) values (%s, 2000000000)", (t["id"],))
        row = health(c)["counters and sequences"]
        assert row["status"] == "fail" and t["slug"] in row["figure"] and "displayId" in row["advice"]
        c.execute("update commerce.order_counters set last_display_id = 1700000000")
        assert status(c, "counters and sequences") == "warn"
        c.execute("delete from commerce.order_counters")
        assert status(c, "counters and sequences") == "ok"
        c.execute("create sequence ops.health_test_seq as integer")
        c.execute("select setval('ops.health_test_seq', 2000000000)")
        row = health(c)["counters and sequences"]
        assert row["status"] == "fail" and "ops.health_test_seq" in row["figure"]
        assert "alter sequence ops.health_test_seq as bigint" in row["advice"]
        c.execute("alter sequence ops.health_test_seq as bigint maxvalue 9223372036854775807")
        assert status(c, "counters and sequences") == "ok"


def test_transaction_id_age_threshold(fresh_db):
    with connect(fresh_db) as c:
        c.execute("update ops.health_settings set xid_age_warn = 1")
        row = health(c)["transaction id age"]
        assert row["status"] == "warn" and "vacuum (freeze" in row["advice"]
        c.execute("update ops.health_settings set xid_age_warn = default")
        assert status(c, "transaction id age") == "ok"


def _run_job(c, name, error=None):
    """What the worker's scheduler does for a due run (rustok.outbox.periodic)."""
    assert c.execute("select outbox.claim_periodic_job(%s, now(), 'test') as ok", (name,)).fetchone()["ok"]
    if name == "ops.maintain" and error is None:
        c.execute("select * from ops.maintain()")
    c.execute("select outbox.finish_periodic_job(%s, %s)", (name, error))


def test_last_maintain_and_full_reindex(fresh_db):
    with connect(fresh_db) as c:
        # installed two days ago, and no worker ever ran
        c.execute("update public._yoyo_migration set applied_at_utc = applied_at_utc - interval '2 days'")
        found = health(c)
        assert found["last ops.maintain()"]["status"] == "fail"
        assert "never ran" in found["last ops.maintain()"]["figure"] and "rustok worker" in found["last ops.maintain()"]["advice"]
        assert found["last full reindex"]["status"] == "warn"
        _run_job(c, "ops.maintain")
        _run_job(c, "index.full_reindex")
        found = health(c)
        assert found["last ops.maintain()"]["status"] == "ok" and "finished" in found["last ops.maintain()"]["figure"]
        assert found["last full reindex"]["status"] == "ok"
        c.execute("update outbox.periodic_jobs set last_finished_at = now() - interval '10 minutes' where name = 'ops.maintain'")
        assert status(c, "last ops.maintain()") == "warn"
        _run_job(c, "ops.maintain", error="XX000: disk full")
        row = health(c)["last ops.maintain()"]
        assert row["status"] == "fail" and "disk full" in row["figure"]
        c.execute("update ops.health_settings set full_reindex_warn_age = null, full_reindex_fail_age = null")
        assert health(c)["last full reindex"]["figure"].startswith("not checked")
        # the worker's first sighting of a daily job counts from then, not from the install
        c.execute("delete from outbox.periodic_jobs where name = 'index.full_reindex'")
        c.execute("update ops.health_settings set full_reindex_warn_age = default, full_reindex_fail_age = default")
        c.execute("insert into outbox.periodic_jobs (name, last_started_at, last_started_by) "
                  "values ('index.full_reindex', now(), 'first start (not run)')")
        assert status(c, "last full reindex") == "ok"


def test_doctor_prints_a_table_and_exits_2_on_fail(fresh_db, monkeypatch, capsys):
    with connect(fresh_db) as c:
        worker_ran(c)
    monkeypatch.setenv("DATABASE_URL", fresh_db)
    assert cli.main(["doctor"]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0].split() == ["STATUS", "CHECK", "FIGURE"]
    assert "ok     migration files" in out and "0 fail" in out
    with connect(fresh_db) as c:
        c.execute("update ops.code_tree_state set digest = repeat('0', 64)")    # the files differ
        c.execute("insert into commerce.order_counters (tenant_id, last_display_id) values (%s, 2100000000)",
                  (make_tenant(c)["id"],))
    assert cli.main(["doctor", "--problems"]) == 2
    out = capsys.readouterr().out
    assert "fail   migration files" in out and "code tree (sql/code)" in out and "-> run rustok migrate" in out
    assert "fail   counters and sequences" in out
    assert "ok     outbox dead letters" not in out
