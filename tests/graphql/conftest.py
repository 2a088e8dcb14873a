"""GraphQL over HTTP through the ASGI app (Starlette's TestClient runs the lifespan and pool)."""

from __future__ import annotations

import uuid

import psycopg
import pytest
from starlette.testclient import TestClient

from rustok.app import create_app


@pytest.fixture(scope="module")
def api_db(pg, template_db):
    """A database of its own per test module (GraphQL mutations commit)."""
    name = f"rustok_api_{uuid.uuid4().hex[:10]}"
    url = pg.create_database(name, template=template_db)
    try:
        yield url
    finally:
        pg.drop_database(name)


@pytest.fixture(scope="module")
def client(api_db):
    with TestClient(create_app(api_db)) as c:
        yield c


class Gql:
    def __init__(self, client: TestClient):
        self.client = client

    def __call__(self, query: str, variables: dict | None = None, *, tenant: str | None = None,
                 token: str | None = None, expect_errors: bool = False) -> dict:
        headers = {}
        if tenant:
            headers["X-Tenant"] = tenant
        if token:
            headers["Authorization"] = f"Bearer {token}"
        resp = self.client.post("/graphql", json={"query": query, "variables": variables or {}}, headers=headers)
        assert resp.status_code in (200, 400), resp.text
        body = resp.json()
        if expect_errors:
            assert body.get("errors"), body
        else:
            assert not body.get("errors"), body.get("errors")
        return body


@pytest.fixture(scope="module")
def gql(client) -> Gql:
    return Gql(client)


@pytest.fixture(scope="module")
def owner(api_db):
    """An owner connection (autocommit) for arranging data the way an operator would in psql."""
    with psycopg.connect(api_db, autocommit=True) as conn:
        yield conn


def new_tenant(owner, slug: str | None = None) -> str:
    slug = slug or f"t-{uuid.uuid4().hex[:8]}"
    owner.execute("insert into core.tenants (name, slug) values (%s, %s)", (slug.title(), slug))
    return slug


def new_user(owner, slug: str, email: str, role: str, password: str = "password123") -> None:
    """A user with a real password hash, made the way an operator would (SQL)."""
    from rustok.auth import hash_password

    owner.execute("insert into core.users (tenant_id, email, password_hash, display_name, role) "
                  "values (core.tenant_id_by_slug(%s), %s, %s, %s, %s)",
                  (slug, email, hash_password(password), email.split("@")[0].title(), role))


def login(gql, slug: str, email: str, password: str = "password123") -> str:
    data = gql("mutation($e: String!, $p: String!) { login(email: $e, password: $p) { token } }",
               {"e": email, "p": password}, tenant=slug)
    return data["data"]["login"]["token"]


@pytest.fixture
def shop(gql, owner):
    """A tenant with a staff member and a customer, both signed in: (slug, staff_token, customer_token)."""
    slug = new_tenant(owner)
    new_user(owner, slug, "staff@shop.example", "admin")
    new_user(owner, slug, "buyer@shop.example", "customer")
    return slug, login(gql, slug, "staff@shop.example"), login(gql, slug, "buyer@shop.example")
