"""Row-level security for rustok_app and rustok_analyst; comments on every commerce table and function."""

import psycopg

from tests.commerce.commerce_helpers import make_shop, one, place, raises, scalar

TABLES = ["products", "variants", "options", "option_values", "variant_options", "categories", "product_categories",
          "prices", "price_lists", "price_list_rules", "inventory_items", "stock_locations", "inventory_levels",
          "variant_inventory", "orders", "order_items", "order_reservations", "order_counters"]


def test_app_role_sees_and_writes_only_its_tenant(conn):
    a, b = make_shop(conn), make_shop(conn)
    place(conn, a["tenant"]["id"], [{"variant_id": str(a["variant"]["id"]), "quantity": 1}])
    place(conn, b["tenant"]["id"], [{"variant_id": str(b["variant"]["id"]), "quantity": 1}])
    ta, tb = a["tenant"]["id"], b["tenant"]["id"]
    conn.execute("set local role rustok_app")
    conn.execute("select core.set_tenant(%s)", (ta,))
    for table in TABLES:
        tenants = {r["tenant_id"] for r in conn.execute(f"select distinct tenant_id from commerce.{table}")}
        assert tenants <= {ta}, table
    assert scalar(conn, "select count(*) from commerce.products") == 1
    assert scalar(conn, "select count(*) from commerce.orders") == 1
    # writes into another tenant are refused
    raises(conn, "insert into commerce.products (tenant_id, title, handle) values (%s, 'X', 'x')", (tb,),
           sqlstate="42501", contains="row-level security")
    assert conn.execute("update commerce.products set title = 'hacked' where tenant_id = %s", (tb,)).rowcount == 0
    # functions run as the caller: another tenant's variant is invisible, p_tenant_id must be the current tenant
    raises(conn, "select * from commerce.place_order(%s, 'EUR', %s::jsonb)",
           (ta, f'[{{"variant_id": "{b["variant"]["id"]}", "quantity": 1}}]'), sqlstate="P0002", contains="not found")
    raises(conn, "select * from commerce.place_order(%s, 'EUR', %s::jsonb)",
           (tb, f'[{{"variant_id": "{b["variant"]["id"]}", "quantity": 1}}]'), sqlstate="42501", contains="tenant_id")
    assert conn.execute("select * from commerce.calculate_prices(array[%s, %s]::uuid[], 'EUR')",
                        (a["variant"]["id"], b["variant"]["id"])).fetchall()[0]["variant_id"] == a["variant"]["id"]
    o = place(conn, ta, [{"variant_id": str(a["variant"]["id"]), "quantity": 2}])
    assert o["display_id"] == 2
    assert one(conn, "select * from commerce.set_order_status(%s, %s, 'cancelled')", (ta, o["id"]))["status"] == "cancelled"
    # direct partition access is not for the app
    raises(conn, "select count(*) from commerce.orders_default", sqlstate="42501")
    # no tenant set: nothing visible
    conn.execute("select set_config('rustok.tenant_id', '', true)")
    assert scalar(conn, "select count(*) from commerce.products") == 0


def test_analyst_reads_catalog_and_orders_but_cannot_write(conn):
    shop = make_shop(conn)
    place(conn, shop["tenant"]["id"], [{"variant_id": str(shop["variant"]["id"]), "quantity": 1}])
    conn.execute("set local role rustok_analyst")
    for table in ["products", "variants", "prices", "categories", "product_categories", "orders", "order_items",
                  "inventory_levels", "price_lists"]:
        conn.execute(f"select count(*) from commerce.{table}")
    assert scalar(conn, "select count(*) from commerce.orders where tenant_id = %s", (shop["tenant"]["id"],)) == 1
    raises(conn, "update commerce.products set title = 'x'", sqlstate="42501")
    raises(conn, "select count(*) from commerce.order_reservations", sqlstate="42501")


def test_commerce_tables_and_functions_exist(conn):
    # comments on them: tests/catalog/test_conventions.py (one comment-coverage test for every schema)
    n_tables = scalar(conn, "select count(*) from pg_class where relnamespace = 'commerce'::regnamespace and relkind in ('r', 'p')")
    n_funcs = scalar(conn, "select count(*) from pg_proc where pronamespace = 'commerce'::regnamespace")
    assert n_tables >= 20 and n_funcs >= 20


def test_api_functions_are_security_invoker_and_granted(conn):
    rows = conn.execute("""
        select p.proname, p.prosecdef, has_function_privilege('rustok_app', p.oid, 'execute') as app
        from pg_proc p where p.pronamespace = 'commerce'::regnamespace
          and p.proname in ('place_order', 'set_order_status', 'calculate_prices')""").fetchall()
    assert len(rows) == 3
    assert all(not r["prosecdef"] and r["app"] for r in rows)
    # the one definer function of commerce is the bulk import (reviewed in tests/catalog/test_privileges.py: only it
    # may write core.import_runs, the event triggers' flag; it applies the tenant itself)
    assert [r["proname"] for r in conn.execute(
        "select proname from pg_proc where pronamespace = 'commerce'::regnamespace and prosecdef")] == ["import_products"]
