"""Map database and input errors to GraphQL errors with stable codes.

Codes: BAD_USER_INPUT, UNAUTHENTICATED, FORBIDDEN, NOT_FOUND, CONFLICT, INTERNAL.
A user's mistake never surfaces as a stack trace; unexpected errors are logged
with context and reported as INTERNAL with a generic message.
"""

from __future__ import annotations

import logging

import psycopg
from graphql import GraphQLError

from rustok.ids import InvalidIdError

log = logging.getLogger(__name__)


class ApiError(Exception):
    """An error meant for the API user: a stable code and an actionable message."""

    def __init__(self, code: str, message: str, **extra):
        super().__init__(message)
        self.code = code
        self.extra = extra


_SQLSTATE_CODES = {
    "23505": "CONFLICT",              # unique_violation
    "23P01": "CONFLICT",              # exclusion_violation
    "40001": "CONFLICT",              # serialization_failure
    "40P01": "CONFLICT",              # deadlock_detected
    "42501": "FORBIDDEN",             # insufficient_privilege (incl. RLS)
    "P0002": "NOT_FOUND",             # no_data_found
    "55000": "BAD_USER_INPUT",        # object_not_in_prerequisite_state (state machine, disabled module)
}


def code_for_sqlstate(sqlstate: str | None) -> str | None:
    if not sqlstate:
        return None
    if sqlstate in _SQLSTATE_CODES:
        return _SQLSTATE_CODES[sqlstate]
    if sqlstate[:2] in ("22", "23"):  # data exceptions, integrity violations
        return "BAD_USER_INPUT"
    if sqlstate.startswith("P0"):    # raise exception in PL/pgSQL with a rule violation
        return "BAD_USER_INPUT"
    return None


def format_error(error: GraphQLError, debug: bool = False) -> dict:
    formatted = error.formatted
    original = error.original_error
    extensions = dict(formatted.get("extensions") or {})
    if isinstance(original, ApiError):
        extensions.update(code=original.code, **original.extra)
    elif isinstance(original, InvalidIdError):
        formatted["message"] = str(original)
        extensions["code"] = "BAD_USER_INPUT"
    elif isinstance(original, psycopg.Error) and code_for_sqlstate(original.sqlstate):
        diag = original.diag
        formatted["message"] = diag.message_primary or str(original)
        extensions.update(code=code_for_sqlstate(original.sqlstate), sqlstate=original.sqlstate)
        for key, value in (("detail", diag.message_detail), ("hint", diag.message_hint),
                           ("column", diag.column_name), ("constraint", diag.constraint_name)):
            if value:
                extensions[key] = value
    elif original is None or (error.path is None and isinstance(original, (ValueError, TypeError, GraphQLError))):
        # Syntax, validation and variable-coercion errors (no resolver path): the request itself is
        # wrong, and graphql-core's message already says how.
        extensions.setdefault("code", "BAD_USER_INPUT")
    else:
        log.error("unexpected error in GraphQL resolver at %s", formatted.get("path"), exc_info=original)
        formatted["message"] = "internal error; it has been logged"
        extensions["code"] = "INTERNAL"
    formatted["extensions"] = extensions
    return formatted
