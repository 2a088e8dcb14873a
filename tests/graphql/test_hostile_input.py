"""Hostile input through the real app (issue 10, "the tank under fire").

Every refusal is a GraphQL-over-HTTP error body with `extensions.code`, never a plain-text 500, and
comes before any SQL runs: the tests count the statements the API role executed (pg_stat_statements).
"""

from __future__ import annotations

import asyncio
import json
import uuid

import psycopg
import pytest
from starlette.testclient import TestClient

from rustok.app import create_app
from rustok.config import Settings
from tests.graphql.conftest import Gql, login, new_tenant, new_user

NUL = "\u0000"
SURROGATE = "\ud800"


_COUNTING = {"available": True}


@pytest.fixture(scope="module")
def api_db(pg, template_db):
    """A database of its own, with pg_stat_statements so a test can prove no SQL ran."""
    name = f"rustok_hostile_{uuid.uuid4().hex[:10]}"
    url = pg.create_database(name, template=template_db)
    with psycopg.connect(pg.url(name, owner=False), autocommit=True) as admin:
        try:
            admin.execute("create extension if not exists pg_stat_statements")
        except psycopg.Error:  # an external test server without the library preloaded: no counting
            _COUNTING["available"] = False
    try:
        yield url
    finally:
        pg.drop_database(name)


@pytest.fixture(scope="module")
def settings(api_db) -> Settings:
    return Settings(database_url=api_db)


@pytest.fixture(scope="module")
def client(api_db, settings):
    with TestClient(create_app(api_db, settings=settings)) as c:
        yield c


@pytest.fixture(scope="module")
def owner(api_db):
    with psycopg.connect(api_db, autocommit=True) as conn:
        yield conn


@pytest.fixture(scope="module")
def shop(client, owner):
    gql = Gql(client)
    slug = new_tenant(owner)
    new_user(owner, slug, "staff@hostile.example", "admin")
    new_user(owner, slug, "buyer@hostile.example", "customer")
    return slug, login(gql, slug, "staff@hostile.example"), login(gql, slug, "buyer@hostile.example")


def app_statements(owner) -> int:
    """Statements the API role has run in this database so far (0 when the server cannot count them;
    the embedded test cluster always can)."""
    if not _COUNTING["available"]:
        return 0
    row = owner.execute(
        "select coalesce(sum(calls), 0)::int from pg_stat_statements "
        "where dbid = (select oid from pg_database where datname = current_database()) "
        "and userid = 'rustok_app'::regrole").fetchone()
    return row[0]


def post(client, query: str, variables: dict | None = None, *, tenant=None, token=None, **headers):
    if tenant:
        headers["X-Tenant"] = tenant
    if token:
        headers["Authorization"] = f"Bearer {token}"
    # ensure_ascii: a lone surrogate travels as the JSON escape \\ud800, as any JSON client sends it
    body = json.dumps({"query": query, "variables": variables or {}}, ensure_ascii=True).encode()
    return client.post("/graphql", content=body, headers={"content-type": "application/json", **headers})


def only_error(resp, code: str, status: int | tuple = (200, 400)) -> dict:
    statuses = status if isinstance(status, tuple) else (status,)
    assert resp.status_code in statuses, (resp.status_code, resp.text[:500])
    body = resp.json()  # a JSON body, always
    errors = body["errors"]
    assert [e["extensions"]["code"] for e in errors] == [code] * len(errors), errors
    return errors[0]


# ------------------------------------------------------------------ strings: NUL and lone surrogates

STRING_ARGUMENTS = [
    # (name, query, variables, argument named in the message, needs token)
    ("search", "query($v: String) { products(search: $v) { totalCount } }", "search", None),
    ("handle", "query($v: String!) { product(handle: $v) { id } }", "handle", None),
    ("currency", "query($v: String) { products(currency: $v) { totalCount } }", "currency", None),
    ("email", "mutation($v: String!) { login(email: $v, password: \"whatever1\") { token } }", "email", None),
    ("comment body", "mutation($v: String!) { addComment(parentId: \"01JD0000000000000000000000\", body: $v) "
                     "{ position } }", "body", "customer"),
    ("tag name", "mutation($v: String!) { createTag(name: $v) { tag { id } } }", "name", "staff"),
    ("product title", "mutation($v: String!) { createProduct(input: {title: $v, handle: \"h\"}) { position } }",
     "input.title", "staff"),
]


@pytest.mark.parametrize("bad", [NUL, SURROGATE], ids=["nul", "lone-surrogate"])
@pytest.mark.parametrize("name,query,argument,who", STRING_ARGUMENTS, ids=[a[0] for a in STRING_ARGUMENTS])
def test_nul_and_lone_surrogates_in_variables_are_bad_user_input_before_sql(client, owner, shop, name, query,
                                                                              argument, who, bad):
    slug, staff, customer = shop
    token = {"staff": staff, "customer": customer}.get(who)
    before = app_statements(owner)
    resp = post(client, query, {"v": f"ab{bad}cd"}, tenant=slug, token=token)
    error = only_error(resp, "BAD_USER_INPUT")
    assert argument in error["message"], error
    assert error["extensions"]["argument"] == argument
    assert app_statements(owner) == before, "SQL ran for a refused argument"


def test_nul_in_a_literal_is_refused_naming_the_argument(client, owner, shop):
    slug, _, _ = shop
    before = app_statements(owner)
    error = only_error(post(client, '{ products(search: "a\\u0000b") { totalCount } }', tenant=slug), "BAD_USER_INPUT")
    assert "search" in error["message"] and "U+0000" in error["message"]
    assert app_statements(owner) == before


def test_nul_inside_a_list_and_json_is_refused(client, owner, shop):
    slug, staff, _ = shop
    before = app_statements(owner)
    error = only_error(post(client, "query($t: [String!]) { products(filter: {tags: $t}) { totalCount } }",
                            {"t": ["ok", "x\u0000"]}, tenant=slug), "BAD_USER_INPUT")
    assert error["extensions"]["argument"] == "filter.tags[1]"
    error = only_error(post(client, "mutation($m: JSON) { createProduct(input: {title: \"t\", handle: \"h\", "
                                    "metadata: $m}) { position } }", {"m": {"k\u0000": 1}}, tenant=slug, token=staff),
                       "BAD_USER_INPUT")
    assert error["extensions"]["argument"].startswith("input.metadata")
    assert app_statements(owner) == before


def test_strings_past_the_length_limit_are_refused(client, owner, shop, settings):
    slug, staff, _ = shop
    before = app_statements(owner)
    error = only_error(post(client, "query($v: String) { products(search: $v) { totalCount } }",
                            {"v": "x" * (settings.max_string_length + 1)}, tenant=slug), "BAD_USER_INPUT")
    assert error["extensions"]["argument"] == "search" and str(settings.max_string_length) in error["message"]
    # long text (a post body) has its own, larger limit
    error = only_error(post(client, "mutation($b: String) { createNode(input: {kind: post, title: \"t\", body: $b}) "
                                    "{ position } }", {"b": "x" * (settings.max_text_length + 1)},
                            tenant=slug, token=staff), "BAD_USER_INPUT")
    assert error["extensions"]["argument"] == "input.body"
    assert app_statements(owner) == before
    ok = post(client, "query($v: String) { products(search: $v) { totalCount } }", {"v": "x" * settings.max_string_length},
              tenant=slug)
    assert ok.status_code == 200 and "errors" not in ok.json()


def test_metadata_past_the_json_limit_is_refused_before_sql(client, owner, shop, settings):
    slug, staff, _ = shop
    before = app_statements(owner)
    big = {"blob": "x" * settings.max_json_bytes}
    error = only_error(post(client, "mutation($m: JSON) { createProduct(input: {title: \"t\", handle: \"big\", "
                                    "metadata: $m}) { position } }", {"m": big}, tenant=slug, token=staff),
                       "BAD_USER_INPUT")
    assert error["extensions"]["argument"] == "input.metadata" and "bytes" in error["message"]
    assert app_statements(owner) == before


# ------------------------------------------------------------------ scalars

def test_datetime_literal_that_is_not_a_string_is_bad_user_input(client, shop):
    slug, staff, _ = shop
    for literal in ("123", "true", "{a: 1}", '"not a date"', '"2030-01-01T00:00:00"'):  # the last lacks a zone
        resp = post(client, f"mutation {{ scheduleNodes(ids: [], at: {literal}) {{ ids }} }}", tenant=slug, token=staff)
        assert "DateTime" in only_error(resp, "BAD_USER_INPUT")["message"]
    for value in (123, "yesterday", ["2030-01-01T00:00:00Z"]):
        resp = post(client, "mutation($at: DateTime!) { scheduleNodes(ids: [], at: $at) { ids } }", {"at": value},
                    tenant=slug, token=staff)
        assert "DateTime" in only_error(resp, "BAD_USER_INPUT")["message"]
    # a good DateTime reaches the SQL function, which refuses the empty id list
    ok = post(client, "mutation($at: DateTime!) { scheduleNodes(ids: [], at: $at) { ids userErrors { code message } } }",
              {"at": "2030-01-01T00:00:00+02:00"}, tenant=slug, token=staff)
    [error] = ok.json()["data"]["scheduleNodes"]["userErrors"]
    assert error["code"] == "INVALID"


@pytest.mark.parametrize("query", [
    "{ products(first: 99999999999) { totalCount } }",
    "{ products(first: 1e400) { totalCount } }",
    "{ products(filter: {priceMax: 99999999999999999999999}) { totalCount } }",
    'mutation { setVariantPrice(variantId: "x", currencyCode: "EUR", amount: 1e400) { position } }',
])
def test_huge_numbers_are_bad_user_input(client, shop, query):
    slug, staff, _ = shop
    only_error(post(client, query, tenant=slug, token=staff), "BAD_USER_INPUT")


# ------------------------------------------------------------------ the HTTP layer

def raw(client, body: bytes, content_type: str = "application/json", method: str = "POST", **headers):
    return client.request(method, "/graphql", content=body, headers={"content-type": content_type, **headers})


@pytest.mark.parametrize("body,content_type,status,code", [
    (b"{not json", "application/json", 400, "BAD_REQUEST"),
    (b"", "application/json", 400, "BAD_REQUEST"),
    (b'{"query": "{ version }", "x": "\xff\xfe"}', "application/json", 400, "BAD_REQUEST"),
    (b'["query"]', "application/json", 400, "BAD_REQUEST"),
    (b'{"query": 5}', "application/json", 400, "BAD_REQUEST"),
    (b'{"query": "{ version }", "variables": [1]}', "application/json", 400, "BAD_REQUEST"),
    (b"{ version }", "text/plain", 415, "UNSUPPORTED_MEDIA_TYPE"),
    (b"--x\r\nContent-Disposition: form-data; name=\"operations\"\r\n\r\n{}\r\n--x--\r\n",
     "multipart/form-data; boundary=x", 400, "CSRF_PREVENTED"),
], ids=["malformed", "empty", "invalid-utf8", "not-an-object", "query-not-a-string", "variables-not-an-object",
        "text-plain", "multipart-without-a-preflight-header"])
def test_http_level_errors_are_graphql_error_bodies(client, body, content_type, status, code):
    resp = raw(client, body, content_type)
    assert resp.status_code == status, resp.text
    assert resp.headers["content-type"].startswith("application/json")
    assert resp.json()["errors"][0]["extensions"]["code"] == code
    assert "data" not in resp.json()


def test_deeply_nested_variables_are_refused_with_a_json_body(client, settings):
    depth = 100_000
    body = b'{"query": "{ version }", "variables": {"v": ' + b"[" * depth + b"]" * depth + b"}}"
    resp = raw(client, body)
    assert resp.status_code == 400 and resp.json()["errors"][0]["extensions"]["code"] == "BAD_REQUEST"
    nested: object = 1
    for _ in range(settings.max_variables_depth + 1):
        nested = [nested]
    resp = raw(client, json.dumps({"query": "{ version }", "variables": {"v": nested}}).encode())
    error = only_error(resp, "BAD_USER_INPUT", 400)
    assert "nested" in error["message"]


@pytest.mark.parametrize("method", ["PUT", "DELETE", "PATCH"])
def test_other_methods_are_405_with_an_error_body(client, method):
    resp = raw(client, b'{"query": "{ version }"}', method=method)
    assert resp.status_code == 405 and "POST" in resp.headers["allow"]
    assert resp.json()["errors"][0]["extensions"]["code"] == "METHOD_NOT_ALLOWED"


def test_a_body_past_the_limit_is_413(client, settings):
    big = json.dumps({"query": "{ version }", "variables": {"pad": "x" * (10 * 1024 * 1024)}}).encode()
    resp = raw(client, big)
    assert resp.status_code == 413
    assert resp.json()["errors"][0]["extensions"]["code"] == "PAYLOAD_TOO_LARGE"
    at_limit = json.dumps({"query": "{ version }", "variables": {}}).encode()
    at_limit += b" " * (settings.max_body_bytes - len(at_limit))
    assert raw(client, at_limit).json() == {"data": {"version": "0.1.0"}}


def test_the_body_limit_is_enforced_while_reading(client, settings):
    """A chunked body without Content-Length: the app stops reading once past the limit."""
    app = client.app
    chunk = b" " * 65_536
    sent = 0
    messages: list[dict] = []

    async def receive():
        nonlocal sent
        sent += 1
        return {"type": "http.request", "body": chunk, "more_body": sent < 10_000}  # 655 MB if read to the end

    async def send(message):
        messages.append(message)

    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST",
             "scheme": "http", "path": "/graphql", "raw_path": b"/graphql", "query_string": b"", "root_path": "",
             "headers": [(b"content-type", b"application/json"), (b"host", b"testserver")],
             "client": ("127.0.0.1", 1), "server": ("testserver", 80), "app": app, "state": {}}
    client.portal.call(app, scope, receive, send)
    assert messages[0]["status"] == 413
    assert sent <= settings.max_body_bytes // len(chunk) + 2
    body = json.loads(b"".join(m.get("body", b"") for m in messages[1:]))
    assert body["errors"][0]["extensions"]["code"] == "PAYLOAD_TOO_LARGE"


# ------------------------------------------------------------------ query shape limits

def test_a_thousand_aliases_of_products_run_no_sql(client, owner, shop):
    slug, _, _ = shop
    query = "{ " + " ".join(f"p{i}: products {{ totalCount }}" for i in range(1000)) + " }"
    before = app_statements(owner)
    error = only_error(post(client, query, tenant=slug), "QUERY_TOO_COMPLEX", 400)
    assert error["extensions"]["limit"] in ("tokens", "aliases", "rootFields", "cost")
    assert app_statements(owner) == before


@pytest.mark.parametrize("limit,query", [
    ("cost", "{ " + " ".join(f"p{i}: products {{ totalCount }}" for i in range(11)) + " }"),
    ("rootFields", "{ " + " ".join(f"v{i}: version" for i in range(21)) + " }"),
    ("aliases", "{ products { nodes { " + " ".join(f"t{i}: title" for i in range(31)) + " } } }"),
    ("depth", "{ products { nodes { " + "a { " * 20 + "b" + " }" * 20 + " } } }"),
    ("fields", "{ products { nodes { " + " ".join(["title"] * 501) + " } } }"),
    ("tokens", "{ products(filter: {tags: [" + " ".join(['"x"'] * 2001) + "]}) { totalCount } }"),
    ("depth", "{ ...F } fragment F on Query { products { nodes { ...G } } } fragment G on Product { "
              + "a { " * 20 + "b" + " }" * 20 + " }"),
    ("cost", "{ ...F } fragment F on Query { " + " ".join(f"p{i}: product(handle: \"x\") {{ id }}" for i in range(11))
             + " }"),
])
def test_query_limits_refuse_before_validation_and_sql(client, owner, shop, limit, query):
    slug, _, _ = shop
    before = app_statements(owner)
    error = only_error(post(client, query, tenant=slug), "QUERY_TOO_COMPLEX", 400)
    assert error["extensions"]["limit"] == limit, error
    assert app_statements(owner) == before


def test_merged_root_fields_count_once(client, shop):
    slug, _, _ = shop
    query = "{ " + " ".join(["products { totalCount }"] * 30) + " }"  # one response key: one SQL statement
    resp = post(client, query, tenant=slug)
    assert resp.status_code == 200 and "errors" not in resp.json(), resp.text


def test_a_refused_query_stays_refused_and_a_good_one_is_cached(client, shop):
    slug, _, _ = shop
    graphql_app = client.app.state.graphql
    query = "{ " + " ".join(f"p{i}: products {{ totalCount }}" for i in range(50)) + " }"
    for _ in range(2):
        only_error(post(client, query, tenant=slug), "QUERY_TOO_COMPLEX", 400)
    assert query not in graphql_app.documents._documents
    post(client, "{ version }")
    assert "{ version }" in graphql_app.documents._documents


# ------------------------------------------------------------------ GET and media types

def test_queries_over_get(client):
    resp = client.get("/graphql", params={"query": "query V { version }", "operationName": "V"})
    assert resp.status_code == 200 and resp.json() == {"data": {"version": "0.1.0"}}
    resp = client.get("/graphql", params={"query": "query($x: String) { product(handle: $x) { id } }",
                                          "variables": '{"x": 1'})
    assert resp.status_code == 400 and resp.json()["errors"][0]["extensions"]["code"] == "BAD_REQUEST"


def test_mutations_over_get_are_405(client, owner, shop):
    slug, _, _ = shop
    before = app_statements(owner)
    resp = client.get("/graphql", params={"query": 'mutation { login(email: "a@b.c", password: "x") { token } }'},
                      headers={"X-Tenant": slug})
    assert resp.status_code == 405 and resp.headers["allow"] == "POST"
    assert resp.json()["errors"][0]["extensions"]["code"] == "METHOD_NOT_ALLOWED"
    assert app_statements(owner) == before


def test_graphql_response_json_media_type(client):
    accept = {"accept": "application/graphql-response+json"}
    ok = client.post("/graphql", json={"query": "{ version }"}, headers=accept)
    assert ok.status_code == 200 and ok.headers["content-type"].startswith("application/graphql-response+json")
    bad = client.post("/graphql", json={"query": "{ version "}, headers=accept)
    assert bad.status_code == 400 and bad.headers["content-type"].startswith("application/graphql-response+json")
    assert "data" not in bad.json() and bad.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    # a field error with data is a 200 (the request was well formed and executed)
    partial = client.post("/graphql", json={"query": '{ version product(handle: "x") { id } }'}, headers=accept)
    assert partial.status_code == 200 and partial.json()["data"]["version"] == "0.1.0"
    # an invalid variable is a request error: 400, no data
    var = client.post("/graphql", json={"query": "query($n: Int) { products(first: $n) { totalCount } }",
                                        "variables": {"n": "many"}}, headers=accept)
    assert var.status_code == 400 and "data" not in var.json()
    # plain JSON clients keep application/json
    assert client.post("/graphql", json={"query": "{ version }"}).headers["content-type"].startswith("application/json")


def test_responses_with_lone_surrogates_in_messages_are_valid_json(client):
    resp = post(client, "query($n: Int) { products(first: $n) { totalCount } }", {"n": SURROGATE})
    assert resp.status_code == 400
    assert resp.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


def test_concurrent_hostile_requests_never_500(client, shop):
    """A burst of mixed hostile bodies: every answer is a JSON error body with a code."""
    bodies = [b"{", b"", b"\xff", b'{"query": "{ version }", "variables": {"v": "\\ud800"}}',
              json.dumps({"query": "{ " + "a:" * 3 + " version }"}).encode()]

    async def burst():
        import httpx

        transport = httpx.ASGITransport(app=client.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as ac:
            return await asyncio.gather(*[
                ac.post("/graphql", content=b, headers={"content-type": "application/json"}) for b in bodies * 4])

    for resp in client.portal.call(burst):
        assert resp.status_code < 500, resp.text
        body = resp.json()
        assert "errors" not in body or all(e["extensions"]["code"] for e in body["errors"])
