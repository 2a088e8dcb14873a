"""`rustok up --demo`: a small demo tenant, loaded idempotently (safe to run on every start)."""

from __future__ import annotations

import psycopg

from rustok.paths import sql_dir


def load_demo(url: str) -> str:
    """Run sql/demo.sql (written with `on conflict do nothing`, so re-running changes nothing)."""
    script = (sql_dir() / "demo.sql").read_text()
    with psycopg.connect(url) as conn:
        conn.execute(script)
        row = conn.execute(
            "select t.slug, (select count(*) from core.users u where u.tenant_id = t.id) "
            "from core.tenants t where t.slug = 'demo'").fetchone()
    return f"demo tenant {row[0]!r} ready ({row[1]} users); send the header X-Tenant: demo"
