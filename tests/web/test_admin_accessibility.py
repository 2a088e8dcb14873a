"""Every control of every admin screen has an accessible name (a <label for>, or aria-label), every image an alt
text, and the screens can be reached and used with the keyboard alone."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.web.admin_helpers import graphql, login_token, make_shop, sign_in

UNLABELLED = """() => [...document.querySelectorAll('main input, main select, main textarea, main button, main img')]
  .filter((el) => {
    if (el.tagName === 'IMG') return !el.getAttribute('alt');
    if (el.tagName === 'BUTTON') return !el.textContent.trim() && !el.getAttribute('aria-label');
    return !(el.labels && el.labels.length) && !el.getAttribute('aria-label') && !el.getAttribute('aria-labelledby');
  }).map((el) => el.outerHTML.slice(0, 120))"""


def test_every_control_is_labelled_and_the_keyboard_reaches_it(live_server, page):
    base = live_server.base_url
    shop = make_shop(live_server.db_url)
    admin = login_token(base, shop, "admin")
    product = graphql(base, shop["slug"], 'mutation { createProduct(input: {title: "Cup", handle: "cup", variants: '
                                          '[{sku: "CUP", prices: [{amount: 300, currencyCode: "EUR"}], stock: 2}]}) '
                                          '{ product { id } } }', token=admin)["data"]["createProduct"]["product"]["id"]
    post = graphql(base, shop["slug"], 'mutation { createNode(input: {kind: post, title: "Hi", body: "x"}) { node { id } } }',
                   token=admin)["data"]["createNode"]["node"]["id"]
    # the sign-in form, by keyboard only
    page.goto(base + "/admin/")
    assert page.evaluate(UNLABELLED) == []
    page.keyboard.type(shop["slug"])          # the first field has the focus
    page.keyboard.press("Tab")
    page.keyboard.type(shop["emails"]["admin"])
    page.keyboard.press("Tab")
    page.keyboard.type("password123")
    page.keyboard.press("Enter")
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    for screen in ("#/products", f"#/products/{product}", "#/products/new", "#/categories", "#/orders", "#/content",
                   f"#/content/{post}", "#/content/new/post", "#/content-categories", "#/comments", "#/tags", "#/people", "#/operations"):
        page.goto(base + "/admin/" + screen)
        page.locator("main h1").wait_for()
        page.wait_for_load_state("networkidle")
        assert page.evaluate(UNLABELLED) == [], screen
    # the skip link leads to the main region without leaving the screen
    page.goto(base + "/admin/#/products")
    page.reload()
    page.locator("main h1").wait_for()
    page.get_by_role("link", name="Skip to content").focus()  # the first stop of the tab order on a fresh page
    page.keyboard.press("Enter")
    expect(page.locator("main")).to_be_focused()
    expect(page.get_by_role("heading", name="Products")).to_be_visible()  # still the same screen
    # and the navigation is reachable by Tab and opens a screen with Enter
    page.get_by_role("link", name="Orders", exact=True).focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Orders")).to_be_visible()
    assert sign_in  # (the other journeys sign in with the mouse)
