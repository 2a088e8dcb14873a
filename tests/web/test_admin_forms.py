"""Every admin form answers invalid input with the field's message from userErrors, next to the field, and saves
nothing; a role without a permission does not see the control, and the server refuses the mutation anyway."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.web.admin_helpers import graphql, login_token, make_shop, sign_in


def test_invalid_input_shows_the_field_message_and_saves_nothing(live_server, page, shots):
    base = live_server.base_url
    shop = make_shop(live_server.db_url)
    admin = login_token(base, shop, "admin")
    graphql(base, shop["slug"], 'mutation { createProduct(input: {title: "Mug", handle: "mug", variants: [{sku: "MUG-1"}]}) '
                                '{ product { id } } }', token=admin)
    sign_in(page, base, shop, "admin")
    page.goto(base + "/admin/#/products/new")
    page.fill('[data-field="title"]', "Another mug")
    page.fill('[data-field="handle"]', "mug")
    page.fill('[data-field="variants[0].sku"]', "MUG-2")
    page.fill('[data-field="variants[0].prices[0].amount"]', "12.5.0")
    page.get_by_role("button", name="Create product").click()
    # a price that is not a number is caught before anything is sent
    expect(page.locator('[data-error-for="variants[0].prices[0].amount"]')).to_have_text("enter an amount like 12.50")
    page.fill('[data-field="variants[0].prices[0].amount"]', "12.50")
    page.get_by_role("button", name="Create product").click()
    handle_error = page.locator('[data-error-for="handle"]')
    expect(handle_error).to_contain_text("already used")
    expect(page.locator('[data-field="handle"]')).to_have_attribute("aria-invalid", "true")
    expect(page.locator('[data-field="handle"]')).to_be_focused()
    shots(page, "admin-form-duplicate-handle")
    # a duplicate sku is named at its variant
    page.fill('[data-field="handle"]', "another-mug")
    page.fill('[data-field="variants[0].sku"]', "MUG-1")
    page.get_by_role("button", name="Create product").click()
    expect(page.locator('[data-error-for="variants[0].sku"]')).to_contain_text("already used")
    expect(handle_error).to_have_text("")
    body = graphql(base, shop["slug"], '{ products(first: 10) { totalCount nodes { handle } } }', token=admin)
    assert [n["handle"] for n in body["data"]["products"]["nodes"]] == ["mug"], "nothing of the refused product was saved"
    skus = graphql(base, shop["slug"], '{ product(handle: "mug") { variants { sku } } }', token=admin)
    assert [v["sku"] for v in skus["data"]["product"]["variants"]] == ["MUG-1"]

    # people: a short password, then a taken email
    page.goto(base + "/admin/#/people")
    invite = page.locator('form[aria-label="Invite a person"]')
    invite.locator('[data-field="email"]').fill(shop["emails"]["editor"].upper())
    invite.locator('[data-field="password"]').fill("short")
    invite.get_by_role("button", name="Invite", exact=True).click()
    expect(invite.locator('[data-error-for="password"]')).to_contain_text("at least 8 characters")
    invite.locator('[data-field="password"]').fill("long enough")
    invite.get_by_role("button", name="Invite", exact=True).click()
    expect(invite.locator('[data-error-for="email"]')).to_contain_text("already used")
    shots(page, "admin-form-duplicate-email")
    users = graphql(base, shop["slug"], "{ users { nodes { email } } }", token=admin)["data"]["users"]["nodes"]
    assert len(users) == len(shop["emails"])

    # content: a slug already taken by another post
    graphql(base, shop["slug"], 'mutation { createNode(input: {kind: post, title: "Hello", slug: "hello"}) { node { id } } }',
            token=admin)
    page.goto(base + "/admin/#/content/new/post")
    page.fill('[data-field="title"]', "Hello again")
    page.fill('[data-field="slug"]', "hello")
    page.get_by_role("button", name="Create").click()
    expect(page.locator('[data-error-for="slug"]')).to_contain_text("already used")
    posts = graphql(base, shop["slug"], "{ contents(kind: post, first: 10) { totalCount } }", token=admin)
    assert posts["data"]["contents"]["totalCount"] == 1


def test_a_role_without_a_permission_sees_no_control_and_the_server_refuses(live_server, page, shots):
    base = live_server.base_url
    shop = make_shop(live_server.db_url)
    author = login_token(base, shop, "author")
    post = graphql(base, shop["slug"], 'mutation { createNode(input: {kind: post, title: "My draft"}) { node { id } } }',
                   token=author)["data"]["createNode"]["node"]["id"]
    sign_in(page, base, shop, "author")
    nav = page.get_by_role("navigation", name="Sections")
    expect(nav.get_by_role("link")).to_have_text(["Content"])
    page.goto(f"{base}/admin/#/content/{post}")
    expect(page.get_by_role("heading", name="My draft")).to_be_visible()
    expect(page.get_by_role("button", name="Publish now")).to_have_count(0)
    expect(page.get_by_role("button", name="Schedule")).to_have_count(0)
    expect(page.get_by_text("An editor publishes this")).to_be_visible()
    shots(page, "admin-author-post")
    page.goto(f"{base}/admin/#/products")
    expect(page.get_by_role("heading", name="Products")).to_be_visible()
    expect(page.get_by_role("link", name="New product")).to_have_count(0)
    expect(page.get_by_role("button", name="Publish selected")).to_have_count(0)
    # the server refuses the same mutations with the author's own session (what a crafted request would send)
    answers = page.evaluate("""async ([post]) => {
        const s = JSON.parse(sessionStorage.getItem('rustok.admin.session'));
        const call = async (query, variables) => (await fetch('/graphql', {method: 'POST', headers: {
            'content-type': 'application/json', 'X-Tenant': s.tenant, Authorization: `Bearer ${s.token}`},
            body: JSON.stringify({query, variables})})).json();
        return [await call('mutation($i: [ID!]!) { publishNodes(ids: $i) { ids } }', {i: [post]}),
                await call('mutation { createProduct(input: {title: "X", handle: "x"}) { product { id } } }', {}),
                await call('{ opsStatus { consumer } }', {})];
    }""", [post])
    for answer in answers:
        assert answer["errors"][0]["extensions"]["code"] == "FORBIDDEN", answer
    status = graphql(base, shop["slug"], 'query($i: ID!) { content(id: $i) { status } }', {"i": post}, token=author)
    assert status["data"]["content"]["status"] == "draft"
