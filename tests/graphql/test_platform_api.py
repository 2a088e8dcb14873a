"""The platform operator over HTTP: tenants (list, create with an invited first admin, rename, suspend, reactivate)
and their domains, with the permission platform:manage that only a flagged user holds (ops.grant_platform_admin),
refused to every tenant role including the tenant's own admin, and enforced in SQL too. A suspended tenant's API
and storefront answer TENANT_SUSPENDED / "Shop suspended"."""

from __future__ import annotations

import psycopg
import pytest

from tests.graphql.conftest import login, new_tenant, new_user

TENANTS = "query($s: String) { platformTenants(search: $s) { nodes { id name slug isActive domains userCount } } }"
CREATE = """mutation($i: CreateTenantInput!) { createTenant(input: $i) {
  tenant { id name slug isActive textSearchConfig userCount } userErrors { field code message } position } }"""
SUSPEND = "mutation($i: ID!) { suspendTenant(id: $i) { tenant { slug isActive } userErrors { field code message } } }"
REACTIVATE = "mutation($i: ID!) { reactivateTenant(id: $i) { tenant { slug isActive } userErrors { field code message } } }"
RENAME = """mutation($i: ID!, $n: String!) { updateTenant(id: $i, input: {name: $n}) {
  tenant { name } userErrors { field code message } } }"""
ADD_DOMAIN = """mutation($t: ID!, $h: String!) { addPlatformTenantDomain(tenantId: $t, host: $h) {
  tenant { slug domains } userErrors { field code message } } }"""
REMOVE_DOMAIN = """mutation($t: ID!, $h: String!) { removePlatformTenantDomain(tenantId: $t, host: $h) {
  tenant { domains } userErrors { field code message } } }"""


@pytest.fixture(scope="module")
def platform(gql, owner):
    """An operator's home tenant with a platform operator (flagged by an operator in SQL) and a plain tenant admin."""
    hq = new_tenant(owner)
    new_user(owner, hq, "ops@hq.example", "admin")
    new_user(owner, hq, "admin@hq.example", "admin")
    owner.execute("select ops.grant_platform_admin(%s, 'ops@hq.example')", (hq,))
    return {"hq": hq, "operator": login(gql, hq, "ops@hq.example"), "admin": login(gql, hq, "admin@hq.example")}


def test_the_operator_manages_tenants(gql, owner, platform):
    hq, op = platform["hq"], platform["operator"]
    me = gql("{ me { permissions } }", tenant=hq, token=op)["data"]["me"]
    assert "platform:manage" in me["permissions"] and "users:manage" in me["permissions"]

    made = gql(CREATE, {"i": {"name": "New Shop", "slug": "new-shop-pl", "textSearchConfig": "german",
                              "adminEmail": "owner@new.example"}}, tenant=hq, token=op)["data"]["createTenant"]
    assert made["userErrors"] == [] and made["position"]
    tenant = made["tenant"]
    assert tenant["slug"] == "new-shop-pl" and tenant["isActive"] and tenant["textSearchConfig"] == "german"
    assert tenant["userCount"] == 1
    # its first admin is invited by mail (the mail consumer's queue holds the invitation)
    row = owner.execute("select u.role, u.status, t.purpose from core.users u join core.account_tokens t "
                        "on t.tenant_id = u.tenant_id and t.user_id = u.id where u.email = 'owner@new.example'").fetchone()
    assert row == ("admin", "invited", "invitation")
    assert owner.execute("select count(*) from outbox.deliveries d join outbox.events e on e.id = d.event_id "
                         "where d.consumer = 'mail' and e.tenant_id = %s", (tenant["id"],)).fetchone()[0] == 1
    # the new shop answers at once
    assert gql("{ tenant { name slug } }", tenant="new-shop-pl")["data"]["tenant"] == {"name": "New Shop",
                                                                                       "slug": "new-shop-pl"}

    listed = gql(TENANTS, {"s": "new-shop"}, tenant=hq, token=op)["data"]["platformTenants"]["nodes"]
    assert [t["slug"] for t in listed] == ["new-shop-pl"]
    assert {t["slug"] for t in gql(TENANTS, tenant=hq, token=op)["data"]["platformTenants"]["nodes"]} >= {hq, "new-shop-pl"}

    # userErrors: a taken slug, a bad slug, a bad language, a bad admin email (nothing written)
    dup = gql(CREATE, {"i": {"name": "Again", "slug": "new-shop-pl"}}, tenant=hq, token=op)["data"]["createTenant"]
    assert dup["userErrors"] == [{"field": "slug", "code": "DUPLICATE",
                                  "message": "slug: new-shop-pl is already the slug of another tenant"}]
    bad = gql(CREATE, {"i": {"name": "Bad", "slug": "Bad Slug"}}, tenant=hq, token=op)["data"]["createTenant"]
    assert bad["userErrors"][0]["field"] == "slug" and bad["userErrors"][0]["code"] == "INVALID"
    lang = gql(CREATE, {"i": {"name": "X", "slug": "x-lang", "textSearchConfig": "klingon"}}, tenant=hq,
               token=op)["data"]["createTenant"]
    assert lang["userErrors"][0]["field"] == "textSearchConfig"
    mail = gql(CREATE, {"i": {"name": "X", "slug": "x-mail", "adminEmail": "nope"}}, tenant=hq,
               token=op)["data"]["createTenant"]
    assert mail["userErrors"][0]["field"] == "adminEmail"
    assert owner.execute("select count(*) from core.tenants where slug in ('x-lang', 'x-mail')").fetchone()[0] == 0
    blank = gql(CREATE, {"i": {"name": " ", "slug": "x-blank"}}, tenant=hq, token=op)["data"]["createTenant"]
    assert blank["userErrors"][0]["field"] == "name"

    renamed = gql(RENAME, {"i": tenant["id"], "n": "Renamed Shop"}, tenant=hq, token=op)["data"]["updateTenant"]
    assert renamed == {"tenant": {"name": "Renamed Shop"}, "userErrors": []}
    unknown = gql(RENAME, {"i": "01HZZZZZZZZZZZZZZZZZZZZZZZ", "n": "X"}, tenant=hq, token=op)["data"]["updateTenant"]
    assert unknown["userErrors"][0]["code"] == "NOT_FOUND"

    # domains
    added = gql(ADD_DOMAIN, {"t": tenant["id"], "h": "Shop.New.Example."}, tenant=hq, token=op)["data"]
    assert added["addPlatformTenantDomain"] == {"tenant": {"slug": "new-shop-pl", "domains": ["shop.new.example"]},
                                                "userErrors": []}
    taken = gql(ADD_DOMAIN, {"t": platform_tenant_id(owner, hq), "h": "shop.new.example"}, tenant=hq,
                token=op)["data"]["addPlatformTenantDomain"]
    assert taken["userErrors"][0]["code"] == "DUPLICATE" and taken["userErrors"][0]["field"] == "host"
    badhost = gql(ADD_DOMAIN, {"t": tenant["id"], "h": "not a host"}, tenant=hq, token=op)["data"]
    assert badhost["addPlatformTenantDomain"]["userErrors"][0]["field"] == "host"
    removed = gql(REMOVE_DOMAIN, {"t": tenant["id"], "h": "shop.new.example"}, tenant=hq, token=op)["data"]
    assert removed["removePlatformTenantDomain"] == {"tenant": {"domains": []}, "userErrors": []}


def platform_tenant_id(owner, slug):
    return str(owner.execute("select id from core.tenants where slug = %s", (slug,)).fetchone()[0])


def test_a_suspended_tenant_answers_a_clear_error(gql, owner, client, platform):
    hq, op = platform["hq"], platform["operator"]
    slug = new_tenant(owner)
    new_user(owner, slug, "buyer@susp.example", "customer")
    buyer = login(gql, slug, "buyer@susp.example")
    owner.execute("insert into core.tenant_domains (tenant_id, host) values (core.tenant_id_by_slug(%s), %s)",
                  (slug, f"{slug}.shop.example"))
    tid = platform_tenant_id(owner, slug)
    done = gql(SUSPEND, {"i": tid}, tenant=hq, token=op)["data"]["suspendTenant"]
    assert done == {"tenant": {"slug": slug, "isActive": False}, "userErrors": []}

    for query in ("{ tenant { name } }", "{ products(first: 1) { totalCount } }", "{ me { email } }"):
        body = gql(query, tenant=slug, token=buyer, expect_errors=True)
        error = body["errors"][0]
        assert error["extensions"]["code"] == "TENANT_SUSPENDED", body
        assert "suspended" in error["message"]
    login_body = gql('mutation { login(email: "buyer@susp.example", password: "password123") { token } }',
                     tenant=slug, expect_errors=True)
    assert login_body["errors"][0]["extensions"]["code"] == "TENANT_SUSPENDED"
    # an unknown tenant still says unknown
    assert gql("{ products(first: 1) { totalCount } }", tenant="no-such-shop-xyz",
               expect_errors=True)["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    # the storefront, by path and by host
    page = client.get(f"/t/{slug}/")
    assert page.status_code == 403 and "Shop suspended" in page.text
    page = client.get("/", headers={"host": f"{slug}.shop.example"})
    assert page.status_code == 403 and "Shop suspended" in page.text
    # listed as suspended; reactivated, it serves again with its data
    listed = gql(TENANTS, {"s": slug}, tenant=hq, token=op)["data"]["platformTenants"]["nodes"]
    assert listed[0]["isActive"] is False
    back = gql(REACTIVATE, {"i": tid}, tenant=hq, token=op)["data"]["reactivateTenant"]
    assert back["tenant"]["isActive"] is True
    assert gql("{ me { email } }", tenant=slug, token=buyer)["data"]["me"] == {"email": "buyer@susp.example"}
    assert client.get(f"/t/{slug}/").status_code == 200
    # not one's own tenant
    own = gql(SUSPEND, {"i": platform_tenant_id(owner, hq)}, tenant=hq, token=op)["data"]["suspendTenant"]
    assert own["userErrors"][0]["code"] == "INVALID_STATE" and own["userErrors"][0]["field"] == "isActive"


@pytest.mark.parametrize("who", ["admin", "customer", "anonymous", "other tenant's admin"])
def test_tenant_staff_are_refused(gql, owner, platform, who):
    hq = platform["hq"]
    slug, token = hq, platform["admin"]
    if who == "customer":
        new_user(owner, hq, f"c{id(who)}@hq.example", "customer")
        token = login(gql, hq, f"c{id(who)}@hq.example")
    elif who == "anonymous":
        token = None
    elif who == "other tenant's admin":
        slug = new_tenant(owner)
        new_user(owner, slug, "admin@other.example", "admin")
        token = login(gql, slug, "admin@other.example")
    expected = "UNAUTHENTICATED" if token is None else "FORBIDDEN"
    tid = platform_tenant_id(owner, slug)
    for query, variables in ((TENANTS, {}), (CREATE, {"i": {"name": "Hijack", "slug": "hijack-shop"}}),
                             (SUSPEND, {"i": tid}), (RENAME, {"i": tid, "n": "Hijacked"}),
                             (ADD_DOMAIN, {"t": tid, "h": "hijack.example"}), (REMOVE_DOMAIN, {"t": tid, "h": "x.example"})):
        body = gql(query, variables, tenant=slug, token=token, expect_errors=True)
        assert body["errors"][0]["extensions"]["code"] == expected, (who, query, body)
    if token is not None:
        me = gql("{ me { permissions } }", tenant=slug, token=token)["data"]["me"]
        assert "platform:manage" not in me["permissions"]
    assert owner.execute("select count(*) from core.tenants where slug = 'hijack-shop' or name = 'Hijacked'").fetchone()[0] == 0


def test_the_database_enforces_it(owner, api_db, platform):
    """From psql as the application role: the platform functions refuse a tenant admin, and nobody makes
    themselves a platform operator."""
    hq = platform["hq"]
    admin = owner.execute("select id from core.users where email = 'admin@hq.example'").fetchone()[0]
    with psycopg.connect(api_db, autocommit=True) as conn:   # autocommit: the role and settings stay for each try
        conn.execute("set role rustok_app")
        conn.execute("select set_config('rustok.tenant_id', core.tenant_id_by_slug(%s)::text, false), "
                     "set_config('rustok.user_id', %s, false), set_config('rustok.actor', 'api', false)",
                     (hq, str(admin)))
        with pytest.raises(psycopg.errors.InsufficientPrivilege, match="permission platform:manage is required"):
            conn.execute("select core.platform_create_tenant('Sneaky', 'sneaky-shop')")
        with pytest.raises(psycopg.errors.InsufficientPrivilege, match="only an operator"):
            conn.execute("update core.users set is_platform_admin = true where id = %s", (admin,))
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("insert into core.tenants (name, slug) values ('Direct', 'direct-shop')")
        assert conn.execute("select current_user").fetchone()[0] == "rustok_app"
    assert owner.execute("select count(*) from core.tenants where slug in ('sneaky-shop', 'direct-shop')").fetchone()[0] == 0
