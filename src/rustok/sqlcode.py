"""The code tree: sql/code/<module>/*.sql holds the current text of every function, trigger, view, policy,
grant and comment. It is applied after the migrations, in the order listed in sql/code/ORDER, and applying
it again changes nothing. See docs/conventions.md.

`rustok migrate` applies pending migrations and then the code tree in one transaction (rustok.migrate);
plain `yoyo apply` runs it through the post-apply hook sql/migrations/post-apply.py.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from rustok.errors import RustokError
from rustok.paths import code_dir, migrations_dir

ORDER_FILE = "ORDER"

SQL_RECORD_STATE = """
insert into ops.code_tree_state as s (singleton, digest, files, migrations, applied_at) values (true, %s, %s, %s, now())
on conflict (singleton) do update
   set digest = excluded.digest, files = excluded.files, migrations = excluded.migrations, applied_at = excluded.applied_at
"""
SQL_READ_STATE = "select digest from ops.code_tree_state"


class CodeTreeError(RustokError):
    """The code tree cannot be applied: a file missing from ORDER or listed but absent, or a file that fails
    (the message names it; the transaction is rolled back)."""


@dataclass(frozen=True)
class CodeTree:
    root: Path
    files: tuple[Path, ...]

    @property
    def digest(self) -> str:
        """sha256 over the file names and contents, in order: what the database records after applying."""
        h = hashlib.sha256()
        for path in self.files:
            h.update(path.relative_to(self.root).as_posix().encode() + b"\0")
            h.update(path.read_bytes() + b"\0")
        return h.hexdigest()


def load(root: Path | None = None) -> CodeTree:
    """Read <root>/ORDER (root: sql/code by default) and check that it lists every .sql file of the tree
    exactly once."""
    root = root or code_dir()
    order = root / ORDER_FILE
    if not order.is_file():
        raise CodeTreeError(f"{order} is missing: it lists the files of the code tree in the order they are applied")
    listed: list[str] = []
    for n, line in enumerate(order.read_text().splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if line in listed:
            raise CodeTreeError(f"{order}:{n}: {line} is listed twice")
        listed.append(line)
    on_disk = {p.relative_to(root).as_posix() for p in root.rglob("*.sql")}
    missing = [name for name in listed if name not in on_disk]
    if missing:
        raise CodeTreeError(f"{order} lists files that do not exist: {', '.join(missing)}")
    unlisted = sorted(on_disk - set(listed))
    if unlisted:
        raise CodeTreeError(f"{order} does not list: {', '.join(unlisted)} (add each where its dependencies are met)")
    return CodeTree(root, tuple(root / name for name in listed))


def migration_ids() -> list[str]:
    """The ids of the migrations beside this code tree (sql/migrations/*.sql): the tree was written for them.
    Recorded in ops.code_tree_state.migrations so ops.health() can compare them with yoyo's _yoyo_migration."""
    return sorted(p.stem for p in migrations_dir().glob("*.sql") if not p.stem.endswith(".rollback"))


def apply(conn, tree: CodeTree | None = None, progress=None) -> CodeTree:
    """Execute every file of the code tree on `conn` (a psycopg connection, inside the caller's transaction)
    and record its digest (and the migrations it was written for) in ops.code_tree_state. An error names the file; the caller's transaction rolls back."""
    tree = tree or load()
    shown = "sql/code" if tree.root.resolve() == code_dir().resolve() else str(tree.root)
    if progress:
        progress(f"applying the code tree ({len(tree.files)} files)")
    for path in tree.files:
        rel = path.relative_to(tree.root).as_posix()
        try:
            conn.execute(path.read_text())
        except Exception as exc:
            raise CodeTreeError(f"{shown}/{rel}: {exc}") from exc
    conn.execute(SQL_RECORD_STATE, (tree.digest, len(tree.files), migration_ids()))
    return tree


def applied_digest(conn) -> str | None:
    """The digest of the code tree the database last applied (None before the first apply)."""
    row = conn.execute(SQL_READ_STATE).fetchone()
    return row[0] if row else None
