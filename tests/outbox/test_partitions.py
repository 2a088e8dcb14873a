"""Partition upkeep of outbox.events: created ahead, default kept empty, expired ones dropped unless undelivered."""

from __future__ import annotations

import psycopg
import pytest
from psycopg.rows import tuple_row

from .helpers import add_consumer, install_handlers, make_tenant


@pytest.fixture
def q(conn):
    conn.row_factory = tuple_row
    install_handlers(conn)
    return conn


def insert_event(conn, tenant, occurred_at_sql: str):
    return conn.execute(
        f"insert into outbox.events (tenant_id, event_type, aggregate_type, aggregate_id, occurred_at)"
        f" values (%s, 'TestHappened', 'thing', core.new_id(), {occurred_at_sql}) returning id, occurred_at",
        (tenant,)).fetchone()


def partitions(conn):
    return [r[0] for r in conn.execute("select partition from outbox.partitions order by day")]


def test_partitions_exist_ahead_and_creation_is_idempotent(q):
    days = q.execute("select day from outbox.partitions where day >= outbox._today() order by day").fetchall()
    ahead = q.execute("select premake_days from outbox.settings").fetchone()[0]
    assert len(days) >= ahead + 1
    assert q.execute("select * from outbox.create_partitions()").fetchall() == []
    q.execute("select * from outbox.create_partitions(5)")
    assert q.execute("select count(*) from outbox.partitions where day between outbox._today() and outbox._today() + 5"
                     ).fetchone() == (6,)
    comment = q.execute("select obj_description(format('outbox.%I', outbox._partition_name(outbox._today()))::regclass)"
                        ).fetchone()[0]
    assert comment and "retention" in comment


def test_strays_move_out_of_the_default_partition_without_new_deliveries(q):
    add_consumer(q, "a")
    t = make_tenant(q)
    eid, _ = insert_event(q, t, "now() + interval '40 days'")
    assert q.execute("select count(*) from outbox.events_default").fetchone() == (1,)
    created = [r[0] for r in q.execute("select * from outbox.create_partitions()")]
    day = q.execute("select outbox._partition_name(outbox._today() + 40)").fetchone()[0]
    assert created == [day]
    assert q.execute("select count(*) from outbox.events_default").fetchone() == (0,)
    assert q.execute("select tableoid::regclass::text from outbox.events where id = %s", (eid,)).fetchone() == \
        (f"outbox.{day}",)
    assert q.execute("select count(*) from outbox.deliveries where event_id = %s", (eid,)).fetchone() == (1,)
    # Same indexes as a partition created directly (attached ones are matched to the parent's indexes).
    idx = "select count(*) from pg_index where indrelid = %s::regclass"
    today = q.execute("select 'outbox.' || outbox._partition_name(outbox._today())").fetchone()[0]
    assert q.execute(idx, (f"outbox.{day}",)).fetchone() == q.execute(idx, (today,)).fetchone() == (1,)  # the primary key (tenant_id, occurred_at, id) since 0150
    # The moved event is still processed normally.
    assert q.execute("select * from outbox.process_batch('a')").fetchone() == (1, 1, 0, 0)


def test_purge_keeps_partitions_with_undelivered_events(q):
    t = make_tenant(q)
    insert_event(q, t, "now() - interval '12 days'")          # delivered to nobody: droppable
    q.execute("select * from outbox.create_partitions()")
    old_free = q.execute("select outbox._partition_name(outbox._today() - 12)").fetchone()[0]
    add_consumer(q, "a", max_attempts=1)
    insert_event(q, t, "now() - interval '10 days'")          # queued for consumer a
    q.execute("select * from outbox.create_partitions()")
    old_busy = q.execute("select outbox._partition_name(outbox._today() - 10)").fetchone()[0]
    assert {old_free, old_busy} <= set(partitions(q))

    result = {r[0]: (r[1], r[2]) for r in q.execute("select * from outbox.purge_partitions()")}
    assert result[old_free][0] == "dropped"
    assert result[old_busy][0] == "kept" and "1 undelivered" in result[old_busy][1]
    assert old_free not in partitions(q) and old_busy in partitions(q)
    assert q.execute("select to_regclass(%s)", (f"outbox.{old_free}",)).fetchone() == (None,)
    # A dead delivery also keeps it; once discarded, the partition goes.
    q.execute("update outbox_test.knobs set fail_like = '%'")
    q.execute("create or replace function outbox_test.record_a(p_events outbox.events[]) returns void"
              " language plpgsql as $$ begin raise exception 'boom'; end $$")
    assert q.execute("select * from outbox.process_batch('a')").fetchone() == (1, 0, 1, 1)
    assert [r[1] for r in q.execute("select * from outbox.purge_partitions()")] == ["kept"]
    q.execute("select ops.discard_dead('a')")
    assert [r[:2] for r in q.execute("select * from outbox.purge_partitions(p_detach_only => true)")] == \
        [(old_busy, "detached")]
    assert old_busy not in partitions(q)
    assert q.execute("select count(*) from " + f"outbox.{old_busy}").fetchone() == (1,)  # kept as a table


def test_recent_partitions_are_never_purged(q):
    before = partitions(q)
    assert q.execute("select * from outbox.purge_partitions()").fetchall() == []
    assert partitions(q) == before


@pytest.mark.parametrize("sql, field", [
    ("select * from outbox.create_partitions(-1)", "p_days_ahead"),
    ("select * from outbox.purge_partitions('-1 day')", "p_retention"),
])
def test_bad_input(q, sql, field):
    with pytest.raises(psycopg.errors.InvalidParameterValue, match=field):
        q.execute(sql)


def test_settings_are_validated(q):
    with pytest.raises(psycopg.errors.CheckViolation, match="settings_retention_positive"):
        q.execute("update outbox.settings set retention = '1 minute'")
