"""Admin journey (issue 15): a staff member signs in, creates a product with two variants and a sale price,
publishes it, and the storefront shows it with the sale price."""

from __future__ import annotations

import re

import psycopg

from playwright.sync_api import expect

from tests.outbox.helpers import wait_for
from tests.web.admin_helpers import graphql, make_shop, sign_in


def test_staff_creates_a_product_with_two_variants_and_a_sale_price(live_server, page, shots):
    base = live_server.base_url
    shop = make_shop(live_server.db_url)
    sign_in(page, base, shop, "manager")
    page.get_by_role("link", name="Catalog", exact=True).click()
    expect(page.get_by_role("heading", name="Products")).to_be_visible()
    page.get_by_role("link", name="New product").click()

    page.fill('[data-field="title"]', "Linen Shirt")
    expect(page.locator('[data-field="handle"]')).to_have_value("linen-shirt")
    page.fill('[data-field="variants[0].title"]', "S")
    page.fill('[data-field="variants[0].sku"]', "LINEN-S")
    page.fill('[data-field="variants[0].prices[0].amount"]', "40.00")
    page.fill('[data-field="variants[0].stock"]', "5")
    page.get_by_role("button", name="Add variant").click()
    page.fill('[data-field="variants[1].title"]', "M")
    page.fill('[data-field="variants[1].sku"]', "LINEN-M")
    page.fill('[data-field="variants[1].prices[0].amount"]', "42.00")
    page.fill('[data-field="variants[1].stock"]', "3")
    page.get_by_role("button", name="Create product").click()

    expect(page.get_by_role("heading", name="Linen Shirt")).to_be_visible()
    expect(page.locator("[data-variant-id]")).to_have_count(2)

    sale = page.locator('form[aria-label="New sale price"]')
    sale.locator('[data-field="title"]').fill("Summer sale")
    sale.locator('[data-field="prices[0].amount"]').fill("30.00")
    sale.locator('[data-field="prices[1].amount"]').fill("32.00")
    sale.get_by_role("button", name="Create price list").click()
    expect(page.get_by_role("cell", name="Summer sale")).to_be_visible()
    # edit the list: a window that ends before it starts is refused at its field, then a new sale price for S
    page.get_by_text("Edit Summer sale").click()
    edit = page.locator('form[aria-label="Edit Summer sale"]')
    edit.locator('[data-field="startsAt"]').fill("2030-01-10T10:00")
    edit.locator('[data-field="endsAt"]').fill("2030-01-01T10:00")
    edit.get_by_role("button", name="Save Summer sale").click()
    expect(edit.locator('[data-error-for="endsAt"]')).not_to_have_text("")
    edit.locator('[data-field="startsAt"]').fill("")
    edit.locator('[data-field="endsAt"]').fill("")
    edit.locator('[data-field="prices[0].amount"]').fill("29.00")
    edit.get_by_role("button", name="Save Summer sale").click()
    expect(page.locator("#status")).to_contain_text("Summer sale saved")
    expect(page.locator("section[aria-labelledby=sec-prices] table")).to_contain_text("S: €29.00")

    page.get_by_role("button", name="Publish", exact=True).click()
    expect(page.get_by_role("button", name="Unpublish", exact=True)).to_be_visible()
    expect(page.locator("main p").first).to_contain_text("published")
    # stock changes with a reason
    small = page.locator("form[data-variant-id]").first
    small.locator('[data-field="delta"]').fill("-2")
    small.locator('[data-field="reason"]').fill("two damaged in transit")
    small.get_by_role("button", name="Adjust").click()
    expect(page.locator("#status")).to_contain_text("Stock adjusted")
    expect(page.locator("form[data-variant-id]").first.locator('[data-field^="stock."]')).to_have_value("3")
    shots(page, "admin-product-editor")

    # the product list shows it published, on sale
    page.get_by_role("link", name="← Products").click()
    row = page.locator('tr[data-product="linen-shirt"]')
    expect(row).to_contain_text("published")
    expect(row).to_contain_text("€29.00")
    shots(page, "admin-product-list")

    # the storefront, as an anonymous visitor: the API, then the server-rendered product page
    query = ('{ product(handle: "linen-shirt") { title status variants { sku } '
             'price(currency: "EUR") { calculated { amount } original { amount } onSale } } }')
    body = {}
    wait_for(lambda: (body.update(graphql(base, shop["slug"], query)) or True) and body["data"]["product"] is not None,
             timeout=15, what="the published product on the storefront API")
    product = body["data"]["product"]
    assert product["status"] == "published" and {v["sku"] for v in product["variants"]} == {"LINEN-S", "LINEN-M"}
    assert product["price"] == {"calculated": {"amount": 2900}, "original": {"amount": 4000}, "onSale": True}
    with psycopg.connect(live_server.db_url) as conn:
        assert conn.execute("select delta, reason from commerce.inventory_adjustments").fetchall() == [(-2, "two damaged in transit")]
    response = page.goto(f"{base}/t/{shop['slug']}/products/linen-shirt")
    assert response is not None and response.status == 200
    expect(page.locator("[data-testid=price]").first).to_contain_text(re.compile(r"29[.,]00"))
    expect(page.locator("[data-testid=compare-at-price]").first).to_contain_text(re.compile(r"40[.,]00"))
    shots(page, "storefront-product")


def test_product_list_search_filters_and_bulk_publish(live_server, page, shots):
    from tests.web.admin_helpers import login_token

    base = live_server.base_url
    shop = make_shop(live_server.db_url)
    admin = login_token(base, shop, "admin")
    for title, handle in (("Green tea", "green-tea"), ("Black tea", "black-tea"), ("Coffee beans", "coffee-beans")):
        made = graphql(base, shop["slug"], 'mutation($t: String!, $h: String!) { createProduct(input: {title: $t, handle: $h, '
                                           'variants: [{sku: $h, prices: [{amount: 800, currencyCode: "EUR"}], stock: 4}]}) '
                                           '{ position userErrors { message } } }', {"t": title, "h": handle}, token=admin)
        assert "errors" not in made and made["data"]["createProduct"]["userErrors"] == [], made
    sign_in(page, base, shop, "admin")
    expect(page.locator("tr[data-product]")).to_have_count(3)
    page.get_by_label("Search").fill("tea")
    page.get_by_role("button", name="Apply").click()
    expect(page.locator("tr[data-product]")).to_have_count(2)
    page.get_by_label("Select all on this page").check()
    page.get_by_role("button", name="Publish selected", exact=True).click()
    expect(page.locator('tr[data-product="green-tea"]')).to_contain_text("published")
    expect(page.locator('tr[data-product="black-tea"]')).to_contain_text("published")
    page.get_by_label("Status").select_option("draft")
    page.get_by_label("Search").fill("")
    page.get_by_role("button", name="Apply").click()
    expect(page.locator("tr[data-product]")).to_have_count(1)
    expect(page.locator('tr[data-product="coffee-beans"]')).to_be_visible()
    shots(page, "admin-product-list-filtered")
    body = graphql(base, shop["slug"], "{ products(first: 10) { nodes { handle } } }")  # the public sees the published two
    assert sorted(n["handle"] for n in body["data"]["products"]["nodes"]) == ["black-tea", "green-tea"]
