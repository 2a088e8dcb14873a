"""Database connection: resolve the URL (embedded or DATABASE_URL), check the server, open connections."""

from __future__ import annotations

import logging

import psycopg

from rustok.config import Settings
from rustok.embedded import EmbeddedCluster
from rustok.errors import DatabaseUnavailable

log = logging.getLogger(__name__)

MIN_SERVER_VERSION = 160000
APP_ROLE = "rustok_app"
TENANT_SETTING = "rustok.tenant_id"
USER_SETTING = "rustok.user_id"  # the acting user (content revisions record it)


def cluster_for(settings: Settings) -> EmbeddedCluster:
    return EmbeddedCluster(settings.data_dir, settings.db_port)


def database_url(settings: Settings, *, start: bool = False) -> str:
    """The libpq URL of our database. With no DATABASE_URL, the embedded cluster's
    (started first when `start` is true, otherwise it must already run)."""
    if settings.database_url:
        return settings.database_url
    cluster = cluster_for(settings)
    if start:
        cluster.start()
    elif not cluster.running():
        raise DatabaseUnavailable(
            f"the embedded database in {cluster.data_dir} is not running; start it with `rustok db start` "
            "(or set DATABASE_URL)"
        )
    return cluster.url()


def connect(url: str, **kwargs) -> psycopg.Connection:
    """Connect, turning connection failures into one clear line."""
    kwargs.setdefault("connect_timeout", 10)
    try:
        conn = psycopg.connect(url, **kwargs)
    except psycopg.OperationalError as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else exc.__class__.__name__
        raise DatabaseUnavailable(f"cannot connect to the database: {first}") from None
    check_server_version(conn)
    return conn


def check_server_version(conn: psycopg.Connection) -> None:
    version = conn.info.server_version
    if version < MIN_SERVER_VERSION:
        conn.close()
        raise DatabaseUnavailable(
            f"PostgreSQL {version // 10000} is too old: RusToK needs PostgreSQL 16 or newer"
        )
