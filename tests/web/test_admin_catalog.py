"""Admin journey (issue 15): a staff member signs in, creates a product with two variants and a sale price,
publishes it, and the storefront shows it with the sale price."""

from __future__ import annotations

import re

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

    page.get_by_role("button", name="Publish", exact=True).click()
    expect(page.get_by_role("button", name="Unpublish", exact=True)).to_be_visible()
    expect(page.locator("main p").first).to_contain_text("published")
    shots(page, "admin-product-editor")

    # the product list shows it published, on sale
    page.get_by_role("link", name="← Products").click()
    row = page.locator('tr[data-product="linen-shirt"]')
    expect(row).to_contain_text("published")
    expect(row).to_contain_text("€30.00")
    shots(page, "admin-product-list")

    # the storefront, as an anonymous visitor
    query = ('{ product(handle: "linen-shirt") { title status variants { sku } '
             'price(currency: "EUR") { calculated { amount } original { amount } onSale } } }')
    body = {}
    wait_for(lambda: (body.update(graphql(base, shop["slug"], query)) or True) and body["data"]["product"] is not None,
             timeout=15, what="the published product on the storefront API")
    product = body["data"]["product"]
    assert product["status"] == "published" and {v["sku"] for v in product["variants"]} == {"LINEN-S", "LINEN-M"}
    assert product["price"] == {"calculated": {"amount": 3000}, "original": {"amount": 4000}, "onSale": True}
    response = page.goto(f"{base}/t/{shop['slug']}/products/linen-shirt")
    if response is not None and response.status == 200:
        expect(page.locator("[data-testid=price]").first).to_contain_text(re.compile(r"30[.,]00"))
        expect(page.locator("[data-testid=compare-at-price]").first).to_contain_text(re.compile(r"40[.,]00"))
        shots(page, "storefront-product")
