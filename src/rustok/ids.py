"""Ids: ULIDs stored as UUID.

`new_id()` makes one in Python; `core.new_id()` makes the same layout in SQL
(48-bit millisecond timestamp + 80 random bits), so ids from psql and from the
API sort together by creation time. `parse_id` accepts either spelling.
"""

from __future__ import annotations

import uuid

from ulid import ULID


class InvalidIdError(ValueError):
    """Raised for a string that is neither a ULID nor a UUID."""

    def __init__(self, value: object):
        shown = repr(value) if len(str(value)) <= 64 else repr(str(value)[:64] + "...")
        super().__init__(f"invalid id {shown}: expected a 26-character ULID or a UUID")
        self.value = value


def new_id() -> uuid.UUID:
    return ULID().to_uuid()


def parse_id(value: str | uuid.UUID) -> uuid.UUID:
    """Parse a ULID (26 chars, Crockford base32) or a UUID string into a UUID."""
    if isinstance(value, uuid.UUID):
        return value
    if not isinstance(value, str):
        raise InvalidIdError(value)
    text = value.strip()
    if len(text) == 26:
        try:
            return ULID.from_str(text).to_uuid()
        except ValueError:
            raise InvalidIdError(value) from None
    try:
        return uuid.UUID(text)
    except ValueError:
        raise InvalidIdError(value) from None


def to_ulid(value: uuid.UUID) -> str:
    """The ULID spelling of an id."""
    return str(ULID.from_uuid(value))


def id_time_ms(value: uuid.UUID) -> int:
    """Milliseconds since the epoch encoded in the id."""
    return int.from_bytes(value.bytes[:6], "big")
