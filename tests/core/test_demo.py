"""`rustok up --demo` data: loads, is idempotent, and reaches the read model."""

import psycopg

from rustok.auth import verify_password
from rustok.demo import DEMO_PASSWORD, load_demo

COUNTS = """select (select count(*) from core.users), (select count(*) from commerce.products),
                   (select count(*) from commerce.variants), (select count(*) from content.nodes),
                   (select count(*) from commerce.product_categories)"""


def test_demo_loads_idempotently(fresh_db):
    message = load_demo(fresh_db)
    assert "X-Tenant: demo" in message
    with psycopg.connect(fresh_db) as conn:
        first = conn.execute(COUNTS).fetchone()
        assert first == (3, 3, 4, 2, 3)
    load_demo(fresh_db)
    with psycopg.connect(fresh_db, autocommit=True) as conn:
        assert conn.execute(COUNTS).fetchone() == first
        stored = conn.execute("select password_hash from core.users where email = 'admin@demo.example'").fetchone()[0]
        assert verify_password(DEMO_PASSWORD, stored)
        conn.execute("select outbox.drain('index')")
        visible = conn.execute("select count(*) from index.products where status = 'published'").fetchone()[0]
        assert visible == 2
        assert conn.execute("select count(*) from index.verify(core.tenant_id_by_slug('demo'))").fetchone()[0] == 0
