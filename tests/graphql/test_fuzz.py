"""Fuzzing the API (issue 10.4): operations generated from our schema, and hostile values.

hypothesis-graphql builds queries and mutations from the executable schema (valid ones, and
invalid ones in its negative mode); a second strategy sends hostile variables (NUL, lone
surrogates, huge numbers, deep nesting, wrong types) to every root field argument. Everything is
POSTed through the app as a signed-in staff member of a real tenant, so mutations reach SQL.
The property: no 5xx, a JSON body, every error carries extensions.code, none is INTERNAL.

Runtime is kept modest for CI (a few hundred examples, no deadline); raise RUSTOK_FUZZ_EXAMPLES
locally for a longer run.
"""

from __future__ import annotations

import json
import os
import uuid

import psycopg
import pytest
from graphql import (BooleanValueNode, GraphQLEnumType, FloatValueNode, GraphQLInputObjectType, GraphQLList, GraphQLNonNull,
                     GraphQLScalarType, IntValueNode, ListValueNode, ObjectFieldNode, ObjectValueNode, NameNode,
                     StringValueNode, print_type)
from hypothesis import HealthCheck, given, settings, strategies as st
from hypothesis_graphql import Mode, from_schema
from starlette.testclient import TestClient

from rustok.app import create_app
from rustok.config import Settings
from rustok.graphql import build_schema
from tests.graphql.conftest import Gql, login, new_tenant, new_user

EXAMPLES = int(os.environ.get("RUSTOK_FUZZ_EXAMPLES", "200"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                       HealthCheck.function_scoped_fixture])

SCHEMA = build_schema()

# ------------------------------------------------------------------ strategies

HOSTILE_TEXT = st.one_of(
    st.text(),
    st.text(alphabet=st.characters(codec=None, min_codepoint=0, max_codepoint=0xFFFF)),  # lone surrogates too
    st.sampled_from(["\x00", "a\x00b", "\ud800", "\udfff", "x\ud800y", "\x00" * 100, "'; drop table x; --",
                     "\u202e", "%s %(x)s {}", "\\", "\n" * 50]),
    st.integers(min_value=0, max_value=300).map(lambda n: "x" * (n * 100)),  # up to 30 kB
)
HUGE_NUMBERS = st.sampled_from([2**31, -(2**31) - 1, 2**53, 2**63, 2**64 + 1, 10**30, -(10**30), 1e308, -1e308,
                                1.5, 0.1, -0.0])


def _nested(depth: int):
    value: object = "deep"
    for i in range(depth):
        value = [value] if i % 2 else {"k": value}
    return value


JSON_VALUES = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False, allow_infinity=False), HOSTILE_TEXT),
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(HOSTILE_TEXT, inner, max_size=4)),
    max_leaves=20,
)
HOSTILE_VALUES = st.one_of(HOSTILE_TEXT, HUGE_NUMBERS, JSON_VALUES, st.integers(1, 200).map(_nested),
                           st.lists(HOSTILE_TEXT, max_size=5), st.booleans(), st.none())

_DATETIMES = st.datetimes(timezones=st.timezones()).map(lambda d: StringValueNode(value=d.isoformat()))
_ANY_LITERAL = st.one_of(
    st.text().map(lambda s: StringValueNode(value=s)),
    st.integers(-(2**70), 2**70).map(lambda i: IntValueNode(value=str(i))),
    st.floats(allow_nan=False, allow_infinity=False).map(lambda f: FloatValueNode(value=repr(f))),
    st.booleans().map(lambda b: BooleanValueNode(value=b)),
)
_JSON_LITERAL = st.recursive(
    _ANY_LITERAL,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3).map(lambda v: ListValueNode(values=tuple(v))),
        st.dictionaries(st.from_regex(r"[a-z]{1,6}", fullmatch=True), inner, max_size=3).map(
            lambda d: ObjectValueNode(fields=tuple(ObjectFieldNode(name=NameNode(value=k), value=v)
                                                   for k, v in d.items())))),
    max_leaves=10,
)
CUSTOM_SCALARS = {
    "DateTime": st.one_of(_DATETIMES, _ANY_LITERAL),
    "BigInt": st.one_of(st.integers(-(2**60), 2**60).map(lambda i: IntValueNode(value=str(i))), _ANY_LITERAL),
    "JSON": _JSON_LITERAL,
    "Upload": _ANY_LITERAL,   # a file only comes as a multipart part: any literal is refused (tests/graphql/test_media_api.py)
}


def _type_name(type_) -> str:
    if isinstance(type_, GraphQLNonNull):
        return _type_name(type_.of_type) + "!"
    if isinstance(type_, GraphQLList):
        return f"[{_type_name(type_.of_type)}]"
    return type_.name


def _selection(type_, depth: int = 0) -> str:
    """A small valid selection for a field's type (scalars need none)."""
    while isinstance(type_, (GraphQLNonNull, GraphQLList)):
        type_ = type_.of_type
    if isinstance(type_, GraphQLScalarType) or not hasattr(type_, "fields"):
        return ""
    leaves = [name for name, f in type_.fields.items() if _is_leaf(f.type)][:3]
    return " { __typename " + " ".join(leaves) + " }"


def _is_leaf(type_) -> bool:
    while isinstance(type_, (GraphQLNonNull, GraphQLList)):
        type_ = type_.of_type
    return not hasattr(type_, "fields")


ROOT_FIELDS = [(kind, name, field) for kind, root in (("query", SCHEMA.query_type), ("mutation", SCHEMA.mutation_type))
               for name, field in root.fields.items() if field.args]
ROOT_ARGUMENTS = [(kind, name, arg) for kind, name, field in ROOT_FIELDS for arg in field.args]

# Strings with a NUL or a lone surrogate somewhere, half of the time.
HOSTILE_STRINGS = st.one_of(
    HOSTILE_TEXT,
    st.tuples(st.text(max_size=20), st.sampled_from(["\x00", "\ud800", "\udc00", "\x00\ud83d"]),
              st.text(max_size=20)).map("".join),
)
VALID_IDS = st.from_regex(r"[0-9A-HJKMNP-TV-Z]{26}", fullmatch=True)
INTS = st.one_of(st.integers(-(2**31), 2**31 - 1), HUGE_NUMBERS)
SCALAR_VALUES = {
    "String": HOSTILE_STRINGS,
    "ID": st.one_of(VALID_IDS, HOSTILE_STRINGS),
    "Int": INTS,
    "Float": st.one_of(st.floats(allow_nan=False, allow_infinity=False), HUGE_NUMBERS),
    "Boolean": st.booleans(),
    "BigInt": st.one_of(st.integers(-(2**60), 2**60), HUGE_NUMBERS),
    "JSON": st.one_of(JSON_VALUES, st.integers(1, 120).map(_nested)),
    "DateTime": st.one_of(st.datetimes(timezones=st.timezones()).map(lambda d: d.isoformat()), HOSTILE_STRINGS),
    "Upload": st.one_of(HOSTILE_STRINGS, JSON_VALUES),   # JSON cannot carry a file: each is refused as a variable
}


def typed_values(type_) -> st.SearchStrategy:
    """Values shaped like `type_` (so they pass coercion and reach resolvers and SQL), with hostile
    strings and numbers at the leaves, and now and then a value of the wrong shape."""
    nullable = not isinstance(type_, GraphQLNonNull)
    inner = type_.of_type if not nullable else type_
    if isinstance(inner, GraphQLList):
        strategy = st.lists(typed_values(inner.of_type), max_size=3)
    elif isinstance(inner, GraphQLInputObjectType):
        required = {n: typed_values(f.type) for n, f in inner.fields.items() if isinstance(f.type, GraphQLNonNull)}
        optional = {n: typed_values(f.type) for n, f in inner.fields.items() if n not in required}
        strategy = st.fixed_dictionaries(required, optional=optional)
    elif isinstance(inner, GraphQLEnumType):
        strategy = st.sampled_from(sorted(inner.values))
    else:
        strategy = SCALAR_VALUES[inner.name]
    strategy = st.one_of(strategy, strategy, strategy, strategy, HOSTILE_VALUES)  # 1 in 5: any shape
    return st.one_of(st.none(), strategy) if nullable else strategy


@st.composite
def hostile_variable_operations(draw):
    """One root field with every argument from a variable holding a hostile value of about its type."""
    kind, field_name, field = draw(st.sampled_from(ROOT_FIELDS))
    names = list(field.args)
    definitions = ", ".join(f"${n}: {_type_name(field.args[n].type)}" for n in names)
    arguments = ", ".join(f"{n}: ${n}" for n in names)
    variables = {n: draw(typed_values(field.args[n].type)) for n in names}
    query = f"{kind} Fuzz({definitions}) {{ {field_name}({arguments}){_selection(field.type)} }}"
    return {"query": query, "variables": variables, "operationName": "Fuzz"}


# ------------------------------------------------------------------ the app

@pytest.fixture(scope="module")
def fuzz_app(api_db):
    with TestClient(create_app(api_db, settings=Settings(database_url=api_db))) as client:
        with psycopg.connect(api_db, autocommit=True) as owner:
            slug = new_tenant(owner, f"fuzz-{uuid.uuid4().hex[:6]}")
            new_user(owner, slug, "staff@fuzz.example", "admin")
        token = login(Gql(client), slug, "staff@fuzz.example")
        yield client, {"X-Tenant": slug, "Authorization": f"Bearer {token}"}


def send(fuzz_app, payload: dict):
    client, headers = fuzz_app
    body = json.dumps(payload, ensure_ascii=True).encode()  # lone surrogates travel as \ud800 escapes
    return client.post("/graphql", content=body, headers={"content-type": "application/json", **headers})


def check(resp, payload) -> None:
    assert resp.status_code < 500, (resp.status_code, payload, resp.text[:500])
    body = resp.json()
    for error in body.get("errors") or ():
        code = (error.get("extensions") or {}).get("code")
        assert code, (error, payload)
        assert code != "INTERNAL", (error, payload)


@FUZZ
@given(operation=from_schema(SCHEMA, custom_scalars=CUSTOM_SCALARS))
def test_fuzz_schema_operations(fuzz_app, operation):
    payload = {"query": operation}
    check(send(fuzz_app, payload), payload)


@FUZZ
@given(operation=from_schema(SCHEMA, custom_scalars=CUSTOM_SCALARS, mode=Mode.NEGATIVE))
def test_fuzz_invalid_schema_operations(fuzz_app, operation):
    payload = {"query": operation}
    check(send(fuzz_app, payload), payload)


@FUZZ
@given(payload=hostile_variable_operations())
def test_fuzz_hostile_variables(fuzz_app, payload):
    check(send(fuzz_app, payload), payload)


@FUZZ
@given(body=st.one_of(st.binary(max_size=2000), HOSTILE_TEXT.map(lambda s: s.encode("utf-8", "surrogatepass")),
                      st.builds(lambda v: json.dumps({"query": "{ version }", "variables": v},
                                                     ensure_ascii=True).encode(), HOSTILE_VALUES)))
def test_fuzz_raw_bodies(fuzz_app, body):
    client, headers = fuzz_app
    resp = client.post("/graphql", content=body, headers={"content-type": "application/json", **headers})
    check(resp, body[:200])


def test_fuzz_covers_every_root_argument():
    """The hostile-variables strategy reaches every argument of every root query and mutation."""
    assert {(k, f) for k, f, _ in ROOT_ARGUMENTS} >= {("query", "products"), ("mutation", "createProduct"),
                                                       ("mutation", "addComment"), ("mutation", "login")}
    assert print_type(SCHEMA.get_type("DateTime"))
    assert isinstance(SCHEMA.get_type("CreateProductInput"), GraphQLInputObjectType)
