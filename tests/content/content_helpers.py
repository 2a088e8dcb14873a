"""Helpers for the content / blog / community tests (all on real PostgreSQL).

tests/ is not a package, so the root conftest's plain helpers are loaded by path.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import psycopg
import psycopg.rows
import pytest
from psycopg.types.json import Jsonb

_spec = importlib.util.spec_from_file_location("rustok_root_conftest", Path(__file__).parents[1] / "conftest.py")
_root = importlib.util.module_from_spec(_spec)
sys.modules.setdefault("rustok_root_conftest", _root)
_spec.loader.exec_module(_root)
make_tenant = _root.make_tenant
make_user = _root.make_user
act_as_app = _root.act_as_app

WATCHED = [
    "content.nodes", "content.bodies", "content.categories", "content.tags", "content.taggables",
    "content.meta", "content.media", "content.revisions",
    "community.reactions", "community.follows", "community.reputation", "outbox.events",
]


def counts(conn) -> dict:
    """Row counts of every table these modules write (to prove a failed write left nothing)."""
    cur = conn.cursor(row_factory=psycopg.rows.tuple_row)
    return {t: cur.execute(f"select count(*) from {t}").fetchone()[0] for t in WATCHED}


def assert_fails(conn, sql: str, params=None, *, sqlstate: str, field: str) -> psycopg.Error:
    """The statement fails with `sqlstate`, the message names `field`, and nothing was written."""
    before = counts(conn)
    with pytest.raises(psycopg.Error) as info:
        with conn.transaction():
            conn.execute(sql, params)
    err = info.value
    assert err.sqlstate == sqlstate, f"{err.sqlstate}: {err.diag.message_primary}"
    assert field in err.diag.message_primary, err.diag.message_primary
    assert counts(conn) == before
    return err


def node(conn, tenant_id, kind="post", title="Hello", **cols) -> dict:
    cols = {"tenant_id": tenant_id, "kind": kind, "title": title, **cols}
    if "metadata" in cols:
        cols["metadata"] = Jsonb(cols["metadata"])
    names = ", ".join(cols)
    marks = ", ".join(["%s"] * len(cols))
    return conn.execute(f"insert into content.nodes ({names}) values ({marks}) returning *",
                        list(cols.values())).fetchone()


def published_post(conn, tenant_id, title="Post", **cols) -> dict:
    return node(conn, tenant_id, "post", title, status="published", **cols)


def comment(conn, parent: dict, status="approved", body="nice", author_id=None) -> dict:
    return conn.execute("select * from content.add_comment(%s, %s, %s, 'markdown', %s)",
                        (parent["id"], author_id, body, status)).fetchone()


def get_node(conn, node_id) -> dict:
    return conn.execute("select * from content.nodes where id = %s", (node_id,)).fetchone()


def set_module(conn, tenant_id, module: str, enabled: bool, settings: dict | None = None) -> None:
    conn.execute(
        "insert into core.tenant_modules (tenant_id, module_slug, enabled, settings) values (%s, %s, %s, %s) "
        "on conflict (tenant_id, module_slug) do update set enabled = excluded.enabled, settings = excluded.settings",
        (tenant_id, module, enabled, Jsonb(settings or {})))


