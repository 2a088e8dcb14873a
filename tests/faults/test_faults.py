"""The fault suite (issue 10): real processes, real connections.

Short by default (CI); the long version runs each fault for longer:

    RUSTOK_FAULT_SECONDS=120 .venv/bin/python -m pytest -q tests/faults

- the worker is SIGKILLed again and again while GraphQL mutations and psql statements write; afterwards
  nothing is lost or stuck, `index.verify` is clean, and the read rows equal an independent
  recomputation from the write tables (plain SQL written here, not the projection's own functions);
- one product updated concurrently from GraphQL and from psql converges to the last committed state.
(Database outages: tests/graphql/test_outage.py. A bulk UPDATE converging: tests/index/test_bulk_convergence.py.)
"""

from __future__ import annotations

import os
import random
import signal
import threading
import time

import psycopg
import pytest
from starlette.testclient import TestClient

from rustok.app import create_app
from rustok.auth import hash_password
from tests.outbox.helpers import spawn_cli_worker, wait_for

SECONDS = float(os.environ.get("RUSTOK_FAULT_SECONDS", "8"))
PRODUCTS = 12

# The read row's facts recomputed from the write tables with plain SQL, independently of index._product_rows.
INDEPENDENT = """
select p.id, p.title, p.status,
       (select min(pr.amount) from commerce.variants v join commerce.prices pr
          on pr.tenant_id = v.tenant_id and pr.variant_id = v.id
        where v.tenant_id = p.tenant_id and v.product_id = p.id and pr.currency_code = 'EUR'
          and pr.price_list_id is null and pr.min_quantity = 1) as min_eur,
       (select coalesce(sum(l.stocked_quantity - l.reserved_quantity), 0) from commerce.variants v
          join commerce.variant_inventory vi on vi.tenant_id = v.tenant_id and vi.variant_id = v.id
          join commerce.inventory_levels l on l.tenant_id = vi.tenant_id and l.inventory_item_id = vi.inventory_item_id
        where v.tenant_id = p.tenant_id and v.product_id = p.id) as stock
from commerce.products p where p.tenant_id = %s order by p.id
"""
READ_ROWS = """
select i.product_id, i.title, i.status, (i.prices -> 'EUR' ->> 'min')::bigint, i.total_stock
from index.products i where i.tenant_id = %s order by i.product_id
"""


def _arrange(c: psycopg.Connection) -> tuple:
    t = c.execute("insert into core.tenants (name, slug) values ('Faults', 'faults') returning id").fetchone()[0]
    c.execute("insert into core.users (tenant_id, email, password_hash, role) values (%s, 'staff@f.io', %s, 'admin')",
              (t, hash_password("password123")))
    loc = c.execute("insert into commerce.stock_locations (tenant_id, name) values (%s, 'WH') returning id", (t,)).fetchone()[0]
    products, variants = [], []
    for i in range(PRODUCTS):
        p = c.execute("insert into commerce.products (tenant_id, title, handle, status) values (%s, %s, %s, 'published') "
                      "returning id", (t, f"Item {i}", f"item-{i}")).fetchone()[0]
        v = c.execute("insert into commerce.variants (tenant_id, product_id, title, sku) values (%s, %s, 'Default', %s) "
                      "returning id", (t, p, f"SKU-{i}")).fetchone()[0]
        c.execute("insert into commerce.prices (tenant_id, variant_id, amount, currency_code) values (%s, %s, 1000, 'EUR')",
                  (t, v))
        item = c.execute("insert into commerce.inventory_items (tenant_id, sku) values (%s, %s) returning id",
                         (t, f"INV-{i}")).fetchone()[0]
        c.execute("insert into commerce.variant_inventory (tenant_id, variant_id, inventory_item_id) values (%s, %s, %s)",
                  (t, v, item))
        c.execute("insert into commerce.inventory_levels (tenant_id, inventory_item_id, location_id, stocked_quantity) "
                  "values (%s, %s, %s, 10)", (t, item, loc))
        products.append(p)
        variants.append(v)
    return t, products, variants


def _gql(client: TestClient, query: str, variables: dict, token: str | None = None) -> dict:
    headers = {"X-Tenant": "faults"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    resp = client.post("/graphql", json={"query": query, "variables": variables}, headers=headers)
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert not body.get("errors"), body["errors"]
    return body["data"]


def _login(client: TestClient) -> str:
    return _gql(client, "mutation { login(email: \"staff@f.io\", password: \"password123\") { token } }", {})["login"]["token"]


def _settle(c: psycopg.Connection, t) -> None:
    """With a healthy worker running: wait for the index queue to empty, then check the read model."""
    wait_for(lambda: c.execute("select count(*) from outbox.deliveries where consumer = 'index' and state = 'pending'"
                               ).fetchone()[0] == 0, timeout=120, interval=0.1, what="index queue drained")
    assert c.execute("select count(*) from outbox.deliveries where consumer = 'index' and state = 'dead'").fetchone()[0] == 0
    assert c.execute("select * from index.verify(%s)", (t,)).fetchall() == []
    assert [tuple(r) for r in c.execute(READ_ROWS, (t,)).fetchall()] == [tuple(r) for r in c.execute(INDEPENDENT, (t,)).fetchall()]


def test_worker_killed_repeatedly_during_mixed_graphql_and_psql_writes(fresh_db):
    with psycopg.connect(fresh_db, autocommit=True) as c:
        t, products, variants = _arrange(c)
        c.execute("select * from outbox.drain('index')")
        stop = threading.Event()
        errors: list[BaseException] = []
        counts = {"graphql": 0, "psql": 0, "kills": 0}

        def psql_writer():
            rnd = random.Random(1)
            try:
                with psycopg.connect(fresh_db, autocommit=True) as w:
                    while not stop.is_set():
                        i = rnd.randrange(PRODUCTS)
                        if rnd.random() < 0.5:
                            w.execute("update commerce.products set title = %s where id = %s", (f"psql {rnd.random():.6f}", products[i]))
                        else:
                            w.execute("update commerce.inventory_levels l set stocked_quantity = %s from commerce.variant_inventory vi "
                                      "where vi.variant_id = %s and l.inventory_item_id = vi.inventory_item_id",
                                      (rnd.randrange(0, 50), variants[i]))
                        counts["psql"] += 1
            except BaseException as exc:  # reported by the assertion below
                errors.append(exc)

        def graphql_writer():
            rnd = random.Random(2)
            try:
                with TestClient(create_app(fresh_db)) as client:
                    token = _login(client)
                    while not stop.is_set():
                        i = rnd.randrange(PRODUCTS)
                        if rnd.random() < 0.5:
                            _gql(client, "mutation($id: ID!, $t: String!) { updateProduct(id: $id, input: {title: $t}) { position } }",
                                 {"id": str(products[i]), "t": f"gql {rnd.random():.6f}"}, token)
                        else:
                            _gql(client, "mutation($v: ID!, $a: BigInt!) { setVariantPrice(variantId: $v, currencyCode: \"EUR\", amount: $a) { position } }",
                                 {"v": str(variants[i]), "a": rnd.randrange(100, 100000)}, token)
                        counts["graphql"] += 1
            except BaseException as exc:  # reported by the assertion below
                errors.append(exc)

        writers = [threading.Thread(target=psql_writer), threading.Thread(target=graphql_writer)]
        for w in writers:
            w.start()
        worker = spawn_cli_worker(fresh_db)
        try:
            deadline = time.monotonic() + SECONDS
            while time.monotonic() < deadline:
                time.sleep(random.uniform(0.3, 1.2))
                worker.send_signal(signal.SIGKILL)
                worker.wait(10)
                counts["kills"] += 1
                worker = spawn_cli_worker(fresh_db)
            stop.set()
            for w in writers:
                w.join(30)
            assert errors == []
            assert counts["graphql"] > 0 and counts["psql"] > 0 and counts["kills"] >= 3, counts
            _settle(c, t)
        finally:
            stop.set()
            worker.terminate()
            worker.wait(30)


def test_one_product_updated_from_graphql_and_psql_converges_to_the_last_commit(fresh_db):
    with psycopg.connect(fresh_db, autocommit=True) as c:
        t, products, _ = _arrange(c)
        target = products[0]
        worker = spawn_cli_worker(fresh_db)
        stop = threading.Event()
        errors: list[BaseException] = []

        def psql_writer():
            try:
                with psycopg.connect(fresh_db, autocommit=True) as w:
                    n = 0
                    while not stop.is_set():
                        n += 1
                        w.execute("update commerce.products set title = %s where id = %s", (f"psql {n}", target))
            except BaseException as exc:
                errors.append(exc)

        try:
            th = threading.Thread(target=psql_writer)
            th.start()
            with TestClient(create_app(fresh_db)) as client:
                token = _login(client)
                deadline = time.monotonic() + min(SECONDS, 5)
                n = 0
                while time.monotonic() < deadline:
                    n += 1
                    _gql(client, "mutation($id: ID!, $t: String!) { updateProduct(id: $id, input: {title: $t}) { position } }",
                         {"id": str(target), "t": f"gql {n}"}, token)
            stop.set()
            th.join(30)
            assert errors == []
            last = c.execute("select title from commerce.products where id = %s", (target,)).fetchone()[0]
            wait_for(lambda: c.execute("select title from index.products where product_id = %s", (target,)).fetchone()[0] == last,
                     timeout=60, interval=0.1, what=f"read row shows the last committed title {last!r}")
            _settle(c, t)
        finally:
            stop.set()
            worker.terminate()
            worker.wait(30)
