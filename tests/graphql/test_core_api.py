"""Core GraphQL: typename, health, tenant header, register/login/logout, errors with stable codes."""

from tests.graphql.conftest import new_tenant


def test_typename_and_version(gql):
    assert gql("{ __typename version }")["data"] == {"__typename": "Query", "version": "0.1.0"}


def test_health_and_readiness(client):
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200 and ready.json()["migrations"] == "current"


def test_explorer_served(client):
    resp = client.get("/graphql", headers={"accept": "text/html"})
    assert resp.status_code == 200 and "RusToK GraphQL" in resp.text


def test_tenant_from_header(gql, owner):
    slug = new_tenant(owner)
    data = gql("{ tenant { slug name isActive textSearchConfig } }", tenant=slug)["data"]
    assert data["tenant"] == {"slug": slug, "name": slug.title(), "isActive": True, "textSearchConfig": "english"}
    assert gql("{ tenant { slug } }")["data"]["tenant"] is None
    assert gql("{ tenant { slug } }", tenant="no-such-shop")["data"]["tenant"] is None


def test_register_login_me_logout(gql, owner):
    slug = new_tenant(owner)
    reg = gql('mutation { register(email: "Ann@Example.com", password: "correct horse", displayName: "Ann") '
              '{ token user { email role displayName } } }', tenant=slug)["data"]["register"]
    assert reg["user"] == {"email": "Ann@Example.com", "role": "customer", "displayName": "Ann"}
    me = gql("{ me { email } }", tenant=slug, token=reg["token"])["data"]["me"]
    assert me == {"email": "Ann@Example.com"}

    login = gql('mutation { login(email: "ann@example.com", password: "correct horse") { token user { email } } }',
                tenant=slug)["data"]["login"]
    assert login["token"] != reg["token"]
    # The token of one tenant means nothing in another.
    other = new_tenant(owner)
    assert gql("{ me { email } }", tenant=other, token=login["token"])["data"]["me"] is None

    assert gql("mutation { logout }", tenant=slug, token=login["token"])["data"]["logout"] is True
    assert gql("{ me { email } }", tenant=slug, token=login["token"])["data"]["me"] is None
    stored = owner.execute("select count(*) from core.sessions s join core.tenants t on t.id = s.tenant_id "
                           "where t.slug = %s and s.token_hash = %s", (slug, login["token"])).fetchone()[0]
    assert stored == 0  # only hashes are stored


def test_wrong_password_and_duplicate_email(gql, owner):
    slug = new_tenant(owner)
    gql('mutation { register(email: "bo@example.com", password: "password1") { token } }', tenant=slug)
    bad = gql('mutation { login(email: "bo@example.com", password: "nope-nope") { token } }', tenant=slug,
              expect_errors=True)
    assert bad["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    # refusals of register are userErrors (issue 12: top-level errors only for authentication, permission, faults)
    reg = "mutation($e: String!, $p: String!) { register(email: $e, password: $p) { token user { id } userErrors { field code message } position } }"
    dup = gql(reg, {"e": "BO@example.com", "p": "password1"}, tenant=slug)["data"]["register"]
    assert dup["token"] is None and dup["user"] is None and dup["position"] is None
    assert [(e["field"], e["code"]) for e in dup["userErrors"]] == [("email", "DUPLICATE")], dup
    assert "tenant" not in dup["userErrors"][0]["message"]
    short = gql(reg, {"e": "c@example.com", "p": "x"}, tenant=slug)["data"]["register"]
    assert [(e["field"], e["code"]) for e in short["userErrors"]] == [("password", "INVALID")], short
    malformed = gql(reg, {"e": "not-an-email", "p": "password1"}, tenant=slug)["data"]["register"]
    assert [(e["field"], e["code"]) for e in malformed["userErrors"]] == [("email", "INVALID")], malformed
    ok = gql(reg, {"e": "cy@example.com", "p": "password1"}, tenant=slug)["data"]["register"]
    assert ok["token"] and ok["user"]["id"] and ok["userErrors"] == [] and ok["position"]
    count = owner.execute("select count(*) from core.users u join core.tenants t on t.id = u.tenant_id "
                          "where t.slug = %s", (slug,)).fetchone()[0]
    assert count == 2  # nothing half-written: bo and cy only


def test_tenant_required_and_unknown_tenant(gql):
    no_tenant = gql('mutation { login(email: "a@b.c", password: "x") { token } }', expect_errors=True)
    assert no_tenant["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert "X-Tenant" in no_tenant["errors"][0]["message"]
    unknown = gql('mutation { login(email: "a@b.c", password: "x") { token } }', tenant="ghost", expect_errors=True)
    assert unknown["errors"][0]["extensions"]["code"] == "NOT_FOUND"


def test_syntax_error_is_a_clear_400_not_a_500(client):
    resp = client.post("/graphql", json={"query": "{ version "})
    assert resp.status_code == 400
    assert resp.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    resp = client.post("/graphql", json={"query": "{ noSuchField }"})
    assert resp.status_code == 400 and "noSuchField" in resp.json()["errors"][0]["message"]
    resp = client.post("/graphql", content=b"{not json", headers={"content-type": "application/json"})
    assert resp.status_code == 400
