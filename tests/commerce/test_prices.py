"""Price resolution: base prices, quantity tiers, sale and override price lists, windows, rules."""

from datetime import datetime, timedelta, timezone

from commerce_helpers import make_price, make_product, make_tenant, make_variant, one, raises


def price_list(conn, t, type_="sale", status="active", starts=None, ends=None):
    return one(conn, "insert into commerce.price_lists (tenant_id, title, type, status, starts_at, ends_at) "
                     "values (%s, 'PL', %s, %s, %s, %s) returning id", (t, type_, status, starts, ends))["id"]


def calc(conn, variant_ids, currency="EUR", quantity=1, at=None, group=None):
    rows = conn.execute(
        "select * from commerce.calculate_prices(%s::uuid[], %s, %s, coalesce(%s, now()), %s)",
        (list(variant_ids), currency, quantity, at, group)).fetchall()
    return {r["variant_id"]: r for r in rows}


def setup(conn):
    t = make_tenant(conn)["id"]
    p = make_product(conn, t)["id"]
    v = make_variant(conn, t, p)["id"]
    make_price(conn, t, v, 1000)
    make_price(conn, t, v, 900, min_quantity=10)
    make_price(conn, t, v, 800, min_quantity=100)
    make_price(conn, t, v, 1200, "USD")
    return t, v


def test_base_price_and_tiers(conn):
    t, v = setup(conn)
    assert calc(conn, [v])[v]["calculated_amount"] == 1000
    assert calc(conn, [v], quantity=9)[v]["calculated_amount"] == 1000
    r = calc(conn, [v], quantity=10)[v]
    assert r["calculated_amount"] == 900 and r["original_amount"] == 900 and r["calculated_price_list_id"] is None
    assert calc(conn, [v], quantity=500)[v]["calculated_amount"] == 800
    assert calc(conn, [v], "USD")[v]["calculated_amount"] == 1200
    r = calc(conn, [v], "JPY")[v]
    assert r["calculated_amount"] is None and r["original_amount"] is None


def test_set_based_many_variants(conn):
    t = make_tenant(conn)["id"]
    p = make_product(conn, t)["id"]
    vs = [make_variant(conn, t, p)["id"] for _ in range(5)]
    for i, v in enumerate(vs):
        make_price(conn, t, v, 100 * (i + 1))
    res = calc(conn, vs + [vs[0]])
    assert {v: res[v]["calculated_amount"] for v in vs} == {v: 100 * (i + 1) for i, v in enumerate(vs)}


def test_sale_list_applies_only_when_lower(conn):
    t, v = setup(conn)
    pl = price_list(conn, t, "sale")
    make_price(conn, t, v, 700, price_list_id=pl)
    r = calc(conn, [v])[v]
    assert (r["calculated_amount"], r["original_amount"]) == (700, 1000)
    assert r["calculated_price_list_id"] == pl and r["calculated_price_list_type"] == "sale"
    conn.execute("update commerce.prices set amount = 1100 where price_list_id = %s", (pl,))
    r = calc(conn, [v])[v]
    assert (r["calculated_amount"], r["original_amount"], r["calculated_price_list_id"]) == (1000, 1000, None)


def test_override_list_wins_and_is_the_original(conn):
    t, v = setup(conn)
    sale = price_list(conn, t, "sale")
    make_price(conn, t, v, 500, price_list_id=sale)
    ov = price_list(conn, t, "override")
    make_price(conn, t, v, 1500, price_list_id=ov)
    r = calc(conn, [v])[v]
    assert (r["calculated_amount"], r["original_amount"], r["calculated_price_list_type"]) == (1500, 1500, "override")


def test_price_list_window_status_and_customer_group(conn):
    t, v = setup(conn)
    now = datetime.now(timezone.utc)
    pl = price_list(conn, t, "sale", starts=now + timedelta(days=1), ends=now + timedelta(days=2))
    make_price(conn, t, v, 600, price_list_id=pl)
    assert calc(conn, [v])[v]["calculated_amount"] == 1000
    assert calc(conn, [v], at=now + timedelta(days=1, hours=1))[v]["calculated_amount"] == 600
    assert calc(conn, [v], at=now + timedelta(days=2))[v]["calculated_amount"] == 1000  # end is exclusive
    draft = price_list(conn, t, "sale", status="draft")
    make_price(conn, t, v, 100, price_list_id=draft)
    assert calc(conn, [v])[v]["calculated_amount"] == 1000
    vip = price_list(conn, t, "sale")
    make_price(conn, t, v, 300, price_list_id=vip)
    conn.execute("insert into commerce.price_list_rules (tenant_id, price_list_id, attribute, values) "
                 "values (%s, %s, 'customer_group', array['vip', 'staff'])", (t, vip))
    assert calc(conn, [v])[v]["calculated_amount"] == 1000
    assert calc(conn, [v], group="regular")[v]["calculated_amount"] == 1000
    r = calc(conn, [v], group="vip")[v]
    assert (r["calculated_amount"], r["original_amount"], r["calculated_price_list_id"]) == (300, 1000, vip)


def test_bad_arguments(conn):
    t, v = setup(conn)
    err = raises(conn, "select * from commerce.calculate_prices(array[%s]::uuid[], 'XYZ')", (v,),
                 sqlstate="22023", contains="currency_code")
    assert err.diag.column_name == "currency_code"
    raises(conn, "select * from commerce.calculate_prices(array[%s]::uuid[], 'EUR', 0)", (v,),
           sqlstate="22023", contains="quantity")
    raises(conn, "insert into commerce.price_lists (tenant_id, title, type) values (%s, 'x', 'discount')", (t,),
           sqlstate="23514", contains="price_lists_type_check")
    raises(conn, "insert into commerce.price_lists (tenant_id, title, starts_at, ends_at) values (%s, 'x', now(), now() - interval '1 day')",
           (t,), sqlstate="23514", contains="price_lists_ends_at_check")
