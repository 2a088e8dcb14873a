"""Read-your-writes without polling: a query sent with the X-Index-Position header of a mutation's
`position` answers once the read model reflects that mutation (bounded wait, then INDEX_NOT_CAUGHT_UP)."""

from __future__ import annotations

from starlette.testclient import TestClient

from rustok.app import create_app
from rustok.config import Settings
from tests.graphql.conftest import Gql, login, new_tenant, new_user

UPDATE = 'mutation($id: ID!, $t: String!) { updateProduct(id: $id, input: {title: $t}) { position } }'
READ = "query($id: ID) { product(id: $id) { title } }"


def test_a_query_with_the_position_sees_its_own_write_100_times(api_db, owner):
    slug = new_tenant(owner)
    new_user(owner, slug, "ops@ryw.example", "admin")
    with TestClient(create_app(api_db, settings=Settings(database_url=api_db), run_worker=True)) as client:
        gql = Gql(client)
        token = login(gql, slug, "ops@ryw.example")
        created = gql('mutation { createProduct(input: {title: "v0", handle: "ryw", status: published}) '
                      '{ position product { id } } }', tenant=slug, token=token)["data"]["createProduct"]
        pid = created["product"]["id"]
        for i in range(1, 101):
            position = gql(UPDATE, {"id": pid, "t": f"v{i}"}, tenant=slug, token=token)["data"]["updateProduct"]["position"]
            resp = client.post("/graphql", json={"query": READ, "variables": {"id": pid}},
                               headers={"X-Tenant": slug, "X-Index-Position": position})
            body = resp.json()
            assert body.get("errors") is None and body["data"]["product"]["title"] == f"v{i}", (i, body)


def test_without_a_worker_the_wait_is_bounded_and_clear(api_db, owner):
    slug = new_tenant(owner)
    new_user(owner, slug, "ops@ryw2.example", "admin")
    settings = Settings(database_url=api_db, read_wait_seconds=0.3)
    with TestClient(create_app(api_db, settings=settings)) as client:   # no projector running
        gql = Gql(client)
        token = login(gql, slug, "ops@ryw2.example")
        position = gql('mutation { createProduct(input: {title: "Late", handle: "late", status: published}) '
                       '{ position } }', tenant=slug, token=token)["data"]["createProduct"]["position"]
        resp = client.post("/graphql", json={"query": '{ products { totalCount } }'},
                           headers={"X-Tenant": slug, "X-Index-Position": position})
        error = resp.json()["errors"][0]
        assert error["extensions"]["code"] == "INDEX_NOT_CAUGHT_UP" and error["extensions"]["position"] == position
        assert "0.3 s" in error["message"]
        bad = client.post("/graphql", json={"query": '{ products { totalCount } }'},
                          headers={"X-Tenant": slug, "X-Index-Position": "yesterday"}).json()["errors"][0]
        assert bad["extensions"]["code"] == "BAD_USER_INPUT" and "X-Index-Position" in bad["message"]
        # without the header the read answers at once (possibly stale)
        assert gql("{ products { totalCount } }", tenant=slug)["data"]["products"]["totalCount"] == 0
