"""Two writers of one tenant's kept tallies (index.search_tallies) in transactions of several statements, as
`outbox.drain` runs batch after batch in one transaction: the second queues behind the first instead of deadlocking
on the tally rows (index._search_tallies_lock_key). Before the lock, writer A held the tally of its first statement,
writer B locked the other tally (key order) and waited for A's, and A's second statement then waited for B's:
"deadlock detected", and every drain batch of two concurrent drains was retried event by event a second at a time."""

from __future__ import annotations

import threading
import time

import psycopg
from psycopg.rows import dict_row

from tests.conftest import make_tenant
from tests.index.conftest import Shop
from tests.index.test_search_cache import coat_catalog, read
from tests.index.test_search_tallies import assert_exact

FLIP = "update index.product_search set has_stock = not has_stock where tenant_id = %s and product_id = any(%s)"


def _waiting(conn, pid: int) -> bool:
    return conn.execute("select wait_event_type = 'Lock' from pg_stat_activity where pid = %s",
                        (pid,)).fetchone()["?column?"] is True


def test_two_multi_statement_writers_queue_instead_of_deadlocking(fresh_db):
    with psycopg.connect(fresh_db, autocommit=True, row_factory=dict_row) as setup:
        setup.execute("set rustok.search_cache_min_ms = 0")    # keep every listing's tally, whatever it costs
        shop = Shop(setup, make_tenant(setup))
        coat_catalog(shop)
        read(shop, search="velvet")
        read(shop, search="wool")
        keys = {r["q"]: r["key"] for r in setup.execute(
            "select q::text, key from index.search_tallies where tenant_id = %s", (shop.t,)).fetchall()}
        assert len(keys) == 2, keys
        velvet = [p["id"] for p, _ in shop.products[0::2]]   # even coats are velvet, odd ones wool
        wool = [p["id"] for p, _ in shop.products[1::2]]
        low_is_velvet = min(keys, key=keys.get).startswith("'velvet'")
        low, high = (velvet, wool) if low_is_velvet else (wool, velvet)

        a = psycopg.connect(fresh_db, row_factory=dict_row)
        b = psycopg.connect(fresh_db, row_factory=dict_row)
        errors: list[BaseException] = []
        try:
            a.execute(FLIP, (shop.t, [high[0]]))                 # A: the tally with the higher key only

            def writer_b():
                try:
                    b.execute(FLIP, (shop.t, [low[1], high[1]]))  # B: both tallies, in key order
                    b.commit()
                except BaseException as exc:
                    errors.append(exc)
                    b.rollback()

            tb = threading.Thread(target=writer_b)
            tb.start()
            deadline = time.monotonic() + 10
            while not _waiting(setup, b.info.backend_pid):
                assert time.monotonic() < deadline, "B never waited for A"
                time.sleep(0.02)
            a.execute(FLIP, (shop.t, [low[0]]))                  # A's second statement: the lower key's tally
            a.commit()
            tb.join(30)
            assert not tb.is_alive()
        finally:
            a.close()
            b.close()
        assert errors == [], errors
        # both writers' changes are counted in both tallies
        shop.conn = setup
        assert_exact(shop)
