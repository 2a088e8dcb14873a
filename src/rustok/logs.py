"""Logging: a request id on every line, one access line per request, text or JSON.

- `RequestLogMiddleware` (plain ASGI) gives every HTTP request an id -- the client's `X-Request-Id`
  when it is sane, a new one otherwise --, returns it in the `X-Request-Id` response header, keeps
  it in a context variable for the request's duration and, when the response is done, writes one
  access line: method, path (never the query string: a GET query holds GraphQL literals),
  operation name, status, duration in ms and the error codes of the response.
- `RequestIdFilter` copies that id onto every log record that passes a handler, from any logger
  (ours, uvicorn's, psycopg's), so one grep finds everything a request caused.
- `configure_logging` installs one stderr handler with the filter, as text or as one JSON object
  per line (`RUSTOK_LOG_FORMAT=json`).

GraphQL errors are logged by rustok.graphql.errors (user errors at INFO without traceback, query
text or values; internal errors with a traceback and the operation name).
"""

from __future__ import annotations

import contextvars
import datetime as dt
import json
import logging
import re
import sys
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

access_log = logging.getLogger("rustok.access")

_SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9._:@+/=-]{1,128}")
_GRAPHQL_NAME = re.compile(r"[_A-Za-z][_0-9A-Za-z]{0,99}")


@dataclass
class RequestLog:
    """What the log needs to know about the request in flight."""

    request_id: str = "-"
    operation: str | None = None
    error_codes: list[str] = field(default_factory=list)
    logged_errors: int = 0


_current: contextvars.ContextVar[RequestLog | None] = contextvars.ContextVar("rustok_request", default=None)


def request_log() -> RequestLog:
    """The current request's log entry (a throwaway one outside a request)."""
    return _current.get() or RequestLog()


def current_request_id() -> str:
    entry = _current.get()
    return entry.request_id if entry else "-"


def safe_operation_name(name: object) -> str:
    """An operation name fit for a log line: a GraphQL Name, else a placeholder (never client text)."""
    if name is None:
        return "-"
    return name if isinstance(name, str) and _GRAPHQL_NAME.fullmatch(name) else "(invalid name)"


class RequestIdFilter(logging.Filter):
    """Adds `request_id` to every record (the current request's, or "-")."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = current_request_id()
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, request id, structured fields."""

    def format(self, record: logging.LogRecord) -> str:
        out = {
            "ts": dt.datetime.fromtimestamp(record.created, dt.timezone.utc).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", current_request_id()),
        }
        fields_ = getattr(record, "fields", None)
        if isinstance(fields_, dict):
            out.update(fields_)
        if record.exc_info:
            out["exception"] = self.formatException(record.exc_info)
        return json.dumps(out, default=str)


TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"


def configure_logging(level: int = logging.INFO, fmt: str = "text", stream=None) -> logging.Handler:
    """One handler on the root logger; uvicorn is run with log_config=None so it uses it too."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.addFilter(RequestIdFilter())
    handler.setFormatter(JsonFormatter() if fmt == "json" else logging.Formatter(TEXT_FORMAT))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    return handler


class _StripQueryString(logging.Filter):
    """uvicorn's access line quotes the full path; a GET /graphql?query=... holds GraphQL literals
    (a password, say). We run uvicorn without its access log (RequestLogMiddleware writes ours), but
    a deployment's logging config may attach a handler to `uvicorn.access`: this keeps the path only."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) >= 3 and isinstance(args[2], str) and "?" in args[2]:
            record.args = (*args[:2], args[2].split("?", 1)[0], *args[3:])
        return True


def redact_uvicorn_access_log() -> None:
    """Install _StripQueryString on the `uvicorn.access` logger (idempotent)."""
    logger = logging.getLogger("uvicorn.access")
    if not any(isinstance(f, _StripQueryString) for f in logger.filters):
        logger.addFilter(_StripQueryString())


class RequestLogMiddleware:
    def __init__(self, app: ASGIApp):
        self.app = app
        redact_uvicorn_access_log()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        entry = RequestLog(request_id=_incoming_id(scope) or uuid.uuid4().hex)
        token = _current.set(entry)
        start = time.perf_counter()
        status = 0

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                MutableHeaders(scope=message).append("X-Request-Id", entry.request_id)
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except BaseException:
            status = status or 500
            raise
        finally:
            if scope["type"] == "http":
                _access_line(scope, entry, status, (time.perf_counter() - start) * 1000)
            _current.reset(token)


def _incoming_id(scope: Scope) -> str | None:
    for name, value in scope.get("headers") or ():
        if name == b"x-request-id":
            try:
                text = value.decode("ascii")
            except UnicodeDecodeError:
                return None
            return text if _SANE_REQUEST_ID.fullmatch(text) else None
    return None


def _access_line(scope: Scope, entry: RequestLog, status: int, duration_ms: float) -> None:
    method, path = scope.get("method", "-"), scope.get("path", "-")
    operation = safe_operation_name(entry.operation)
    codes = Counter(entry.error_codes)
    errors = ",".join(code if n == 1 else f"{code}x{n}" for code, n in codes.items()) or "-"
    level = logging.WARNING if status >= 500 and status != 503 else logging.INFO
    access_log.log(level, "%s %s op=%s status=%s %.1fms errors=%s", method, path, operation, status, duration_ms,
                   errors, extra={"fields": {"method": method, "path": path, "operation": operation,
                                             "status": status, "duration_ms": round(duration_ms, 2),
                                             "errors": dict(codes)}})
