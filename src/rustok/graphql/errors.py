"""Map database and input errors to GraphQL errors with stable codes.

Codes: BAD_USER_INPUT, MODULE_DISABLED (the tenant turned the module off; extensions.module), TENANT_SUSPENDED (the
platform operator suspended the tenant; extensions.tenant), UNAUTHENTICATED, FORBIDDEN, NOT_FOUND, CONFLICT, QUERY_TOO_COMPLEX,
RATE_LIMITED (a throttled login: HTTP 429 with Retry-After, extensions.retryAfter seconds),
UNAVAILABLE (the database is unreachable: HTTP 503), INTERNAL. A user's mistake never surfaces as a
stack trace; unexpected errors are logged with context and reported as INTERNAL with a generic message.
"""

from __future__ import annotations

import logging
import re

import psycopg
from graphql import GraphQLError
from psycopg_pool import PoolClosed, PoolTimeout

from rustok.errors import DatabaseUnavailable
from rustok.ids import InvalidIdError
from rustok.logs import request_log, safe_operation_name

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


def classify(error: GraphQLError) -> tuple[str, str | None, dict]:
    """(code, message to show instead of the error's own or None, extra extensions) for one error."""
    original = error.original_error
    if isinstance(original, ApiError):
        return original.code, None, dict(original.extra)
    if isinstance(original, InvalidIdError):
        return "BAD_USER_INPUT", str(original), {}
    if original is not None and is_outage(original):
        return "UNAVAILABLE", "the database is unavailable right now; retry shortly (see Retry-After)", {}
    if isinstance(original, psycopg.Error) and original.sqlstate == "55000":
        module = _disabled_module(original.diag.message_primary)
        if module:
            from rustok.graphql.access import module_disabled_message

            return "MODULE_DISABLED", module_disabled_message(module), {"module": module}
    if isinstance(original, psycopg.Error) and code_for_sqlstate(original.sqlstate):
        diag = original.diag
        extra = {"sqlstate": original.sqlstate}
        for key, value in (("detail", diag.message_detail), ("hint", diag.message_hint),
                           ("column", diag.column_name), ("constraint", diag.constraint_name)):
            if value:
                extra[key] = value
        return code_for_sqlstate(original.sqlstate), diag.message_primary or str(original), extra
    if original is None or (error.path is None and isinstance(original, (ValueError, TypeError, GraphQLError))):
        # Syntax, validation, limit and variable-coercion errors (no resolver path): the request itself
        # is wrong, and the message already says how. A limit error carries its own code.
        return (error.extensions or {}).get("code") or "BAD_USER_INPUT", None, {}
    return "INTERNAL", "internal error; it has been logged", {}


_MODULE_DISABLED = re.compile(r'(?:^|: )module "([a-z_]+)" is disabled')


def _disabled_module(message: str | None) -> str | None:
    """The module named by core.assert_module_enabled's refusal, or None for any other 55000 error."""
    found = _MODULE_DISABLED.search(message or "")
    return found.group(1) if found else None


def is_outage(exc: BaseException) -> bool:
    """The database, or our connection to it, is gone (rather than a statement having failed)."""
    from rustok.db import is_connection_failure

    return isinstance(exc, (DatabaseUnavailable, PoolTimeout, PoolClosed)) or is_connection_failure(exc)


def format_error(error: GraphQLError, debug: bool = False) -> dict:
    formatted = error.formatted
    code, message, extra = classify(error)
    extensions = dict(formatted.get("extensions") or {})
    extensions.update(extra)
    extensions["code"] = code
    if message is not None:
        formatted["message"] = message
    formatted["extensions"] = extensions
    return formatted


# ---------------------------------------------------------------- logging

MAX_LOGGED_ERRORS = 5  # per request; the access line counts them all


def log_graphql_error(error: GraphQLError) -> None:
    """User errors at INFO (code and path only: no message, query text or values); internal errors
    at ERROR with the original traceback and the operation name."""
    entry = request_log()
    entry.logged_errors += 1
    if entry.logged_errors > MAX_LOGGED_ERRORS:
        return
    code, _, extra = classify(error)
    where = ".".join(str(p) for p in error.path) if error.path else "-"
    operation = safe_operation_name(entry.operation)
    if code == "INTERNAL":
        original = error.original_error
        log.error("internal error at %s in operation %s: %s", where, operation, type(original).__name__,
                  exc_info=(type(original), original, original.__traceback__))
    else:
        detail = "".join(f" {key}={extra[key]}" for key in ("sqlstate", "constraint") if key in extra)
        log.info("%s at %s in operation %s%s", code, where, operation, detail)


class GraphQLErrorLogger(logging.LoggerAdapter):
    """Given to Ariadne as its logger. Ariadne logs every error with `logger.error(error, exc_info=error)`,
    and a GraphQLError's text quotes the query's source line (an inline password with it); this
    logs by code instead."""

    def __init__(self) -> None:
        super().__init__(log, {})

    def error(self, msg, *args, **kwargs) -> None:
        if isinstance(msg, GraphQLError):
            log_graphql_error(msg)
        else:
            self.logger.error(msg, *args, **kwargs)
