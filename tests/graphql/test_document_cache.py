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
