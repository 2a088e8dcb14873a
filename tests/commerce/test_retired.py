"""Retired product handles (sql/code/commerce/retired.sql): a product deleted while published leaves its handle in
commerce.retired_handles (the storefront's 410 Gone); a draft leaves nothing; a product taking the handle again
removes it; deleting the tenant still works; row-level security keeps tenants apart."""

from __future__ import annotations

from tests.commerce.commerce_helpers import make_product, make_tenant
from tests.conftest import act_as_app


def _retired(conn, handle, product_id=None):
    return conn.execute("select * from commerce.retired_product(%s, %s)", (handle, product_id)).fetchall()


def test_a_deleted_published_product_is_retired_by_handle_and_id(conn):
    t = make_tenant(conn)
    p = make_product(conn, t["id"], handle="old-tee", title="Old tee")
    draft = make_product(conn, t["id"], handle="never-shown", status="draft")
    act_as_app(conn, t["id"])
    assert _retired(conn, "old-tee") == []                      # still there: not gone
    conn.execute("delete from commerce.products where id = any (%s)", ([p["id"], draft["id"]],))
    [row] = _retired(conn, "old-tee")
    assert row["handle"] == "old-tee" and row["title"] == "Old tee"
    assert _retired(conn, "anything", p["id"])[0]["handle"] == "old-tee"   # by id too
    assert _retired(conn, "never-shown") == []                  # a draft was never public: 404
    assert _retired(conn, "no-such-handle") == []


def test_a_new_product_with_the_handle_is_no_longer_gone(conn):
    t = make_tenant(conn)
    p = make_product(conn, t["id"], handle="reused")
    other = make_product(conn, t["id"], handle="elsewhere")
    act_as_app(conn, t["id"])
    conn.execute("delete from commerce.products where id = %s", (p["id"],))
    assert len(_retired(conn, "reused")) == 1
    conn.execute("update commerce.products set handle = 'reused' where id = %s", (other["id"],))
    assert _retired(conn, "reused") == []
    assert conn.execute("select count(*) as n from commerce.retired_handles").fetchone()["n"] == 0
    conn.execute("delete from commerce.products where id = %s", (other["id"],))
    assert len(_retired(conn, "reused")) == 1                    # retired again, now by the second product
    make_product(conn, t["id"], handle="reused", status="draft")
    assert _retired(conn, "reused") == []


def test_tenants_do_not_see_each_others_retired_handles(conn):
    a, b = make_tenant(conn), make_tenant(conn)
    p = make_product(conn, a["id"], handle="secret-thing")
    conn.execute("delete from commerce.products where id = %s", (p["id"],))
    act_as_app(conn, b["id"])
    assert _retired(conn, "secret-thing", p["id"]) == []
    assert conn.execute("select count(*) as n from commerce.retired_handles").fetchone()["n"] == 0


def test_deleting_a_tenant_with_published_products_works(conn):
    t = make_tenant(conn)
    make_product(conn, t["id"], handle="shown")
    conn.execute("delete from core.tenants where id = %s", (t["id"],))
    assert conn.execute("select count(*) as n from commerce.retired_handles where tenant_id = %s",
                        (t["id"],)).fetchone()["n"] == 0
