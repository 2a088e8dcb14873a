"""Shared steps of the admin journeys: a shop with staff accounts (made the way an operator would, in SQL),
signing in through the admin's own form, and GraphQL as a plain client (for the storefront checks)."""

from __future__ import annotations

import json
import urllib.request
import uuid

import psycopg

from rustok.auth import hash_password

PASSWORD = "password123"


def make_shop(db_url: str, roles=("admin", "editor", "author", "manager", "customer")) -> dict:
    slug = f"shop-{uuid.uuid4().hex[:6]}"
    hashed = hash_password(PASSWORD)
    with psycopg.connect(db_url, autocommit=True) as conn:
        conn.execute("insert into core.tenants (name, slug) values (%s, %s)", (slug.title(), slug))
        for role in roles:
            conn.execute("insert into core.users (tenant_id, email, password_hash, display_name, role) "
                         "values (core.tenant_id_by_slug(%s), %s, %s, %s, %s)",
                         (slug, f"{role}@{slug}.example", hashed, role.title(), role))
    return {"slug": slug, "emails": {role: f"{role}@{slug}.example" for role in roles}, "db_url": db_url}


def settle(shop: dict, timeout: float = 30.0) -> None:
    """Wait until the projector has handled every event of this shop (its read model is current).

    The admin reads its lists from the read model, which follows a commit within milliseconds; a test that
    writes through the API and opens a page at once could still load the page inside that gap (a staff member
    is never that quick). Dead letters are not waited for: they stay until someone retries them.
    """
    from tests.outbox.helpers import wait_for

    with psycopg.connect(shop["db_url"], autocommit=True) as conn:   # one connection for every look
        def caught_up() -> bool:
            return not conn.execute(
                "select exists (select from outbox.deliveries d join outbox.events e on e.id = d.event_id "
                "where d.consumer = 'index' and d.state = 'pending' and e.tenant_id = core.tenant_id_by_slug(%s))",
                (shop["slug"],)).fetchone()[0]

        wait_for(caught_up, timeout=timeout, what=f"the read model of {shop['slug']} to catch up")


def sign_in(page, base_url: str, shop: dict, role: str) -> None:
    settle(shop)   # what the test wrote before is in the read model when the first page loads
    page.goto(base_url + "/admin/")
    page.get_by_label("Shop (tenant slug)").fill(shop["slug"])
    page.get_by_label("Email").fill(shop["emails"][role])
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("button", name="Sign out").wait_for()
    # ... and the first screen drawn: signing in goes to #/, which moves on to the first allowed section. A test
    # navigating before that second hash change could have its screen drawn again under it (a suspect, not seen
    # here, for a CI run of 2026-12-03 where an invitation never reported back); the test starts from a settled page.
    page.wait_for_function(
        """() => {
            const h1 = document.querySelector('#main h1');
            if (!h1 || h1.textContent === 'Sign in to the admin') return false;
            return !['', '#', '#/'].includes(location.hash) || h1.textContent === 'Nothing to manage';
        }""", timeout=30_000)


def graphql(base_url: str, slug: str, query: str, variables: dict | None = None, token: str | None = None) -> dict:
    headers = {"content-type": "application/json", "X-Tenant": slug}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    req = urllib.request.Request(base_url + "/graphql", data=json.dumps({"query": query, "variables": variables or {}}).encode(),
                                 headers=headers, method="POST")
    with urllib.request.urlopen(req, timeout=30) as resp:
        return json.loads(resp.read())


def login_token(base_url: str, shop: dict, role: str) -> str:
    body = graphql(base_url, shop["slug"], "mutation($e: String!, $p: String!) { login(email: $e, password: $p) { token } }",
                   {"e": shop["emails"][role], "p": PASSWORD})
    return body["data"]["login"]["token"]

