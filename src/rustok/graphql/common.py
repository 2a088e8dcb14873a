"""Small helpers shared by module resolvers: ids, JSON input, one-transaction writes with an event position."""

from __future__ import annotations

import contextlib
import math
from typing import Any, AsyncIterator
from uuid import UUID

from ariadne import ScalarType
from psycopg import AsyncConnection
from psycopg.types.json import Jsonb

from rustok.graphql.db import require_staff, require_tenant, tenant_connection
from rustok.graphql.errors import ApiError
from rustok.ids import parse_id

MAX_SAFE_INTEGER = 2**53 - 1
bigint_scalar = ScalarType("BigInt")


@bigint_scalar.serializer
def serialize_bigint(value):
    return int(value)


@bigint_scalar.value_parser
def parse_bigint(value):
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError("BigInt: out of range (at most 2^53 - 1)")
    if isinstance(value, bool) or not isinstance(value, (int, float)) or int(value) != value:
        raise ValueError(f"BigInt: expected an integer, got {value!r}")
    if abs(int(value)) > MAX_SAFE_INTEGER:
        raise ValueError("BigInt: out of range (at most 2^53 - 1)")
    return int(value)


@bigint_scalar.literal_parser
def parse_bigint_literal(ast, variables=None):
    try:
        return parse_bigint(int(ast.value))
    except (AttributeError, TypeError, ValueError) as exc:
        raise ValueError(f"BigInt: expected an integer literal ({exc})") from None


def parse_ids(values) -> list[UUID]:
    return [parse_id(v) for v in values]


def jsonb(value: Any) -> Jsonb | None:
    return None if value is None else Jsonb(value)


async def scalar(conn: AsyncConnection, sql: str, params: tuple = ()) -> Any:
    cur = await conn.execute(sql, params)
    row = await cur.fetchone()
    return row[0] if row else None


@contextlib.asynccontextmanager
async def staff_write(ctx) -> AsyncIterator[tuple[AsyncConnection, dict]]:
    """A staff-only write transaction. Put fields of the result into the dict; `position` is added
    at the end (inside the transaction, after every event it wrote)."""
    await require_staff(ctx)
    async with tenant_write(ctx) as (conn, result):
        yield conn, result


@contextlib.asynccontextmanager
async def tenant_write(ctx) -> AsyncIterator[tuple[AsyncConnection, dict]]:
    tenant_id = await require_tenant(ctx)
    result: dict = {}
    async with tenant_connection(ctx, tenant_id) as conn:
        yield conn, result
        result["position"] = await scalar(conn, "select core.event_position()")


def not_found(what: str, value) -> ApiError:
    return ApiError("NOT_FOUND", f"no {what} {value}")
