"""The deterministic data generator of `rustok bench`.

Loads one tenant ("bench") through the write model, set-based (one insert ... select over generate_series
per table and chunk, see generate.sql), with every trigger on: the events an import writes land in
outbox.events and the index consumer's queue, and that backlog is what the projector scenario drains.
Ids and values are functions of the row number (bench.id, bench.r), so a size always loads the same data.

Orders are imported set-based too (insert into commerce.orders / order_items directly, as an import
would), not placed through commerce.place_order, which would take hours for a million orders; the
orders scenario measures commerce.checkout itself. See the `orders` block of generate.sql for how the
imported orders stay consistent with the counters and stock.
"""

from __future__ import annotations

import hashlib
import sys
import time
import uuid
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TextIO

import psycopg

SQL_FILE = Path(__file__).with_name("generate.sql")


@dataclass(frozen=True)
class Size:
    """Row counts and chunk sizes (rows per transaction). Chunks stay small: with 20,000 nodes in one
    transaction, the statement attaching their tags ran for more than 5 minutes (the tag events trigger's
    nested loop over content.nodes slows down with the rows the same transaction wrote), against ~1 s for
    5,000."""

    name: str
    products: int
    nodes: int          # pages and posts (every 10th a page)
    comments: int       # approved comments on published posts (content nodes too)
    orders: int
    users: int
    product_chunk: int  # rows per transaction
    node_chunk: int
    order_chunk: int

    @property
    def content_nodes(self) -> int:
        return self.nodes + self.comments


SIZES = {
    "smoke": Size("smoke", products=300, nodes=200, comments=400, orders=500, users=100,
                  product_chunk=150, node_chunk=200, order_chunk=250),
    "default": Size("default", products=100_000, nodes=80_000, comments=120_000, orders=1_000_000, users=10_000,
                    product_chunk=5_000, node_chunk=5_000, order_chunk=10_000),
    "large": Size("large", products=1_000_000, nodes=800_000, comments=1_200_000, orders=10_000_000, users=100_000,
                  product_chunk=5_000, node_chunk=5_000, order_chunk=10_000),
}


def size_named(name: str, orders: int | None = None, products: int | None = None) -> Size:
    size = SIZES[name]
    if orders is not None:
        size = replace(size, orders=orders, order_chunk=min(size.order_chunk, max(orders, 1)))
    if products is not None:
        # chunks of 5,000 products (the default size's) once there are that many, so figures compare
        size = replace(size, products=products, product_chunk=min(max(size.product_chunk, 5_000), max(products, 1)))
    return size


def bench_id(kind: int, n: int) -> uuid.UUID:
    """The uuid bench.id(kind, n) returns (generate.sql)."""
    head = format(1_700_000_000_000 + n, "012x") + format(kind, "04x")
    tail = hashlib.md5(f"{kind}:{n}".encode()).hexdigest()[:16]
    return uuid.UUID(head + tail)


# kinds of bench.id
PRODUCT, OPTION, OPTION_VALUE, VARIANT, PRICE, INVENTORY_ITEM, LEVEL, CATEGORY, NODE, TAG, ORDER, ORDER_ITEM, USER, \
    LOCATION = range(1, 15)


def variant_row(product: int, k: int = 1) -> int:
    """Row number of variant k (1-3) of product row n: bench.id(4, n * 4 + k)."""
    return product * 4 + k


def load_blocks() -> dict[str, str]:
    """The `-- name: x` blocks of generate.sql."""
    blocks: dict[str, list[str]] = {}
    current = None
    for line in SQL_FILE.read_text().splitlines():
        if line.startswith("-- name: "):
            current = line.removeprefix("-- name: ").strip()
            blocks[current] = []
        elif current is not None:
            blocks[current].append(line)
    return {k: "\n".join(v).strip() + "\n" for k, v in blocks.items()}


def statements(block: str) -> list[str]:
    """Split a parameterised block into statements (they end with `;` at the end of a line; no $$ bodies)."""
    out, buf = [], []
    for line in block.splitlines():
        if line.lstrip().startswith("--") and not buf:
            continue
        buf.append(line)
        if line.rstrip().endswith(";"):
            out.append("\n".join(buf).strip().rstrip(";"))
            buf = []
    if "".join(buf).strip():
        out.append("\n".join(buf).strip())
    return out


@dataclass
class Phase:
    name: str
    rows: int = 0
    seconds: float = 0.0
    chunks: list[dict] = field(default_factory=list)   # {"rows", "seconds", "rate"}

    @property
    def rate(self) -> float:
        return self.rows / self.seconds if self.seconds else 0.0


@dataclass
class LoadResult:
    tenant_id: uuid.UUID
    size: Size
    phases: dict[str, Phase]
    events: int
    queued: int
    seconds: float
    load_before: list[float] = field(default_factory=list)
    load_after: list[float] = field(default_factory=list)


class _Lines:
    """Progress lines on stderr: one per chunk (a few dozen per phase at most)."""

    def __init__(self, stream: TextIO | None):
        self.stream = stream

    def __call__(self, phase: str, done: int, total: int, rate: float) -> None:
        if self.stream is None:
            return
        pct = 100 * done // max(total, 1)
        bar = "#" * (pct // 5) + "." * (20 - pct // 5)
        self.stream.write(f"  {phase:<9} [{bar}] {pct:3d}% {done:>9,}/{total:,}  {rate:,.0f} rows/s\n")
        self.stream.flush()


def _run_chunks(conn: psycopg.Connection, phase: Phase, block: str, total: int, chunk: int, params: dict,
                say: _Lines, unit_per_row: int = 1) -> None:
    stmts = statements(block)
    a = 1
    while a <= total:
        b = min(total, a + chunk - 1)
        start = time.monotonic()
        with conn.transaction():
            for sql in stmts:
                conn.execute(sql, dict(params, a=a, b=b))
        took = time.monotonic() - start
        rows = (b - a + 1) * unit_per_row
        phase.rows += rows
        phase.seconds += took
        phase.chunks.append({"rows": rows, "seconds": round(took, 4), "rate": round(rows / took, 1) if took else 0})
        say(phase.name, b, total, rows / took if took else 0)
        a = b + 1


def setup(conn: psycopg.Connection) -> None:
    """Create the bench schema (helpers and reference tables); idempotent."""
    with conn.transaction():
        conn.execute(load_blocks()["setup"])


def generate(conn: psycopg.Connection, size: Size, progress: TextIO | None = sys.stderr) -> LoadResult:
    """Load `size` into the tenant "bench" (created here) of the migrated database behind `conn` (the
    migration owner, autocommit). Returns the timings per phase; `products` is the import figure."""
    blocks = load_blocks()
    say = _Lines(progress)
    started = time.monotonic()
    load_before = _loadavg()
    setup(conn)
    with conn.transaction():
        tenant = conn.execute(blocks["tenant"]).fetchone()[0]
        params = {"t": tenant, "users": size.users, "products": size.products, "base": size.nodes,
                  "count": max(size.orders, 1)}
        for sql in statements(blocks["reference_data"]):
            conn.execute(sql, params)
        # imported orders span the past year: make sure its quarterly partitions exist
        conn.execute("select count(*) from commerce.create_order_partitions(5, now() - interval '12 months')")
        conn.execute("insert into commerce.order_counters as c (tenant_id, last_display_id) values (%s, %s) "
                     "on conflict (tenant_id) do update set last_display_id = greatest(c.last_display_id, excluded.last_display_id)",
                     (tenant, size.orders))
    if progress:
        progress.write(f"generating size {size.name}: {size.products:,} products, {size.content_nodes:,} content nodes "
                       f"({size.comments:,} of them comments), {size.orders:,} orders (triggers on)\n")
    phases = {name: Phase(name) for name in ("products", "nodes", "comments", "orders")}
    _run_chunks(conn, phases["products"], blocks["products"], size.products, size.product_chunk, params, say)
    _run_chunks(conn, phases["nodes"], blocks["nodes"], size.nodes, size.node_chunk, params, say)
    _run_chunks(conn, phases["comments"], blocks["comments"], size.comments, size.node_chunk, params, say)
    span = conn.execute("select now() - interval '365 days', interval '364 days'").fetchone()
    _run_chunks(conn, phases["orders"], blocks["orders"], size.orders, size.order_chunk,
                dict(params, **{"from": span[0], "span": span[1]}), say)
    conn.execute("analyze")
    events = conn.execute("select count(*) from outbox.events").fetchone()[0]
    queued = conn.execute("select count(*) from outbox.deliveries where consumer = 'index'").fetchone()[0]
    return LoadResult(tenant, size, phases, events, queued, time.monotonic() - started, load_before, _loadavg())


def _loadavg() -> list[float]:
    import os

    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:  # pragma: no cover
        return []


# ---------------------------------------------------------------- the same products as import lines

def r(key: int, mod: int) -> int:
    """bench.r (generate.sql): seeded pseudo-random integer in [0, mod)."""
    return ((key * 2654435761 + 40503) % 2147483629) % mod


_COLOURS = ['Red', 'Blue', 'Green', 'Black', 'White', 'Grey', 'Navy', 'Olive', 'Amber', 'Teal']
_MATERIALS = ['linen', 'cotton', 'wool', 'silk', 'denim', 'leather', 'canvas', 'velvet']
_NOUNS = ['shirt', 'jacket', 'trousers', 'scarf', 'hat', 'boots', 'dress', 'sweater', 'coat', 'bag']
_ADJECTIVES = ['soft', 'sturdy', 'light', 'warm', 'classic']
_SIZES = ['S', 'M', 'L']
_CURRENCIES = ['EUR', 'USD', 'GBP']


def product_doc(n: int, prefix: str = "p") -> dict:
    """Product row n of the generator's `products` block as a `rustok import products` line (a dict): the same
    title, description, status, option "Size" with 1-3 values, variants with a price in EUR, USD and GBP and stock
    at the location "Main warehouse", a category (handle category-K) and a tag (name Tag K). Handles and SKUs carry
    `prefix` (p- and SKU- are the generator's own)."""
    count = 1 + r(n + 17, 3)
    sku = "SKU" if prefix == "p" else f"{prefix.upper()}SKU"
    return {
        "handle": f"{prefix}-{n}",
        "title": f"{_COLOURS[r(n, 10)]} {_MATERIALS[r(n + 7, 8)]} {_NOUNS[r(n + 13, 10)]} {n}",
        "description": (f"A {_ADJECTIVES[r(n + 3, 5)]} piece, item number {n}. Made to last; washes well; model "
                        f"{chr(97 + r(n, 26))}{chr(97 + r(n + 1, 26))}."),
        "status": "draft" if n % 20 == 0 else "published",
        "metadata": {"source": "bench", "n": n},
        "options": [{"title": "Size", "values": _SIZES[:count]}],
        "variants": [{
            "title": _SIZES[k - 1], "sku": f"{sku}-{n}-{k}", "weight": 100 + r(n * 4 + k, 900),
            "options": [{"name": "Size", "value": _SIZES[k - 1]}],
            "prices": [{"amount": 500 + r(n * 4 + k, 20000) * 5 + c * 100, "currencyCode": _CURRENCIES[c]}
                       for c in range(3)],
            "stock": {"Main warehouse": r(n * 4 + k, 60)},
        } for k in range(1, count + 1)],
        "categories": [f"category-{1 + r(n + 5, 20)}"],
        "tags": [f"Tag {1 + r(n + 11, 100)}"],
    }


def write_import_file(path: Path, first: int, last: int, prefix: str = "p") -> int:
    """Write products first..last as JSON Lines (compact); returns the number of lines."""
    import json

    with path.open("w", encoding="utf-8") as fh:
        for n in range(first, last + 1):
            fh.write(json.dumps(product_doc(n, prefix), separators=(",", ":")))
            fh.write("\n")
    return last - first + 1
