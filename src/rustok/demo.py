"""`rustok up --demo`: a small demo tenant, loaded idempotently (safe to run on every start)."""

from __future__ import annotations

import psycopg

from rustok.auth import hash_password
from rustok.paths import sql_dir

DEMO_PASSWORD = "demo-password"


def load_demo(url: str) -> str:
    """Run sql/demo.sql (it skips what exists) and give demo users the password DEMO_PASSWORD."""
    script = (sql_dir() / "demo.sql").read_text()
    with psycopg.connect(url) as conn:
        with conn.transaction():
            conn.execute(script)
            unset = conn.execute("select id from core.users where tenant_id = core.tenant_id_by_slug('demo') "
                                 "and password_hash = '!unset'").fetchall()
            for (user_id,) in unset:
                conn.execute("update core.users set password_hash = %s where id = %s",
                             (hash_password(DEMO_PASSWORD), user_id))
        row = conn.execute(
            "select (select count(*) from core.users u where u.tenant_id = t.id), "
            "(select count(*) from commerce.products p where p.tenant_id = t.id) "
            "from core.tenants t where t.slug = 'demo'").fetchone()
    return (f"demo tenant 'demo' ready ({row[0]} users, {row[1]} products): send the header X-Tenant: demo; "
            f"sign in as admin@demo.example / {DEMO_PASSWORD}")
