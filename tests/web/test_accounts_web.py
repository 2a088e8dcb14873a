"""Password reset and invitations in a real browser: "Forgot password?" on the storefront's sign-in page, the
mailed link (the live server's own worker writes it into the local mail directory, as in development), the reset
page; an admin invites a person by email from the People screen, the invitation link's page, and the new editor
signs in to the admin."""

from __future__ import annotations

import re
import uuid
from email import message_from_bytes
from email.policy import default as default_policy
from pathlib import Path

import psycopg
import pytest
from playwright.sync_api import expect

from rustok.app import create_app
from rustok.auth import hash_password
from rustok.config import Settings
from tests.outbox.helpers import wait_for
from tests.servers import UvicornServer
from tests.web.admin_helpers import PASSWORD, make_shop, sign_in


class MailingServer(UvicornServer):
    """The app with its worker, links pointing at itself, mail written to `mail_dir` (no SMTP server)."""

    def __init__(self, db_url: str, mail_dir: Path):
        self.db_url = db_url
        settings = Settings.from_env()
        settings.smtp_url, settings.mail_dir = None, mail_dir
        super().__init__(create_app(db_url, settings=settings, run_worker=True), start_timeout=60)
        settings.public_url = self.base_url


@pytest.fixture(scope="module")
def mail_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("mail")


@pytest.fixture(scope="module")
def server(web_db, mail_dir):
    with MailingServer(web_db, mail_dir) as s:
        yield s


def mailed_link(mail_dir: Path, address: str, kind: str) -> str:
    def find():
        for path in sorted(mail_dir.glob("*.eml")):
            message = message_from_bytes(path.read_bytes(), policy=default_policy)
            if address in message["To"]:
                found = re.search(rf"(http://\S+/account/{kind}\?token=\S+)", message.get_content())
                if found:
                    return found.group(1)
        return None

    return wait_for(find, timeout=20, what=f"the {kind} mail to {address}")


def test_forgot_password_from_the_sign_in_page(server, mail_dir, page, shots):
    slug = f"shop-{uuid.uuid4().hex[:6]}"
    with psycopg.connect(server.db_url, autocommit=True) as conn:
        conn.execute("insert into core.tenants (name, slug) values ('Mail Shop', %s)", (slug,))
        conn.execute("insert into core.users (tenant_id, email, password_hash, display_name, role) "
                     "values (core.tenant_id_by_slug(%s), 'forgetful@shop.example', %s, 'Forgetful', 'customer')",
                     (slug, hash_password("old password 1")))
    shop = f"{server.base_url}/t/{slug}"
    page.goto(shop + "/account")
    page.click("[data-testid=forgot-password]")
    page.wait_for_url(re.compile(r"/account/forgot-password$"))
    page.fill("#forgot-email", "forgetful@shop.example")
    shots(page, "forgot")
    page.click("[data-testid=send-reset]")
    assert "if an account with this email exists" in page.locator("[data-testid=reset-requested]").inner_text().lower()

    link = mailed_link(mail_dir, "forgetful@shop.example", "reset-password")
    assert link.startswith(shop + "/account/reset-password?token=")
    page.goto(link)
    page.fill("#new-password", "short")   # the browser's own check (minlength) would stop it: bypass it
    page.evaluate("document.querySelector('#new-password').removeAttribute('minlength')")
    page.click("[data-testid=set-password]")
    assert "at least 8 characters" in page.locator("[data-testid=password-error]").inner_text()
    page.fill("#new-password", "new password 2")
    shots(page, "reset")
    page.click("[data-testid=set-password]")
    assert "signed in as forgetful@shop.example" in page.locator("[data-testid=password-done]").inner_text()
    page.goto(shop + "/account")
    assert page.locator("[data-testid=signed-in-as]").inner_text() == "forgetful@shop.example"

    # the link works once
    page.goto(link)
    page.fill("#new-password", "third password 3")
    page.click("[data-testid=set-password]")
    assert "already used" in page.locator("[data-testid=password-error]").inner_text()

    # the new password signs in, the old one not
    page.goto(shop + "/account")
    page.click("[data-testid=sign-out]")
    page.goto(shop + "/account")
    page.fill("#login-email", "forgetful@shop.example")
    page.fill("#login-password", "old password 1")
    page.click("[data-testid=sign-in]")
    assert page.locator("[data-testid=account-error]").is_visible()
    page.fill("#login-email", "forgetful@shop.example")
    page.fill("#login-password", "new password 2")
    page.click("[data-testid=sign-in]")
    assert page.locator("[data-testid=signed-in-as]").inner_text() == "forgetful@shop.example"


def test_admin_invites_by_email_and_the_person_accepts(server, mail_dir, page, shots):
    shop = make_shop(server.db_url, roles=("admin",))
    sign_in(page, server.base_url, shop, "admin")
    page.goto(server.base_url + "/admin/#/people")
    invite = page.get_by_role("form", name="Invite a person")
    invite.get_by_label("Email").fill("newbie@shop.example")
    invite.get_by_label("Name").fill("Newbie")
    invite.get_by_label("Role").select_option("editor")
    invite.get_by_role("button", name="Invite", exact=True).click()
    try:
        page.get_by_text("Invitation mailed to newbie@shop.example").wait_for()
    except Exception as exc:   # say what the screen showed instead (a form error, an alert)
        raise AssertionError(f"no invitation notice; the status line: {page.locator('#status').inner_text()!r}; "
                             f"the screen: {page.locator('main').inner_text()[:2000]!r}") from exc
    row = page.locator("tr[data-user='newbie@shop.example']")
    assert "invited" in row.inner_text()
    shots(page, "invited")

    link = mailed_link(mail_dir, "newbie@shop.example", "invitation")
    assert f"/t/{shop['slug']}/account/invitation?token=" in link
    page.get_by_role("button", name="Sign out").click()
    page.goto(link)
    assert page.locator("#invite-name").count() == 1
    page.fill("#invite-name", "Newbie N.")
    page.fill("#new-password", "editor password 1")
    shots(page, "accept")
    page.click("[data-testid=set-password]")
    assert "your account is ready" in page.locator("[data-testid=password-done]").inner_text().lower()
    page.click("[data-testid=to-admin]")
    page.get_by_label("Shop (tenant slug)").fill(shop["slug"])
    page.get_by_label("Email").fill("newbie@shop.example")
    page.get_by_label("Password").fill("editor password 1")
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("button", name="Sign out").wait_for()
    expect(page.locator("#who")).to_contain_text("newbie@shop.example · editor")


def test_admin_sign_in_links_to_the_shops_forgot_password_page(server, page):
    shop = make_shop(server.db_url, roles=("admin",))
    page.goto(server.base_url + "/admin/")
    page.get_by_label("Shop (tenant slug)").fill(shop["slug"])
    page.get_by_role("link", name="Forgot password?").click()
    page.wait_for_url(re.compile(rf"/t/{shop['slug']}/account/forgot-password$"))
    assert page.locator("#forgot-email").count() == 1


def test_the_platform_operator_manages_tenants_in_the_admin(server, mail_dir, page, shots):
    shop = make_shop(server.db_url, roles=("admin",))
    with psycopg.connect(server.db_url, autocommit=True) as conn:
        conn.execute("select ops.grant_platform_admin(%s, %s)", (shop["slug"], shop["emails"]["admin"]))
    sign_in(page, server.base_url, shop, "admin")
    page.get_by_role("link", name="Platform").click()
    page.get_by_role("heading", name="Platform: tenants").wait_for()
    slug = f"web-{uuid.uuid4().hex[:6]}"
    create = page.get_by_role("form", name="New tenant")
    create.get_by_label("Name").fill("Web Corp")
    create.get_by_label("Slug").fill(slug)
    create.get_by_label("First admin's email (invited by mail)").fill(f"boss@{slug}.example")
    create.get_by_role("button", name="Create tenant").click()
    page.get_by_text(f"Tenant {slug} created").wait_for()
    row = page.locator(f"tr[data-tenant='{slug}']")
    expect(row).to_contain_text("active")
    # its first admin got an invitation
    assert f"/t/{slug}/account/invitation?token=" in mailed_link(mail_dir, f"boss@{slug}.example", "invitation")

    # a host name, then a taken one (refused next to the field)
    row.get_by_label(f"New host name for {slug}").fill(f"{slug}.example")
    row.get_by_role("button", name="Add host").click()
    page.get_by_text(f"{slug} also answers on {slug}.example").wait_for()
    row = page.locator(f"tr[data-tenant='{slug}']")
    expect(row).to_contain_text(f"{slug}.example")

    # suspend: the shop answers "Shop suspended"; reactivate: it serves again
    page.once("dialog", lambda dialog: dialog.accept())
    row.get_by_role("button", name="Suspend").click()
    page.get_by_text(f"{slug} suspended").wait_for()
    expect(page.locator(f"tr[data-tenant='{slug}']")).to_contain_text("suspended")
    shots(page, "platform")
    shopper = page.context.new_page()
    response = shopper.goto(f"{server.base_url}/t/{slug}/")
    assert response.status == 403 and "Shop suspended" in shopper.content()
    page.locator(f"tr[data-tenant='{slug}']").get_by_role("button", name="Reactivate").click()
    page.get_by_text(f"{slug} reactivated").wait_for()
    assert shopper.goto(f"{server.base_url}/t/{slug}/").status == 200
    # your own tenant cannot be suspended from here
    assert page.locator(f"tr[data-tenant='{shop['slug']}']").get_by_role("button", name="Suspend").count() == 0


def test_a_tenant_admin_sees_no_platform_section(server, page):
    shop = make_shop(server.db_url, roles=("admin",))
    sign_in(page, server.base_url, shop, "admin")
    expect(page.locator("#nav").get_by_role("link", name="People")).to_have_count(1)
    expect(page.locator("#nav").get_by_role("link", name="Platform")).to_have_count(0)
