"""410 Gone and 404 Not found (issue 15): a product deleted while published, a post deleted or archived, answer 410
with a page saying so; an address that never named anything, a draft that was deleted, a post back to draft (tests/content/test_retired.py) answer
404; a handle reused by a new product answers the new product (200). Over HTTP, and once in the browser."""

from __future__ import annotations

import httpx

from tests.web.shop import add_post, add_product, caught_up, new_shop

DELETE_PRODUCT = "mutation($id: ID!) { deleteProduct(id: $id) { deleted userErrors { message } position } }"
DELETE_NODE = "mutation($id: ID!) { deleteNode(id: $id) { deleted userErrors { message } position } }"


def _delete_product(shop, handle):
    data = shop.gql(DELETE_PRODUCT, {"id": shop.products[handle]["id"]})["deleteProduct"]
    assert data["deleted"] and not data["userErrors"], data
    caught_up(shop, data["position"])


def test_deleted_products_answer_410_and_unknown_ones_404(live_server):
    shop = new_shop(live_server)
    add_product(shop, "Old Tee", "old-tee", [("Default", 1500, 3)])
    caught_up(shop, add_product(shop, "Spare Mug", "spare-mug", [("Default", 900, 2)]))
    draft = shop.gql("""mutation { createProduct(input: {title: "Secret", handle: "secret-draft", status: draft,
                        variants: [{title: "Default", sku: "SD-1"}]}) { product { id } position } }""")["createProduct"]
    caught_up(shop, draft["position"])
    old_id = shop.products["old-tee"]["id"]
    with httpx.Client(timeout=30) as http:
        assert http.get(shop.url("/products/old-tee")).status_code == 200
        _delete_product(shop, "old-tee")
        gone = http.get(shop.url("/products/old-tee"))
        assert gone.status_code == 410
        assert "No longer available" in gone.text and "Old Tee" in gone.text
        assert http.get(shop.url(f"/products/{old_id}")).status_code == 410          # by id too
        assert http.get(shop.url("/products/never-was-here")).status_code == 404
        caught_up(shop, shop.gql(DELETE_PRODUCT, {"id": draft["product"]["id"]})["deleteProduct"]["position"])
        assert http.get(shop.url("/products/secret-draft")).status_code == 404         # never public
        # the handle is taken by a new product: it answers again
        caught_up(shop, add_product(shop, "New Tee", "old-tee", [("Second", 1600, 1)]))
        back = http.get(shop.url("/products/old-tee"))
        assert back.status_code == 200 and "New Tee" in back.text
        assert http.get(shop.url(f"/products/{old_id}")).status_code == 404            # the old id is no address now
        # another tenant's retired handle is nothing here
        other = new_shop(live_server, "Other Shop")
        assert httpx.get(other.url("/products/spare-mug")).status_code == 404
        _delete_product(shop, "spare-mug")
        assert http.get(shop.url("/products/spare-mug")).status_code == 410
        assert httpx.get(other.url("/products/spare-mug")).status_code == 404


def test_deleted_or_archived_posts_and_pages_answer_410(live_server):
    shop = new_shop(live_server)
    add_post(shop, "Old News", "old-news", "Yesterday.")
    add_post(shop, "About us", "about", "Who we are.", kind="page")
    caught_up(shop, add_post(shop, "Winter Sale", "winter-sale", "Cold."))
    with httpx.Client(timeout=30) as http:
        assert http.get(shop.url("/blog/old-news")).status_code == 200
        data = shop.gql(DELETE_NODE, {"id": shop.posts["old-news"]})["deleteNode"]
        shop.gql(DELETE_NODE, {"id": shop.posts["about"]})
        archived = shop.gql("mutation($ids: [ID!]!) { archiveNodes(ids: $ids) { position } }",
                            {"ids": [shop.posts["winter-sale"]]})["archiveNodes"]
        caught_up(shop, data["position"])
        caught_up(shop, archived["position"])
        post = http.get(shop.url("/blog/old-news"))
        assert post.status_code == 410 and "Old News" in post.text
        assert http.get(shop.url("/pages/about")).status_code == 410
        assert http.get(shop.url("/blog/about")).status_code == 404                # a page's slug is no post
        assert http.get(shop.url("/blog/winter-sale")).status_code == 410          # archived: unpublished for good
        assert http.get(shop.url("/blog/never-written")).status_code == 404
        assert http.get(shop.url("/pages/never-written")).status_code == 404
        caught_up(shop, add_post(shop, "Old News, again", "old-news", "Today."))
        assert http.get(shop.url("/blog/old-news")).status_code == 200


def test_a_visitor_sees_the_gone_page_in_the_browser(live_server, page, shots):
    shop = new_shop(live_server)
    caught_up(shop, add_product(shop, "Retro Lamp", "retro-lamp", [("Default", 4000, 1)]))
    page.goto(shop.url("/products/retro-lamp"))
    assert page.locator("h1").inner_text() == "Retro Lamp"
    _delete_product(shop, "retro-lamp")
    response = page.goto(shop.url("/products/retro-lamp"))
    assert response.status == 410
    assert page.locator("h1").inner_text() == "No longer available"
    assert "Retro Lamp" in page.locator("[role=alert]").inner_text()
    shots(page, "gone")
    page.click("text=Back to the shop")
    assert page.url.endswith(f"/t/{shop.slug}/")
    response = page.goto(shop.url("/products/no-such-lamp"))
    assert response.status == 404 and page.locator("h1").inner_text() == "Not found"
