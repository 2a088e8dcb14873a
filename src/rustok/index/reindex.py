"""Chunked full reindex from Python: one transaction per chunk, progress on stderr.

Each chunk calls index.reindex_chunk (subtransaction per chunk, then per row on failure), so a bad
row is reported and the rest goes on; committing per chunk keeps locks and transactions short.
Chunks are set-based rebuilds (index._product_rows computes a whole chunk with one grouped pass per
table), so bigger chunks are cheaper per row; with jobs > 1 they run on that many connections at once
(one per core is the useful maximum: the work is CPU in the server).
"""

from __future__ import annotations

import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Callable, TextIO

import psycopg

AGGREGATE_TYPES = ("product", "node", "order")
DEFAULT_CHUNK_SIZE = 2000

SQL_TENANTS_ALL = "select id, slug from core.tenants where is_active order by slug"
SQL_TENANT_BY_SLUG = "select id, slug from core.tenants where slug = %s"
SQL_IDS = "select index.reindex_ids(%s, %s)"
SQL_CHUNK = "select succeeded, failed, busy, failed_ids, errors from index.reindex_chunk(%s, %s, %s)"
SQL_WORDS = "select added, removed, refreshed from index.refresh_words_if_stale(%s)"
# the product read tables whose planner statistics are missing or stale (more than a tenth of the rows changed)
SQL_STALE_STATS = """
select format('%I.%I', s.schemaname, s.relname)
from pg_catalog.pg_stat_user_tables s
where s.schemaname = 'index' and s.relname in ('products', 'product_search', 'product_prices')
  and (coalesce(s.last_analyze, s.last_autoanalyze) is null or s.n_mod_since_analyze > 0.1 * greatest(s.n_live_tup, 1))
order by 1
"""


@dataclass
class Stats:
    total: int = 0
    succeeded: int = 0
    failed: int = 0
    seconds: float = 0.0
    rebuild_seconds: float = 0.0     # the chunks (all connections)
    words_seconds: float = 0.0       # index.refresh_words_if_stale (0 when no read row's text changed or went away)
    analyze_seconds: float = 0.0     # analyze of the product read tables (0 when their statistics were fresh)
    failures: list[tuple[str, str, object, str]] = field(default_factory=list)  # (tenant slug, type, id, error)


class Progress:
    """A one-line progress bar on a stream (redrawn in place on a terminal, a line per 10% otherwise)."""

    def __init__(self, total: int, stream: TextIO = sys.stderr, width: int = 30) -> None:
        self.total = max(total, 0)
        self.done = 0
        self.stream = stream
        self.width = width
        self.tty = bool(getattr(stream, "isatty", lambda: False)())
        self._last_decile = -1

    def advance(self, n: int, label: str) -> None:
        self.done += n
        pct = 100 if self.total == 0 else min(100, self.done * 100 // self.total)
        filled = self.width * pct // 100
        bar = "#" * filled + "." * (self.width - filled)
        line = f"[{bar}] {pct:3d}% {self.done}/{self.total} {label}"
        if self.tty:
            self.stream.write("\r" + line.ljust(79))
            self.stream.flush()
        elif pct // 10 != self._last_decile:
            self._last_decile = pct // 10
            self.stream.write(line + "\n")
            self.stream.flush()

    def close(self) -> None:
        if self.tty:
            self.stream.write("\n")
            self.stream.flush()


def tenants(conn: psycopg.Connection, slug: str | None) -> list[tuple[object, str]]:
    """[(id, slug)] of the tenant with this slug, or of every active tenant. LookupError when unknown."""
    if slug is None:
        return [tuple(r) for r in conn.execute(SQL_TENANTS_ALL).fetchall()]
    row = conn.execute(SQL_TENANT_BY_SLUG, (slug,)).fetchone()
    if row is None:
        raise LookupError(f"no tenant with slug {slug!r}")
    return [tuple(row)]


def reindex(conn: psycopg.Connection, targets: list[tuple[object, str]], *, types=AGGREGATE_TYPES,
            chunk_size: int = DEFAULT_CHUNK_SIZE, progress_stream: TextIO | None = sys.stderr,
            on_chunk: Callable[[], None] | None = None, jobs: int = 1,
            connect: Callable[[], psycopg.Connection] | None = None) -> Stats:
    """Reindex the given tenants chunk by chunk (autocommit connection: one transaction per chunk).

    jobs > 1 runs chunks on that many connections at once: `conn` and jobs - 1 more from `connect`
    (autocommit connections to the same database)."""
    if chunk_size < 1:
        raise ValueError("chunk size must be at least 1")
    if jobs < 1:
        raise ValueError("jobs must be at least 1")
    if jobs > 1 and connect is None:
        raise ValueError("jobs > 1 needs connect (a factory of more connections)")
    started = time.monotonic()
    plan = []
    for tenant_id, slug in targets:
        for kind in types:
            ids = conn.execute(SQL_IDS, (tenant_id, kind)).fetchone()[0] or []
            plan.append((tenant_id, slug, kind, ids))
    stats = Stats(total=sum(len(ids) for *_, ids in plan))
    bar = Progress(stats.total, progress_stream) if progress_stream is not None else None
    chunks = [(tenant_id, slug, kind, ids[start:start + chunk_size])
              for tenant_id, slug, kind, ids in plan for start in range(0, len(ids), chunk_size)]
    lock = threading.Lock()

    def record(slug, kind, chunk, row) -> None:
        ok, failed, busy, failed_ids, errors = row
        with lock:
            stats.succeeded += ok + busy
            stats.failed += failed
            stats.failures.extend((slug, kind, i, e) for i, e in zip(failed_ids, errors))
            if bar:
                bar.advance(len(chunk), f"{slug} {kind}")
            if on_chunk:
                on_chunk()

    queue = iter(chunks)

    def work(c: psycopg.Connection) -> None:
        """Rebuild chunks on connection c until none is left (shared by every connection)."""
        while True:
            with lock:
                item = next(queue, None)
            if item is None:
                return
            tenant_id, slug, kind, chunk = item
            record(slug, kind, chunk, c.execute(SQL_CHUNK, (tenant_id, kind, chunk)).fetchone())

    extra = [connect() for _ in range(min(jobs, len(chunks)) - 1)] if jobs > 1 else []
    try:
        if not extra:
            work(conn)
        else:
            with ThreadPoolExecutor(max_workers=len(extra) + 1) as pool:
                futures = [pool.submit(work, c) for c in [conn, *extra]]
                for f in futures:
                    f.result()   # re-raises the first error of a connection
    finally:
        for c in extra:
            c.close()
    stats.rebuild_seconds = round(time.monotonic() - started, 3)
    t0 = time.monotonic()
    for tenant_id, _slug in targets:
        conn.execute(SQL_WORDS, (tenant_id,))
    stats.words_seconds = round(time.monotonic() - t0, 3)
    if "product" in types and stats.total:
        # fresh statistics for the rewritten read tables: a search planned on none (right after a first full
        # load, before autovacuum's analyze) walks the tenant's key instead of the text index. Only the tables
        # whose statistics are missing or older than a tenth of their rows' changes (autovacuum's own rule):
        # analyzing 100,000 unchanged products' tables took ~3 s, as long as the reindex itself.
        t0 = time.monotonic()
        stale = [r[0] for r in conn.execute(SQL_STALE_STATS).fetchall()]
        if stale:
            conn.execute("analyze " + ", ".join(stale))
        stats.analyze_seconds = round(time.monotonic() - t0, 3)
    if bar:
        bar.close()
    stats.seconds = round(time.monotonic() - started, 3)
    return stats
