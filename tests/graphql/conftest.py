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
