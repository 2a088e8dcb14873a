"""Logging: a request id on every line, access lines (failed and slow requests by default) and a summary, text or JSON.

- `RequestLogMiddleware` (plain ASGI) gives every HTTP request an id -- the client's `X-Request-Id`
  when it is sane, a new one otherwise --, returns it in the `X-Request-Id` response header, keeps
  it in a context variable for the request's duration and, when the response is done, may write an
  access line: method, path (never the query string: a GET query holds GraphQL literals),
  operation name, status, duration in ms and the error codes of the response. Which requests get one
  is `RUSTOK_ACCESS_LOG`: `errors` (default: a failed request -- status >= 400 or GraphQL errors --
  or one that took at least `RUSTOK_ACCESS_LOG_SLOW_MS`), `all`, or `off`. A line per successful
  request was ~15 % of a compiled storefront read's time (issue 13: no per-request access log in the
  hot path by default); instead every `RUSTOK_ACCESS_LOG_SUMMARY_S` seconds one summary line counts
  the requests by status class with their duration percentiles.
- `RequestIdFilter` copies that id onto every log record that passes a handler, from any logger
  (ours, uvicorn's, psycopg's), so one grep finds everything a request caused.
- `configure_logging` installs one stderr handler with the filter, as text or as one JSON object
  per line (`RUSTOK_LOG_FORMAT=json`).

GraphQL errors are logged by rustok.graphql.errors (user errors at INFO without traceback, query
text or values; internal errors with a traceback and the operation name).
"""

from __future__ import annotations

import bisect
import contextvars
import datetime as dt
import itertools
import json
import logging
import os
import re
import sys
import time
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


ACCESS_LOG_MODES = ("errors", "all", "off")


class _RequestIds:
    """New request ids: 32 hex digits, a random per-process prefix and a counter (no system call per
    request, as uuid4 makes one; unique across processes, forked ones included)."""

    def __init__(self) -> None:
        self.reset()
        if hasattr(os, "register_at_fork"):
            os.register_at_fork(after_in_child=self.reset)

    def reset(self) -> None:
        self.prefix = os.urandom(6).hex()
        self.counter = itertools.count(1)

    def new(self) -> str:
        return f"{self.prefix}{next(self.counter):020x}"


_request_ids = _RequestIds()

# Upper bounds (ms) of the duration buckets of the summary line: 0.1 ms to ~2 minutes, 25 % apart.
_BUCKETS_MS = [0.1 * 1.25 ** i for i in range(64)]


class _Summary:
    """Requests since the last summary line: counts by status class, a duration histogram, the slowest."""

    def __init__(self, every_s: float):
        self.every_s = every_s
        self.since = time.perf_counter()
        self.clear()

    def clear(self) -> None:
        self.classes = [0] * 6            # 1xx .. 5xx by index 1..5; index 0: no status (disconnected)
        self.buckets = [0] * (len(_BUCKETS_MS) + 1)
        self.count = 0
        self.slowest = 0.0

    def add(self, status: int, duration_ms: float, now: float) -> None:
        self.classes[status // 100 if 100 <= status < 600 else 0] += 1
        self.buckets[bisect.bisect_left(_BUCKETS_MS, duration_ms)] += 1
        self.count += 1
        if duration_ms > self.slowest:
            self.slowest = duration_ms
        if now - self.since >= self.every_s:
            self.emit(now)

    def percentile(self, fraction: float) -> float:
        """The upper bound of the bucket holding that share of the requests (at most 25 % above the truth)."""
        rank, seen = fraction * self.count, 0
        for i, n in enumerate(self.buckets):
            seen += n
            if n and seen >= rank:
                return min(_BUCKETS_MS[i], self.slowest) if i < len(_BUCKETS_MS) else self.slowest
        return self.slowest

    def emit(self, now: float) -> None:
        seconds = now - self.since
        c = self.classes
        fields_ = {"summary_seconds": round(seconds, 1), "requests": self.count,
                   "status_2xx": c[2], "status_3xx": c[3], "status_4xx": c[4], "status_5xx": c[5],
                   "p50_ms": round(self.percentile(0.5), 2), "p99_ms": round(self.percentile(0.99), 2),
                   "max_ms": round(self.slowest, 2)}
        access_log.info("requests in the last %.0f s: %d (2xx %d, 3xx %d, 4xx %d, 5xx %d), p50 <= %.1f ms, "
                        "p99 <= %.1f ms, max %.1f ms", seconds, self.count, c[2], c[3], c[4], c[5],
                        fields_["p50_ms"], fields_["p99_ms"], self.slowest,
                        extra={"request_id": "-", "fields": fields_})
        self.since = now
        self.clear()


class RequestLogMiddleware:
    """Request ids and the access log (module docstring). `access`: "errors", "all" or "off";
    `slow_ms`: with "errors", a request at least this slow gets a line too; `summary_s`: seconds between
    summary lines (0: none; none with "off" either)."""

    def __init__(self, app: ASGIApp, access: str = "errors", slow_ms: float = 500, summary_s: float = 60):
        if access not in ACCESS_LOG_MODES:
            raise ValueError(f"access log mode must be one of {', '.join(ACCESS_LOG_MODES)} (got {access!r})")
        self.app = app
        self.every = access == "all"
        self.errors = access == "errors"
        self.slow_ms = slow_ms
        self.summary = _Summary(summary_s) if summary_s > 0 and access != "off" else None
        redact_uvicorn_access_log()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        entry = RequestLog(request_id=_incoming_id(scope) or _request_ids.new())
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
                end = time.perf_counter()
                duration_ms = (end - start) * 1000
                if self.every or (self.errors and (status >= 400 or status == 0 or entry.error_codes
                                                   or duration_ms >= self.slow_ms)):
                    _access_line(scope, entry, status, duration_ms)
                if self.summary is not None:
                    self.summary.add(status, duration_ms, end)
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
