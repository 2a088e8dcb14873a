"""`rustok db backup` and `rustok db restore`: pg_dump / pg_restore (custom format) with the embedded cluster's own
binaries (rustok.embedded.bin_path), so the tools always match the embedded server's version.

A restore goes into an EMPTY database: a new data directory (RUSTOK_DATA_DIR pointing at a fresh folder; the
embedded cluster is created there) or a new database of a running cluster (`--database NAME`, created when
missing). Roles are cluster-wide and not in a database dump: the platform's group roles (rustok_app, rustok_analyst,
rustok_tenant_analyst) are created when missing, objects become owned by the restoring user (--no-owner), and the
code tree is applied afterwards (rustok.migrate.apply), which puts back the database-level grants and the role
settings a dump does not carry. Analyst logins are cluster-wide too: ops.analysts lists the ones to recreate.
"""

from __future__ import annotations

import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import psycopg

from rustok import migrate
from rustok.embedded import bin_path
from rustok.errors import RustokError

# The same statements as migrations 0001 and 0066 (roles only when missing): a restore needs them before the data.
SQL_CREATE_ROLES = """
do $roles$
begin
    if not exists (select from pg_roles where rolname = 'rustok_app') then
        create role rustok_app login nosuperuser nocreatedb nocreaterole nobypassrls;
    end if;
    if not exists (select from pg_roles where rolname = 'rustok_analyst') then
        create role rustok_analyst login nosuperuser nocreatedb nocreaterole nobypassrls;
    end if;
    if not exists (select from pg_roles where rolname = 'rustok_tenant_analyst') then
        create role rustok_tenant_analyst nologin nosuperuser nocreatedb nocreaterole nobypassrls;
    end if;
end
$roles$
"""
# Anything of ours (or yoyo's) makes a database "not empty".
SQL_OCCUPIED = """
select coalesce(array_agg(n.nspname::text order by n.nspname), '{}')
from pg_namespace n
where n.nspname in ('core', 'outbox', 'content', 'community', 'commerce', 'index', 'analytics', 'ops')
   or (n.nspname = 'public' and exists (select from pg_class c where c.relnamespace = n.oid and c.relkind in ('r', 'p')))
"""
SQL_MISSING_LOGINS = "select login from ops.analysts where scope = 'tenant (login missing)' order by 1"


class BackupError(RustokError):
    """pg_dump or pg_restore failed, or the target of a restore is not empty."""


@dataclass(frozen=True)
class Result:
    file: Path
    bytes: int
    seconds: float
    notes: tuple[str, ...] = ()


def _run(args: list[str], what: str) -> None:
    proc = subprocess.run(args, capture_output=True, text=True)
    if proc.returncode != 0:
        lines = [ln for ln in proc.stderr.strip().splitlines() if ln.strip()]
        raise BackupError(f"{what} failed: " + ("; ".join(lines[:5]) or f"exit status {proc.returncode}"))


def backup(url: str, file: Path) -> Result:
    """pg_dump --format=custom of the whole database (schema, data, yoyo's bookkeeping) into `file`."""
    file = Path(file)
    if file.exists():
        raise BackupError(f"{file} already exists; choose another file name")
    start = time.monotonic()
    # pg_stat_statements is the superuser's (the embedded bootstrap installs it): the restoring owner could not
    # re-create or comment it, so it is left out; the target cluster has its own.
    _run([str(bin_path("pg_dump")), "--format=custom", "--compress=6", "--exclude-extension=pg_stat_statements",
          "--file", str(file), "--dbname", url], "pg_dump")
    return Result(file, file.stat().st_size, time.monotonic() - start)


def restore(url: str, file: Path) -> Result:
    """Restore a `rustok db backup` file into the empty database at `url`, in one transaction, then apply the code
    tree. Raises BackupError when the database is not empty or pg_restore fails (nothing is then restored)."""
    file = Path(file)
    if not file.is_file():
        raise BackupError(f"{file}: no such backup file")
    start = time.monotonic()
    with psycopg.connect(url, autocommit=True) as conn:
        occupied = conn.execute(SQL_OCCUPIED).fetchone()[0]
        if occupied:
            db = conn.info.dbname
            raise BackupError(f"database {db} is not empty (it has {', '.join(occupied)}): restore into an empty "
                              "database (--database NEW) or a new data directory (RUSTOK_DATA_DIR=/new/dir)")
        try:
            conn.execute(SQL_CREATE_ROLES)
        except psycopg.errors.InsufficientPrivilege as exc:
            raise BackupError(f"cannot create the platform's roles ({exc.diag.message_primary}): the restoring user "
                              "needs CREATEROLE, or a DBA creates rustok_app, rustok_analyst and rustok_tenant_analyst first") from None
    _run([str(bin_path("pg_restore")), "--no-owner", "--single-transaction", "--exit-on-error",
          "--dbname", url, str(file)], "pg_restore")
    migrate.apply(url)   # the code tree: database grants, role settings, memberships; and migrations of a newer release
    notes: list[str] = []
    with psycopg.connect(url, autocommit=True) as conn:
        missing = [r[0] for r in conn.execute(SQL_MISSING_LOGINS).fetchall()]
    if missing:
        notes.append(f"{len(missing)} per-tenant analyst login(s) of the backup do not exist in this cluster "
                     f"({', '.join(missing)}): recreate with select ops.create_analyst('<login>', '<tenant slug>');")
    return Result(file, file.stat().st_size, time.monotonic() - start, tuple(notes))
