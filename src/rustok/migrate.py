"""Apply the append-only SQL migrations in sql/migrations with yoyo."""

from __future__ import annotations

import logging

from yoyo import get_backend, read_migrations

from rustok.config import yoyo_url
from rustok.paths import migrations_dir

log = logging.getLogger(__name__)


def _migrations():
    return read_migrations(str(migrations_dir()))


def pending(url: str) -> list[str]:
    """Ids of migrations not yet applied to the database at `url`."""
    backend = get_backend(yoyo_url(url))
    try:
        return [m.id for m in backend.to_apply(_migrations())]
    finally:
        backend.connection.close()


def apply(url: str, progress=None) -> list[str]:
    """Apply every pending migration (each in its own transaction); return their ids."""
    backend = get_backend(yoyo_url(url))
    try:
        with backend.lock():
            todo = backend.to_apply(_migrations())
            for migration in todo:
                if progress:
                    progress(f"applying {migration.id}")
                backend.apply_one(migration)
        return [m.id for m in todo]
    finally:
        backend.connection.close()
