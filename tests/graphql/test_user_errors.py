"""userErrors: every code, from real refusals of the database (no mocks), and never PostgreSQL's own wording.

Over HTTP: DUPLICATE, INVALID, NOT_FOUND, INVALID_STATE, OUT_OF_STOCK (and in test_commerce_api /
test_content_api; IN_USE in test_audit12_gaps: deleteStockLocation; REQUIRED: createCategory without a name). CONFLICT
has no mutation that can reach it on purpose; its mapping (and REQUIRED's and IN_USE's from PostgreSQL's own errors) is
checked on the errors PostgreSQL really raises."""

from __future__ import annotations

import psycopg
import pytest

from rustok.graphql.payloads import user_error
from tests.graphql.conftest import login, new_tenant, new_user

ERRS = "userErrors { field code message } position"


def test_http_codes(gql, owner):
    slug = new_tenant(owner)
    new_user(owner, slug, "boss@ue.example", "admin")
    new_user(owner, slug, "ann@ue.example", "customer")
    boss, ann = login(gql, slug, "boss@ue.example"), login(gql, slug, "ann@ue.example")
    made = gql('mutation { createProduct(input: {title: "Cup", handle: "cup", status: published, variants: '
               '[{sku: "CUP", prices: [{amount: 500, currencyCode: "EUR"}], stock: 1}]}) { product { variants { id } } } }',
               tenant=slug, token=boss)["data"]["createProduct"]["product"]
    variant = made["variants"][0]["id"]

    def error(query, variables=None, token=boss):
        payload = next(iter(gql(query, variables, tenant=slug, token=token)["data"].values()))
        assert payload["position"] is None
        [e] = payload["userErrors"]
        for raw in ("violates", "constraint \"", "CONTEXT", "SQL statement", "PL/pgSQL"):
            assert raw not in e["message"], e
        return e

    assert error(f'mutation {{ createProduct(input: {{title: "Cup 2", handle: "cup"}}) {{ {ERRS} }} }}')["code"] == "DUPLICATE"
    assert error(f'mutation {{ createProduct(input: {{title: "", handle: "empty"}}) {{ {ERRS} }} }}') == {
        "field": "title", "code": "INVALID", "message": "title: cannot be empty; at most 255 characters"}
    assert error(f'mutation {{ updateProduct(id: "01ARZ3NDEKTSV4RRFFQ69G5FAV", input: {{title: "x"}}) {{ {ERRS} }} }}'
                 )["code"] == "NOT_FOUND"
    stock = error(f'mutation($v: ID!) {{ placeOrder(input: {{currencyCode: "EUR", items: [{{variantId: $v, quantity: 5}}]}}) '
                  f'{{ {ERRS} }} }}', {"v": variant}, token=ann)
    assert stock["code"] == "OUT_OF_STOCK" and "CUP" in stock["message"] and "available 1" in stock["message"]
    order = gql('mutation($v: ID!) { placeOrder(input: {currencyCode: "EUR", items: [{variantId: $v, quantity: 1}]}) '
                '{ order { id } } }', {"v": variant}, tenant=slug, token=ann)["data"]["placeOrder"]["order"]["id"]
    gql('mutation($o: ID!) { setOrderStatus(id: $o, status: cancelled) { position } }', {"o": order}, tenant=slug, token=boss)
    state = error(f'mutation($o: ID!) {{ setOrderStatus(id: $o, status: paid) {{ {ERRS} }} }}', {"o": order})
    assert state["code"] == "INVALID_STATE" and state["field"] == "status"
    # refusals that are not the user's to fix stay top-level
    forbidden = gql(f'mutation {{ createProduct(input: {{title: "X", handle: "x"}}) {{ {ERRS} }} }}', tenant=slug,
                    token=ann, expect_errors=True)["errors"][0]
    assert forbidden["extensions"]["code"] == "FORBIDDEN"


def _raised(conn, sql: str) -> psycopg.Error:
    with pytest.raises(psycopg.Error) as caught:
        with conn.transaction():
            conn.execute(sql)
    return caught.value


def test_codes_without_a_mutation_yet(api_db):
    with psycopg.connect(api_db, autocommit=True) as conn:
        required = user_error(_raised(conn, "insert into core.tenants (name, slug) values (null, 'x')"))
        assert required == {"field": "name", "code": "REQUIRED", "message": "name: is required"}
        # deleting a currency that prices use is refused (on delete restrict); arranged so it is referenced
        conn.execute("insert into core.tenants (name, slug) values ('UE', 'ue-in-use') on conflict do nothing")
        conn.execute("""
            with p as (insert into commerce.products (tenant_id, title, handle) values
                       (core.tenant_id_by_slug('ue-in-use'), 'P', 'p-in-use') returning tenant_id, id),
                 v as (insert into commerce.variants (tenant_id, product_id, title) select tenant_id, id, 'V' from p
                       returning tenant_id, id)
            insert into commerce.prices (tenant_id, variant_id, amount, currency_code) select tenant_id, id, 1, 'EUR' from v""")
        raised = _raised(conn, "delete from commerce.currencies where code = 'EUR'")
        in_use = user_error(raised)
        assert in_use["code"] == "IN_USE" and "still in use" in in_use["message"]
        conflict = user_error(_raised(conn, "do $$ begin raise exception 'x' using errcode = 'serialization_failure'; end $$"))
        assert conflict == {"field": None, "code": "CONFLICT", "message": "a concurrent change got in the way; try again"}
        division = user_error(_raised(conn, "select 1 / 0"))
        assert division["code"] == "INVALID" and "division" not in division["message"]
        assert user_error(_raised(conn, "select 1 from pg_class where relname::int > 0")) is not None
        # not the user's to fix: None, so the error stays top-level (FORBIDDEN, INTERNAL ...)
        assert user_error(_raised(conn, "do $$ begin raise exception 'x' using errcode = 'insufficient_privilege'; end $$")) is None
        assert user_error(_raised(conn, "select * from no_such_table")) is None
