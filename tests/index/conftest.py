"""Fixtures and helpers for the index (read model and search) tests."""

from __future__ import annotations

import uuid

import pytest
from psycopg.types.json import Jsonb

from tests.conftest import make_tenant, make_user  # noqa: F401  (re-exported for the tests)


class Shop:
    """Writes to the write tables of one tenant through raw SQL, and drains the index consumer."""

    def __init__(self, conn, tenant):
        self.conn = conn
        self.tenant = tenant
        self.t = tenant["id"]

    def one(self, sql, params=()):
        return self.conn.execute(sql, params).fetchone()

    def scalar(self, sql, params=()):
        row = self.one(sql, params)
        return None if row is None else next(iter(row.values()))

    def drain(self):
        r = self.one("select * from outbox.drain('index')")
        assert r["failed"] == 0, self.conn.execute(
            "select last_error from outbox.deliveries where consumer = 'index' and last_error is not null").fetchall()
        return r

    def verify(self):
        return self.conn.execute("select * from index.verify(%s)", (self.t,)).fetchall()

    # ---------------------------------------------------------------- commerce
    def product(self, title="Shirt", status="published", **cols):
        cols = {"tenant_id": self.t, "title": title, "status": status,
                "handle": cols.pop("handle", None) or f"p-{uuid.uuid4().hex[:10]}", **cols}
        names, marks = ", ".join(cols), ", ".join(["%s"] * len(cols))
        return self.one(f"insert into commerce.products ({names}) values ({marks}) returning *", list(cols.values()))

    def variant(self, product_id, title="Default", sku=None, **cols):
        cols = {"tenant_id": self.t, "product_id": product_id, "title": title,
                "sku": sku or f"SKU-{uuid.uuid4().hex[:8]}", **cols}
        names, marks = ", ".join(cols), ", ".join(["%s"] * len(cols))
        return self.one(f"insert into commerce.variants ({names}) values ({marks}) returning *", list(cols.values()))

    def price(self, variant_id, amount, currency="EUR", **cols):
        cols = {"tenant_id": self.t, "variant_id": variant_id, "amount": amount, "currency_code": currency, **cols}
        names, marks = ", ".join(cols), ", ".join(["%s"] * len(cols))
        return self.one(f"insert into commerce.prices ({names}) values ({marks}) returning *", list(cols.values()))

    def location(self, name=None):
        return self.one("insert into commerce.stock_locations (tenant_id, name) values (%s, %s) returning *",
                        (self.t, name or f"WH-{uuid.uuid4().hex[:6]}"))

    def stock(self, variant_id, location_id, stocked, required=1):
        item = self.one("insert into commerce.inventory_items (tenant_id, sku) values (%s, %s) returning *",
                        (self.t, f"INV-{uuid.uuid4().hex[:8]}"))
        self.conn.execute("insert into commerce.variant_inventory (tenant_id, variant_id, inventory_item_id, required_quantity) "
                          "values (%s, %s, %s, %s)", (self.t, variant_id, item["id"], required))
        self.conn.execute("insert into commerce.inventory_levels (tenant_id, inventory_item_id, location_id, stocked_quantity) "
                          "values (%s, %s, %s, %s)", (self.t, item["id"], location_id, stocked))
        return item

    def category(self, name, handle=None, **cols):
        cols = {"tenant_id": self.t, "name": name, "handle": handle or f"c-{uuid.uuid4().hex[:8]}", **cols}
        names, marks = ", ".join(cols), ", ".join(["%s"] * len(cols))
        return self.one(f"insert into commerce.categories ({names}) values ({marks}) returning *", list(cols.values()))

    def full_product(self, title="Shirt", amount=1000, currency="EUR", stocked=5, **cols):
        p = self.product(title, **cols)
        v = self.variant(p["id"])
        self.price(v["id"], amount, currency)
        loc = self.location()
        self.stock(v["id"], loc["id"], stocked)
        return p, v

    def order(self, items, currency="EUR", **kw):
        return self.one("select * from commerce.place_order(%s::uuid, %s::text, %s::jsonb, p_email => %s)",
                        (self.t, currency, Jsonb(items), kw.get("email")))

    # ---------------------------------------------------------------- content
    def node(self, kind="post", title="Hello", **cols):
        cols = {"tenant_id": self.t, "kind": kind, "title": title, **cols}
        if "metadata" in cols:
            cols["metadata"] = Jsonb(cols["metadata"])
        names, marks = ", ".join(cols), ", ".join(["%s"] * len(cols))
        return self.one(f"insert into content.nodes ({names}) values ({marks}) returning *", list(cols.values()))

    def body(self, node_id, body, fmt="markdown"):
        self.conn.execute("insert into content.bodies (tenant_id, node_id, body, format) values (%s, %s, %s, %s) "
                          "on conflict (tenant_id, node_id) do update set body = excluded.body, format = excluded.format",
                          (self.t, node_id, body, fmt))

    def tag(self, name):
        return self.one("insert into content.tags (tenant_id, name) values (%s, %s) returning *", (self.t, name))

    # ---------------------------------------------------------------- read side
    def iproduct(self, product_id):
        return self.one("select * from index.products where tenant_id = %s and product_id = %s", (self.t, product_id))

    def icontent(self, node_id):
        return self.one("select * from index.content where tenant_id = %s and node_id = %s", (self.t, node_id))

    def iorder(self, order_id):
        return self.one("select * from index.orders where tenant_id = %s and order_id = %s", (self.t, order_id))


@pytest.fixture
def shop(conn):
    return Shop(conn, make_tenant(conn))
