"""Commerce test helpers: build a small catalog with stock, read events."""

from __future__ import annotations

import uuid

import psycopg
import pytest
from psycopg.types.json import Jsonb



def make_tenant(connection, slug=None, settings=None):
    slug = slug or f"t-{uuid.uuid4().hex[:10]}"
    return connection.execute(
        "insert into core.tenants (name, slug, settings) values (%s, %s, %s) returning *",
        (slug.title(), slug, Jsonb(settings or {}))).fetchone()


def one(connection, sql, params=()):
    return connection.execute(sql, params).fetchone()


def scalar(connection, sql, params=()):
    row = connection.execute(sql, params).fetchone()
    if row is None:
        return None
    return next(iter(row.values())) if isinstance(row, dict) else row[0]


def make_product(connection, tenant_id, *, status="published", handle=None, title="Shirt", discountable=True):
    handle = handle or f"p-{uuid.uuid4().hex[:10]}"
    return one(connection,
               "insert into commerce.products (tenant_id, title, handle, status, discountable) "
               "values (%s, %s, %s, %s, %s) returning *",
               (tenant_id, title, handle, status, discountable))


def make_variant(connection, tenant_id, product_id, *, sku=None, title="Default", allow_backorder=False,
                 manage_inventory=True):
    sku = sku or f"SKU-{uuid.uuid4().hex[:8]}"
    return one(connection,
               "insert into commerce.variants (tenant_id, product_id, title, sku, allow_backorder, manage_inventory) "
               "values (%s, %s, %s, %s, %s, %s) returning *",
               (tenant_id, product_id, title, sku, allow_backorder, manage_inventory))


def make_price(connection, tenant_id, variant_id, amount, currency="EUR", *, price_list_id=None, min_quantity=1):
    return one(connection,
               "insert into commerce.prices (tenant_id, variant_id, amount, currency_code, price_list_id, min_quantity) "
               "values (%s, %s, %s, %s, %s, %s) returning *",
               (tenant_id, variant_id, amount, currency, price_list_id, min_quantity))


def make_location(connection, tenant_id, name=None):
    return one(connection,
               "insert into commerce.stock_locations (tenant_id, name) values (%s, %s) returning *",
               (tenant_id, name or f"WH-{uuid.uuid4().hex[:6]}"))


def make_stock(connection, tenant_id, variant_id, location_id, stocked, *, required=1, threshold=None):
    """An inventory item for the variant with `stocked` units at the location; returns the item."""
    item = one(connection,
               "insert into commerce.inventory_items (tenant_id, sku, low_stock_threshold) values (%s, %s, %s) returning *",
               (tenant_id, f"INV-{uuid.uuid4().hex[:8]}", threshold))
    connection.execute(
        "insert into commerce.variant_inventory (tenant_id, variant_id, inventory_item_id, required_quantity) "
        "values (%s, %s, %s, %s)", (tenant_id, variant_id, item["id"], required))
    connection.execute(
        "insert into commerce.inventory_levels (tenant_id, inventory_item_id, location_id, stocked_quantity) "
        "values (%s, %s, %s, %s)", (tenant_id, item["id"], location_id, stocked))
    return item


def make_shop(connection, *, stocked=10, price=1000, currency="EUR", status="published", tenant=None,
              allow_backorder=False):
    """A tenant (unless given) with one published product, one variant, a price and stock."""
    tenant = tenant or make_tenant(connection)
    product = make_product(connection, tenant["id"], status=status)
    variant = make_variant(connection, tenant["id"], product["id"], allow_backorder=allow_backorder)
    make_price(connection, tenant["id"], variant["id"], price, currency)
    location = make_location(connection, tenant["id"])
    item = make_stock(connection, tenant["id"], variant["id"], location["id"], stocked)
    return {"tenant": tenant, "product": product, "variant": variant, "location": location, "item": item}


def place(connection, tenant_id, items, currency="EUR", **kw):
    types = {"shipping_total": "bigint", "discount_total": "bigint", "tax_rate": "numeric", "customer_id": "uuid",
             "location_id": "uuid", "email": "text", "customer_group": "text", "shipping_address": "jsonb",
             "billing_address": "jsonb", "metadata": "jsonb"}
    cols = ", ".join(f"p_{k} => %({k})s::{types[k]}" for k in kw)
    params = {"t": tenant_id, "c": currency, "i": Jsonb(items)}
    params.update({k: (Jsonb(v) if isinstance(v, (dict, list)) else v) for k, v in kw.items()})
    sql = "select * from commerce.place_order(%(t)s::uuid, %(c)s::text, %(i)s::jsonb" + (", " + cols if cols else "") + ")"
    return one(connection, sql, params)


def level(connection, item_id):
    return one(connection,
               "select stocked_quantity, reserved_quantity, incoming_quantity from commerce.inventory_levels "
               "where inventory_item_id = %s", (item_id,))


def events(connection, since=None, **where):
    sql = "select event_type, aggregate_type, aggregate_id, payload from outbox.events where true"
    params = []
    for k, v in where.items():
        sql += f" and {k} = %s"
        params.append(v)
    sql += " order by id"
    return connection.execute(sql, params).fetchall()


def mark(connection):
    """Delete the events so far (inside the test transaction) so a test sees only what follows."""
    connection.execute("delete from outbox.events")


def raises(connection, sql, params=(), *, sqlstate, contains=()):
    """Run sql in a savepoint, expect an error with the SQLSTATE and text; return the error."""
    with pytest.raises(psycopg.Error) as info:
        with connection.transaction():
            connection.execute(sql, params)
    err = info.value
    assert err.sqlstate == sqlstate, (err.sqlstate, str(err))
    for text in (contains if isinstance(contains, (list, tuple)) else [contains]):
        assert text in str(err), (text, str(err))
    return err
