"""Password reset and invitations by mailed links, end to end over HTTP: the API records the request, the worker's
mail consumer (rustok.mail, outbox consumer `mail`) sends the mail to a real SMTP server (aiosmtpd) and the link's
token works once, before it expires. Also: the local mail directory when no SMTP server is set, and a failing
SMTP server recorded on the outbox delivery."""

from __future__ import annotations

import asyncio
import logging
import re
import socket
import uuid
from email import message_from_bytes
from email.policy import default as default_policy
from urllib.parse import unquote

import psycopg
import pytest
from aiosmtpd.controller import Controller

from rustok.mail import Mailer, MailSettings, SmtpServer
from rustok.outbox.worker import OutboxWorker, WorkerConfig
from tests.graphql.conftest import login, new_tenant, new_user

LINK = re.compile(r"(http://shop\.test/t/[a-z0-9-]+/account/(reset-password|invitation)\?token=(\S+))")


class Inbox:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
        self.messages.append((envelope.rcpt_tos, message_from_bytes(envelope.content, policy=default_policy)))
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def smtp():
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=_free_port())
    controller.start()
    try:
        yield controller, inbox
    finally:
        controller.stop()


def deliver(api_db, settings: MailSettings) -> Mailer:
    """What the worker does for the `mail` consumer, once over what is queued."""
    mailer = Mailer(settings)
    cfg = WorkerConfig(workers=1, once=True, listen=False, periodic=False, consumers=("mail",))
    asyncio.run(OutboxWorker(api_db, cfg, mailer=mailer).run())
    return mailer


def smtp_settings(controller, tmp_path) -> MailSettings:
    return MailSettings(public_url="http://shop.test", sender="Shop <shop@shop.test>",
                        smtp=SmtpServer(controller.hostname, controller.port, "plain"), directory=tmp_path / "unused")


def _mails_to(inbox, address):
    return [m for rcpt, m in inbox.messages if address in rcpt]


def _link(message) -> tuple[str, str, str]:
    found = LINK.search(message.get_content())
    assert found, message.get_content()
    return found.group(1), found.group(2), unquote(found.group(3))


RESET = """mutation($e: String!) { requestPasswordReset(email: $e) { message userErrors { field code message } } }"""
REDEEM = """mutation($t: String!, $p: String!) { resetPassword(token: $t, password: $p) {
  user { email status } session { token } userErrors { field code message } position } }"""
ACCEPT = """mutation($t: String!, $p: String!, $n: String) { acceptInvitation(token: $t, password: $p, name: $n) {
  user { email status role displayName } session { token user { email } } userErrors { field code message } } }"""
ME = "{ me { email } }"


def test_password_reset_by_mail(gql, owner, api_db, smtp, tmp_path):
    controller, inbox = smtp
    slug = new_tenant(owner)
    new_user(owner, slug, "ann@shop.example", "customer", password="old password")
    old_session = login(gql, slug, "ann@shop.example", "old password")

    known = gql(RESET, {"e": "Ann@Shop.example "}, tenant=slug)["data"]["requestPasswordReset"]
    unknown = gql(RESET, {"e": "nobody@shop.example"}, tenant=slug)["data"]["requestPasswordReset"]
    assert known == unknown and known["userErrors"] == [] and "if an account with this email exists" in known["message"]
    bad = gql(RESET, {"e": "not-an-email"}, tenant=slug)["data"]["requestPasswordReset"]
    assert bad["userErrors"][0]["field"] == "email"
    # nothing of the token is stored before the mail is made
    assert owner.execute("select count(*), count(token_hash) from core.account_tokens t join core.tenants n "
                         "on n.id = t.tenant_id where n.slug = %s", (slug,)).fetchone() == (1, 0)

    assert deliver(api_db, smtp_settings(controller, tmp_path)).sent == 1
    mails = _mails_to(inbox, "ann@shop.example")
    assert len(mails) == 1 and not _mails_to(inbox, "nobody@shop.example")
    assert mails[0]["Subject"].startswith("Reset your password") and mails[0]["From"] == "Shop <shop@shop.test>"
    url, kind, token = _link(mails[0])
    assert kind == "reset-password" and f"/t/{slug}/" in url
    # only the hash is stored; the delivery was acknowledged
    stored = owner.execute("select token_hash, mailed_at is not null from core.account_tokens t join core.tenants n "
                           "on n.id = t.tenant_id where n.slug = %s", (slug,)).fetchone()
    assert stored[1] and stored[0] != token and len(stored[0]) == 64
    assert owner.execute("select count(*) from outbox.deliveries where consumer = 'mail'").fetchone()[0] == 0
    assert deliver(api_db, smtp_settings(controller, tmp_path)).sent == 0   # no second mail for the same request

    weak = gql(REDEEM, {"t": token, "p": "short"}, tenant=slug)["data"]["resetPassword"]
    assert weak["userErrors"] == [{"field": "password", "code": "INVALID",
                                   "message": "password: use at least 8 characters"}] and weak["session"] is None
    wrong = gql(REDEEM, {"t": token + "x", "p": "new password"}, tenant=slug)["data"]["resetPassword"]
    assert wrong["userErrors"][0]["field"] == "token" and wrong["userErrors"][0]["code"] == "NOT_FOUND"
    other = new_tenant(owner)   # a link works only in its own shop
    assert gql(REDEEM, {"t": token, "p": "new password"}, tenant=other)["data"]["resetPassword"]["userErrors"][0]["code"] \
        == "NOT_FOUND"

    done = gql(REDEEM, {"t": token, "p": "new password"}, tenant=slug)["data"]["resetPassword"]
    assert done["userErrors"] == [] and done["user"] == {"email": "ann@shop.example", "status": "active"}
    assert done["session"]["token"] and done["position"]
    assert gql(ME, tenant=slug, token=done["session"]["token"])["data"]["me"] == {"email": "ann@shop.example"}
    assert gql(ME, tenant=slug, token=old_session)["data"]["me"] is None   # the old sessions ended
    again = gql(REDEEM, {"t": token, "p": "third password"}, tenant=slug)["data"]["resetPassword"]
    assert again["userErrors"][0]["code"] == "INVALID_STATE" and "already used" in again["userErrors"][0]["message"]
    login(gql, slug, "ann@shop.example", "new password")
    body = gql("mutation { login(email: \"ann@shop.example\", password: \"old password\") { token } }", tenant=slug,
               expect_errors=True)
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"

    # an expired link
    gql(RESET, {"e": "ann@shop.example"}, tenant=slug)
    deliver(api_db, smtp_settings(controller, tmp_path))
    _, _, late = _link(_mails_to(inbox, "ann@shop.example")[-1])
    owner.execute("update core.account_tokens set expires_at = now() - interval '1 second', "
                  "created_at = now() - interval '2 hours' where token_hash = encode(sha256(%s::bytea), 'hex')",
                  (late.encode(),))
    expired = gql(REDEEM, {"t": late, "p": "fourth password"}, tenant=slug)["data"]["resetPassword"]
    assert expired["userErrors"][0]["code"] == "EXPIRED" and "expired" in expired["userErrors"][0]["message"]


def test_reset_requests_are_limited_per_account(gql, owner, api_db, smtp, tmp_path):
    controller, inbox = smtp
    slug = new_tenant(owner)
    new_user(owner, slug, "flood@shop.example", "customer")
    answers = {gql(RESET, {"e": "flood@shop.example"}, tenant=slug)["data"]["requestPasswordReset"]["message"]
               for _ in range(6)}
    assert len(answers) == 1   # the same answer every time
    deliver(api_db, smtp_settings(controller, tmp_path))
    assert len(_mails_to(inbox, "flood@shop.example")) == 3   # RUSTOK_PASSWORD_RESET_LIMIT per hour


def test_links_go_to_the_tenants_own_domain(gql, owner, api_db, client, smtp, tmp_path):
    """A tenant with host names gets links on the first one it added (scheme and port of RUSTOK_PUBLIC_URL; the
    storefront finds the tenant by the Host header), and the link's token works there; a tenant without any gets
    RUSTOK_PUBLIC_URL/t/<slug>/ (test_password_reset_by_mail)."""
    controller, inbox = smtp
    slug = new_tenant(owner)
    host = f"{slug}.shop.example"
    owner.execute("insert into core.tenant_domains (tenant_id, host, created_at) "
                  "values (core.tenant_id_by_slug(%s), %s, now() - interval '1 day'), "
                  "(core.tenant_id_by_slug(%s), %s, now())", (slug, host, slug, f"a-later-{slug}.example"))
    new_user(owner, slug, "dom@shop.example", "customer")
    new_user(owner, slug, "boss@dom.example", "admin")
    boss = login(gql, slug, "boss@dom.example")
    gql(RESET, {"e": "dom@shop.example"}, tenant=slug)
    made = gql('mutation { inviteUser(input: {email: "new@dom.example", role: author}) { userErrors { code } } }',
               tenant=slug, token=boss)["data"]["inviteUser"]
    assert made["userErrors"] == []
    with_port = MailSettings(public_url="https://rustok.example:8443", sender="Shop <shop@shop.test>",
                             smtp=SmtpServer(controller.hostname, controller.port, "plain"), directory=tmp_path / "x")
    assert deliver(api_db, with_port).sent == 2
    links = {}
    for address, kind in (("dom@shop.example", "reset-password"), ("new@dom.example", "invitation")):
        [mail] = _mails_to(inbox, address)
        found = re.search(r"(https://[^/\s]+)/account/" + kind + r"\?token=(\S+)", mail.get_content())
        assert found, mail.get_content()
        assert found.group(1) == f"https://{host}:8443"   # the first host it added, not /t/<slug>
        assert "/t/" not in found.group(0)
        links[kind] = unquote(found.group(2))
    # the storefront answers that host as the tenant's shop, and the token works in that tenant
    page = client.get("/account/reset-password", params={"token": links["reset-password"]}, headers={"host": host})
    assert page.status_code == 200 and slug.title() in page.text
    assert client.get("/account/reset-password", headers={"host": "unknown.example"}).status_code == 404
    done = gql(REDEEM, {"t": links["reset-password"], "p": "new password"}, tenant=slug)["data"]["resetPassword"]
    assert done["userErrors"] == [] and done["user"]["email"] == "dom@shop.example"
    accepted = gql(ACCEPT, {"t": links["invitation"], "p": "author password"}, tenant=slug)["data"]["acceptInvitation"]
    assert accepted["userErrors"] == [] and accepted["user"]["status"] == "active"
    # without host names again: back to RUSTOK_PUBLIC_URL/t/<slug>/
    owner.execute("delete from core.tenant_domains where tenant_id = core.tenant_id_by_slug(%s)", (slug,))
    gql(RESET, {"e": "dom@shop.example"}, tenant=slug)
    assert deliver(api_db, with_port).sent == 1
    assert f"https://rustok.example:8443/t/{slug}/account/reset-password?token=" in \
        _mails_to(inbox, "dom@shop.example")[-1].get_content()


def test_invitation_by_mail(gql, owner, api_db, smtp, tmp_path):
    controller, inbox = smtp
    slug = new_tenant(owner)
    new_user(owner, slug, "boss@shop.example", "admin")
    boss = login(gql, slug, "boss@shop.example")
    invite = """mutation($e: String!) { inviteUser(input: {email: $e, role: editor, displayName: "Eddie"}) {
                  user { id email status role } userErrors { field code message } } }"""
    made = gql(invite, {"e": "eddie@shop.example"}, tenant=slug, token=boss)["data"]["inviteUser"]
    assert made["userErrors"] == [] and made["user"]["status"] == "invited" and made["user"]["role"] == "editor"
    dup = gql(invite, {"e": "EDDIE@shop.example"}, tenant=slug, token=boss)["data"]["inviteUser"]
    assert dup["userErrors"][0]["field"] == "email" and dup["userErrors"][0]["code"] == "DUPLICATE"
    # an invited account cannot sign in yet
    body = gql('mutation { login(email: "eddie@shop.example", password: "!") { token } }', tenant=slug,
               expect_errors=True)
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    # a customer may not invite
    new_user(owner, slug, "cust@shop.example", "customer")
    refused = gql(invite, {"e": "x@shop.example"}, tenant=slug, token=login(gql, slug, "cust@shop.example"),
                  expect_errors=True)
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"

    deliver(api_db, smtp_settings(controller, tmp_path))
    mails = _mails_to(inbox, "eddie@shop.example")
    assert len(mails) == 1 and "invited" in mails[0]["Subject"] and "as editor" in mails[0].get_content()
    first_url, kind, first = _link(mails[0])
    assert kind == "invitation"
    # resending replaces the link
    resent = gql('mutation($u: ID!) { resendInvitation(userId: $u) { user { status } userErrors { code } } }',
                 {"u": made["user"]["id"]}, tenant=slug, token=boss)["data"]["resendInvitation"]
    assert resent == {"user": {"status": "invited"}, "userErrors": []}
    deliver(api_db, smtp_settings(controller, tmp_path))
    _, _, token = _link(_mails_to(inbox, "eddie@shop.example")[-1])
    stale = gql(ACCEPT, {"t": first, "p": "editor password"}, tenant=slug)["data"]["acceptInvitation"]
    assert stale["userErrors"][0]["code"] == "INVALID_STATE"
    # a reset token does not accept an invitation
    accepted = gql(ACCEPT, {"t": token, "p": "editor password", "n": "Eddie E."}, tenant=slug)["data"]["acceptInvitation"]
    assert accepted["userErrors"] == [] and accepted["user"] == {
        "email": "eddie@shop.example", "status": "active", "role": "editor", "displayName": "Eddie E."}
    assert accepted["session"]["user"] == {"email": "eddie@shop.example"}
    login(gql, slug, "eddie@shop.example", "editor password")
    assert gql(ACCEPT, {"t": token, "p": "again password"}, tenant=slug)["data"]["acceptInvitation"]["userErrors"][0][
        "code"] == "INVALID_STATE"
    assert gql('mutation($u: ID!) { resendInvitation(userId: $u) { userErrors { field code } } }',
               {"u": made["user"]["id"]}, tenant=slug, token=boss)["data"]["resendInvitation"]["userErrors"] == [
        {"field": "status", "code": "INVALID_STATE"}]


def test_without_smtp_mails_go_to_the_mail_directory(gql, owner, api_db, tmp_path, caplog):
    slug = new_tenant(owner)
    new_user(owner, slug, "dev@shop.example", "customer")
    gql(RESET, {"e": "dev@shop.example"}, tenant=slug)
    settings = MailSettings(public_url="http://shop.test", sender="dev@localhost", smtp=None, directory=tmp_path / "mail")
    with caplog.at_level(logging.DEBUG):
        assert deliver(api_db, settings).sent == 1
    files = list((tmp_path / "mail").glob("*.eml"))
    assert len(files) == 1
    message = message_from_bytes(files[0].read_bytes(), policy=default_policy)
    _, _, token = _link(message)
    assert "dev@shop.example" in message["To"]
    assert token not in caplog.text and "d***@shop.example" in caplog.text   # the log names the file, not the link
    assert gql(REDEEM, {"t": token, "p": "from the file"}, tenant=slug)["data"]["resetPassword"]["userErrors"] == []


def test_a_failing_smtp_server_is_retried_not_lost(gql, owner, api_db, tmp_path):
    slug = new_tenant(owner)
    new_user(owner, slug, "retry@shop.example", "customer")
    gql(RESET, {"e": "retry@shop.example"}, tenant=slug)
    nowhere = MailSettings(public_url="http://shop.test", sender="x@localhost",
                           smtp=SmtpServer("127.0.0.1", _free_port(), "plain"), directory=tmp_path, timeout=2)
    assert deliver(api_db, nowhere).sent == 0
    row = owner.execute("select d.state, d.attempts, d.last_error from outbox.deliveries d "
                        "join outbox.events e on e.id = d.event_id "
                        "where d.consumer = 'mail' and e.tenant_id = core.tenant_id_by_slug(%s)", (slug,)).fetchone()
    assert row[0] == "pending" and row[1] == 1 and "not sent yet" in row[2] and "ConnectionRefusedError" in row[2]
    token_row = owner.execute("select token_hash, mailed_at, mail_error from core.account_tokens "
                              "where tenant_id = core.tenant_id_by_slug(%s)", (slug,)).fetchone()
    assert token_row[0] is None and token_row[1] is None and "ConnectionRefusedError" in token_row[2]
    # clean up the queue for the other tests of this module
    owner.execute("delete from outbox.deliveries d using outbox.events e where d.consumer = 'mail' "
                  "and e.id = d.event_id and e.tenant_id = core.tenant_id_by_slug(%s)", (slug,))


def test_an_administrator_mails_a_reset_link(gql, owner, api_db, smtp, tmp_path):
    """sendPasswordReset (users:manage): the account gets the same single-use link as requestPasswordReset's, and
    keeps its password until the link is used; an invited account is refused, and so is a role without users:manage."""
    controller, inbox = smtp
    slug = new_tenant(owner)
    new_user(owner, slug, "boss@send.example", "admin")
    new_user(owner, slug, "sam@send.example", "customer")
    new_user(owner, slug, "mia@send.example", "manager")
    boss = login(gql, slug, "boss@send.example")
    sam = owner.execute("select id::text from core.users where email = 'sam@send.example'").fetchone()[0]
    send = "mutation($u: ID!) { sendPasswordReset(userId: $u) { user { email } userErrors { field code message } position } }"
    out = gql(send, {"u": sam}, tenant=slug, token=boss)["data"]["sendPasswordReset"]
    assert out["user"] == {"email": "sam@send.example"} and out["userErrors"] == [] and out["position"]
    assert login(gql, slug, "sam@send.example")   # the old password still works
    deliver(api_db, smtp_settings(controller, tmp_path))
    [mail] = _mails_to(inbox, "sam@send.example")
    _, kind, token = _link(mail)
    assert kind == "reset-password"
    done = gql(REDEEM, {"t": token, "p": "a brand new one"}, tenant=slug)["data"]["resetPassword"]
    assert done["userErrors"] == [] and done["user"]["email"] == "sam@send.example"
    assert login(gql, slug, "sam@send.example", "a brand new one")
    owner.execute("update core.users set status = 'invited' where email = 'sam@send.example'")
    invited = gql(send, {"u": sam}, tenant=slug, token=boss)["data"]["sendPasswordReset"]
    assert [(e["field"], e["code"]) for e in invited["userErrors"]] == [("userId", "INVALID_STATE")]
    mia = login(gql, slug, "mia@send.example")
    assert gql(send, {"u": sam}, tenant=slug, token=mia, expect_errors=True)["errors"][0]["extensions"]["code"] == "FORBIDDEN"
