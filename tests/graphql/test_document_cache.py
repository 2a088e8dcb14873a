from graphql import GraphQLError

from rustok.graphql import build_schema
from rustok.graphql.cache import DocumentCache


def test_parse_and_validate_are_cached_and_bounded():
    schema = build_schema()
    cache = DocumentCache(max_documents=2)
    d1 = cache.parse(None, {"query": "{ version }"})
    assert cache.parse(None, {"query": "{ version }"}) is d1
    assert cache.validate(schema, d1) == []
    assert cache.validate(schema, d1) is cache.validate(schema, d1)
    bad = cache.parse(None, {"query": "{ nope }"})
    errors = cache.validate(schema, bad)
    assert errors and "nope" in errors[0].message
    cache.parse(None, {"query": "{ __typename }"})  # evicts "{ version }"
    assert cache.parse(None, {"query": "{ version }"}) is not d1


def test_syntax_errors_are_not_cached():
    cache = DocumentCache()
    for _ in range(2):
        try:
            cache.parse(None, {"query": "{ version "})
        except GraphQLError as exc:
            assert "Syntax Error" in exc.message
        else:
            raise AssertionError("expected a syntax error")
    assert cache._documents == {}


def test_automatic_persisted_queries(client, owner):
    """A client sends the SHA-256 of a query it sent once: the server fills in the text (POST and GET)."""
    import hashlib
    import json as _json

    from tests.graphql.conftest import new_tenant

    slug = new_tenant(owner)
    query = "query Apq { products(first: 2) { totalCount nodes { handle } } }"
    digest = hashlib.sha256(query.encode()).hexdigest()
    ext = {"persistedQuery": {"version": 1, "sha256Hash": digest}}
    headers = {"X-Tenant": slug}

    first = client.post("/graphql", json={"extensions": ext}, headers=headers)
    assert first.status_code == 200
    assert first.json()["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"

    wrong = client.post("/graphql", json={"query": query + " ", "extensions": ext}, headers=headers)
    assert wrong.status_code == 400 and "does not match" in wrong.json()["errors"][0]["message"]

    full = client.post("/graphql", json={"query": query, "extensions": ext}, headers=headers)
    assert full.status_code == 200 and full.json()["data"]["products"]["totalCount"] == 0

    by_hash = client.post("/graphql", json={"extensions": ext}, headers=headers)
    assert by_hash.status_code == 200 and by_hash.content == full.content
    by_get = client.get("/graphql", params={"extensions": _json.dumps(ext)}, headers=headers)
    assert by_get.status_code == 200 and by_get.content == full.content

    bad = client.post("/graphql", json={"extensions": {"persistedQuery": {"version": 1, "sha256Hash": "abc"}}},
                      headers=headers)
    assert bad.status_code == 400 and bad.json()["errors"][0]["extensions"]["code"] == "BAD_REQUEST"
