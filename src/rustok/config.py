"""Settings from the environment (and CLI flags, which override them).

Every knob has a sensible default so `rustok up` works with no configuration:
no DATABASE_URL means a private embedded PostgreSQL 18 in ./.rustok/.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import psycopg.conninfo

from rustok.errors import ConfigError

DEFAULT_DB_PORT = 54329
DEFAULT_HTTP_PORT = 8000

_ACCEPTED_SCHEMES = ("postgresql", "postgres", "postgresql+psycopg")


def normalize_database_url(url: str) -> str:
    """Return a libpq URL for `url`, or raise ConfigError with one clear line.

    Accepts postgresql://, postgres:// and yoyo's postgresql+psycopg:// spelling,
    so one DATABASE_URL serves psql, psycopg and yoyo alike.
    """
    url = url.strip()
    scheme = urlsplit(url).scheme
    if scheme not in _ACCEPTED_SCHEMES:
        raise ConfigError(
            f"DATABASE_URL must start with postgresql:// (got {scheme + '://' if scheme else 'no scheme'})"
        )
    if scheme == "postgresql+psycopg":
        url = "postgresql" + url[len(scheme):]
    try:
        psycopg.conninfo.conninfo_to_dict(url)
        urlsplit(url).port  # raises ValueError on a non-numeric port
    except (psycopg.ProgrammingError, ValueError) as exc:
        raise ConfigError(f"DATABASE_URL is malformed: {str(exc).splitlines()[0]}") from None
    return url


def yoyo_url(url: str) -> str:
    """The same database in the scheme yoyo-migrations wants (psycopg 3 backend)."""
    scheme = urlsplit(url).scheme
    return "postgresql+psycopg" + url[len(scheme):]


def _int_env(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise ConfigError(f"{name} must be an integer (got {raw!r})") from None


def _bool_env(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    if raw.lower() in ("1", "true", "yes", "on"):
        return True
    if raw.lower() in ("0", "false", "no", "off"):
        return False
    raise ConfigError(f"{name} must be true or false (got {raw!r})")


@dataclass
class Settings:
    database_url: str | None = None
    data_dir: Path = field(default_factory=lambda: Path(".rustok"))
    db_port: int = DEFAULT_DB_PORT
    http_host: str = "127.0.0.1"
    http_port: int = DEFAULT_HTTP_PORT
    # Index / projector configuration (the manifest's IndexConfig).
    index_batch_size: int = 100
    index_workers: int = 4
    index_realtime_sync: bool = True
    index_full_reindex_at: str = "03:00"  # HH:MM local time, or "off"

    @classmethod
    def from_env(cls) -> "Settings":
        raw_url = os.environ.get("DATABASE_URL")
        return cls(
            database_url=normalize_database_url(raw_url) if raw_url else None,
            data_dir=Path(os.environ.get("RUSTOK_DATA_DIR") or ".rustok"),
            db_port=_int_env("RUSTOK_DB_PORT", DEFAULT_DB_PORT),
            http_host=os.environ.get("RUSTOK_HOST") or "127.0.0.1",
            http_port=_int_env("RUSTOK_PORT", DEFAULT_HTTP_PORT),
            index_batch_size=_int_env("RUSTOK_INDEX_BATCH_SIZE", 100),
            index_workers=_int_env("RUSTOK_INDEX_WORKERS", 4),
            index_realtime_sync=_bool_env("RUSTOK_INDEX_REALTIME_SYNC", True),
            index_full_reindex_at=os.environ.get("RUSTOK_INDEX_FULL_REINDEX_AT") or "03:00",
        )

    @property
    def embedded(self) -> bool:
        return self.database_url is None
