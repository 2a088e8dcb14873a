"""verify finds every kind of drift; reindex repairs it and survives bad rows; analysts read the views."""

from __future__ import annotations

import threading
import uuid

import psycopg
from psycopg.rows import dict_row

from tests.conftest import make_tenant
from tests.index.conftest import Shop


def test_verify_catches_corruption_and_reindex_repairs_it(shop):
    p, v = shop.full_product("Chair", amount=5000)
    p2, _ = shop.full_product("Table")
    n = shop.node("post", "Hello world")
    o = shop.order([{"variant_id": str(v["id"]), "quantity": 1}])
    shop.drain()
    assert shop.verify() == []

    c = shop.conn
    c.execute("update index.products set title = 'Stool', has_stock = false where product_id = %s", (p["id"],))
    c.execute("update index.product_prices set min_amount = 1 where product_id = %s", (p2["id"],))
    c.execute("delete from index.content where node_id = %s", (n["id"],))
    c.execute("update index.orders set total = total + 1 where order_id = %s", (o["id"],))
    ghost = uuid.uuid4()
    c.execute("insert into index.products (tenant_id, product_id, title, handle, status, created_at, updated_at) "
              "values (%s, %s, 'Ghost', 'ghost', 'published', now(), now())", (shop.t, ghost))
    drift = {(d["aggregate_type"], str(d["aggregate_id"]), d["problem"], tuple(d["columns"] or ())) for d in shop.verify()}
    assert drift == {
        ("product", str(p["id"]), "different", ("has_stock", "title")),
        ("product", str(p2["id"]), "different", ("product_prices",)),
        ("product", str(ghost), "extra", ()),
        ("node", str(n["id"]), "missing", ()),
        ("order", str(o["id"]), "different", ("total",)),
    }
    r = shop.one("select * from index.reindex_tenant(%s)", (shop.t,))
    assert r["failed"] == 0 and r["total"] == 5 and r["succeeded"] == 5 and r["seconds"] >= 0
    assert shop.verify() == []
    assert shop.iproduct(ghost) is None


def test_reindex_does_not_stop_at_the_first_failure(shop):
    good = [shop.product(f"Good {i}")["id"] for i in range(5)]
    bad = shop.product("Poison")["id"]
    shop.drain()
    shop.conn.execute("delete from index.products where tenant_id = %s", (shop.t,))
    # a row whose rebuild fails (simulated with a trigger on the read table)
    shop.conn.execute(f"""
        create function pg_temp.poison() returns trigger language plpgsql as $$
        begin
            if new.product_id = '{bad}' then raise exception 'poisoned row' using errcode = 'data_exception'; end if;
            return new;
        end $$""")
    shop.conn.execute("create trigger poison before insert or update on index.products for each row execute function pg_temp.poison()")
    r = shop.one("select * from index.reindex_tenant(%s, array['product'], 2)", (shop.t,))
    assert (r["total"], r["succeeded"], r["failed"]) == (6, 5, 1)
    assert r["failed_ids"] == [bad] and "poisoned row" in r["errors"][0] and r["errors"][0].startswith("22000")
    assert shop.scalar("select count(*) from index.products where tenant_id = %s", (shop.t,)) == 5
    assert all(shop.iproduct(g) for g in good)
    shop.conn.execute("drop trigger poison on index.products")
    assert shop.one("select * from index.reindex_tenant(%s)", (shop.t,))["failed"] == 0
    assert shop.verify() == []


def test_reindex_arguments(shop):
    for sql, state in [("select * from index.reindex_tenant(%s, p_chunk_size => 0)", "22023"),
                       ("select * from index.reindex_tenant(%s, array['widget'])", "22023")]:
        try:
            with shop.conn.transaction():
                shop.conn.execute(sql, (shop.t,))
            raise AssertionError("no error")
        except psycopg.Error as e:
            assert e.sqlstate == state
    try:
        with shop.conn.transaction():
            shop.conn.execute("select * from index.reindex_tenant(%s)", (uuid.uuid4(),))
        raise AssertionError("no error")
    except psycopg.Error as e:
        assert e.sqlstate == "P0002" and "p_tenant_id" in str(e)


def test_words_are_refreshed(shop):
    p = shop.product("Zanzibar Spice")
    shop.drain()
    assert shop.scalar("select count(*) from index.words where tenant_id = %s and word = 'zanzibar'", (shop.t,)) == 1
    shop.conn.execute("update commerce.products set title = 'Plain Spice' where id = %s", (p["id"],))
    shop.drain()
    shop.one("select * from index.reindex_tenant(%s)", (shop.t,))
    assert shop.scalar("select count(*) from index.words where tenant_id = %s and word = 'zanzibar'", (shop.t,)) == 0
    assert shop.scalar("select count(*) from index.words where tenant_id = %s and word = 'plain'", (shop.t,)) == 1


def test_analyst_reads_views_and_tables(shop):
    p, v = shop.full_product("Tea", amount=300, stocked=100)
    shop.order([{"variant_id": str(v["id"]), "quantity": 2}])
    o2 = shop.order([{"variant_id": str(v["id"]), "quantity": 5}])
    shop.conn.execute("select commerce.set_order_status(%s, %s, 'cancelled')", (shop.t, o2["id"]))
    shop.drain()
    shop.conn.execute("set local role rustok_analyst")
    day = shop.one("select * from analytics.sales_daily where tenant_id = %s", (shop.t,))
    assert day["orders"] == 2 and day["cancelled_orders"] == 1 and day["units"] == 2 and day["subtotal"] == 600
    top = shop.one("select * from analytics.top_products where tenant_id = %s", (shop.t,))
    assert top["product_id"] == p["id"] and top["units"] == 2 and top["revenue"] == 600 and top["title"] == "Tea"
    assert shop.one("select * from analytics.catalog_summary where tenant_id = %s", (shop.t,))["units_in_stock"] == 98
    assert shop.scalar("select count(*) from index.products where tenant_id = %s", (shop.t,)) == 1


def _commit_shop(url):
    conn = psycopg.connect(url, row_factory=dict_row, autocommit=True)
    return conn


def test_concurrent_writers_and_consumer_end_without_drift(fresh_db):
    with psycopg.connect(fresh_db, row_factory=dict_row, autocommit=True) as setup:
        tenant = make_tenant(setup)
        s = Shop(setup, tenant)
        products = [s.full_product(f"Item {i}", amount=100 + i, stocked=10)[0]["id"] for i in range(6)]
    errors = []
    stop = threading.Event()

    def writer(k):
        try:
            with psycopg.connect(fresh_db, autocommit=True) as c:
                for round_ in range(15):
                    pid = products[(k + round_) % len(products)]
                    c.execute("update commerce.products set title = %s where id = %s", (f"Item {k}-{round_}", pid))
                    c.execute("update commerce.prices set amount = amount + 1 where variant_id in "
                              "(select id from commerce.variants where product_id = %s)", (pid,))
        except Exception as e:  # noqa: BLE001 - reported by the assertion below
            errors.append(e)

    def consumer():
        try:
            with psycopg.connect(fresh_db, autocommit=True) as c:
                while not stop.is_set():
                    c.execute("select * from outbox.process_batch('index', 20)")
        except Exception as e:  # noqa: BLE001 - reported by the assertion below
            errors.append(e)

    def reindexer():
        try:
            with psycopg.connect(fresh_db, autocommit=True) as c:
                for _ in range(3):
                    c.execute("select * from index.reindex_tenant(%s, array['product'], 2)", (tenant["id"],))
        except Exception as e:  # noqa: BLE001 - reported by the assertion below
            errors.append(e)

    threads = [threading.Thread(target=writer, args=(k,)) for k in range(2)]
    cons = threading.Thread(target=consumer)
    rx = threading.Thread(target=reindexer)
    cons.start(); rx.start()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    rx.join()
    stop.set()
    cons.join()
    assert errors == []
    with psycopg.connect(fresh_db, row_factory=dict_row, autocommit=True) as c:
        c.execute("select * from outbox.drain('index')")
        assert c.execute("select count(*) as n from outbox.deliveries where consumer = 'index'").fetchone()["n"] == 0
        assert c.execute("select * from index.verify(%s)", (tenant["id"],)).fetchall() == []
