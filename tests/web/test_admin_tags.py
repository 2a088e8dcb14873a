"""The admin's tag screen in a real browser (issue 15): an editor lists the shop's tags with their uses, searches,
renames one (a taken slug is named at its field and nothing changes), merges two, deletes one, and the storefront
follows; an author (no tags:manage) sees no Tags section and the server refuses the mutation anyway."""

from __future__ import annotations

import re

import httpx
from playwright.sync_api import expect

from tests.outbox.helpers import wait_for
from tests.web.admin_helpers import graphql, login_token, make_shop, sign_in

SET_TAGS = """mutation($t: TagTarget!, $id: ID!, $n: [String!]!) { setTags(targetType: $t, targetId: $id, names: $n) {
  userErrors { message } } }"""


def _seed(base, shop, admin) -> dict:
    ids = {}
    for handle in ("tee", "hat", "mug"):
        body = graphql(base, shop["slug"], """mutation($i: CreateProductInput!) { createProduct(input: $i) {
            product { id } userErrors { message } } }""", {"i": {
            "title": handle.title(), "handle": handle, "status": "published",
            "variants": [{"title": "Default", "sku": f"{handle}-{shop['slug']}".upper(), "stock": 3,
                          "prices": [{"amount": 1000, "currencyCode": "EUR"}]}]}}, token=admin)
        ids[handle] = body["data"]["createProduct"]["product"]["id"]
    ids["post"] = graphql(base, shop["slug"], 'mutation { createNode(input: {kind: post, title: "Summer news", body: "x"}) '
                                              '{ node { id } } }', token=admin)["data"]["createNode"]["node"]["id"]
    for target, kind, names in (("tee", "product", ["summer"]), ("hat", "product", ["summer", "Summertime"]),
                                ("mug", "product", ["kitchen"]), ("post", "node", ["summer"])):
        body = graphql(base, shop["slug"], SET_TAGS, {"t": kind, "id": ids[target], "n": names}, token=admin)
        assert body["data"]["setTags"]["userErrors"] == [], body
    return ids


def _row(page, slug):
    return page.locator(f'tr[data-tag="{slug}"]')


def test_editor_renames_merges_and_deletes_tags_and_the_storefront_follows(live_server, page, shots):
    base = live_server.base_url
    shop = make_shop(live_server.db_url)
    admin = login_token(base, shop, "admin")
    _seed(base, shop, admin)
    sign_in(page, base, shop, "editor")
    page.get_by_role("link", name="Tags", exact=True).click()
    expect(page.get_by_role("heading", name="Tags", exact=True)).to_be_visible()
    expect(page.locator("tr[data-tag]")).to_have_count(3)
    summer = _row(page, "summer")
    expect(summer.locator('[data-count="products"]')).to_have_text("2")
    expect(summer.locator('[data-count="content"]')).to_have_text("1")
    expect(page.locator("[data-total]")).to_have_text("3 tag(s)")
    shots(page, "tags")

    # search
    page.get_by_label("Search name or slug").fill("summ")
    page.get_by_role("button", name="Search").click()
    expect(page.locator("tr[data-tag]")).to_have_count(2)
    page.get_by_label("Search name or slug").fill("")
    page.get_by_role("button", name="Search").click()
    expect(page.locator("tr[data-tag]")).to_have_count(3)

    # rename: a slug in use is named at its field, nothing changes; then a good one
    kitchen = _row(page, "kitchen")
    kitchen.locator("summary").click()
    form = page.locator('form[aria-label="Rename kitchen"]')
    form.locator('[data-field="name"]').fill("Kitchen & Table")
    form.locator('[data-field="slug"]').fill("summer")
    form.get_by_role("button", name="Rename").click()
    expect(form.locator('[data-error-for="slug"]')).to_contain_text("already used")
    expect(form.locator('[data-field="slug"]')).to_have_attribute("aria-invalid", "true")
    shots(page, "tag-rename-refused")
    listed = graphql(base, shop["slug"], "{ staffTags { nodes { name slug } } }", token=admin)["data"]["staffTags"]["nodes"]
    assert {"name": "kitchen", "slug": "kitchen"} in listed, "the refused rename saved nothing"
    form.locator('[data-field="slug"]').fill("kitchen-table")
    form.get_by_role("button", name="Rename").click()
    expect(_row(page, "kitchen-table")).to_contain_text("Kitchen & Table")

    # merge Summertime into summer
    _row(page, "summertime").get_by_label("Select Summertime for merging").check()
    page.get_by_label("Merge the selected tags into").select_option(label="summer (summer)")
    page.get_by_role("button", name="Merge", exact=True).click()
    expect(_row(page, "summertime")).to_have_count(0)
    expect(_row(page, "summer").locator('[data-count="products"]')).to_have_text("2")    # the hat had both
    shots(page, "tags-merged")

    # delete kitchen-table (after confirming)
    page.once("dialog", lambda dialog: dialog.accept())
    _row(page, "kitchen-table").get_by_role("button", name="Delete").click()
    expect(_row(page, "kitchen-table")).to_have_count(0)
    expect(page.locator("[data-total]")).to_have_text("1 tag(s)")

    # the storefront follows: the hat is found by summer only, nothing carries Summertime or the kitchen tag
    def storefront_caught_up():
        html = httpx.get(f"{base}/t/{shop['slug']}/", timeout=30).text
        return 'value="summer"' in html and 'value="summertime"' not in html and "kitchen" not in html.lower()

    wait_for(storefront_caught_up, timeout=30, what="the storefront's tag facets to follow")
    hat = graphql(base, shop["slug"], '{ product(handle: "hat") { tags { slug } } }')["data"]["product"]
    assert hat["tags"] == [{"slug": "summer"}]
    summer_page = httpx.get(f"{base}/t/{shop['slug']}/?tag=summer", timeout=30).text
    assert len(re.findall(r'data-testid="product-card"', summer_page)) == 2


def test_author_sees_no_tags_section_and_the_server_refuses(live_server, page):
    base = live_server.base_url
    shop = make_shop(live_server.db_url, roles=("admin", "author"))
    admin = login_token(base, shop, "admin")
    _seed(base, shop, admin)
    sign_in(page, base, shop, "author")
    expect(page.get_by_role("link", name="Content", exact=True)).to_be_visible()
    expect(page.get_by_role("link", name="Tags", exact=True)).to_have_count(0)
    page.goto(base + "/admin/#/tags")
    expect(page.get_by_role("heading", name="Tags", exact=True)).to_be_visible()
    expect(page.get_by_text("Your role may not manage tags")).to_be_visible()
    expect(page.locator("tr[data-tag]")).to_have_count(0)
    author = login_token(base, shop, "author")
    tag_id = graphql(base, shop["slug"], "{ staffTags { nodes { id } } }", token=admin)["data"]["staffTags"]["nodes"][0]["id"]
    refused = httpx.post(base + "/graphql", timeout=30, json={
        "query": "mutation($id: ID!) { deleteTag(id: $id) { deleted } }", "variables": {"id": tag_id}},
        headers={"X-Tenant": shop["slug"], "Authorization": f"Bearer {author}"}).json()
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN", refused
    assert len(graphql(base, shop["slug"], "{ staffTags { nodes { id } } }", token=admin)["data"]["staffTags"]["nodes"]) == 3
