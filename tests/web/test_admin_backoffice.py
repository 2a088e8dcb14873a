"""Admin screens beyond the three journeys: orders (filters, detail, status change, cancellation with a reason),
people (invite, role change, module toggle) and operations (backlog, dead letters with retry, verify, reindex with
progress, ops.health()), each driven in the browser and checked through the API."""

from __future__ import annotations

import psycopg
from playwright.sync_api import expect

from tests.web.admin_helpers import graphql, login_token, make_shop, sign_in


def _order(base, shop, token, variant, email):
    out = graphql(base, shop["slug"], 'mutation($v: ID!, $e: String!) { placeOrder(input: {currencyCode: "EUR", email: $e, '
                                      'items: [{variantId: $v, quantity: 1}], shippingAddress: {firstName: "Ann", lastName: "Lee", '
                                      'address1: "1 Main St", city: "Porto", postalCode: "4000", countryCode: "PT"}}) '
                                      '{ order { id displayId } } }', {"v": variant, "e": email}, token=token)
    return out["data"]["placeOrder"]["order"]


def test_orders_filters_status_and_cancellation(live_server, page, shots):
    base = live_server.base_url
    shop = make_shop(live_server.db_url)
    admin = login_token(base, shop, "admin")
    product = graphql(base, shop["slug"], 'mutation { createProduct(input: {title: "Tea", handle: "tea", status: published, '
                                          'variants: [{sku: "TEA", prices: [{amount: 500, currencyCode: "EUR"}], stock: 50}]}) '
                                          '{ product { variants { id } } } }', token=admin)
    variant = product["data"]["createProduct"]["product"]["variants"][0]["id"]
    customer = login_token(base, shop, "customer")
    first = _order(base, shop, customer, variant, "ann@example.com")
    second = _order(base, shop, customer, variant, "bob@example.com")
    sign_in(page, base, shop, "manager")
    page.get_by_role("link", name="Orders", exact=True).click()
    expect(page.locator("tr[data-order]")).to_have_count(2)
    page.get_by_label("Customer email").fill("BOB@")
    page.get_by_role("button", name="Apply").click()
    expect(page.locator("tr[data-order]")).to_have_count(1)
    expect(page.locator(f'tr[data-order="{second["displayId"]}"]')).to_be_visible()
    page.get_by_label("Customer email").fill("")
    page.get_by_label("Order number").fill(str(first["displayId"]))
    page.get_by_role("button", name="Apply").click()
    expect(page.locator("tr[data-order]")).to_have_count(1)
    shots(page, "admin-orders")
    page.get_by_role("link", name=f"#{first['displayId']}").click()
    expect(page.get_by_role("heading", name=f"Order #{first['displayId']}")).to_be_visible()
    expect(page.get_by_text("1 Main St")).to_be_visible()
    page.get_by_role("button", name="Mark paid").click()
    expect(page.get_by_role("button", name="Mark fulfilled")).to_be_visible()
    # cancelling needs a reason: the field says so, and the order stays paid
    page.get_by_role("button", name="Cancel order").click()
    expect(page.locator('[data-error-for="reason"]')).not_to_have_text("")
    assert graphql(base, shop["slug"], 'query($i: ID!) { order(id: $i) { status } }', {"i": first["id"]},
                   token=admin)["data"]["order"]["status"] == "paid"
    page.get_by_label("Reason for the cancellation").fill("Customer asked by phone")
    page.get_by_role("button", name="Cancel order").click()
    expect(page.locator("main p").first).to_contain_text("cancelled")
    shots(page, "admin-order-detail")
    with psycopg.connect(live_server.db_url) as conn:
        reason = conn.execute("select metadata -> 'cancellation' ->> 'reason' from commerce.orders where id = %s",
                              (first["id"],)).fetchone()[0]
    assert reason == "Customer asked by phone"


def test_people_and_modules(live_server, page, shots):
    base = live_server.base_url
    shop = make_shop(live_server.db_url)
    sign_in(page, base, shop, "admin")
    page.get_by_role("link", name="People", exact=True).click()
    invite = page.locator('form[aria-label="Invite a person"]')
    invite.locator('[data-field="email"]').fill("new.writer@example.com")
    invite.locator('[data-field="displayName"]').fill("New Writer")
    invite.locator('[data-field="role"]').select_option("author")
    invite.locator('[data-field="password"]').fill("a long password")
    invite.get_by_role("button", name="Invite", exact=True).click()
    expect(page.locator("#status")).to_contain_text("can now sign in")  # shown once the list is re-read
    row = page.locator('tr[data-user="new.writer@example.com"]')
    expect(row).to_be_visible()
    row.get_by_label("Role of new.writer@example.com").select_option("editor")
    row.get_by_role("button", name="Change role").click()
    expect(page.locator("#status")).to_contain_text("is now editor")
    expect(page.locator('tr[data-user="new.writer@example.com"] select')).to_have_value("editor")
    row = page.locator('tr[data-user="new.writer@example.com"]')
    row.get_by_text("New password", exact=True).click()
    row.get_by_label("New password (at least 8 characters)").fill("short")
    row.get_by_role("button", name="Set password").click()
    expect(row.locator('[data-error-for="password"]')).to_contain_text("at least 8 characters")
    row.get_by_label("New password (at least 8 characters)").fill("a new long password")
    row.get_by_role("button", name="Set password").click()
    expect(page.locator("#status")).to_contain_text("has a new password")
    page.get_by_label("community").uncheck()
    page.get_by_role("button", name="Save modules").click()
    expect(page.locator("#status")).to_contain_text("Modules saved")
    expect(page.get_by_label("community")).not_to_be_checked()
    shots(page, "admin-people")
    admin = login_token(base, shop, "admin")
    mods = graphql(base, shop["slug"], "{ modules { module enabled } }", token=admin)["data"]["modules"]
    assert {"module": "community", "enabled": False} in mods
    users = graphql(base, shop["slug"], '{ users(search: "new.writer") { nodes { role } } }', token=admin)["data"]["users"]["nodes"]
    assert users == [{"role": "editor"}]
    assert graphql(base, shop["slug"], 'mutation { login(email: "new.writer@example.com", password: "a new long password") '
                                        '{ token } }')["data"]["login"]["token"]


def test_operations_screen(live_server, page, shots):
    base = live_server.base_url
    shop = make_shop(live_server.db_url)
    admin = login_token(base, shop, "admin")
    graphql(base, shop["slug"], 'mutation { createProduct(input: {title: "Jam", handle: "jam", status: published}) { position } }',
            token=admin)
    with psycopg.connect(live_server.db_url) as conn:
        # a dead letter of this shop, as a failing projector would leave it (made dead before the worker can see it)
        event_id = conn.execute("insert into outbox.events (tenant_id, event_type, aggregate_type, aggregate_id) "
                                "values (core.tenant_id_by_slug(%s), 'NodeUpdated', 'node', core.new_id()) returning id",
                                (shop["slug"],)).fetchone()[0]
        dead = conn.execute("update outbox.deliveries set state = 'dead', attempts = 5, last_error = 'projector failed: boom', "
                            "last_error_at = now() where event_id = %s and consumer = 'index'", (event_id,)).rowcount
        conn.commit()
    assert dead == 1
    sign_in(page, base, shop, "admin")
    page.get_by_role("link", name="Operations", exact=True).click()
    expect(page.get_by_test_id("backlog")).to_contain_text("index")
    expect(page.get_by_role("heading", name="Dead letters (1)")).to_be_visible()
    expect(page.get_by_role("cell", name="NodeUpdated")).to_be_visible()
    shots(page, "admin-operations-dead-letter")
    page.get_by_role("button", name="Retry all").click()
    expect(page.get_by_role("heading", name="Dead letters (0)")).to_be_visible()
    page.get_by_role("button", name="Verify the index").click()
    expect(page.get_by_test_id("verify-ok")).to_be_visible()
    page.get_by_role("button", name="Reindex this shop").click()
    expect(page.get_by_text("done: the read model is rebuilt")).to_be_visible(timeout=30_000)
    page.get_by_role("button", name="Run ops.health()").click()
    expect(page.get_by_test_id("health")).to_contain_text("outbox")
    shots(page, "admin-operations")


def test_people_and_dead_letters_page_through_long_lists(live_server, page, shots):
    """The users and dead letters screens read connections: 50 rows a page, Next and Previous page, each row on
    exactly one page, the total above the table."""
    base = live_server.base_url
    shop = make_shop(live_server.db_url)
    with psycopg.connect(live_server.db_url) as conn:
        conn.execute("insert into core.users (tenant_id, email, password_hash, role) select core.tenant_id_by_slug(%s), "
                     "'buyer' || lpad(i::text, 3, '0') || '@pages.example', '!', 'customer' from generate_series(1, 60) i",
                     (shop["slug"],))
        conn.execute("insert into outbox.events (tenant_id, event_type, aggregate_type, aggregate_id) "
                     "select core.tenant_id_by_slug(%s), 'NodeUpdated', 'node', core.new_id() from generate_series(1, 55)",
                     (shop["slug"],))
        conn.execute("update outbox.deliveries set state = 'dead', attempts = 5, last_error = 'boom', last_error_at = now() "
                     "where tenant_id = core.tenant_id_by_slug(%s) and consumer = 'index' and state = 'pending'",
                     (shop["slug"],))
        total = conn.execute("select count(*) from core.users where tenant_id = core.tenant_id_by_slug(%s)",
                             (shop["slug"],)).fetchone()[0]
        conn.commit()
    sign_in(page, base, shop, "admin")
    page.get_by_role("link", name="People", exact=True).click()
    expect(page.locator("[data-total]")).to_have_text(f"{total} account(s)")
    rows = page.locator("tr[data-user]")
    expect(rows).to_have_count(50)
    first = rows.evaluate_all("rs => rs.map(r => r.dataset.user)")
    page.get_by_role("button", name="Next page").click()
    expect(rows).to_have_count(total - 50)
    second = rows.evaluate_all("rs => rs.map(r => r.dataset.user)")
    assert len(set(first + second)) == total and not set(first) & set(second)
    expect(page.get_by_role("button", name="Next page")).to_be_disabled()
    page.get_by_role("button", name="Previous page").click()
    expect(rows).to_have_count(50)
    assert rows.evaluate_all("rs => rs.map(r => r.dataset.user)") == first
    shots(page, "admin-people-pages")

    page.get_by_role("link", name="Operations", exact=True).click()
    expect(page.get_by_role("heading", name="Dead letters (55)")).to_be_visible()
    retry = page.get_by_role("button", name="Retry", exact=True)
    expect(retry).to_have_count(50)
    page.get_by_role("button", name="Next page").click()
    expect(retry).to_have_count(5)
    page.get_by_role("button", name="Previous page").click()
    expect(retry).to_have_count(50)
