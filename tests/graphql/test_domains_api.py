"""Tenant domains over GraphQL: admins add and remove the host names their storefront answers on; a host is one
tenant's; bad hosts are refused naming the field; other roles are refused."""

from __future__ import annotations

from tests.graphql.conftest import login, new_tenant, new_user

ADD = "mutation($h: String!) { addTenantDomain(host: $h) { domain { host } userErrors { field code message } } }"
REMOVE = "mutation($h: String!) { removeTenantDomain(host: $h) { deleted userErrors { field code } } }"
LIST = "{ tenantDomains { host createdAt } }"


def test_admins_manage_their_domains(gql, shop, owner):
    slug, staff, customer = shop
    added = gql(ADD, {"h": f" Shop-{slug}.Example. "}, tenant=slug, token=staff)["data"]["addTenantDomain"]
    host = f"shop-{slug}.example"
    assert added == {"domain": {"host": host}, "userErrors": []}
    assert gql(ADD, {"h": host}, tenant=slug, token=staff)["data"]["addTenantDomain"]["userErrors"] == []  # again: no-op
    assert [d["host"] for d in gql(LIST, tenant=slug, token=staff)["data"]["tenantDomains"]] == [host]
    assert owner.execute("select core.tenant_slug_by_host(%s)", (host.upper(),)).fetchone()[0] == slug

    # another tenant cannot take it; a bad host names the field; nothing is written
    other = new_tenant(owner)
    new_user(owner, other, "boss@other.example", "admin")
    boss = login(gql, other, "boss@other.example")
    taken = gql(ADD, {"h": host}, tenant=other, token=boss)["data"]["addTenantDomain"]
    assert taken["domain"] is None and taken["userErrors"][0]["code"] == "DUPLICATE"
    assert taken["userErrors"][0]["field"] == "host"
    for bad in ("", "has space.example", "under_score.example", "a" * 300, "port.example:8000"):
        refused = gql(ADD, {"h": bad}, tenant=other, token=boss)["data"]["addTenantDomain"]
        assert refused["userErrors"][0]["field"] == "host" and refused["userErrors"][0]["code"] == "INVALID", bad
    assert gql(LIST, tenant=other, token=boss)["data"]["tenantDomains"] == []

    # customers may not; the server refuses whatever the client shows
    denied = gql(ADD, {"h": "x.example"}, tenant=slug, token=customer, expect_errors=True)
    assert denied["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert gql(LIST, tenant=slug, token=customer, expect_errors=True)["errors"][0]["extensions"]["code"] == "FORBIDDEN"

    assert gql(REMOVE, {"h": host}, tenant=slug, token=staff)["data"]["removeTenantDomain"]["deleted"] is True
    assert gql(REMOVE, {"h": host}, tenant=slug, token=staff)["data"]["removeTenantDomain"]["deleted"] is False
    assert owner.execute("select core.tenant_slug_by_host(%s)", (host,)).fetchone()[0] is None
