"""The worker against a real server: doorbell, polling fallback, reconnects, parallel workers, crashes, shutdown."""

from __future__ import annotations

import asyncio
import signal
import time

import psycopg
import pytest

from rustok.config import Settings
from rustok.worker_runtime import start_background_workers

from .helpers import add_consumer, add_users, install_handlers, make_tenant, scalar, spawn_cli_worker, wait_for


@pytest.fixture
def db(fresh_db):
    """fresh_db with the test handlers, consumer 'a' and a tenant; yields (url, autocommit conn, tenant id)."""
    with psycopg.connect(fresh_db, autocommit=True) as conn:
        install_handlers(conn)
        add_consumer(conn, "a", batch_size=50, lease="3 seconds")
        yield fresh_db, conn, make_tenant(conn)


def processed(conn) -> int:
    return conn.execute("select count(*) from outbox_test.effects").fetchone()[0]


def queued(conn) -> int:
    return conn.execute("select count(*) from outbox.deliveries").fetchone()[0]


def assert_effects_once(conn, expected: int) -> None:
    assert conn.execute("select count(*), coalesce(max(n), 0) from outbox_test.effects").fetchone() == (expected, 1)


def test_doorbell_notifies_only_an_idle_worker(db):
    url, conn, tenant = db
    with psycopg.connect(url, autocommit=True) as listener:
        listener.execute("listen rustok_outbox")
        add_users(conn, tenant, ["busy@example.com"])  # flag not set: nobody is told
        assert list(listener.notifies(timeout=0.3)) == []
        conn.execute("select outbox.set_idle()")
        add_users(conn, tenant, ["idle1@example.com", "idle2@example.com"])
        add_users(conn, tenant, ["idle3@example.com"])  # rung once; the flag is cleared
        got = list(listener.notifies(timeout=0.3))
        assert [(n.channel, n.payload) for n in got] == [("rustok_outbox", "")]


def test_notify_wakes_an_idle_worker_promptly(db, workers):
    url, conn, tenant = db
    w = workers(url, workers=1, poll_interval=30)
    w.wait_listening()
    wait_for(lambda: conn.execute("select idle from outbox.doorbell").fetchone()[0], what="worker idle")
    time.sleep(0.2)
    start = time.monotonic()
    add_users(conn, tenant, ["wake@example.com"])
    wait_for(lambda: processed(conn) == 1, timeout=5, interval=0.01, what="event processed")
    assert time.monotonic() - start < 2.0  # far below the 30 s poll: the NOTIFY woke it
    assert w.worker.stats.wakeups >= 1


def test_a_doorbell_wakes_one_slot_not_all(db, workers):
    """Four idle slots, one event: the bell wakes one slot; it finds the event and wakes one more (in case there is
    more), and both go back to sleep. Every slot woken by every bell cost 4 x 2 looks at the queue (9 here) and, at
    1,000 commits/s on 2 cores, twice the commit-to-index lag (bench/README.md, "Lag")."""
    url, conn, tenant = db
    w = workers(url, workers=4, poll_interval=30)
    w.wait_listening()
    wait_for(lambda: len(w.worker._sleeping) == 4, what="all four slots asleep")
    before = w.worker.stats.rounds
    add_users(conn, tenant, ["one@example.com"])
    wait_for(lambda: processed(conn) == 1, timeout=5, interval=0.01, what="event processed")
    wait_for(lambda: len(w.worker._sleeping) == 4, what="all four slots asleep again")
    # the slot that took it: a round with work, one without, one more after setting the idle flag; the slot it woke:
    # two rounds around the idle flag
    assert w.worker.stats.rounds - before == 5, w.worker.stats
    assert_effects_once(conn, 1)


def test_polling_fallback_without_listener(db, workers):
    url, conn, tenant = db
    workers(url, workers=1, poll_interval=0.3, listen=False)
    add_users(conn, tenant, [f"poll{i}@example.com" for i in range(5)])
    wait_for(lambda: processed(conn) == 5, timeout=5, what="polling catches up")
    assert_effects_once(conn, 5)


def test_listener_killed_polling_catches_up_and_listener_reconnects(db, workers):
    url, conn, tenant = db
    w = workers(url, workers=2, poll_interval=0.5)
    w.wait_listening()
    old = conn.execute("select pid from pg_stat_activity where application_name = 'rustok-outbox-listener'").fetchone()[0]
    conn.execute("select pg_terminate_backend(%s)", (old,))
    add_users(conn, tenant, [f"down{i}@example.com" for i in range(5)])
    wait_for(lambda: processed(conn) == 5, timeout=5, what="events processed while the listener was down")
    new = wait_for(lambda: conn.execute(
        "select pid from pg_stat_activity where application_name = 'rustok-outbox-listener' and pid <> %s",
        (old,)).fetchone(), timeout=10, what="listener reconnected")
    assert new[0] != old


def test_worker_survives_all_its_connections_being_killed(db, workers):
    url, conn, tenant = db
    w = workers(url, workers=2, poll_interval=0.5)
    w.wait_listening()
    killed = conn.execute("select count(pg_terminate_backend(pid)) from pg_stat_activity"
                          " where application_name like 'rustok-outbox-%'").fetchone()[0]
    assert killed >= 3
    add_users(conn, tenant, [f"restart{i}@example.com" for i in range(5)])
    wait_for(lambda: processed(conn) == 5, timeout=10, what="events processed after reconnect")
    w.wait_listening()
    assert_effects_once(conn, 5)


def test_two_workers_never_hold_the_same_event(db, workers):
    url, conn, tenant = db
    conn.execute("update outbox.consumers set batch_size = 5 where name = 'a'")
    conn.execute("update outbox_test.knobs set sleep = 0.02")
    add_users(conn, tenant, [f"par{i}@example.com" for i in range(100)])
    workers(url, workers=2, poll_interval=0.2)
    workers(url, workers=2, poll_interval=0.2)
    wait_for(lambda: queued(conn) == 0, timeout=30, what="queue drained")
    assert_effects_once(conn, 100)
    assert conn.execute("select count(*) from outbox_test.overlaps").fetchone()[0] == 0
    assert conn.execute("select count(distinct backend) from outbox_test.effects").fetchone()[0] >= 2


def _wait_sleeping_batch(conn, app="rustok-outbox-worker-0"):
    return wait_for(lambda: conn.execute(
        "select pid from pg_stat_activity where application_name = %s and wait_event = 'PgSleep'", (app,)).fetchone(),
        timeout=20, what="worker in the middle of a batch")[0]


def test_sigkill_mid_batch_lease_expires_then_another_worker_processes_once(db):
    url, conn, tenant = db
    conn.execute("update outbox_test.knobs set sleep = 30")
    add_users(conn, tenant, [f"kill{i}@example.com" for i in range(10)])
    proc = spawn_cli_worker(url, "--workers", "1", "--poll-interval", "0.2", "--no-periodic")
    try:
        backend = _wait_sleeping_batch(conn)
        assert conn.execute("select count(*) from outbox.deliveries where locked_by is not null").fetchone()[0] == 10
        proc.kill()
        proc.wait(10)
    finally:
        if proc.poll() is None:
            proc.kill()
    conn.execute("update outbox_test.knobs set sleep = 0")
    # Until the lease expires nobody else may take them.
    assert conn.execute("select claimed from outbox.process_batch('a', null, 'intruder')").fetchone()[0] == 0
    # The orphaned backend notices its client is gone (client_connection_check_interval) and rolls back.
    wait_for(lambda: not conn.execute("select 1 from pg_stat_activity where pid = %s", (backend,)).fetchone(),
             timeout=10, what="killed worker's backend to end")
    assert processed(conn) == 0
    wait_for(lambda: conn.execute("select bool_and(locked_until < now()) from outbox.deliveries").fetchone()[0],
             timeout=10, what="lease expiry")
    second = spawn_cli_worker(url, "--once", "--workers", "2")
    out, _ = second.communicate(timeout=60)
    assert second.returncode == 0, out
    assert queued(conn) == 0
    assert_effects_once(conn, 10)


def test_sigterm_finishes_the_running_batch(db):
    url, conn, tenant = db
    conn.execute("update outbox_test.knobs set sleep = 1.5")
    add_users(conn, tenant, [f"term{i}@example.com" for i in range(10)])
    proc = spawn_cli_worker(url, "--workers", "1", "--poll-interval", "0.2", "--no-periodic")
    _wait_sleeping_batch(conn)
    proc.send_signal(signal.SIGTERM)
    out, _ = proc.communicate(timeout=20)
    assert proc.returncode == 0, out
    assert "10 events processed" in out
    assert queued(conn) == 0
    assert_effects_once(conn, 10)


def test_sigterm_after_shutdown_timeout_cancels_and_releases(db):
    url, conn, tenant = db
    conn.execute("update outbox_test.knobs set sleep = 60")
    add_users(conn, tenant, [f"rel{i}@example.com" for i in range(10)])
    proc = spawn_cli_worker(url, "--workers", "1", "--poll-interval", "0.2", "--no-periodic",
                            "--shutdown-timeout", "0.5")
    _wait_sleeping_batch(conn)
    proc.send_signal(signal.SIGTERM)
    out, _ = proc.communicate(timeout=20)
    assert proc.returncode == 0, out
    assert "released 10 leased deliveries" in out, out
    assert processed(conn) == 0
    assert conn.execute("select count(*), max(attempts), count(locked_by) from outbox.deliveries").fetchone() == (10, 0, 0)


async def test_rustok_up_background_workers_process_and_run_periodic_jobs(db):
    url, conn, tenant = db
    settings = Settings(database_url=url, index_workers=1)
    stop = asyncio.Event()
    tasks = await start_background_workers(url, settings, stop)
    try:
        add_users(conn, tenant, ["up@example.com"])
        for _ in range(100):
            if processed(conn) == 1:
                break
            await asyncio.sleep(0.05)
        assert processed(conn) == 1
        for _ in range(100):
            if scalar(url, "select count(last_finished_at) from outbox.periodic_jobs where name = 'ops.maintain'"):
                break
            await asyncio.sleep(0.05)
        assert scalar(url, "select last_error is null from outbox.periodic_jobs where name = 'ops.maintain'")
    finally:
        stop.set()
        await asyncio.wait_for(asyncio.gather(*tasks), 15)


def test_bulk_statement_converges_without_waiting_for_leases(db, workers):
    """Regression (issue 10.1): a worker must process every delivery it leased, not strand them until the
    lease expires. With a 5-minute lease, 2,000 events from one statement must all be processed in seconds."""
    url, conn, tenant = db
    conn.execute("update outbox.consumers set lease = '5 minutes' where name = 'a'")
    workers(url, workers=4, poll_interval=0.5)
    start = time.monotonic()
    add_users(conn, tenant, [f"bulk{i}@example.com" for i in range(2000)])
    wait_for(lambda: processed(conn) == 2000, timeout=20, what="2,000 events processed")
    assert time.monotonic() - start < 20
    assert queued(conn) == 0
    # Nothing was leased twice: no attempt was counted beyond the first.
    assert_effects_once(conn, 2000)


async def test_batches_grow_with_a_backlog_and_shrink_back(db):
    """After a full batch the next one is twice as big (up to batch_size_max); a short one resets it."""
    from rustok.outbox.worker import OutboxWorker, WorkerConfig

    url, conn, tenant = db
    add_users(conn, tenant, [f"u{i}@example.com" for i in range(310)])
    cfg = WorkerConfig(workers=1, batch_size=10, batch_size_max=80, consumers=("a",), once=True, listen=False,
                       periodic=False)
    stats = await OutboxWorker(url, cfg).run()
    assert stats.claimed == 310 and queued(conn) == 0
    # 10, 20, 40, 80, 80, 80 = 310 events in 6 batches (31 at a fixed 10)
    assert stats.batches == 6, stats
    assert_effects_once(conn, 310)
    add_users(conn, tenant, [f"v{i}@example.com" for i in range(15)])
    stats = await OutboxWorker(url, cfg).run()
    assert (stats.batches, stats.claimed) == (2, 15)   # a new run starts small again: 10, then 5


def test_run_batch_leases_then_processes_in_one_call(db):
    """outbox.run_batch, the worker's one round trip: claim (committed) then process exactly those leases."""
    url, conn, tenant = db
    add_users(conn, tenant, [f"rb{i}@example.com" for i in range(3)])
    with pytest.raises(psycopg.errors.InvalidTransactionTermination):
        with conn.transaction():   # it commits in between: only from autocommit
            conn.execute("call outbox.run_batch('a', 10, 'w1')")
    assert queued(conn) == 3 and processed(conn) == 0
    assert conn.execute("call outbox.run_batch('a', 2, 'w1')").fetchone() == (2, 2, 0, 0)
    assert queued(conn) == 1
    assert conn.execute("call outbox.run_batch('a', 2, 'w1')").fetchone() == (1, 1, 0, 0)
    assert conn.execute("call outbox.run_batch('a', 2, 'w1')").fetchone() == (0, 0, 0, 0)
    assert_effects_once(conn, 3)
