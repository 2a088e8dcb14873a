"""A module a tenant turned off: its GraphQL reads and writes answer MODULE_DISABLED naming the module, and
so do the SQL read functions (as the application role, from psql)."""

from __future__ import annotations

import psycopg
import pytest

from tests.graphql.conftest import login, new_tenant, new_user


@pytest.fixture
def shop_without(gql, owner):
    def make(module: str):
        slug = new_tenant(owner)
        new_user(owner, slug, "boss@mod.example", "admin")
        token = login(gql, slug, "boss@mod.example")
        owner.execute("insert into core.tenant_modules (tenant_id, module_slug, enabled) "
                      "values (core.tenant_id_by_slug(%s), %s, false)", (slug, module))
        return slug, token
    return make


def refused(gql, query, slug, token=None, module="commerce"):
    errors = gql(query, tenant=slug, token=token, expect_errors=True)["errors"]
    assert errors[0]["extensions"]["code"] == "MODULE_DISABLED", errors
    assert errors[0]["extensions"]["module"] == module
    assert f'"{module}" module is disabled' in errors[0]["message"]
    assert "tenant_modules" not in errors[0]["message"]   # no SQL hint for API users


@pytest.mark.parametrize("query", [
    "{ products { totalCount } }",
    '{ product(handle: "x") { id } }',
    "{ categories { id } }",
    "{ orders { totalCount } }",
    'mutation { createProduct(input: {title: "T", handle: "t"}) { position } }',
])
def test_commerce_off(gql, shop_without, query):
    slug, token = shop_without("commerce")
    refused(gql, query, slug, token)


@pytest.mark.parametrize("query", [
    "{ contents { totalCount } }",
    '{ content(kind: post, slug: "x") { id } }',
    "{ contentCategories { id } }",
    'mutation { createNode(input: {kind: page, title: "About"}) { position } }',
])
def test_content_off(gql, shop_without, query):
    slug, token = shop_without("content")
    refused(gql, query, slug, token, module="content")


def test_other_modules_keep_working(gql, shop_without):
    slug, token = shop_without("commerce")
    assert gql("{ contents { totalCount } }", tenant=slug, token=token)["data"]["contents"]["totalCount"] == 0
    # the unified search leaves the disabled module out instead of failing
    assert gql('{ search(query: "tee") { nodes { __typename } } }', tenant=slug)["data"]["search"]["nodes"] == []


def test_sql_reads_refuse_too(shop_without, api_db):
    slug, _ = shop_without("commerce")
    with psycopg.connect(api_db, autocommit=True) as conn:
        t = conn.execute("select core.tenant_id_by_slug(%s)", (slug,)).fetchone()[0]
        conn.execute("set role rustok_app")
        conn.execute("select set_config('rustok.tenant_id', %s, false)", (str(t),))
        with pytest.raises(psycopg.errors.ObjectNotInPrerequisiteState, match='module "commerce" is disabled'):
            conn.execute("select * from index.product_query(%s, 'tee', '{}', null, false)", (t,))
        with pytest.raises(psycopg.errors.ObjectNotInPrerequisiteState, match='module "commerce" is disabled'):
            conn.execute("select * from index.page_orders(null, null, null, null, 10)")


@pytest.mark.parametrize("module,call", [
    ("commerce", """select commerce.create_product('{"title": "T", "handle": "t-off"}')"""),
    ("content", """select content.create_node('{"kind": "page", "title": "Off"}', null)"""),
    ("community", "select community.follow('user', core.current_user_id(), true)"),
])
def test_sql_writes_refuse_too(shop_without, api_db, module, call):
    """A write through the SQL API as the application role, signed in as the tenant's admin, names the module."""
    slug, _ = shop_without(module)
    with psycopg.connect(api_db) as conn:
        t, admin = conn.execute("select tenant_id, id from core.users where tenant_id = core.tenant_id_by_slug(%s)",
                                (slug,)).fetchone()
        conn.execute("set local role rustok_app")
        conn.execute("select set_config('rustok.tenant_id', %s, true), set_config('rustok.user_id', %s, true), "
                     "set_config('rustok.actor', 'api', true)", (str(t), str(admin)))
        with pytest.raises(psycopg.errors.ObjectNotInPrerequisiteState, match=f'module "{module}" is disabled'):
            conn.execute(call)
