"""Custom scalars and input parsing shared by every resolver module: BigInt, DateTime, JSON, ids.

SDL: schema/scalars.graphql. Ids are parsed with rustok.ids.parse_id (a UUID or the same id spelled as
a 26-character ULID; anything else raises InvalidIdError, reported as BAD_USER_INPUT).
"""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any
from uuid import UUID

from ariadne import ScalarType
from graphql import StringValueNode
from psycopg.types.json import Jsonb

from rustok.ids import parse_id

MAX_SAFE_INTEGER = 2**53 - 1

bigint_scalar = ScalarType("BigInt")
datetime_scalar = ScalarType("DateTime")
json_scalar = ScalarType("JSON")


# ---------------------------------------------------------------- BigInt (money in minor units)

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


# ---------------------------------------------------------------- DateTime

@datetime_scalar.serializer
def serialize_datetime(value):
    return value.isoformat() if hasattr(value, "isoformat") else value


_DATETIME_HINT = "an ISO 8601 string with a time zone, e.g. 2030-01-31T09:00:00Z or 2030-01-31T10:00:00+01:00"


@datetime_scalar.value_parser
def parse_datetime(value):
    if not isinstance(value, str) or len(value) > 64:
        raise ValueError(f"DateTime: expected {_DATETIME_HINT}")
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise ValueError(f"DateTime: expected {_DATETIME_HINT}") from None
    if parsed.tzinfo is None:
        raise ValueError(f"DateTime: the time zone is missing; expected {_DATETIME_HINT}")
    return parsed


@datetime_scalar.literal_parser
def parse_datetime_literal(ast, variables=None):
    if not isinstance(ast, StringValueNode):
        raise ValueError(f"DateTime: expected {_DATETIME_HINT}")
    return parse_datetime(ast.value)


# ---------------------------------------------------------------- ids and JSON input

def parse_ids(values) -> list[UUID]:
    return [parse_id(v) for v in values]


def optional_id(value) -> UUID | None:
    return parse_id(value) if value else None


def jsonb(value: Any) -> Jsonb | None:
    """A JSON input value as a jsonb query parameter (None stays SQL null)."""
    return None if value is None else Jsonb(value)


bindables = [bigint_scalar, datetime_scalar, json_scalar]
