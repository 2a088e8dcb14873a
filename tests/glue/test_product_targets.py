"""Tags and SEO meta on products: targets must exist in the tenant; deleting a product cleans them up."""

import psycopg
import pytest

from tests.conftest import act_as_app, make_tenant


def _product(conn, tenant_id, handle):
    return conn.execute("insert into commerce.products (tenant_id, title, handle, status) values (%s, %s, %s, 'published') "
                        "returning id", (tenant_id, handle.title(), handle)).fetchone()["id"]


def _tag(conn, tenant_id, name):
    return conn.execute("insert into content.tags (tenant_id, name) values (%s, %s) returning id",
                        (tenant_id, name)).fetchone()["id"]


def test_tag_and_meta_on_product_of_another_tenant_refused(conn):
    a, b = make_tenant(conn), make_tenant(conn)
    foreign = _product(conn, b["id"], "foreign")
    tag = _tag(conn, a["id"], "Sale")
    conn.execute("savepoint s")
    with pytest.raises(psycopg.errors.ForeignKeyViolation, match=r"content.taggables.target_id: product .* not found") as exc:
        conn.execute("insert into content.taggables (tenant_id, tag_id, target_type, target_id) values (%s, %s, 'product', %s)",
                     (a["id"], tag, foreign))
    assert exc.value.diag.column_name == "target_id"
    conn.execute("rollback to savepoint s")
    with pytest.raises(psycopg.errors.ForeignKeyViolation, match=r"content.meta.target_id: product"):
        conn.execute("insert into content.meta (tenant_id, target_type, target_id, title) values (%s, 'product', %s, 'x')",
                     (a["id"], foreign))
    conn.execute("rollback to savepoint s")
    assert conn.execute("select count(*) as n from content.taggables").fetchone()["n"] == 0


def test_attach_tags_to_products_via_function_and_cleanup_on_delete(conn):
    t = make_tenant(conn)
    p1, p2 = _product(conn, t["id"], "mug"), _product(conn, t["id"], "cup")
    tag = _tag(conn, t["id"], "Kitchen")
    conn.execute("insert into content.meta (tenant_id, target_type, target_id, title) values (%s, 'product', %s, 'Mug!')",
                 (t["id"], p1))
    act_as_app(conn, t["id"])
    attached = conn.execute("select * from content.attach_tags(array[%s]::uuid[], 'product', array[%s, %s]::uuid[])",
                            (tag, p1, p2)).fetchall()
    assert len(attached) == 2
    conn.execute("delete from commerce.products where id = %s", (p1,))
    left = conn.execute("select target_id from content.taggables").fetchall()
    assert [r["target_id"] for r in left] == [p2]
    assert conn.execute("select count(*) as n from content.meta").fetchone()["n"] == 0
