"""Relay connections: paging arguments, opaque cursors and the page a keyset read returns.

A cursor is the row's position in its list's sort, as the SQL page functions give it
(`{"s": sort, "k": [key, id]}`, sql/code/index/pages.sql), encoded as unpadded base64url JSON so clients
treat it as opaque. The page functions check a decoded cursor against the list's sort and key type.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass

from psycopg.types.json import Jsonb

from rustok.graphql.errors import ApiError

MAX_PAGE_SIZE = 100
DEFAULT_PAGE_SIZE = 20
COUNT_CAP = 10_000


def encode_cursor(key) -> str:
    raw = json.dumps(key, separators=(",", ":"), ensure_ascii=False).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def not_a_cursor(argument: str) -> ApiError:
    """The refusal of a cursor that this list did not hand out (malformed, or another list's or sort's)."""
    return ApiError("BAD_USER_INPUT", f"{argument}: not a cursor of this list (take cursors from edges or pageInfo)",
                    argument=argument)


def decode_cursor(value: str | None, argument: str):
    if value is None:
        return None
    bad = not_a_cursor(argument)
    if not isinstance(value, str) or len(value) > 2048:
        raise bad
    try:
        key = json.loads(base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise bad from None
    if not isinstance(key, dict):
        raise bad
    return key


@dataclass
class PageArgs:
    limit: int
    from_end: bool
    after: dict | None
    before: dict | None

    @property
    def after_param(self):
        return Jsonb(self.after) if self.after is not None else None

    @property
    def before_param(self):
        return Jsonb(self.before) if self.before is not None else None


def page_args(first: int | None, after: str | None, last: int | None, before: str | None) -> PageArgs:
    """Check Relay paging arguments: `first` (with `after`) or `last` (with `before`), at most 100 rows."""
    if first is not None and last is not None:
        raise ApiError("BAD_USER_INPUT", "first, last: give one of them (first pages forwards, last backwards)",
                       argument="last")
    name, size = ("last", last) if last is not None else ("first", DEFAULT_PAGE_SIZE if first is None else first)
    if size < 0:
        raise ApiError("BAD_USER_INPUT", f"{name}: must be 0 or more (got {size})", argument=name)
    if size > MAX_PAGE_SIZE:
        raise ApiError("BAD_USER_INPUT", f"{name}: a page has at most {MAX_PAGE_SIZE} rows (got {size}); "
                       f"page on with after/before", argument=name, maxPageSize=MAX_PAGE_SIZE)
    return PageArgs(size, last is not None, decode_cursor(after, "after"), decode_cursor(before, "before"))


def connection(rows: list, args: PageArgs, node, **extra) -> dict:
    """The connection dict of a page: rows as the page function returned them (up to limit + 1, nearest the
    `before` cursor first when paging backwards), each with a `cursor`; node(row) builds the edge's node."""
    more = len(rows) > args.limit
    rows = rows[:args.limit]
    if args.from_end:
        rows.reverse()
    edges = [{"cursor": encode_cursor(r["cursor"]), "node": node(r)} for r in rows]
    if args.from_end:
        info = {"hasPreviousPage": more, "hasNextPage": args.before is not None}
    else:
        info = {"hasNextPage": more, "hasPreviousPage": args.after is not None}
    info["startCursor"] = edges[0]["cursor"] if edges else None
    info["endCursor"] = edges[-1]["cursor"] if edges else None
    return {"edges": edges, "nodes": [e["node"] for e in edges], "pageInfo": info, **extra}


def counted(conn: dict, sql: str, params) -> dict:
    """Give a connection dict the statement that counts its rows (one row, column `n`, counted up to
    COUNT_CAP + 1 by the SQL count function); bind_total_count's fields run it only when a client asks."""
    conn["_count_sql"] = (sql, params)
    return conn


async def _counted_total(conn: dict, info) -> int:
    if "_total" not in conn:
        from rustok.graphql.db import fetch_one   # db imports access, which needs errors only: no cycle at call time

        sql, params = conn["_count_sql"]
        conn["_total"] = (await fetch_one(info.context, sql, params))["n"]
    return conn["_total"]


def bind_total_count(*object_types) -> None:
    """totalCount (exact up to COUNT_CAP) and totalCountCapped of connections made with counted()."""
    async def total_count(conn, info):
        return min(await _counted_total(conn, info), COUNT_CAP)

    async def total_count_capped(conn, info):
        return await _counted_total(conn, info) > COUNT_CAP

    for object_type in object_types:
        object_type.set_field("totalCount", total_count)
        object_type.set_field("totalCountCapped", total_count_capped)
