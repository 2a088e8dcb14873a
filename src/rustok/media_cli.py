"""`rustok media`: upkeep of the uploaded files (rustok.media) from the command line, as the migration owner.

- `rustok media move-to-disk`: rows uploaded before media moved to disk keep their bytes in content.media_data
  (storage_key `db:<id>`) and are served from there; this writes each one to the media root (temp file, fsync,
  atomic rename), points its row at the file (storage_key `file:...`, sha256, size) and deletes its bytes from
  the database, one row per transaction (a row that fails keeps its bytes; its file is removed again).
- `rustok media check`: rows whose file is missing, files no row points at (orphans: a crash between the
  rename and the commit of an upload), and leftover temp files; `--remove-orphans` deletes the orphans and the
  temp files older than an hour. Exit status 2 when a row's file is missing.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import psycopg

from rustok import media
from rustok.config import Settings

_LEGACY = """
    select m.tenant_id, m.id, m.mime_type, d.data
    from content.media m
    join content.media_data d on d.tenant_id = m.tenant_id and d.media_id = m.id
    where m.storage_key like 'db:%%' and (m.tenant_id, m.id) > (%s, %s)
    order by m.tenant_id, m.id
    limit 1"""

_POINT = """
    update content.media set storage_key = %s, sha256 = %s, size = %s
    where tenant_id = %s and id = %s and storage_key like 'db:%%'"""

_FORGET = "delete from content.media_data where tenant_id = %s and media_id = %s"

_FILE_KEYS = "select tenant_id, id, storage_key from content.media where storage_key like 'file:%'"


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("media", help="uploaded files: move-to-disk (rows still stored in the database) | check")
    p.add_argument("media_action", choices=("move-to-disk", "check"),
                   help="move-to-disk: write rows stored in the database to the media root; check: missing and "
                        "orphan files")
    p.add_argument("--remove-orphans", action="store_true",
                   help="check: delete files no row points at, and temp files older than an hour")
    p.set_defaults(func=cmd_media)


def cmd_media(args: argparse.Namespace, settings: Settings) -> int:
    from rustok import db

    root = media.media_root(settings)
    url = db.database_url(settings)
    with db.connect(url, autocommit=True) as conn:
        if args.media_action == "move-to-disk":
            return move_to_disk(conn, root)
        return check(conn, root, remove_orphans=args.remove_orphans)


def move_to_disk(conn: psycopg.Connection, root: Path, out=sys.stdout) -> int:
    moved = failed = 0
    last = ("00000000-0000-0000-0000-000000000000", "00000000-0000-0000-0000-000000000000")
    while True:
        row = conn.execute(_LEGACY, last).fetchone()
        if row is None:
            break
        tenant_id, media_id, mime, data = row
        last = (tenant_id, media_id)
        stored = media.store_bytes(root, bytes(data), tenant_id, media_id, mime)
        try:
            with conn.transaction():
                conn.execute(_POINT, (stored.key, stored.sha256, stored.size, tenant_id, media_id))
                conn.execute(_FORGET, (tenant_id, media_id))
            moved += 1
        except psycopg.Error as exc:
            media.remove(stored.path)
            failed += 1
            print(f"media {media_id} (tenant {tenant_id}) stays in the database: {exc.diag.message_primary or exc}",
                  file=out)
    print(f"moved {moved} file(s) to {root}" + (f"; {failed} kept in the database" if failed else ""), file=out)
    return 1 if failed else 0


def check(conn: psycopg.Connection, root: Path, *, remove_orphans: bool = False, out=sys.stdout) -> int:
    known: set[Path] = set()
    missing = 0
    for tenant_id, media_id, key in conn.execute(_FILE_KEYS):
        path = media.path_of(root, key)
        if path is None or not path.is_file():
            missing += 1
            print(f"missing: media {media_id} of tenant {tenant_id} ({key})", file=out)
        elif path is not None:
            known.add(path.resolve())
    orphans = temps = 0
    if root.is_dir():
        for path in root.rglob("*"):
            if not path.is_file():
                continue
            if path.parent.name == media.TMP and path.parent.parent == root:
                if time.time() - path.stat().st_mtime > 3600:
                    temps += 1
                    if remove_orphans:
                        media.remove(path)
                continue
            if path.resolve() not in known:
                orphans += 1
                print(f"orphan: {path}" + (" (removed)" if remove_orphans else ""), file=out)
                if remove_orphans:
                    media.remove(path)
    print(f"{len(known)} file(s) in place, {missing} missing, {orphans} orphan(s), {temps} stale temp file(s) "
          f"under {root}", file=out)
    return 2 if missing else 0
