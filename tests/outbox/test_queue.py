"""Consumer queues in SQL: fan-out, claiming with leases, batch + per-event retry, dead letters, ops functions."""

from __future__ import annotations

import psycopg
import pytest
from psycopg.rows import tuple_row

from .helpers import add_consumer, add_users, install_handlers, make_tenant


@pytest.fixture
def q(conn):
    """The rolled-back connection, with the test handlers installed (tuple rows)."""
    conn.row_factory = tuple_row
    install_handlers(conn)
    return conn


def one(conn, sql, params=None):
    return conn.execute(sql, params).fetchone()


def queue(conn, consumer):
    return conn.execute(
        "select event_type, state, attempts, last_error from outbox.deliveries where consumer = %s order by event_type",
        (consumer,)).fetchall()


def effects(conn, consumer="a"):
    return {r[0]: r[1] for r in conn.execute(
        "select aggregate_id, n from outbox_test.effects where consumer = %s", (consumer,)).fetchall()}


def test_fan_out_per_consumer_with_filters(q):
    add_consumer(q, "a", event_types=["UserRegistered"])
    add_consumer(q, "b")
    t = make_tenant(q)
    [u1, _] = add_users(q, t, ["x1@example.com", "x2@example.com"])
    q.execute("update core.users set last_login_at = now() where id = %s", (u1,))
    assert [r[0] for r in queue(q, "a")] == ["UserRegistered", "UserRegistered"]
    assert sorted(r[0] for r in queue(q, "b")) == ["UserLoggedIn", "UserRegistered", "UserRegistered"]


def test_process_batch_runs_handler_and_deletes(q):
    add_consumer(q, "a")
    t = make_tenant(q)
    ids = add_users(q, t, [f"ok{i}@example.com" for i in range(5)])
    assert one(q, "select * from outbox.process_batch('a')") == (5, 5, 0, 0)
    assert effects(q) == {i: 1 for i in ids}
    assert queue(q, "a") == []
    assert one(q, "select * from outbox.process_batch('a')") == (0, 0, 0, 0)


def test_ready_consumers_says_which_have_a_delivery_due(q):
    """What the worker asks every round: the enabled consumers, each with whether a delivery is due now."""
    for name in ("a", "b", "c", "d"):
        add_consumer(q, name, handler="outbox_test.record_a(outbox.events[])")
    t = make_tenant(q)
    add_users(q, t, ["r1@example.com", "r2@example.com"])   # queued for every consumer
    q.execute("update outbox.deliveries set available_at = now() + interval '1 hour' where consumer = 'b'")  # backoff
    q.execute("delete from outbox.deliveries where consumer = 'c'")
    q.execute("update outbox.consumers set enabled = false where name = 'd'")
    ready = {name: (size, due) for name, size, due in q.execute("select * from outbox.ready_consumers()").fetchall()}
    assert {k: ready[k] for k in ("a", "b", "c")} == {"a": (100, True), "b": (100, False), "c": (100, False)}
    assert "d" not in ready   # disabled: never claimed from, whatever it holds
    q.execute("update outbox.deliveries set available_at = now() where consumer = 'b' and event_id = "
              "(select event_id from outbox.deliveries where consumer = 'b' limit 1)")
    assert dict((n, d) for n, _, d in q.execute("select * from outbox.ready_consumers()").fetchall())["b"] is True


def test_batch_size_limits_claim(q):
    add_consumer(q, "a", batch_size=2)
    t = make_tenant(q)
    add_users(q, t, [f"ok{i}@example.com" for i in range(5)])
    assert one(q, "select * from outbox.process_batch('a')") == (2, 2, 0, 0)
    assert one(q, "select * from outbox.process_batch('a', 10)") == (3, 3, 0, 0)


def test_poison_event_fails_alone_with_error_text(q):
    add_consumer(q, "a")
    q.execute("update outbox_test.knobs set fail_like = 'bad%'")
    t = make_tenant(q)
    good1, bad, good2 = add_users(q, t, ["good1@example.com", "bad1@example.com", "good2@example.com"])
    assert one(q, "select * from outbox.process_batch('a')") == (3, 2, 1, 0)
    assert effects(q) == {good1: 1, good2: 1}
    [(etype, state, attempts, error)] = queue(q, "a")
    assert (etype, state, attempts) == ("UserRegistered", "pending", 1)
    assert error.startswith("23514: test handler: refusing bad1@example.com")
    # Backoff: not available again right away.
    assert one(q, "select available_at > now() from outbox.deliveries where consumer = 'a'") == (True,)
    assert one(q, "select * from outbox.process_batch('a')") == (0, 0, 0, 0)


def test_dead_letter_then_retry_from_psql(q):
    add_consumer(q, "a", max_attempts=3, backoff="0")
    q.execute("update outbox_test.knobs set fail_like = 'bad%'")
    t = make_tenant(q)
    [good, bad] = add_users(q, t, ["good@example.com", "bad@example.com"])
    assert one(q, "select * from outbox.drain('a')") == (3, 4, 1, 3, 1)  # batches, claimed, succeeded, failed (3 attempts), dead
    [(_, state, attempts, error)] = queue(q, "a")
    assert (state, attempts) == ("dead", 3) and "23514: test handler: refusing bad@example.com" in error
    assert one(q, "select pending, dead, last_error from outbox.backlog where consumer = 'a'") == (0, 1, error)
    assert one(q, "select aggregate_id, last_error from outbox.dead_letters where consumer = 'a'") == (bad, error)
    # Dead events are not picked up again.
    assert one(q, "select * from outbox.process_batch('a')") == (0, 0, 0, 0)
    # The cause is fixed; the operator retries from psql.
    q.execute("update outbox_test.knobs set fail_like = null")
    assert one(q, "select ops.retry_dead('a')") == (1,)
    assert one(q, "select * from outbox.process_batch('a')") == (1, 1, 0, 0)
    assert effects(q) == {good: 1, bad: 1}
    assert queue(q, "a") == []


def test_retry_and_discard_dead_by_type_and_id(q):
    add_consumer(q, "a", max_attempts=1)
    q.execute("update outbox_test.knobs set fail_like = 'bad%'")
    t = make_tenant(q)
    add_users(q, t, ["bad1@example.com", "bad2@example.com"])
    assert one(q, "select * from outbox.process_batch('a')") == (2, 0, 2, 2)
    ids = [r[0] for r in q.execute("select event_id from outbox.deliveries where consumer = 'a' order by event_id")]
    assert one(q, "select ops.retry_dead('a', 'UserLoggedIn')") == (0,)
    assert one(q, "select ops.retry_dead('a', p_event_ids => %s)", ([ids[0]],)) == (1,)
    assert [r[0] for r in q.execute("select state from outbox.deliveries where consumer = 'a' order by event_id")] == \
        ["pending", "dead"]
    assert one(q, "select ops.retry_dead('a', 'UserRegistered')") == (1,)
    assert one(q, "select * from outbox.process_batch('a')") == (2, 0, 2, 2)
    assert one(q, "select ops.discard_dead('a', p_event_ids => %s)", ([ids[1]],)) == (1,)
    assert one(q, "select ops.discard_dead('a')") == (1,)
    assert queue(q, "a") == []


def test_failing_consumer_does_not_hold_back_another(q):
    add_consumer(q, "a")
    add_consumer(q, "b")
    q.execute("update outbox_test.knobs set fail_like = '%'")  # 'a' and 'b' share the knob...
    q.execute("""create function outbox_test.ok(p_events outbox.events[]) returns void language sql
                 as $$ insert into outbox_test.effects (consumer, event_id, aggregate_id, event_type, backend)
                       select 'b', e.id, e.aggregate_id, e.event_type, 0 from unnest(p_events) e $$""")
    q.execute("update outbox.consumers set handler = 'outbox_test.ok(outbox.events[])' where name = 'b'")
    t = make_tenant(q)
    ids = add_users(q, t, [f"u{i}@example.com" for i in range(3)])
    assert one(q, "select * from outbox.process_batch('a')") == (3, 0, 3, 0)
    assert one(q, "select * from outbox.process_batch('b')") == (3, 3, 0, 0)
    assert set(effects(q, "b")) == set(ids)


def test_lease_keeps_other_workers_off_until_it_expires(q):
    add_consumer(q, "a")
    t = make_tenant(q)
    add_users(q, t, ["l1@example.com", "l2@example.com"])
    assert one(q, "select outbox.claim('a', 'w1')") == (2,)
    assert one(q, "select outbox.claim('a', 'w2')") == (0,)
    assert one(q, "select * from outbox.process_batch('a', null, 'w2')") == (0, 0, 0, 0)
    # The lease expires (worker w1 died): w2 takes over; the crashed attempt counts.
    q.execute("update outbox.deliveries set locked_until = now() - interval '1 second' where consumer = 'a'")
    assert one(q, "select outbox.claim('a', 'w2')") == (2,)
    rows = q.execute("select attempts, locked_by, last_error from outbox.deliveries where consumer = 'a'").fetchall()
    assert all(r[0] == 2 and r[1] == "w2" and "lease of w1 expired" in r[2] for r in rows)
    # Processing its own lease does not count a third attempt.
    assert one(q, "select * from outbox.process_batch('a', null, 'w2')") == (2, 2, 0, 0)


def test_lease_of_a_gone_backend_is_taken_over_at_once(q):
    """A killed worker's connection ends: its live leases are taken over now, not after the lease (issue 10)."""
    add_consumer(q, "a")
    t = make_tenant(q)
    add_users(q, t, ["g1@example.com", "g2@example.com"])
    assert one(q, "select outbox.claim('a', 'w1')") == (2,)
    assert one(q, "select outbox.claim('a', 'w2')") == (0,)  # w1's backend (this one) is alive
    # as if w1's connection were gone: a pid no backend has
    q.execute("update outbox.deliveries set locked_pid = -1 where consumer = 'a'")
    assert one(q, "select outbox.claim('a', 'w2')") == (2,)
    rows = q.execute("select attempts, locked_by, locked_pid = pg_backend_pid(), last_error from outbox.deliveries "
                     "where consumer = 'a'").fetchall()
    assert all(r[0] == 2 and r[1] == "w2" and r[2] and "lease of w1 taken over: its connection (pid -1) is gone" in r[3]
               for r in rows), rows
    assert one(q, "select * from outbox.process_batch('a', null, 'w2')") == (2, 2, 0, 0)


def test_a_batch_in_its_claiming_transaction_only_locks_the_free_deliveries(q):
    """outbox.process_batch and outbox.drain process in the transaction that claims: a lease there is never seen by
    anyone, so free deliveries are only row-locked (no new queue row version per event); a failure still counts one
    attempt per batch, and a lease taken over from a dead worker is still recorded and counted."""
    add_consumer(q, "a", backoff="0")
    add_consumer(q, "b")
    t = make_tenant(q)
    add_users(q, t, ["f1@example.com", "f2@example.com"])
    assert len(q.execute("select * from outbox._lease('a', 'w', 10, '1 minute', null, null, false)").fetchall()) == 2
    assert q.execute("select locked_by, locked_until, attempts from outbox.deliveries where consumer = 'a'").fetchall() \
        == [(None, None, 0)] * 2
    # the worker's claim (committed before processing) records the lease and counts the attempt
    assert len(q.execute("select * from outbox._lease('b', 'w', 10, '1 minute')").fetchall()) == 2
    assert {r[0] for r in q.execute("select (locked_by, attempts) = ('w', 1) from outbox.deliveries "
                                    "where consumer = 'b'")} == {True}

    q.execute("update outbox_test.knobs set fail_like = 'bad%'")
    add_users(q, t, ["bad9@example.com"])
    q.execute("delete from outbox.deliveries where consumer = 'a' and event_type <> 'UserRegistered'")
    assert one(q, "select * from outbox.process_batch('a')") == (3, 2, 1, 0)
    assert [r[2] for r in queue(q, "a")] == [1]
    assert one(q, "select * from outbox.process_batch('a')") == (1, 0, 1, 0)
    assert [r[2] for r in queue(q, "a")] == [2]
    # a dead worker's expired lease, taken over by a one-transaction batch: recorded (attempt counted), then failed
    assert one(q, "select outbox.claim('a', 'w1')") == (1,)
    q.execute("update outbox.deliveries set locked_until = now() - interval '1 second' where consumer = 'a'")
    assert one(q, "select * from outbox.process_batch('a')") == (1, 0, 1, 0)
    assert one(q, "select attempts, locked_by from outbox.deliveries where consumer = 'a'") == (4, None)


def test_release_returns_leases_without_counting(q):
    add_consumer(q, "a")
    t = make_tenant(q)
    add_users(q, t, ["r1@example.com"])
    q.execute("select outbox.claim('a', 'w1')")
    assert one(q, "select outbox.release('a', 'w1')") == (1,)
    assert one(q, "select attempts, locked_by, locked_until from outbox.deliveries") == (0, None, None)


def test_replay_time_range(q):
    t = make_tenant(q)
    ids = add_users(q, t, ["p1@example.com", "p2@example.com"])
    add_consumer(q, "a")
    assert queue(q, "a") == []  # registered after the events
    assert one(q, "select ops.replay_events('a', now() - interval '1 minute', now() + interval '1 minute')") == (2,)
    assert one(q, "select ops.replay_events('a', now() - interval '1 minute', now() + interval '1 minute')") == (0,)
    assert one(q, "select * from outbox.drain('a')")[1:3] == (2, 2)
    assert effects(q) == {i: 1 for i in ids}
    assert one(q, "select ops.replay_events('a', now() - interval '1 minute', now() + interval '1 minute',"
                  " array['UserLoggedIn'])") == (0,)


def test_backlog_counts_and_oldest_age(q):
    add_consumer(q, "a")
    add_consumer(q, "b", event_types=["UserLoggedIn"])
    t = make_tenant(q)
    add_users(q, t, ["k1@example.com", "k2@example.com"])
    q.execute("update outbox.deliveries set occurred_at = occurred_at - interval '10 minutes'")
    rows = q.execute("select consumer, event_type, pending, in_flight, dead, oldest_pending_age >= interval '10 minutes'"
                     " from ops.outbox_backlog() where consumer in ('a', 'b')").fetchall()
    assert rows == [("a", "UserRegistered", 2, 0, 0, True), ("b", None, 0, 0, 0, None)]


def test_doorbell_rings_only_when_idle(q):
    add_consumer(q, "a")
    t = make_tenant(q)
    add_users(q, t, ["d1@example.com"])
    assert one(q, "select idle from outbox.doorbell") == (False,)
    q.execute("select outbox.set_idle()")
    assert one(q, "select idle from outbox.doorbell") == (True,)
    add_users(q, t, ["d2@example.com"])
    assert one(q, "select idle from outbox.doorbell") == (False,)


def test_unregister_drops_queue(q):
    add_consumer(q, "a")
    t = make_tenant(q)
    add_users(q, t, ["z1@example.com"])
    assert one(q, "select outbox.unregister_consumer('a')") == (1,)
    assert one(q, "select count(*) from outbox.deliveries") == (0,)


@pytest.mark.parametrize(
    "sql, sqlstate, field",
    [
        ("select outbox.register_consumer('a', 'core.new_id()')", "22023", "outbox.consumers.handler"),
        ("select outbox.register_consumer('a', 'outbox_test.record_a(outbox.events[])', p_event_types => '{bad_type}')",
         "22023", "outbox.consumers.event_types"),
        ("select outbox.register_consumer('Bad Name', 'outbox_test.record_a(outbox.events[])')", "23514",
         "consumers_name_format"),
        ("select outbox.register_consumer('a', 'outbox_test.record_a(outbox.events[])', p_batch_size => 0)", "23514",
         "consumers_batch_size_range"),
        ("select * from outbox.process_batch('nope')", "P0002", "outbox.consumers.name"),
        ("select * from outbox.process_batch('a', 0)", "22023", "p_limit"),
        ("select * from outbox.drain('a', 0)", "22023", "p_max_batches"),
        ("select ops.retry_dead('nope')", "P0002", "p_consumer"),
        ("select ops.replay_events('a', now(), now() - interval '1 hour')", "22023", "p_from"),
    ],
)
def test_bad_input(q, sql, sqlstate, field):
    add_consumer(q, "a")
    q.execute("savepoint s")
    with pytest.raises(psycopg.Error) as err:
        q.execute(sql)
    q.execute("rollback to savepoint s")
    assert err.value.sqlstate == sqlstate, err.value
    assert field in str(err.value)
    assert one(q, "select count(*), min(handler::text) from outbox.consumers where name not in ('index', 'mail')") == (1, "outbox_test.record_a(outbox.events[])")


def test_missing_handler_is_a_clear_error_and_touches_nothing(q):
    q.execute("create function outbox_test.gone(p_events outbox.events[]) returns void language sql as $$ select $$")
    add_consumer(q, "a", handler="outbox_test.gone(outbox.events[])")
    t = make_tenant(q)
    add_users(q, t, ["m1@example.com"])
    q.execute("drop function outbox_test.gone(outbox.events[])")
    q.execute("savepoint s")
    with pytest.raises(psycopg.errors.ObjectNotInPrerequisiteState, match="outbox.consumers.handler"):
        q.execute("select * from outbox.process_batch('a')")
    q.execute("rollback to savepoint s")
    assert queue(q, "a") == [("UserRegistered", "pending", 0, None)]


def test_app_role_writers_fan_out_without_queue_privileges(q):
    """Another module's (security invoker) trigger inserts into outbox.events as rustok_app."""
    add_consumer(q, "a")
    t = make_tenant(q)
    q.execute("set local role rustok_app")
    q.execute("select core.set_tenant(%s)", (t,))
    q.execute("insert into outbox.events (tenant_id, event_type, aggregate_type, aggregate_id)"
              " select %s, 'ProductUpdated', 'product', core.new_id() from generate_series(1, 3)", (t,))
    q.execute("reset role")
    assert one(q, "select count(*), min(event_type) from outbox.deliveries where consumer = 'a'") == (3, "ProductUpdated")


def test_one_queue_across_tenants_keyed_by_tenant(q):
    """Migration 0150: a delivery carries its event's tenant, and the claim still takes one consumer's queue across
    tenants, oldest first; outcomes (success, failure, lease) land on the right tenant's rows."""
    add_consumer(q, "a", batch_size=10)
    q.execute("update outbox_test.knobs set fail_like = 'bad%'")
    tenants = [make_tenant(q) for _ in range(3)]
    users = {}
    for i, t in enumerate(tenants):
        users[t] = add_users(q, t, [f"ok{i}@example.com", f"bad{i}@example.com"])
    assert one(q, "select count(*) from outbox.deliveries d join outbox.events e on e.tenant_id = d.tenant_id "
                  "and e.occurred_at = d.occurred_at and e.id = d.event_id where d.consumer = 'a'") == (6,)
    assert one(q, "select count(distinct tenant_id) from outbox.deliveries where consumer = 'a'") == (3,)
    # one lease over the three tenants, then one batch processes all of them: only the bad ones stay, per tenant
    assert one(q, "select outbox.claim('a', 'w1', 4)") == (4,)
    assert one(q, "select count(distinct tenant_id) from outbox.deliveries where locked_by = 'w1'")[0] >= 2
    assert one(q, "select * from outbox.process_batch('a', 10, 'w1')") == (6, 3, 3, 0)
    left = q.execute("select d.tenant_id, e.payload->>'email', d.attempts, d.locked_by from outbox.deliveries d "
                     "join outbox.events e on e.tenant_id = d.tenant_id and e.occurred_at = d.occurred_at "
                     "and e.id = d.event_id order by 2").fetchall()
    assert [(t, email, n, by) for t, email, n, by in left] == [
        (tenants[i], f"bad{i}@example.com", 1, None) for i in range(3)]
    assert effects(q) == {users[t][0]: 1 for t in tenants}


def test_the_app_queues_only_its_own_tenants_deliveries(q):
    """outbox.deliveries is under tenant_isolation like every tenant table: the API's role inserts (through the
    fan-out trigger of its own events) only its tenant's rows."""
    add_consumer(q, "a")
    mine, other = make_tenant(q), make_tenant(q)
    q.execute("set local role rustok_app")
    q.execute("select core.set_tenant(%s)", (mine,))
    q.execute("insert into outbox.events (tenant_id, event_type, aggregate_type, aggregate_id)"
              " values (%s, 'ProductUpdated', 'product', core.new_id())", (mine,))
    with pytest.raises(psycopg.errors.InsufficientPrivilege, match="row-level security"):
        with q.transaction():
            q.execute("insert into outbox.deliveries (tenant_id, consumer, event_id, occurred_at, event_type)"
                      " values (%s, 'a', core.new_id(), now(), 'ProductUpdated')", (other,))
    q.execute("reset role")
    assert one(q, "select count(*), min(tenant_id::text) from outbox.deliveries where consumer = 'a'") == (1, str(mine))
