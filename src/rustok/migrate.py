"""Apply the append-only SQL migrations (sql/migrations, yoyo) and then the code tree (sql/code).

`apply` runs every pending migration and the whole code tree in one transaction: if anything fails, the
database is left as it was. (A migration headed `-- transactional: false`, e.g. `create index
concurrently`, cannot run inside a transaction: such a migration is applied on its own, with the
migrations before it committed first.)
"""

from __future__ import annotations

import logging
from pathlib import Path

from yoyo import get_backend, read_migrations

from rustok import sqlcode
from rustok.config import yoyo_url
from rustok.paths import migrations_dir

log = logging.getLogger(__name__)

CODE_TREE_PENDING = "code tree (sql/code)"


def _migrations():
    return read_migrations(str(migrations_dir()))


def pending(url: str, code_root: Path | None = None) -> list[str]:
    """Ids of migrations not yet applied to the database at `url`, plus CODE_TREE_PENDING when the code
    tree the database runs differs from sql/code (or the tree at `code_root`)."""
    backend = get_backend(yoyo_url(url))
    try:
        todo = [m.id for m in backend.to_apply(_migrations())]
        if todo:
            return todo + [CODE_TREE_PENDING]
        with backend.connection.cursor() as cur:
            cur.execute("select to_regclass('ops.code_tree_state') is not null")
            known = cur.fetchone()[0]
            digest = sqlcode.applied_digest(backend.connection) if known else None
        backend.connection.rollback()
        return [] if digest == sqlcode.load(code_root).digest else [CODE_TREE_PENDING]
    finally:
        backend.connection.close()


def _apply_in_transaction(backend, migrations, tree, progress) -> None:
    with backend.transaction():
        for migration in migrations:
            if progress:
                progress(f"applying {migration.id}")
            migration.process_steps(backend, "apply")   # nested: a savepoint inside our transaction
            backend.log_migration(migration, "apply")
            backend.mark_one(migration, log=False)
        if tree is not None:
            sqlcode.apply(backend.connection, tree, progress)


def apply(url: str, progress=None, code_root: Path | None = None) -> list[str]:
    """Apply every pending migration, then the code tree (sql/code, or the tree at `code_root`), in one
    transaction; return the migration ids. When a file of the tree fails (CodeTreeError naming it), nothing
    is changed: no migration is marked applied and the catalog is as it was."""
    tree = sqlcode.load(code_root)   # refuse an inconsistent tree before touching the database
    backend = get_backend(yoyo_url(url))
    try:
        backend.ensure_internal_schema_updated()
        with backend.lock():
            todo = list(backend.to_apply(_migrations()))
            for migration in todo:
                migration.load()
            batch: list = []
            for migration in todo:
                if migration.use_transactions:
                    batch.append(migration)
                    continue
                if batch:
                    _apply_in_transaction(backend, batch, None, progress)
                    batch = []
                if progress:
                    progress(f"applying {migration.id} (not transactional)")
                backend.apply_one(migration)
            _apply_in_transaction(backend, batch, tree, progress)
        return [m.id for m in todo]
    finally:
        backend.connection.close()
