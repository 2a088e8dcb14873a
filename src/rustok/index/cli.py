"""`rustok reindex`: full, chunked reindex of one tenant or all, with a progress bar on stderr.

(The daily full reindex is a periodic job of the worker: rustok.index.schedule, listed by
rustok.worker_runtime.periodic_jobs.)
"""

from __future__ import annotations

import argparse
import sys

from rustok.config import Settings
from rustok.errors import RustokError


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("reindex", help="rebuild the read model (schema index) of one tenant or all, chunk by chunk")
    p.add_argument("--tenant", metavar="SLUG", help="only this tenant (default: every active tenant)")
    p.add_argument("--type", action="append", dest="types", choices=("product", "node", "order"),
                   help="only this aggregate type (repeatable; default all)")
    p.add_argument("--chunk-size", type=int, default=None,
                   help="ids per transaction (default RUSTOK_INDEX_BATCH_SIZE x 5, i.e. 500)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=cmd_reindex)


def cmd_reindex(args: argparse.Namespace, settings: Settings) -> int:
    from rustok import db
    from rustok.index import reindex

    chunk = args.chunk_size if args.chunk_size is not None else settings.index_batch_size * 5
    if chunk < 1:
        raise RustokError(f"--chunk-size must be at least 1 (got {chunk})")
    url = db.database_url(settings)
    with db.connect(url, autocommit=True) as conn:
        try:
            targets = reindex.tenants(conn, args.tenant)
        except LookupError as exc:
            raise RustokError(str(exc)) from None
        stats = reindex.reindex(conn, targets, types=tuple(args.types or reindex.AGGREGATE_TYPES),
                                chunk_size=chunk, progress_stream=None if args.quiet else sys.stderr)
    print(f"reindexed {len(targets)} tenant(s): {stats.total} rows, {stats.succeeded} succeeded, "
          f"{stats.failed} failed in {stats.seconds}s", file=sys.stderr)
    for slug, kind, ident, error in stats.failures[:50]:
        print(f"  failed: {slug} {kind} {ident}: {error}", file=sys.stderr)
    if stats.failed:
        raise RustokError(f"{stats.failed} row(s) could not be reindexed (listed above)")
    return 0
