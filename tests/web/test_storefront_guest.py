"""Guest checkout in the storefront (issue 15): a visitor without an account checks out with an e-mail and a
shipping address; a refusal (out of stock) is shown next to its line and writes nothing; the confirmation shows the
order and a private link that opens it later in any browser; missing fields are named next to their inputs."""

from __future__ import annotations

import re

import httpx
import psycopg

from tests.web.shop import add_product, caught_up, new_shop


def _csrf(http: httpx.Client, url: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', http.get(url).text).group(1)


def _orders(live_server, shop) -> int:
    with psycopg.connect(live_server.db_url, autocommit=True) as conn:
        return conn.execute("select count(*) from commerce.orders where tenant_id = core.tenant_id_by_slug(%s)",
                            (shop.slug,)).fetchone()[0]


def test_a_guest_buys_two_items_and_finds_the_order_again_by_its_link(live_server, browser, page, shots):
    shop = new_shop(live_server)
    add_product(shop, "Linen Shirt", "linen-shirt", [("Default", 3500, 10)])
    caught_up(shop, add_product(shop, "Clay Bowl", "clay-bowl", [("Default", 1800, 2)]))
    for handle, quantity in (("linen-shirt", "1"), ("clay-bowl", "2")):
        page.goto(shop.url(f"/products/{handle}"))
        page.fill("#quantity", quantity)
        page.click("[data-testid=add-to-cart]")
        page.wait_for_url(re.compile(r"/cart$"))
    page.click("[data-testid=checkout]")
    assert "check out as a guest" in page.locator(".guest-choice").inner_text()
    # meanwhile one bowl sells elsewhere: the guest's order is refused at that line, nothing is written
    variant = shop.products["clay-bowl"]["variants"][0]["id"]
    shop.gql("mutation($v: ID!) { setVariantStock(variantId: $v, stocked: 1) { userErrors { message } } }", {"v": variant})
    page.fill("#email", "gwen@example.com")
    page.fill("#first_name", "Gwen")
    page.fill("#last_name", "Guest")
    page.fill("#address1", "5 Harbour Lane")
    page.fill("#postal_code", "EH1")
    page.fill("#city", "Edinburgh")
    page.fill("#country", "gb")
    shots(page, "guest-checkout")
    page.click("[data-testid=place-order]")
    bowl = page.locator("[data-testid=cart-line]", has_text="Clay Bowl")
    assert "available 1" in bowl.locator("[data-testid=line-error]").inner_text()
    assert page.locator("[data-testid=line-error]").count() == 1
    assert page.locator("#email").input_value() == "gwen@example.com"     # what was typed is kept
    assert _orders(live_server, shop) == 0
    shots(page, "guest-refused")
    bowl.locator("input[name=quantity]").fill("1")
    bowl.locator("button", has_text="Update").click()
    page.goto(shop.url("/checkout"))
    for selector, value in (("#email", "gwen@example.com"), ("#address1", "5 Harbour Lane"), ("#city", "Edinburgh"),
                            ("#country", "GB")):
        page.fill(selector, value)
    page.click("[data-testid=place-order]")
    page.wait_for_url(re.compile(r"/orders/guest/"))
    assert "Thank you" in page.locator("[role=status].ok").inner_text()
    assert page.locator("[data-testid=order-line]").count() == 2
    assert page.locator("[data-testid=order-total]").inner_text() == "€53.00"
    assert "gwen@example.com" in page.locator("main").inner_text()
    assert page.locator("[data-testid=cart-count]").inner_text() == "0"
    link = page.locator("[data-testid=guest-order-link]").get_attribute("href")
    assert re.search(r"/orders/guest/[A-Za-z0-9_-]{40,}$", link)
    shots(page, "guest-order")

    # later, in another browser (no cookies at all): the link opens the order
    other = browser.new_context()
    try:
        later = other.new_page()
        response = later.goto(link)
        assert response.status == 200 and response.headers["referrer-policy"] == "no-referrer"
        assert re.fullmatch(r"#\d+", later.locator("[data-testid=order-number]").inner_text())
        assert later.locator("[data-testid=order-status]").inner_text() == "pending"
        assert "5 Harbour Lane" in later.locator("address").inner_text()
        # a link with another token opens nothing
        assert later.goto(link[:-4] + "abcd").status == 404
    finally:
        other.close()


def test_guest_checkout_over_http_names_missing_fields_and_writes_nothing(live_server):
    shop = new_shop(live_server)
    caught_up(shop, add_product(shop, "Tin Cup", "tin-cup", [("Default", 600, 5)]))
    variant = shop.products["tin-cup"]["variants"][0]["id"]
    with httpx.Client(timeout=30, follow_redirects=False) as http:
        # no cart yet: checkout sends the visitor to the cart
        csrf = _csrf(http, shop.url("/products/tin-cup"))
        assert http.post(shop.url("/checkout"), data={"csrf": csrf}).headers["location"].endswith("/cart")
        added = http.post(shop.url("/cart/add"), data={"csrf": csrf, "variant_id": variant, "quantity": "2"})
        assert added.status_code == 303 and http.cookies.get("rustok_cart")
        refused = http.post(shop.url("/checkout"), data={"csrf": csrf, "email": "nope", "address1": "1 Road",
                                                         "country": "G1"})
        assert refused.status_code == 422
        errors = re.findall(r'id="(\w+)-error" data-testid="field-error">([^<]+)<', refused.text)
        assert {name for name, _ in errors} == {"email", "city", "country"}, errors
        assert 'aria-describedby="city-error"' in refused.text
        assert _orders(live_server, shop) == 0
        placed = http.post(shop.url("/checkout"), data={"csrf": csrf, "email": "tom@example.com", "address1": "1 Road",
                                                        "city": "Cork", "country": "ie"})
        assert placed.status_code == 303
        location = placed.headers["location"]
        assert re.search(r"/orders/guest/[A-Za-z0-9_-]{40,}\?placed=1&after=", location)
        assert 'rustok_cart=""' in placed.headers.get("set-cookie", "") or "Max-Age=0" in placed.headers.get("set-cookie", "")
        order = http.get(live_server.base_url + location)
        assert order.status_code == 200 and "tom@example.com" in order.text and "noindex" in order.text
        assert order.headers["cache-control"] == "private, no-store"
        assert _orders(live_server, shop) == 1
        # the guest link is not a way into "my orders", and the order by id needs an account
        assert http.get(shop.url("/account")).status_code == 200
        assert "tom@example.com" not in http.get(shop.url("/account")).text
    # a shop that turned guest checkout off says so and the sign-in link stays
    with psycopg.connect(live_server.db_url, autocommit=True) as conn:
        conn.execute("update core.tenants set settings = settings || '{\"guest_checkout\": false}' where slug = %s",
                     (shop.slug,))
    with httpx.Client(timeout=30) as http:
        csrf = _csrf(http, shop.url("/products/tin-cup"))
        http.post(shop.url("/cart/add"), data={"csrf": csrf, "variant_id": variant, "quantity": "1"})
        off = http.post(shop.url("/checkout"), data={"csrf": csrf, "email": "tom@example.com", "address1": "1 Road",
                                                     "city": "Cork", "country": "IE"})
        assert off.status_code == 422 and "account only" in off.text and 'data-testid="checkout-sign-in"' in off.text
    assert _orders(live_server, shop) == 1
