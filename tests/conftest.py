"""Test harness: one throwaway PostgreSQL 18 per run, a migrated template, per-test isolation.

Fixtures
  pg             the test server (admin URL + helpers); RUSTOK_TEST_DATABASE_URL to use your own
                 server (a role with CREATEDB and CREATEROLE) instead of the embedded one
  template_db    name of the migrated template database (built once per run)
  db_url         URL of a session-wide database cloned from the template (for rolled-back tests)
  conn           psycopg connection to db_url inside a transaction that is rolled back after the test
  fresh_db       URL of a brand-new database cloned from the template (for tests that commit:
                 NOTIFY, outbox, SKIP LOCKED races, concurrency); dropped after the test
  tenant         a tenant row (dict) created inside `conn`'s transaction
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest
from psycopg.rows import dict_row

from rustok import migrate
from rustok.embedded import EmbeddedCluster, free_port

TEMPLATE = "rustok_template"


def _with_database(url: str, dbname: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path="/" + dbname))


@dataclass
class TestServer:
    admin_url: str          # a role that may create databases
    owner_url: str          # the migration owner (objects belong to it)

    def url(self, dbname: str, owner: bool = True) -> str:
        return _with_database(self.owner_url if owner else self.admin_url, dbname)

    def admin(self) -> psycopg.Connection:
        return psycopg.connect(self.admin_url, autocommit=True)

    def create_database(self, name: str, template: str | None = None) -> str:
        with self.admin() as conn:
            owner = urlsplit(self.owner_url).username or "postgres"
            sql = f'create database "{name}" owner "{owner}"'
            if template:
                sql += f' template "{template}" strategy file_copy'
            conn.execute(sql)
        return self.url(name)

    def drop_database(self, name: str) -> None:
        with self.admin() as conn:
            conn.execute(f'drop database if exists "{name}" with (force)')


@pytest.fixture(autouse=True)
def _restore_root_logging():
    """Tests that run the CLI in-process (rustok.cli.main) configure the root logger, as the CLI must;
    put it back so later tests do not find a handler writing into their captured stderr."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    for h in list(root.handlers):
        if h not in handlers:
            root.removeHandler(h)
    for h in handlers:
        if h not in root.handlers:
            root.addHandler(h)
    root.setLevel(level)


@pytest.fixture(scope="session")
def pg():
    external = os.environ.get("RUSTOK_TEST_DATABASE_URL")
    if external:
        yield TestServer(admin_url=external, owner_url=external)
        return
    tmp = Path(tempfile.mkdtemp(prefix="rustok-test-"))
    cluster = EmbeddedCluster(tmp, free_port())
    cluster.start()
    try:
        yield TestServer(admin_url=cluster.url("postgres", "postgres"), owner_url=cluster.url())
    finally:
        cluster.stop()
        shutil.rmtree(tmp, ignore_errors=True)


@pytest.fixture(scope="session")
def template_db(pg) -> str:
    pg.drop_database(TEMPLATE)
    url = pg.create_database(TEMPLATE)
    migrate.apply(url)
    # Mark it a template: clones are file copies (fast), and nobody connects to it by accident.
    with pg.admin() as conn:
        conn.execute(f'alter database "{TEMPLATE}" with is_template true')
    return TEMPLATE


@pytest.fixture(scope="session")
def db_url(pg, template_db) -> str:
    name = "rustok_test"
    pg.drop_database(name)
    return pg.create_database(name, template=template_db)


@pytest.fixture
def conn(db_url):
    """A connection (as the migration owner) in a transaction rolled back after the test."""
    with psycopg.connect(db_url, row_factory=dict_row) as connection:
        connection.execute("begin")
        try:
            yield connection
        finally:
            connection.rollback()


@pytest.fixture
def fresh_db(pg, template_db):
    """A new database cloned from the template, for tests that must commit."""
    name = f"rustok_t_{uuid.uuid4().hex[:12]}"
    url = pg.create_database(name, template=template_db)
    try:
        yield url
    finally:
        pg.drop_database(name)


def make_tenant(connection: psycopg.Connection, slug: str | None = None, **fields) -> dict:
    slug = slug or f"t-{uuid.uuid4().hex[:10]}"
    cur = connection.cursor(row_factory=dict_row)
    return cur.execute(
        "insert into core.tenants (name, slug, settings) values (%s, %s, %s) returning *",
        (fields.get("name", slug.title()), slug, psycopg.types.json.Jsonb(fields.get("settings", {}))),
    ).fetchone()


def make_user(connection: psycopg.Connection, tenant_id, email: str | None = None, **fields) -> dict:
    email = email or f"u{uuid.uuid4().hex[:8]}@example.com"
    cur = connection.cursor(row_factory=dict_row)
    return cur.execute(
        "insert into core.users (tenant_id, email, password_hash, display_name, role) values (%s, %s, %s, %s, %s) returning *",
        (tenant_id, email, fields.get("password_hash", "x" * 60), fields.get("display_name", email.split("@")[0]),
         fields.get("role", "customer")),
    ).fetchone()


def act_as_app(connection: psycopg.Connection, tenant_id) -> None:
    """Switch the current transaction to the API's role and tenant (RLS applies from here)."""
    connection.execute("set local role rustok_app")
    connection.execute("select core.set_tenant(%s)", (tenant_id,))


@pytest.fixture
def tenant(conn) -> dict:
    return make_tenant(conn)
