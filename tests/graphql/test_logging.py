"""Secrets and logs (issue 10.3): request ids, access lines (every request with RUSTOK_ACCESS_LOG=all; by default
failed and slow ones, and a summary line: issue 13), user errors at INFO
without query text or values, internal errors with a traceback and the operation name."""

from __future__ import annotations

import io
import json
import logging
import uuid

import httpx
import psycopg
import pytest

from rustok.app import create_app
from rustok.config import Settings
from rustok.logs import JsonFormatter, RequestIdFilter, TEXT_FORMAT
from tests.graphql.conftest import login, new_tenant, new_user
from tests.outbox.helpers import wait_for
from tests.reliability.test_outage import Server


class Capture(logging.Handler):
    """Every record from every logger, at DEBUG, formatted both as text and as JSON (tracebacks included)."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.addFilter(RequestIdFilter())
        self.records: list[logging.LogRecord] = []
        self.text = logging.Formatter(TEXT_FORMAT)
        self.json = JsonFormatter()

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    def dump(self) -> str:
        """Everything the server side logged (httpx/httpcore are this test's own HTTP client)."""
        return "\n".join(self.text.format(r) + "\n" + self.json.format(r) for r in self.records
                         if not r.name.startswith(("httpx", "httpcore")))

    def of(self, request_id: str) -> list[logging.LogRecord]:
        return [r for r in self.records if getattr(r, "request_id", None) == request_id]


@pytest.fixture
def capture():
    """Attach to the root logger and to every logger that does not propagate; everything at DEBUG."""
    handler = Capture()
    root = logging.getLogger()
    saved = (root.level, {})
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    for name, logger in list(logging.root.manager.loggerDict.items()):
        if isinstance(logger, logging.Logger):
            saved[1][name] = logger.level
            logger.setLevel(logging.DEBUG)
            if not logger.propagate:
                logger.addHandler(handler)
    try:
        yield handler
    finally:
        root.removeHandler(handler)
        root.setLevel(saved[0])
        for name, level in saved[1].items():
            logger = logging.getLogger(name)
            logger.setLevel(level)
            if handler in logger.handlers:
                logger.removeHandler(handler)


@pytest.fixture(scope="module")
def server(api_db):
    """Every request logged (RUSTOK_ACCESS_LOG=all), as these tests follow requests through the log."""
    with Server(create_app(api_db, settings=Settings(database_url=api_db, access_log="all"))) as srv:
        yield srv


@pytest.fixture(scope="module")
def default_server(api_db):
    """The default access log (failed and slow requests only), with a summary line every second; "slow" from a
    minute, so that a loaded test machine does not turn a successful request into a logged one."""
    with Server(create_app(api_db, settings=Settings(database_url=api_db, access_log_summary_s=1,
                                                     access_log_slow_ms=60_000))) as srv:
        yield srv


def test_a_wrong_inline_password_leaves_no_trace_in_any_log(server, owner, capture, capfd):
    slug = new_tenant(owner)
    new_user(owner, slug, "ann@logs.example", "customer")
    secret = f"Pw-{uuid.uuid4().hex}"
    queries = [
        f'mutation Login {{ login(email: "ann@logs.example", password: "{secret}") {{ token }} }}',  # wrong password
        f'mutation {{ login(email: "ann@logs.example", password: "{secret}") {{ token }}',  # a syntax error
        f'mutation {{ login(email: "ann@logs.example", password: {secret[3:].replace("-", "")}1) {{ token }} }}',
        f'mutation {{ login(email: "nobody@logs.example", password: "{secret}", extra: 1) {{ token }} }}',
    ]
    with httpx.Client(base_url=server.base_url) as http:
        for query in queries:
            resp = http.post("/graphql", json={"query": query}, headers={"X-Tenant": slug})
            assert resp.status_code in (200, 400) and resp.json()["errors"][0]["extensions"]["code"] in (
                "UNAUTHENTICATED", "BAD_USER_INPUT"), resp.text
        # the same over GET (a mutation: refused, and the query string is not logged either)
        resp = http.get("/graphql", params={"query": queries[0]}, headers={"X-Tenant": slug})
        assert resp.status_code == 405
    out, err = capfd.readouterr()
    logged = capture.dump()
    assert any(r.name == "rustok.access" for r in capture.records), "the capture must see the app's log"
    for needle in (secret, secret[3:].replace("-", "")):
        assert needle not in logged
        assert needle not in out and needle not in err


def test_request_id_on_every_response_and_every_line(server, owner, capture):
    slug = new_tenant(owner)
    with httpx.Client(base_url=server.base_url) as http:
        mine = http.post("/graphql", json={"query": '{ product(handle: "none") { id } }'},
                         headers={"X-Tenant": slug, "X-Request-Id": "abc-123.DEF"})
        assert mine.headers["x-request-id"] == "abc-123.DEF"
        for bad in ("has spaces", "x" * 200, "quote\"d"):
            resp = http.get("/healthz", headers={"X-Request-Id": bad})
            assert resp.headers["x-request-id"] != bad and len(resp.headers["x-request-id"]) == 32
        generated = http.post("/graphql", json={"query": '{ login }'})
        rid = generated.headers["x-request-id"]
        assert len(rid) == 32
        refused = http.put("/graphql", content=b"{}")
        assert refused.status_code == 405 and refused.headers["x-request-id"]
    lines = capture.of(rid)
    assert lines, "the request's lines carry its id"
    assert all(r.request_id == rid for r in lines)
    # the access line is written once the response is sent: wait for the last one
    access = wait_for(lambda: [r for r in capture.records if r.name == "rustok.access"][5:] and
                      [r for r in capture.records if r.name == "rustok.access"], timeout=5, what="access lines")
    assert len(access) == 6 and all(r.request_id != "-" for r in access)


def test_one_access_line_per_request_with_operation_status_and_duration(server, owner, capture):
    slug = new_tenant(owner)
    with httpx.Client(base_url=server.base_url) as http:
        resp = http.post("/graphql", json={"query": "query Shop { tenant { slug } }"}, headers={"X-Tenant": slug})
        rid = resp.headers["x-request-id"]
        failed = http.post("/graphql", json={"query": "query Broken { nope }"})
    def access_of(request_id):  # written once the response is sent: wait for it
        return wait_for(lambda: [r for r in capture.of(request_id) if r.name == "rustok.access"], timeout=5,
                        what="the access line")

    access = access_of(rid)
    assert len(access) == 1
    line = json.loads(JsonFormatter().format(access[0]))
    assert line["method"] == "POST" and line["path"] == "/graphql" and line["operation"] == "Shop"
    assert line["status"] == 200 and line["duration_ms"] >= 0 and line["request_id"] == rid
    assert "op=Shop status=200" in access[0].getMessage()
    broken = access_of(failed.headers["x-request-id"])
    assert len(broken) == 1 and json.loads(JsonFormatter().format(broken[0]))["errors"] == {"BAD_USER_INPUT": 1}


def test_user_errors_are_info_without_traceback_or_text(server, owner, capture):
    slug = new_tenant(owner)
    with httpx.Client(base_url=server.base_url) as http:
        resp = http.post("/graphql", json={"query": 'mutation LogIn { login(email: "x@y.z", password: "nope-nope") '
                                                    "{ token } }"}, headers={"X-Tenant": slug})
        assert resp.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    graphql_lines = [r for r in capture.of(resp.headers["x-request-id"]) if r.name == "rustok.graphql.errors"]
    assert len(graphql_lines) == 1
    record = graphql_lines[0]
    assert record.levelno == logging.INFO and record.exc_info is None
    message = record.getMessage()
    assert "UNAUTHENTICATED" in message and "LogIn" in message and "login" in message
    assert "x@y.z" not in message and "nope-nope" not in message and "mutation" not in message
    assert not [r for r in capture.records if r.levelno >= logging.ERROR]


def test_internal_errors_log_a_traceback_and_the_operation_but_no_values(server, api_db, owner, capture):
    """A read row the API cannot serialize (drift in the read model) is a bug on our side: INTERNAL."""
    slug = new_tenant(owner)
    new_user(owner, slug, "boss@logs.example", "admin")
    owner.execute("insert into index.products (tenant_id, product_id, title, handle, status, created_at, updated_at) "
                  "values (core.tenant_id_by_slug(%s), %s, 'Odd', 'odd-handle-7', 'archived', now(), now())",
                  (slug, uuid.uuid4()))
    with httpx.Client(base_url=server.base_url) as http:
        token = login(_Gql(http), slug, "boss@logs.example")
        resp = http.post("/graphql", json={"query": 'query OddOne { product(handle: "odd-handle-7") { status } }'},
                         headers={"X-Tenant": slug, "Authorization": f"Bearer {token}"})
    body = resp.json()
    assert body["errors"][0]["extensions"]["code"] == "INTERNAL"
    assert body["errors"][0]["message"] == "internal error; it has been logged"
    errors = [r for r in capture.of(resp.headers["x-request-id"]) if r.levelno >= logging.ERROR]
    assert len(errors) == 1
    assert errors[0].exc_info is not None and "OddOne" in errors[0].getMessage()
    assert "odd-handle-7" not in capture.text.format(errors[0])


class _Gql:
    """The conftest's login() helper over a plain httpx client."""

    def __init__(self, http):
        self.http = http

    def __call__(self, query, variables=None, *, tenant=None, **_):
        resp = self.http.post("/graphql", json={"query": query, "variables": variables or {}},
                              headers={"X-Tenant": tenant} if tenant else {})
        return resp.json()


def test_json_log_format(monkeypatch):
    from rustok.logs import configure_logging

    monkeypatch.setenv("RUSTOK_LOG_FORMAT", "json")
    settings = Settings.from_env()
    stream = io.StringIO()
    root = logging.getLogger()
    saved = (list(root.handlers), root.level)
    try:
        configure_logging(logging.INFO, settings.log_format, stream=stream)
        logging.getLogger("rustok.test").info("hello %s", "world")
    finally:
        for h in list(root.handlers):
            root.removeHandler(h)
        for h in saved[0]:
            root.addHandler(h)
        root.setLevel(saved[1])
    line = json.loads(stream.getvalue().splitlines()[-1])
    assert line["message"] == "hello world" and line["level"] == "INFO" and line["request_id"] == "-"
    monkeypatch.setenv("RUSTOK_LOG_FORMAT", "yaml")
    from rustok.errors import ConfigError

    with pytest.raises(ConfigError):
        Settings.from_env()


def test_a_request_full_of_errors_logs_a_few_short_lines(server, capture):
    """Was: a 21 kB request produced 13 MB of log (a traceback with the query's source per error)."""
    query = "query Many { products { nodes { " + " ".join(f"unknownField{i}_{'x' * 90}" for i in range(200)) + " } } }"
    assert len(query) > 20_000
    with httpx.Client(base_url=server.base_url) as http:
        resp = http.post("/graphql", json={"query": query})
    assert resp.status_code == 400 and len(resp.json()["errors"]) >= 100
    lines = [capture.text.format(r) for r in capture.of(resp.headers["x-request-id"])]
    assert len(lines) <= 7 and sum(map(len, lines)) < 2_000, lines  # 5 error lines, 1 access line (+ uvicorn's)


def test_by_default_only_failed_and_slow_requests_get_an_access_line(default_server, owner, capture):
    """Issue 13: no access line per successful request in the hot path; failures keep theirs."""
    slug = new_tenant(owner)
    with httpx.Client(base_url=default_server.base_url) as http:
        ok = http.post("/graphql", json={"query": "query Shop { tenant { slug } }"}, headers={"X-Tenant": slug})
        failed = http.post("/graphql", json={"query": "query Broken { nope }"})
        missing = http.get("/no-such-page-here")
    assert ok.status_code == 200 and "errors" not in ok.json()
    for resp, code in ((failed, "op=Broken status=400"), (missing, "status=404")):
        line = wait_for(lambda: [r for r in capture.of(resp.headers["x-request-id"]) if r.name == "rustok.access"],
                        timeout=5, what="the failed request's access line")
        assert len(line) == 1 and code in line[0].getMessage(), line[0].getMessage()
    assert not [r for r in capture.of(ok.headers["x-request-id"]) if r.name == "rustok.access"]


def test_a_slow_request_gets_an_access_line(api_db, owner, capture):
    slug = new_tenant(owner)
    with Server(create_app(api_db, settings=Settings(database_url=api_db, access_log_slow_ms=0))) as srv, \
            httpx.Client(base_url=srv.base_url) as http:
        ok = http.post("/graphql", json={"query": "query Shop { tenant { slug } }"}, headers={"X-Tenant": slug})
        line = wait_for(lambda: [r for r in capture.of(ok.headers["x-request-id"]) if r.name == "rustok.access"],
                        timeout=5, what="the slow request's access line")
    assert ok.status_code == 200 and "op=Shop status=200" in line[0].getMessage()


def test_a_summary_line_counts_the_requests(default_server, owner, capture):
    import time

    slug = new_tenant(owner)
    with httpx.Client(base_url=default_server.base_url) as http:
        time.sleep(1.1)
        http.get("/healthz")                     # closes the interval the earlier tests' requests fell in
        first = len([r for r in capture.records if r.name == "rustok.access" and "requests in the last" in r.getMessage()])
        for _ in range(3):
            assert http.post("/graphql", json={"query": "{ tenant { slug } }"}, headers={"X-Tenant": slug}).status_code == 200
        assert http.get("/no-such-page-here").status_code == 404
        time.sleep(1.1)
        http.get("/healthz")                     # the first request after the interval writes its summary (5)
    summaries = wait_for(lambda: [r for r in capture.records if r.name == "rustok.access"
                                  and "requests in the last" in r.getMessage()][first:], timeout=5, what="a summary")
    lines = [json.loads(JsonFormatter().format(r)) for r in summaries]
    # on a slow machine the interval may end among the five requests: they are then counted in two lines
    assert sum(f["requests"] for f in lines) == 5, lines
    assert sum(f["status_2xx"] for f in lines) == 4 and sum(f["status_4xx"] for f in lines) == 1, lines
    fields_ = lines[-1]
    assert 0 < fields_["p50_ms"] <= fields_["p99_ms"] <= fields_["max_ms"] * 1.25 + 0.1, fields_
    assert all(f["request_id"] == "-" for f in lines)


def test_access_log_settings_are_checked(monkeypatch):
    from rustok.config import ConfigError

    monkeypatch.setenv("RUSTOK_ACCESS_LOG", "sometimes")
    with pytest.raises(ConfigError, match="RUSTOK_ACCESS_LOG must be one of errors, all, off"):
        Settings.from_env()
    monkeypatch.setenv("RUSTOK_ACCESS_LOG", "ALL")
    assert Settings.from_env().access_log == "all"
    monkeypatch.setenv("RUSTOK_ACCESS_LOG_SLOW_MS", "-1")
    with pytest.raises(ConfigError, match="RUSTOK_ACCESS_LOG_SLOW_MS must be 0 or more"):
        Settings.from_env()


def test_request_ids_are_unique_and_32_hex_digits(default_server):
    with httpx.Client(base_url=default_server.base_url) as http:
        ids = [http.get("/healthz").headers["x-request-id"] for _ in range(50)]
    assert len(set(ids)) == 50 and all(len(i) == 32 and int(i, 16) >= 0 for i in ids)
