"""Seeding a shop for the storefront's browser tests, the way a shop owner would: the tenant and its staff by
SQL as the owner (an operator in psql), the catalog and the blog through GraphQL as staff. Reads wait for the
read model with X-Index-Position (the live server runs the projector)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

import httpx
import psycopg

from rustok.auth import hash_password

PASSWORD = "password123"


@dataclass
class Shop:
    base_url: str
    slug: str
    staff: str
    products: dict = field(default_factory=dict)     # handle -> {"id": ..., "variants": [{"id", "sku"}]}
    posts: dict = field(default_factory=dict)        # slug -> id

    def url(self, path: str = "/") -> str:
        return f"{self.base_url}/t/{self.slug}{path}"

    def gql(self, query: str, variables: dict | None = None, token: str | None = "staff", position: str | None = None):
        headers = {"X-Tenant": self.slug}
        token = self.staff if token == "staff" else token
        if token:
            headers["Authorization"] = f"Bearer {token}"
        if position:
            headers["X-Index-Position"] = position
        resp = httpx.post(self.base_url + "/graphql", json={"query": query, "variables": variables or {}},
                          headers=headers, timeout=30)
        body = resp.json()
        assert not body.get("errors"), body["errors"]
        return body["data"]


def new_shop(live_server, name: str = "Corner Shop") -> Shop:
    slug = f"shop-{uuid.uuid4().hex[:8]}"
    with psycopg.connect(live_server.db_url, autocommit=True) as conn:
        conn.execute("insert into core.tenants (name, slug) values (%s, %s)", (name, slug))
        conn.execute("insert into core.users (tenant_id, email, password_hash, display_name, role) "
                     "values (core.tenant_id_by_slug(%s), %s, %s, 'Staff', 'admin')",
                     (slug, "staff@shop.example", hash_password(PASSWORD)))
    resp = httpx.post(live_server.base_url + "/graphql", headers={"X-Tenant": slug}, timeout=30, json={
        "query": 'mutation { login(email: "staff@shop.example", password: "%s") { token } }' % PASSWORD})
    return Shop(live_server.base_url, slug, resp.json()["data"]["login"]["token"])


CREATE = """mutation($input: CreateProductInput!) { createProduct(input: $input) {
  product { id handle variants { id sku } } userErrors { field message } position } }"""


def add_product(shop: Shop, title: str, handle: str, variants: list[tuple[str, int, int]], subtitle: str | None = None,
                description: str | None = None) -> str:
    """variants: (title, EUR price in cents, stock). Returns the mutation's position."""
    data = shop.gql(CREATE, {"input": {
        "title": title, "handle": handle, "status": "published", "subtitle": subtitle, "description": description,
        "variants": [{"title": t, "sku": f"{handle}-{t}".upper(), "stock": stock,
                      "prices": [{"amount": price, "currencyCode": "EUR"}, {"amount": price + 200, "currencyCode": "USD"}]}
                     for t, price, stock in variants]}})["createProduct"]
    assert data["userErrors"] == [], data
    shop.products[handle] = data["product"]
    return data["position"]


def categorize(shop: Shop, name: str, handle: str, product_handles: list[str]) -> str:
    data = shop.gql("""mutation($input: CategoryInput!) { createCategory(input: $input) { userErrors { message } position } }""",
                    {"input": {"name": name, "handle": handle,
                               "productIds": [shop.products[h]["id"] for h in product_handles]}})["createCategory"]
    assert data["userErrors"] == [], data
    return data["position"]


def tag(shop: Shop, handle: str, names: list[str]) -> str:
    data = shop.gql("""mutation($id: ID!, $names: [String!]!) { setTags(targetType: product, targetId: $id, names: $names) {
        userErrors { message } position } }""", {"id": shop.products[handle]["id"], "names": names})["setTags"]
    assert data["userErrors"] == [], data
    return data["position"]


def sale(shop: Shop, handle: str, amount: int) -> str:
    variants = shop.products[handle]["variants"]
    data = shop.gql("""mutation($input: PriceListInput!) { createPriceList(input: $input) { userErrors { message } position } }""",
                    {"input": {"title": "Summer sale", "type": "sale",
                               "prices": [{"variantId": v["id"], "amount": amount, "currencyCode": "EUR"} for v in variants]}}
                    )["createPriceList"]
    assert data["userErrors"] == [], data
    return data["position"]


def add_post(shop: Shop, title: str, slug: str, body: str, kind: str = "post", category_id: str | None = None) -> str:
    node = shop.gql("""mutation($input: CreateNodeInput!) { createNode(input: $input) { node { id } userErrors { message } } }""",
                    {"input": {"kind": kind, "title": title, "slug": slug, "body": body, "categoryId": category_id,
                               "excerpt": body[:80]}})["createNode"]["node"]
    shop.posts[slug] = node["id"]
    return shop.gql("mutation($ids: [ID!]!) { publishNodes(ids: $ids) { position } }",
                    {"ids": [node["id"]]})["publishNodes"]["position"]


def caught_up(shop: Shop, position: str) -> None:
    """Wait until the read model reflects a mutation (the server waits, up to its read wait)."""
    from tests.outbox.helpers import wait_for

    wait_for(lambda: shop.gql("query($p: ID!) { indexCaughtUp(position: $p) }", {"p": position})["indexCaughtUp"],
             timeout=30, what="the read model to catch up")


def standard_catalog(shop: Shop) -> None:
    add_product(shop, "Blue Tee", "blue-tee", [("S", 1999, 5), ("M", 1999, 3)], subtitle="Organic cotton",
                description="A soft T-shirt in organic cotton.")
    add_product(shop, "Green Tee", "green-tee", [("Default", 1799, 10)], subtitle="Linen blend")
    add_product(shop, "Red Mug", "red-mug", [("Default", 1200, 1)], description="Stoneware, 350 ml.")
    add_product(shop, "Desk Lamp", "desk-lamp", [("Default", 4500, 0)])
    categorize(shop, "Apparel", "apparel", ["blue-tee", "green-tee"])
    categorize(shop, "Home", "home", ["red-mug", "desk-lamp"])
    tag(shop, "blue-tee", ["summer"])
    tag(shop, "red-mug", ["kitchen"])
    caught_up(shop, sale(shop, "blue-tee", 1499))
