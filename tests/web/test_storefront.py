"""The storefront in a real browser (and, where a browser adds nothing, over plain HTTP): the shopping journey,
tenants by host name, conditional GET, sitemap and robots, accounts, a refused checkout, comments."""

from __future__ import annotations

import re

import httpx
import psycopg

from tests.outbox.helpers import wait_for
from tests.web.shop import PASSWORD, add_post, add_product, caught_up, new_shop, standard_catalog


def _register(page, shop, email: str, name: str = "Ann Buyer") -> None:
    page.fill("#reg-name", name)
    page.fill("#reg-email", email)
    page.fill("#reg-password", PASSWORD)
    page.click("[data-testid=register]")


def test_visitor_searches_filters_buys_two_items_and_sees_the_order(live_server, page, shots):
    shop = new_shop(live_server)
    standard_catalog(shop)

    page.goto(shop.url("/"))
    assert page.locator("[data-testid=product-card]").count() == 4
    assert page.title().startswith("All products") or "Catalog" in page.title()

    # search (the form works without the script; the script suggests while typing)
    page.fill("#q", "tee")
    page.wait_for_selector("#suggestions li a")
    assert "Tee" in page.locator("#suggestions").inner_text()
    page.press("#q", "Enter")
    page.wait_for_url(re.compile(r"q=tee"))
    cards = page.locator("[data-testid=product-card]")
    assert cards.count() == 2
    assert {t.strip() for t in page.locator(".card-title").all_inner_texts()} == {"Blue Tee", "Green Tee"}
    shots(page, "search")

    # filter: the summer tag, in stock only
    page.check("input[name=tag][value=summer]")
    page.check("input[name=in_stock]")
    page.click("#filters button[type=submit]")
    page.wait_for_url(re.compile(r"tag=summer"))
    assert page.locator("[data-testid=product-card]").count() == 1
    card = page.locator("[data-testid=product-card]").first
    assert card.locator("[data-testid=price]").inner_text() == "€14.99"
    assert card.locator("[data-testid=compare-at-price]").inner_text() == "€19.99"
    shots(page, "filtered")

    # the product page: choose the M variant (a form, no script needed), add two
    card.locator("a").first.click()
    page.wait_for_url(re.compile(r"/products/blue-tee"))
    assert page.locator("h1").inner_text() == "Blue Tee"
    assert page.locator("link[rel=canonical]").get_attribute("href").endswith(f"/t/{shop.slug}/products/blue-tee")
    page.check("input[name=variant] >> nth=1")
    page.click("form.options button")
    page.wait_for_url(re.compile(r"variant="))
    assert "only 3 left" in page.locator("[data-testid=availability]").inner_text()
    page.fill("#quantity", "2")
    shots(page, "product")
    page.click("[data-testid=add-to-cart]")
    page.wait_for_url(re.compile(r"/cart$"))
    assert page.locator("[data-testid=cart-count]").inner_text() == "2"

    # a second item, from the catalog by category
    page.goto(shop.url("/?category=home"))
    page.locator("[data-testid=product-card]", has_text="Red Mug").locator("a").first.click()
    page.click("[data-testid=add-to-cart]")
    page.wait_for_url(re.compile(r"/cart$"))
    lines = page.locator("[data-testid=cart-line]")
    assert lines.count() == 2
    assert page.locator("[data-testid=subtotal]").inner_text() == "€41.98"   # 2 x 14.99 + 12.00
    shots(page, "cart")

    # checkout: sign up on the way (the cart is kept), address, place the order
    page.click("[data-testid=checkout]")
    page.click("[data-testid=checkout-sign-in]")
    _register(page, shop, "ann@example.com")
    page.wait_for_url(re.compile(r"/checkout$"))
    assert page.locator("[data-testid=cart-line]").count() == 2
    page.fill("#first_name", "Ann")
    page.fill("#last_name", "Buyer")
    page.fill("#address1", "1 Main Street")
    page.fill("#postal_code", "10115")
    page.fill("#city", "Berlin")
    page.fill("#country", "DE")
    shots(page, "checkout")
    page.click("[data-testid=place-order]")
    page.wait_for_url(re.compile(r"/orders/"))
    assert re.fullmatch(r"#\d+", page.locator("[data-testid=order-number]").inner_text())
    assert page.locator("[data-testid=order-status]").inner_text() == "pending"
    assert page.locator("[data-testid=order-line]").count() == 2
    assert page.locator("[data-testid=order-total]").inner_text() == "€41.98"
    assert page.locator("[data-testid=cart-count]").inner_text() == "0"
    shots(page, "order")

    # the order is in "my orders"; stock was reserved (the mug is sold out now)
    page.goto(shop.url("/account"))
    assert page.locator("[data-testid=my-order]").count() == 1
    shots(page, "account")
    page.goto(shop.url("/products/red-mug"))
    wait_for(lambda: page.reload() and "Out of stock" in page.locator("[data-testid=availability]").inner_text(),
             timeout=15, what="the mug to show as sold out")


def test_tenant_from_host_and_cross_tenant_404(live_server):
    shop = new_shop(live_server, "Host Shop")
    other = new_shop(live_server, "Other Shop")
    caught_up(shop, add_product(shop, "Host Tee", "host-tee", [("Default", 1000, 5)]))
    caught_up(other, add_product(other, "Secret Tee", "secret-tee", [("Default", 1000, 5)]))
    with psycopg.connect(live_server.db_url, autocommit=True) as conn:
        conn.execute("insert into core.tenant_domains (tenant_id, host) values (core.tenant_id_by_slug(%s), %s)",
                     (shop.slug, f"{shop.slug}.shop.test"))
        # a host is one tenant's: a second tenant cannot claim it
        try:
            conn.execute("insert into core.tenant_domains (tenant_id, host) values (core.tenant_id_by_slug(%s), %s)",
                         (other.slug, f"{shop.slug}.shop.test"))
            raise AssertionError("a host was given to two tenants")
        except psycopg.errors.UniqueViolation:
            pass
    host = {"Host": f"{shop.slug}.shop.test:8000"}
    with httpx.Client(base_url=live_server.base_url, headers=host, timeout=30) as http:
        home = http.get("/")
        assert home.status_code == 200 and "Host Tee" in home.text and "Secret Tee" not in home.text
        assert 'rel="canonical" href="http://' + f'{shop.slug}.shop.test:8000/"' in home.text
        assert http.get("/products/host-tee").status_code == 200
        # another tenant's product, by handle and by id: 404 under this tenant's host and prefix
        secret_id = other.products["secret-tee"]["id"]
        for path in ("/products/secret-tee", f"/products/{secret_id}"):
            answer = http.get(path)
            assert answer.status_code == 404 and "Not found" in answer.text and "Secret" not in answer.text
        assert http.get(f"/t/{shop.slug}/products/secret-tee").status_code == 404
        assert http.get(f"/t/{shop.slug}/products/{secret_id}").status_code == 404
        assert http.get(f"/t/{other.slug}/products/{secret_id}").status_code == 200
    # an unknown host and an unknown tenant: 404 pages, not errors
    with httpx.Client(base_url=live_server.base_url, headers={"Host": "nobody.test"}, timeout=30) as http:
        assert http.get("/").status_code == 404
    assert httpx.get(live_server.base_url + "/t/no-such-shop/").status_code == 404
    assert httpx.get(live_server.base_url + "/t/Bad Slug!/").status_code == 404


def test_unchanged_pages_answer_304(live_server):
    shop = new_shop(live_server)
    caught_up(shop, add_product(shop, "Plain Tee", "plain-tee", [("Default", 1500, 5)]))
    caught_up(shop, add_post(shop, "Hello", "hello", "First post."))
    with httpx.Client(timeout=30) as http:
        for path in ("/", "/products/plain-tee", "/blog", "/blog/hello", "/?q=tee&sort=price_asc"):
            first = http.get(shop.url(path))
            assert first.status_code == 200, path
            if path.startswith("/?") or path == "/":   # an anonymous catalog page: the API's compiled read
                assert first.headers.get("x-execution") == "compiled", path
            etag, modified = first.headers["etag"], first.headers.get("last-modified")
            assert etag.startswith('W/"') and modified, path
            again = http.get(shop.url(path), headers={"If-None-Match": etag})
            assert again.status_code == 304 and again.content == b"", path
            assert http.get(shop.url(path), headers={"If-Modified-Since": modified}).status_code == 304, path
        # a change in the read model changes the page
        etag = http.get(shop.url("/products/plain-tee")).headers["etag"]
        position = shop.gql("""mutation($id: ID!) { updateProduct(id: $id, input: {title: "Plain Tee 2"}) { position } }""",
                            {"id": shop.products["plain-tee"]["id"]})["updateProduct"]["position"]
        caught_up(shop, position)
        changed = http.get(shop.url("/products/plain-tee"), headers={"If-None-Match": etag})
        assert changed.status_code == 200 and "Plain Tee 2" in changed.text


def test_sitemap_robots_and_seo(live_server):
    shop = new_shop(live_server)
    add_product(shop, "Seo Tee", "seo-tee", [("Default", 1500, 5)])
    caught_up(shop, shop.gql("""mutation($id: ID!) { setSeo(targetType: product, targetId: $id,
                                input: {title: "The Seo Tee", description: "Best tee in town"}) { position } }""",
                             {"id": shop.products["seo-tee"]["id"]})["setSeo"]["position"])
    caught_up(shop, add_post(shop, "News", "news", "Some **news**."))
    sitemap = httpx.get(shop.url("/sitemap.xml"))
    assert sitemap.status_code == 200 and sitemap.headers["content-type"].startswith("application/xml")
    assert f"/t/{shop.slug}/products/seo-tee</loc>" in sitemap.text and f"/t/{shop.slug}/blog/news</loc>" in sitemap.text
    robots = httpx.get(shop.url("/robots.txt"))
    assert robots.status_code == 200 and f"Sitemap: {shop.url('/sitemap.xml')}" in robots.text
    assert f"Disallow: /t/{shop.slug}/cart" in robots.text
    page = httpx.get(shop.url("/products/seo-tee")).text
    assert "<title>The Seo Tee · " in page
    assert '<meta name="description" content="Best tee in town">' in page
    assert '<meta property="og:title" content="The Seo Tee">' in page
    assert '<meta property="og:type" content="product">' in page
    post = httpx.get(shop.url("/blog/news")).text
    assert "<strong>news</strong>" in post
    missing = httpx.get(shop.url("/blog/no-such-post"))
    assert missing.status_code == 404 and "<h1>Not found</h1>" in missing.text


def test_register_sign_out_sign_in_and_csrf(live_server, page, shots):
    shop = new_shop(live_server)
    page.goto(shop.url("/account"))
    _register(page, shop, "bob@example.com", "Bob")
    page.wait_for_load_state()
    assert page.locator("[data-testid=signed-in-as]").inner_text() == "bob@example.com", page.url
    cookie = next(c for c in page.context.cookies() if c["name"] == "rustok_session")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Lax" and cookie["path"] == f"/t/{shop.slug}/"
    page.click("[data-testid=sign-out]")
    page.goto(shop.url("/account"))
    assert page.locator("[data-testid=sign-in]").is_visible()
    page.fill("#login-email", "bob@example.com")
    page.fill("#login-password", "wrong password")
    page.click("[data-testid=sign-in]")
    assert "wrong email or password" in page.locator("[data-testid=account-error]").inner_text()
    page.fill("#login-email", "bob@example.com")
    page.fill("#login-password", PASSWORD)
    page.click("[data-testid=sign-in]")
    page.wait_for_load_state()
    assert page.locator("[data-testid=signed-in-as]").count() == 1, page.content()
    shots(page, "signed-in")
    # registering a taken email shows the refusal (a userError of register) next to the form
    page.click("[data-testid=sign-out]")
    page.goto(shop.url("/account"))
    _register(page, shop, "bob@example.com", "Bob again")
    page.wait_for_load_state()
    assert "already used" in page.locator("[data-testid=account-error]").inner_text(), page.content()
    assert page.locator("[data-testid=signed-in-as]").count() == 0
    # a form without the CSRF token (another site posting) is refused, and nothing happens
    refused = httpx.post(shop.url("/account/register"), data={"email": "mallory@example.com", "password": PASSWORD})
    assert refused.status_code == 403 and "expired or came from another site" in refused.text


def test_checkout_refusal_is_shown_next_to_its_line(live_server, page, shots):
    shop = new_shop(live_server)
    add_product(shop, "Plenty Tee", "plenty-tee", [("Default", 1000, 50)])
    caught_up(shop, add_product(shop, "Last Mug", "last-mug", [("Default", 800, 2)]))
    page.goto(shop.url("/account?next=cart"))
    _register(page, shop, "cara@example.com", "Cara")
    page.wait_for_url(re.compile(r"/cart$"))
    for handle, quantity in (("plenty-tee", "1"), ("last-mug", "2")):
        page.goto(shop.url(f"/products/{handle}"))
        page.fill("#quantity", quantity)
        page.click("[data-testid=add-to-cart]")
        page.wait_for_url(re.compile(r"/cart$"))
    # meanwhile the shop sells one mug elsewhere
    variant = shop.products["last-mug"]["variants"][0]["id"]
    shop.gql("mutation($v: ID!) { setVariantStock(variantId: $v, stocked: 1) { userErrors { message } } }", {"v": variant})
    page.click("[data-testid=checkout]")
    page.click("[data-testid=place-order]")
    errors = page.locator("[data-testid=line-error]")
    assert errors.count() == 1
    mug_line = page.locator("[data-testid=cart-line]", has_text="Last Mug")
    assert "available 1" in mug_line.locator("[data-testid=line-error]").inner_text()
    assert page.locator("[data-testid=cart-line]", has_text="Plenty Tee").locator("[data-testid=line-error]").count() == 0
    shots(page, "refused")
    # fix the line, order goes through
    mug_line.locator("input[name=quantity]").fill("1")
    mug_line.locator("button", has_text="Update").click()
    page.goto(shop.url("/checkout"))
    page.click("[data-testid=place-order]")
    page.wait_for_url(re.compile(r"/orders/"))
    assert page.locator("[data-testid=order-line]").count() == 2, page.content()


def test_signed_in_visitor_comments_and_sees_it_pending(live_server, page, shots):
    shop = new_shop(live_server)
    caught_up(shop, add_post(shop, "Launch day", "launch-day", "We are **open**.\n\n- tees\n- mugs"))
    page.goto(shop.url("/blog"))
    assert page.locator("[data-testid=post]").count() == 1
    page.click("text=Launch day")
    assert "Sign in" in page.locator("#comments").inner_text()
    page.goto(shop.url("/account"))
    _register(page, shop, "dan@example.com", "Dan")
    page.goto(shop.url("/blog/launch-day"))
    page.fill("#comment-body", "Congratulations!")
    page.click("[data-testid=add-comment]")
    pending = page.locator(".pending [data-testid=comment]")
    assert pending.count() == 1 and "Congratulations!" in pending.inner_text()
    assert "pending" in pending.locator("[data-testid=pending]").inner_text()
    shots(page, "pending-comment")
    # nobody else sees it until a moderator approves it
    anonymous = httpx.get(shop.url("/blog/launch-day")).text
    assert "Congratulations!" not in anonymous
    comment_id = shop.gql("{ contents(kind: comment, first: 5, filter: {status: [\"pending\"]}) { nodes { id } } }")
    ids = [n["id"] for n in comment_id["contents"]["nodes"]]
    position = shop.gql("mutation($ids: [ID!]!) { moderateComments(ids: $ids, status: approved) { position } }",
                        {"ids": ids})["moderateComments"]["position"]
    caught_up(shop, position)
    assert "Congratulations!" in httpx.get(shop.url("/blog/launch-day")).text
