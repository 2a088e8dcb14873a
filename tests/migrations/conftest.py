"""Fixtures of the migration tests: a database as the previous layout left it (migrations only, no code tree)."""

from __future__ import annotations

import uuid

import pytest
from yoyo import get_backend, read_migrations
from yoyo.migrations import topological_sort

from rustok.config import yoyo_url
from rustok.paths import migrations_dir

# The last migration of the layout before sql/code/ existed: functions, triggers, views, policies, grants and
# comments were all created by the migrations themselves.
PREVIOUS_LAST = 57


def newer_migrations() -> list[str]:
    """Ids of the migrations after the previous layout (0058 on), in the order yoyo applies them."""
    ordered = topological_sort(read_migrations(str(migrations_dir())))   # as backend.to_apply orders them
    return [m.id for m in ordered if int(m.id[:4]) > PREVIOUS_LAST]


def apply_previous_layout(url: str) -> list[str]:
    """Apply every migration up to 0057 with yoyo alone, each in its own transaction, and no code tree: what
    `rustok migrate` did before the code tree (backend.apply_one per migration)."""
    backend = get_backend(yoyo_url(url))
    try:
        with backend.lock():
            todo = [m for m in backend.to_apply(read_migrations(str(migrations_dir())))
                    if int(m.id[:4]) <= PREVIOUS_LAST]
            for migration in todo:
                backend.apply_one(migration)
        return [m.id for m in todo]
    finally:
        backend.connection.close()


@pytest.fixture
def previous_db(pg):
    """URL of a new database migrated with the previous layout (0001-0057, no code tree); dropped afterwards."""
    name = f"rustok_prev_{uuid.uuid4().hex[:10]}"
    url = pg.create_database(name)
    try:
        applied = apply_previous_layout(url)
        assert applied[-1].startswith("0057_") and len(applied) == 30
        yield url
    finally:
        pg.drop_database(name)
