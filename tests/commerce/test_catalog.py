"""Catalog rules: handles, SKUs, prices, currencies, options, categories."""

import uuid

from commerce_helpers import (make_location, make_price, make_product, make_tenant, make_variant, one, raises,
                              scalar)


def count(conn, table, tenant_id):
    return scalar(conn, f"select count(*) from commerce.{table} where tenant_id = %s", (tenant_id,))


def test_product_handle_unique_per_tenant(conn):
    t1, t2 = make_tenant(conn), make_tenant(conn)
    make_product(conn, t1["id"], handle="blue-shirt")
    make_product(conn, t2["id"], handle="blue-shirt")  # other tenant: fine
    err = raises(conn, "insert into commerce.products (tenant_id, title, handle) values (%s, 'X', 'blue-shirt')",
                 (t1["id"],), sqlstate="23505", contains="products_handle_key")
    assert err.diag.constraint_name == "products_handle_key"
    assert "(tenant_id, handle)" in err.diag.message_detail
    assert count(conn, "products", t1["id"]) == 1


def test_product_bad_handle_and_status(conn):
    t = make_tenant(conn)
    raises(conn, "insert into commerce.products (tenant_id, title, handle) values (%s, 'X', 'Bad Handle')",
           (t["id"],), sqlstate="23514", contains="products_handle_check")
    raises(conn, "insert into commerce.products (tenant_id, title, handle, status) values (%s, 'X', 'x', 'live')",
           (t["id"],), sqlstate="23514", contains="products_status_check")
    raises(conn, "insert into commerce.products (tenant_id, title, handle) values (%s, %s, 'x')",
           (t["id"], "x" * 256), sqlstate="23514", contains="products_title_check")
    assert count(conn, "products", t["id"]) == 0


def test_variant_sku_unique_per_tenant(conn):
    t1, t2 = make_tenant(conn), make_tenant(conn)
    p1, p2 = make_product(conn, t1["id"]), make_product(conn, t2["id"])
    make_variant(conn, t1["id"], p1["id"], sku="TEE-M")
    make_variant(conn, t2["id"], p2["id"], sku="TEE-M")
    conn.execute("insert into commerce.variants (tenant_id, product_id, title) values (%s, %s, 'a'), (%s, %s, 'b')",
                 (t1["id"], p1["id"], t1["id"], p1["id"]))  # null skus do not collide
    err = raises(conn, "insert into commerce.variants (tenant_id, product_id, title, sku) values (%s, %s, 'M', 'TEE-M')",
                 (t1["id"], p1["id"]), sqlstate="23505", contains="variants_sku_key")
    assert "sku" in err.diag.message_detail
    raises(conn, "insert into commerce.variants (tenant_id, product_id, title, weight) values (%s, %s, 'M', -1)",
           (t1["id"], p1["id"]), sqlstate="23514", contains="variants_weight_check")
    assert count(conn, "variants", t1["id"]) == 3


def test_variant_cannot_point_into_another_tenant(conn):
    t1, t2 = make_tenant(conn), make_tenant(conn)
    p2 = make_product(conn, t2["id"])
    raises(conn, "insert into commerce.variants (tenant_id, product_id, title) values (%s, %s, 'x')",
           (t1["id"], p2["id"]), sqlstate="23503", contains="variants_product_id_fkey")


def test_price_rules(conn):
    t = make_tenant(conn)
    v = make_variant(conn, t["id"], make_product(conn, t["id"])["id"])
    raises(conn, "insert into commerce.prices (tenant_id, variant_id, amount, currency_code) values (%s, %s, -1, 'EUR')",
           (t["id"], v["id"]), sqlstate="23514", contains="prices_amount_check")
    err = raises(conn, "insert into commerce.prices (tenant_id, variant_id, amount, currency_code) values (%s, %s, 100, 'XYZ')",
                 (t["id"], v["id"]), sqlstate="23503", contains="prices_currency_code_fkey")
    assert "currency_code" in err.diag.message_detail
    raises(conn, "insert into commerce.prices (tenant_id, variant_id, amount, currency_code) values (%s, %s, 100, 'eur')",
           (t["id"], v["id"]), sqlstate="23514", contains="prices_currency_code_check")
    raises(conn, "insert into commerce.prices (tenant_id, variant_id, amount, currency_code, min_quantity) "
                 "values (%s, %s, 100, 'EUR', 0)", (t["id"], v["id"]), sqlstate="23514", contains="prices_min_quantity_check")
    make_price(conn, t["id"], v["id"], 100)
    raises(conn, "insert into commerce.prices (tenant_id, variant_id, amount, currency_code) values (%s, %s, 90, 'EUR')",
           (t["id"], v["id"]), sqlstate="23505", contains="prices_tier_key")
    make_price(conn, t["id"], v["id"], 90, min_quantity=10)  # another tier is fine
    assert count(conn, "prices", t["id"]) == 2


def test_currencies_seeded_with_minor_units(conn):
    rows = {r["code"]: r["minor_units"] for r in conn.execute("select code, minor_units from commerce.currencies")}
    assert rows["EUR"] == 2 and rows["JPY"] == 0 and rows["KWD"] == 3 and rows["USD"] == 2
    assert len(rows) >= 40


def _options(conn, t, p):
    size = one(conn, "insert into commerce.options (tenant_id, product_id, title) values (%s, %s, 'Size') returning id",
               (t, p))["id"]
    color = one(conn, "insert into commerce.options (tenant_id, product_id, title) values (%s, %s, 'Color') returning id",
                (t, p))["id"]
    vals = {}
    for opt, names in ((size, ["S", "M"]), (color, ["Red", "Blue"])):
        for n in names:
            vals[n] = one(conn, "insert into commerce.option_values (tenant_id, option_id, value) values (%s, %s, %s) returning id",
                          (t, opt, n))["id"]
    return vals


def test_variant_options_one_variant_per_combination(conn):
    t = make_tenant(conn)["id"]
    p = make_product(conn, t)["id"]
    vals = _options(conn, t, p)
    v1, v2 = make_variant(conn, t, p)["id"], make_variant(conn, t, p)["id"]
    ins = "insert into commerce.variant_options (tenant_id, variant_id, option_value_id) values (%s, %s, %s), (%s, %s, %s)"
    conn.execute(ins, (t, v1, vals["S"], t, v1, vals["Red"]))
    row = one(conn, "select product_id, option_id from commerce.variant_options where variant_id = %s and option_value_id = %s",
              (v1, vals["S"]))
    assert row["product_id"] == p and row["option_id"] is not None  # filled in
    err = raises(conn, ins, (t, v2, vals["S"], t, v2, vals["Red"]), sqlstate="23505", contains="option_value_id")
    assert err.diag.column_name == "option_value_id"
    conn.execute(ins, (t, v2, vals["S"], t, v2, vals["Blue"]))  # a different combination is fine
    # one value per option
    raises(conn, "insert into commerce.variant_options (tenant_id, variant_id, option_value_id) values (%s, %s, %s)",
           (t, v1, vals["M"]), sqlstate="23505", contains="variant_options_option_key")
    # an option value of another product
    p_other = make_product(conn, t)["id"]
    other_vals = _options(conn, t, p_other)
    v3 = make_variant(conn, t, p)["id"]
    raises(conn, "insert into commerce.variant_options (tenant_id, variant_id, option_value_id) values (%s, %s, %s)",
           (t, v3, other_vals["S"]), sqlstate="23503", contains="variant_options_option_id_fkey")
    # a changed value that collides via UPDATE
    raises(conn, "update commerce.variant_options set option_value_id = %s, option_id = null where variant_id = %s and option_value_id = %s",
           (vals["Red"], v2, vals["Blue"]), sqlstate="23505", contains="option_value_id")
    assert scalar(conn, "select count(*) from commerce.variant_options where tenant_id = %s", (t,)) == 4


def _cat(conn, t, handle, parent=None):
    return one(conn, "insert into commerce.categories (tenant_id, name, handle, parent_id) values (%s, %s, %s, %s) returning id",
               (t, handle.title(), handle, parent))["id"]


def test_category_hierarchy_refuses_cycles(conn):
    t = make_tenant(conn)["id"]
    a = _cat(conn, t, "a")
    b = _cat(conn, t, "b", a)
    c = _cat(conn, t, "c", b)
    err = raises(conn, "update commerce.categories set parent_id = %s where id = %s", (c, a),
                 sqlstate="23514", contains="commerce.categories.parent_id")
    assert err.diag.column_name == "parent_id" and "cycle" in str(err)
    raises(conn, "update commerce.categories set parent_id = id where id = %s", (b,),
           sqlstate="23514", contains="categories_parent_id_check")
    # two rows swapped in one statement
    raises(conn, "update commerce.categories set parent_id = case id when %s then %s else %s end where id in (%s, %s)",
           (b, c, b, b, c), sqlstate="23514", contains="cycle")
    assert one(conn, "select parent_id from commerce.categories where id = %s", (a,))["parent_id"] is None
    # a legal move still works, and handles are unique per tenant
    conn.execute("update commerce.categories set parent_id = %s where id = %s", (a, c))
    raises(conn, "insert into commerce.categories (tenant_id, name, handle) values (%s, 'A', 'a')", (t,),
           sqlstate="23505", contains="categories_handle_key")
    raises(conn, "insert into commerce.categories (tenant_id, name, handle, rank) values (%s, 'Z', 'z', -1)", (t,),
           sqlstate="23514", contains="categories_rank_check")


def test_deleting_parent_category_keeps_children(conn):
    t = make_tenant(conn)["id"]
    a = _cat(conn, t, "a")
    b = _cat(conn, t, "b", a)
    conn.execute("delete from commerce.categories where id = %s", (a,))
    assert one(conn, "select parent_id from commerce.categories where id = %s", (b,))["parent_id"] is None


def test_stock_location_names_unique(conn):
    t = make_tenant(conn)["id"]
    make_location(conn, t, "Main")
    raises(conn, "insert into commerce.stock_locations (tenant_id, name) values (%s, 'Main')", (t,),
           sqlstate="23505", contains="stock_locations_name_key")


def test_module_disabled_refuses_writes(conn):
    t = make_tenant(conn)["id"]
    conn.execute("insert into core.tenant_modules (tenant_id, module_slug, enabled) values (%s, 'commerce', false)", (t,))
    raises(conn, "insert into commerce.products (tenant_id, title, handle) values (%s, 'X', 'x')", (t,),
           sqlstate="55000", contains="commerce")
    raises(conn, "insert into commerce.stock_locations (tenant_id, name) values (%s, 'W')", (t,),
           sqlstate="55000", contains="commerce")
