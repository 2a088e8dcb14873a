"""`rustok import products FILE`: set-based bulk import of products (docs/operators.md, "Bulk import").

The file is JSON Lines: one product per line (a JSON object, the format of commerce.import_products; blank lines
and lines starting with `#` are skipped, but count for line numbers). Each chunk of lines is COPYed into a
temporary staging table and written by one call of `commerce.import_products`, which inserts every table with
one statement and emits one ProductCreated event per product.

It runs as the API does: role rustok_app with the tenant set (and, with --user, that staff user's permissions:
catalog:write, tags:manage for tags). By default the whole file is one transaction: a bad line anywhere means
nothing is written; with commit_every_chunk each chunk commits on its own (a failure leaves the earlier chunks).
"""

from __future__ import annotations

import argparse
import json
import queue
import re
import sys
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Iterator, TextIO

import psycopg

from rustok.config import Settings
from rustok.errors import RustokError

DEFAULT_CHUNK = 5000

_STAGE = ("create temporary table if not exists import_staging (line integer not null, doc jsonb not null) "
          "on commit drop")
_CALL = ("select commerce.import_products("
         "array(select s.line from import_staging s order by s.line), "
         "array(select s.doc from import_staging s order by s.line), %s)")


class ImportFailed(RustokError):
    """A line of the input is wrong (the message names it); nothing of the transaction was written."""

    def __init__(self, message: str, problems: list[str] | None = None):
        super().__init__(message)
        self.problems = problems or [message]


@dataclass
class ImportResult:
    products: int = 0
    variants: int = 0
    prices: int = 0
    chunks: int = 0
    seconds: float = 0.0
    runs: list[str] = field(default_factory=list)
    chunk_rates: list[float] = field(default_factory=list)   # products/s of each chunk

    @property
    def rate(self) -> float:
        return self.products / self.seconds if self.seconds else 0.0


def _reject_constant(name: str):
    raise ValueError(f"{name} is not valid JSON")


def numbered_lines(lines: Iterable[str]) -> Iterator[tuple[int, str]]:
    """(line number, text) of the lines that hold a product: blank lines and `#` comments are skipped."""
    for number, text in enumerate(lines, start=1):
        stripped = text.strip()
        if stripped and not stripped.startswith("#"):
            yield number, stripped


def _check_json(number: int, text: str) -> None:
    try:
        value = json.loads(text, parse_constant=_reject_constant)
    except ValueError as exc:
        raise ImportFailed(f"line {number}: not valid JSON ({exc})") from None
    if not isinstance(value, dict):
        raise ImportFailed(f"line {number}: expected a JSON object (a product), got {type(value).__name__}")


def _chunks(items: Iterable[tuple[int, str]], size: int) -> Iterator[list[tuple[int, str]]]:
    chunk: list[tuple[int, str]] = []
    for item in items:
        chunk.append(item)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _act(conn: psycopg.Connection, tenant_id: uuid.UUID, user_id: uuid.UUID | None) -> None:
    """This transaction as the API runs: role rustok_app, the tenant, the acting user (or the system)."""
    conn.execute("set local role rustok_app")
    conn.execute("select core.set_tenant(%s)", (tenant_id,))
    if user_id is not None:
        conn.execute("select set_config('rustok.user_id', %s, true)", (str(user_id),))


def _precheck(chunk: list[tuple[int, str]]) -> None:
    """What the server's parse of the chunk cannot name: a line that is not a JSON object (a valid JSON array, string
    or number would be staged as one). A stripped line that holds a JSON object starts with "{"; the few others are
    parsed here for the message. Whether the JSON itself is valid is left to the server's jsonb input (COPY), which
    parses every line anyway: parsing each line in Python as well cost the client ~10 us per product, its whole
    share of the work (see _copy_failed for the line-numbered message when COPY refuses one)."""
    for number, text in chunk:
        if not text.startswith("{"):
            _check_json(number, text)


def _copy_failed(chunk: list[tuple[int, str]], exc: psycopg.Error) -> ImportFailed:
    """COPY refused a line (jsonb input): the same message as before the server parsed the lines, naming the first
    bad line, from Python's parser; a line only jsonb refuses (e.g. \\u0000) is named by COPY's own line number."""
    for number, text in chunk:
        try:
            _check_json(number, text)
        except ImportFailed as failed:
            return failed
    diag = exc.diag
    where = re.search(r"COPY import_staging, line (\d+)", diag.context or "")
    line = chunk[int(where.group(1)) - 1][0] if where and 0 < int(where.group(1)) <= len(chunk) else None
    what = f"line {line}" if line is not None else f"lines {chunk[0][0]}-{chunk[-1][0]}"
    return ImportFailed(f"{what}: not valid JSON for the database ({diag.message_primary or exc}"
                        f"{': ' + diag.message_detail if diag.message_detail else ''})")


def _write_chunk(conn: psycopg.Connection, chunk: list[tuple[int, str]], source: str | None) -> dict:
    # the staging table, emptied; and room for the sort of the chunk's documents into the call's arrays (~4 MB for
    # 5,000 products: with the default work_mem it spilled to a temporary file)
    conn.execute(f"{_STAGE}; truncate import_staging; set local work_mem = '64MB'")
    with conn.cursor() as cur:
        try:
            with cur.copy("copy import_staging (line, doc) from stdin") as copy:
                for number, text in chunk:
                    copy.write_row((number, text))
        except (psycopg.errors.DataError, psycopg.errors.ProgramLimitExceeded) as exc:   # jsonb refused a line
            raise _copy_failed(chunk, exc) from None
        try:
            with conn.transaction():   # a savepoint, so the error below can be reported cleanly
                stats = cur.execute(_CALL, (source,)).fetchone()[0]
        except psycopg.errors.InvalidParameterValue as exc:
            diag = exc.diag
            problems = (diag.message_detail or diag.message_primary or str(exc)).splitlines()
            raise ImportFailed(diag.message_primary or str(exc), problems) from None
        except psycopg.errors.InsufficientPrivilege as exc:
            raise ImportFailed(f"not allowed: {exc.diag.message_primary}") from None
        except psycopg.errors.ObjectNotInPrerequisiteState as exc:
            raise ImportFailed(exc.diag.message_primary or str(exc)) from None
        except (psycopg.errors.IntegrityError, psycopg.errors.DataError) as exc:
            # a conflict the validation pass could not see (e.g. another session wrote the same handle meanwhile)
            detail = f" ({exc.diag.message_detail})" if exc.diag.message_detail else ""
            raise ImportFailed(f"lines {chunk[0][0]}-{chunk[-1][0]}: the database refused the chunk: "
                               f"{exc.diag.message_primary}{detail}") from None
    return stats


def import_products(conn: psycopg.Connection, lines: Iterable[str], *, tenant_id: uuid.UUID,
                    user_id: uuid.UUID | None = None, chunk_size: int = DEFAULT_CHUNK, source: str | None = None,
                    commit_every_chunk: bool = False, total: int | None = None,
                    progress: TextIO | None = None, jobs: int = 1,
                    connect: Callable[[], psycopg.Connection] | None = None) -> ImportResult:
    """Import the products of `lines` (JSON Lines) into a tenant through `conn` (the migration owner's login, as
    the API pool has it; autocommit). Raises ImportFailed naming the first bad line; then nothing is written
    (with commit_every_chunk: nothing of the failing chunk). With jobs > 1 (commit_every_chunk only), chunks are
    written on that many connections made by `connect` at once; a failure stops the chunks not yet started, the
    ones already running finish (and stay committed)."""
    if chunk_size < 1:
        raise RustokError(f"the chunk size must be at least 1 (got {chunk_size})")
    if jobs < 1:
        raise RustokError(f"jobs must be at least 1 (got {jobs})")
    if jobs > 1 and not (commit_every_chunk and connect is not None):
        raise RustokError("parallel chunks (jobs > 1) commit each chunk on its own: use them with commit_every_chunk")
    result = ImportResult()
    started = time.monotonic()
    items = numbered_lines(lines)
    lock = threading.Lock()

    def run_chunk(chunk: list[tuple[int, str]], conn: psycopg.Connection = conn) -> None:
        t0 = time.monotonic()
        _precheck(chunk)
        stats = _write_chunk(conn, chunk, source)
        took = time.monotonic() - t0
        with lock:
            _count(chunk, stats, took)

    def _count(chunk: list[tuple[int, str]], stats: dict, took: float) -> None:
        result.products += stats["products"]
        result.variants += stats["variants"]
        result.prices += stats["prices"]
        result.chunks += 1
        result.runs.append(stats["run_id"])
        result.chunk_rates.append(round(stats["products"] / took, 1) if took else 0.0)
        if progress is not None:
            done = result.products
            elapsed = time.monotonic() - started
            share = f" ({100 * done // total}%)" if total else ""
            progress.write(f"  imported {done:,}{'/' + format(total, ',') if total else ''} products{share}, "
                           f"lines {chunk[0][0]:,}-{chunk[-1][0]:,}, {done / elapsed:,.0f} products/s\n")
            progress.flush()

    if jobs > 1:
        _parallel(items, chunk_size, jobs, connect, tenant_id, user_id, run_chunk)
    elif commit_every_chunk:
        for chunk in _chunks(items, chunk_size):
            with conn.transaction():
                _act(conn, tenant_id, user_id)
                run_chunk(chunk)
    else:
        with conn.transaction():
            _act(conn, tenant_id, user_id)
            for chunk in _chunks(items, chunk_size):
                run_chunk(chunk)
    result.seconds = time.monotonic() - started
    return result


def _parallel(items: Iterator[tuple[int, str]], chunk_size: int, jobs: int, connect: Callable[[], psycopg.Connection],
              tenant_id: uuid.UUID, user_id: uuid.UUID | None, run_chunk: Callable) -> None:
    """Chunks on `jobs` connections, each its own transaction; at most 2 x jobs chunks read ahead."""
    pool: queue.Queue = queue.Queue(maxsize=2 * jobs)
    errors: list[tuple[int, BaseException]] = []
    stop = threading.Event()

    def worker() -> None:
        try:
            with connect() as own:
                own.autocommit = True
                while True:
                    chunk = pool.get()
                    if chunk is None:
                        return
                    if stop.is_set():
                        continue
                    try:
                        with own.transaction():
                            _act(own, tenant_id, user_id)
                            run_chunk(chunk, own)
                    except BaseException as exc:  # noqa: BLE001 - reported by the caller's thread below
                        errors.append((chunk[0][0], exc))
                        stop.set()
        except BaseException as exc:  # noqa: BLE001 - e.g. the connection could not be made
            errors.append((0, exc))
            stop.set()

    threads = [threading.Thread(target=worker, name=f"import-{i + 1}", daemon=True) for i in range(jobs)]
    for t in threads:
        t.start()
    try:
        for chunk in _chunks(items, chunk_size):
            if stop.is_set():
                break
            while True:
                try:
                    pool.put(chunk, timeout=0.5)
                    break
                except queue.Full:
                    if stop.is_set() or not any(t.is_alive() for t in threads):
                        break
    finally:
        for _ in threads:
            while any(t.is_alive() for t in threads):
                try:
                    pool.put(None, timeout=0.5)
                    break
                except queue.Full:
                    continue
        for t in threads:
            t.join()
    if errors:
        raise min(errors, key=lambda e: e[0])[1]


def resolve(conn: psycopg.Connection, tenant_slug: str, user_email: str | None) -> tuple[uuid.UUID, uuid.UUID | None]:
    row = conn.execute("select id from core.tenants where slug = %s and is_active", (tenant_slug,)).fetchone()
    if row is None:
        raise RustokError(f"no active tenant with the slug {tenant_slug!r}")
    tenant_id = row[0]
    user_id = None
    if user_email is not None:
        urow = conn.execute("select id from core.users where tenant_id = %s and lower(email) = lower(%s) "
                            "and status = 'active'", (tenant_id, user_email)).fetchone()
        if urow is None:
            raise RustokError(f"tenant {tenant_slug!r} has no active user {user_email!r}")
        user_id = urow[0]
    return tenant_id, user_id


# ---------------------------------------------------------------- CLI

def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("import", help="bulk import (set-based): rustok import products FILE --tenant SLUG")
    what = p.add_subparsers(dest="what", required=True)
    prod = what.add_parser("products", help="products from a JSON Lines file (one product per line; "
                                            "docs/operators.md, Bulk import)")
    prod.add_argument("file", help="the JSON Lines file, or - for standard input")
    prod.add_argument("--tenant", metavar="SLUG", required=True, help="the tenant (shop) to import into")
    prod.add_argument("--user", metavar="EMAIL", help="act as this staff user of the tenant (their permissions are "
                                                      "checked: catalog:write, tags:manage for tags); default: the system")
    prod.add_argument("--chunk", type=int, default=DEFAULT_CHUNK,
                      help=f"products per set-based call (default {DEFAULT_CHUNK}; bounds memory per statement)")
    prod.add_argument("--commit-every-chunk", action="store_true",
                      help="commit each chunk on its own (default: the whole file is one transaction, all or nothing)")
    prod.add_argument("--jobs", type=int, default=1,
                      help="write this many chunks at once, each on its own connection (with --commit-every-chunk; "
                           "default 1)")
    prod.add_argument("--quiet", action="store_true", help="no progress lines")
    prod.set_defaults(func=cmd_import)


def cmd_import(args: argparse.Namespace, settings: Settings) -> int:
    from rustok import db

    if args.file == "-":
        text_lines: list[str] = sys.stdin.read().splitlines()
        source = "stdin"
    else:
        path = Path(args.file)
        if not path.is_file():
            raise RustokError(f"no such file: {path}")
        text_lines = path.read_text(encoding="utf-8").splitlines()
        source = path.name
    total = sum(1 for _ in numbered_lines(text_lines))
    url = db.database_url(settings)
    with db.connect(url, autocommit=True) as conn:
        tenant_id, user_id = resolve(conn, args.tenant, args.user)
        try:
            result = import_products(conn, text_lines, tenant_id=tenant_id, user_id=user_id, chunk_size=args.chunk,
                                     source=source, commit_every_chunk=args.commit_every_chunk, total=total,
                                     progress=None if args.quiet else sys.stderr, jobs=args.jobs,
                                     connect=lambda: db.connect(url, autocommit=True))
        except ImportFailed as exc:
            for problem in exc.problems[1:]:
                print(f"  {problem}", file=sys.stderr)
            written = ("nothing was written" if not args.commit_every_chunk
                       else "nothing of the failing chunk was written (earlier chunks are committed)")
            raise RustokError(f"{exc} ({written})") from None
    print(f"imported {result.products:,} products ({result.variants:,} variants, {result.prices:,} prices) into "
          f"{args.tenant} in {result.seconds:.1f} s: {result.rate:,.0f} products/s")
    return 0
