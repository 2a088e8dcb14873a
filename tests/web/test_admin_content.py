"""Admin journeys (issue 15): an editor writes a post in the Markdown editor, compares and restores a revision,
schedules it, and it appears on the blog when due (published by the worker's upkeep job, not by the test);
a moderator approves a comment and it appears on the post."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.outbox.helpers import wait_for
from tests.web.admin_helpers import graphql, login_token, make_shop, sign_in

BLOG = '{ contents(kind: post, first: 20) { nodes { slug title } } }'


def _blog_slugs(base, slug) -> list[str]:
    body = graphql(base, slug, BLOG)
    return [n["slug"] for n in body["data"]["contents"]["nodes"]]


def test_editor_schedules_a_post_and_it_appears_when_due(live_server, page, shots):
    base = live_server.base_url
    shop = make_shop(live_server.db_url)
    sign_in(page, base, shop, "editor")
    page.get_by_role("link", name="Content", exact=True).click()
    page.get_by_role("link", name="New post").click()
    page.fill('[data-field="title"]', "Autumn harvest notes")
    expect(page.locator('[data-field="slug"]')).to_have_value("autumn-harvest-notes")
    page.fill('[data-field="body"]', "# Harvest\n\nThe **apples** are in.\n\n- pears\n- plums")
    preview = page.get_by_role("region", name="Preview")
    expect(preview.locator("h1")).to_have_text("Harvest")
    expect(preview.locator("strong")).to_have_text("apples")
    expect(preview.locator("li")).to_have_count(2)
    page.get_by_role("button", name="Create").click()
    expect(page.get_by_role("heading", name="Autumn harvest notes")).to_be_visible()
    expect(page.locator("#sec-publish + p")).to_contain_text("draft")

    # a second version, then the diff against the first and a restore
    page.fill('[data-field="body"]', "# Harvest\n\nThe **apples** and quinces are in.\n\n- pears\n- plums")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_role("button", name="Compare with current")).to_have_count(1)
    page.get_by_role("button", name="Compare with current").click()
    diff = page.get_by_test_id("diff")
    expect(diff.locator("del")).to_contain_text("The **apples** are in.")
    expect(diff.locator("ins")).to_contain_text("The **apples** and quinces are in.")
    shots(page, "admin-post-revisions")

    # schedule a few seconds ahead (in the browser's local time, as an editor types it)
    due = page.evaluate("""() => { const d = new Date(Date.now() + 6000); const p = (n) => String(n).padStart(2, '0');
        return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`; }""")
    page.fill('[data-field="at"]', due)
    page.get_by_role("button", name="Schedule").click()
    expect(page.locator("#sec-publish + p")).to_contain_text("scheduled")
    shots(page, "admin-post-scheduled")
    assert "autumn-harvest-notes" not in _blog_slugs(base, shop["slug"])
    page.goto(f"{base}/t/{shop['slug']}/blog")
    expect(page.locator("[data-testid=post]").filter(has_text="Autumn harvest notes")).to_have_count(0)

    # the worker's upkeep job (ops.maintain every 30 s) publishes it once due; the blog then lists it
    wait_for(lambda: "autumn-harvest-notes" in _blog_slugs(base, shop["slug"]), timeout=100, interval=1,
             what="the scheduled post on the blog")
    response = page.goto(f"{base}/t/{shop['slug']}/blog")   # the server-rendered blog
    assert response is not None and response.status == 200
    expect(page.locator("[data-testid=post]").filter(has_text="Autumn harvest notes")).to_have_count(1)
    shots(page, "storefront-blog")


def test_moderator_approves_a_comment_and_it_appears_on_the_post(live_server, page, shots):
    base = live_server.base_url
    shop = make_shop(live_server.db_url)
    admin = login_token(base, shop, "admin")
    post = graphql(base, shop["slug"], 'mutation { createNode(input: {kind: post, title: "Open day", slug: "open-day", '
                                       'body: "Come by."}) { node { id } } }', token=admin)["data"]["createNode"]["node"]["id"]
    graphql(base, shop["slug"], "mutation($i: [ID!]!) { publishNodes(ids: $i) { ids } }", {"i": [post]}, token=admin)
    customer = login_token(base, shop, "customer")
    added = graphql(base, shop["slug"], 'mutation($p: ID!) { addComment(parentId: $p, body: "Will there be cake?") '
                                        '{ node { id status } } }', {"p": post}, token=customer)
    assert added["data"]["addComment"]["node"]["status"] == "pending"
    comments = '{ content(kind: post, slug: "open-day") { comments(first: 10) { nodes { bodyPreview } } } }'
    wait_for(lambda: graphql(base, shop["slug"], comments)["data"]["content"] is not None, timeout=15, what="post indexed")
    assert graphql(base, shop["slug"], comments)["data"]["content"]["comments"]["nodes"] == []

    sign_in(page, base, shop, "editor")
    page.get_by_role("link", name="Comments", exact=True).click()
    row = page.locator("tr", has_text="Will there be cake?")
    expect(row).to_be_visible()
    expect(row).to_contain_text("Open day")
    shots(page, "admin-moderation-queue")
    row.get_by_role("button", name="Approve").click()
    expect(page.get_by_text("Nothing to moderate.")).to_be_visible()
    shots(page, "admin-moderation-done")

    wait_for(lambda: [n["bodyPreview"] for n in graphql(base, shop["slug"], comments)["data"]["content"]["comments"]["nodes"]]
             == ["Will there be cake?"], timeout=15, what="the approved comment on the post")
    response = page.goto(f"{base}/t/{shop['slug']}/blog/open-day")
    assert response is not None and response.status == 200
    expect(page.locator("[data-testid=comment]").filter(has_text="Will there be cake?")).to_have_count(1)
    shots(page, "storefront-post-comments")
