"""`rustok reindex`: full, chunked reindex of one tenant or all, with a progress bar on stderr.

(The daily full reindex is a periodic job of the worker: rustok.index.schedule, listed by
rustok.worker_runtime.periodic_jobs.)
"""

from __future__ import annotations

import argparse
import os
import sys

from rustok.config import Settings
from rustok.errors import RustokError


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("reindex", help="rebuild the read model (schema index) of one tenant or all, chunk by chunk")
    p.add_argument("--tenant", metavar="SLUG", help="only this tenant (default: every active tenant)")
    p.add_argument("--type", action="append", dest="types", choices=("product", "node", "order"),
                   help="only this aggregate type (repeatable; default all)")
    p.add_argument("--chunk-size", type=int, default=None,
                   help="ids per transaction (default 2000: a chunk is one set-based rebuild, bigger is cheaper per row)")
    p.add_argument("--jobs", type=int, default=None,
                   help="chunks rebuilt at once on that many connections (default: the CPU count, at most 4)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=cmd_reindex)


def cmd_reindex(args: argparse.Namespace, settings: Settings) -> int:
    from rustok import db
    from rustok.index import reindex

    chunk = args.chunk_size if args.chunk_size is not None else reindex.DEFAULT_CHUNK_SIZE
    if chunk < 1:
        raise RustokError(f"--chunk-size must be at least 1 (got {chunk})")
    jobs = args.jobs if args.jobs is not None else min(os.cpu_count() or 1, 4)
    if jobs < 1:
        raise RustokError(f"--jobs must be at least 1 (got {jobs})")
    url = db.database_url(settings)
    with db.connect(url, autocommit=True) as conn:
        try:
            targets = reindex.tenants(conn, args.tenant)
        except LookupError as exc:
            raise RustokError(str(exc)) from None
        stats = reindex.reindex(conn, targets, types=tuple(args.types or reindex.AGGREGATE_TYPES),
                                chunk_size=chunk, progress_stream=None if args.quiet else sys.stderr,
                                jobs=jobs, connect=lambda: db.connect(url, autocommit=True))
    print(f"reindexed {len(targets)} tenant(s): {stats.total} rows, {stats.succeeded} succeeded, "
          f"{stats.failed} failed in {stats.seconds}s", file=sys.stderr)
    for slug, kind, ident, error in stats.failures[:50]:
        print(f"  failed: {slug} {kind} {ident}: {error}", file=sys.stderr)
    if stats.failed:
        raise RustokError(f"{stats.failed} row(s) could not be reindexed (listed above)")
    return 0
