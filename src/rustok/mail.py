"""Account mails (password reset links, invitations): the worker's side of the outbox consumer `mail`.

The API records a request (a row in core.account_tokens, no token yet) and its trigger emits
PasswordResetRequested or UserInvited. The worker leases the consumer's deliveries (outbox.claim) and, for each,
in one transaction: makes a random token, stores only its sha256 (core.prepare_account_mail), sends the mail with
the link, marks it sent (core.account_mail_sent). Then outbox.process_batch('mail') acknowledges the sent events
(handler outbox.mail_sent, sql/code/outbox/mail.sql); one whose mail failed keeps the server's answer
(core.account_mail_failed) and is retried with the consumer's backoff. The token exists only in the mail.

Where mail goes (Settings, docs/operators.md "Mail"):
- RUSTOK_SMTP_URL set: that server. smtp://[user:password@]host[:port] (plain, port 25),
  smtp+starttls://... (STARTTLS, port 587), smtps://... (TLS, port 465).
- otherwise the local mail directory (RUSTOK_MAIL_DIR, default <data dir>/mail): one .eml file per mail, for
  development. The log names the file, never the link.
"""

from __future__ import annotations

import asyncio
import logging
import smtplib
import ssl
import time
import uuid
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formataddr, formatdate, make_msgid
from pathlib import Path
from urllib.parse import quote, unquote, urlsplit

import psycopg

from rustok.auth import new_token, token_hash
from rustok.errors import ConfigError

log = logging.getLogger("rustok.mail")

CONSUMER = "mail"

SQL_LEASED = """
    select e.id, e.tenant_id, e.event_type, e.payload ->> 'token_id' as token_id
    from outbox.deliveries d
    join outbox.events e on e.tenant_id = d.tenant_id and e.occurred_at = d.occurred_at and e.id = d.event_id
    where d.consumer = %s and d.locked_by = %s and d.state = 'pending' and d.locked_until >= now()
    order by d.available_at, d.event_id"""
SQL_PREPARE = ("select purpose, email, display_name, role, tenant_slug, tenant_name, expires_at, tenant_host "
               "from core.prepare_account_mail(%s, %s, %s)")
SQL_SENT = "select core.account_mail_sent(%s, %s)"
SQL_FAILED = "select core.account_mail_failed(%s, %s, %s)"


@dataclass(frozen=True)
class SmtpServer:
    host: str
    port: int
    security: str            # plain | starttls | tls
    username: str | None = None
    password: str | None = None

    @classmethod
    def parse(cls, url: str) -> "SmtpServer":
        parts = urlsplit(url.strip())
        security = {"smtp": "plain", "smtp+starttls": "starttls", "smtps": "tls"}.get(parts.scheme)
        if security is None or not parts.hostname:
            raise ConfigError("RUSTOK_SMTP_URL must look like smtp://host:25, smtp+starttls://user:password@host:587 "
                              f"or smtps://user:password@host:465 (got scheme {parts.scheme or 'none'!r})")
        try:
            port = parts.port or {"plain": 25, "starttls": 587, "tls": 465}[security]
        except ValueError:
            raise ConfigError("RUSTOK_SMTP_URL: the port must be a number") from None
        return cls(parts.hostname, port, security, unquote(parts.username) if parts.username else None,
                   unquote(parts.password) if parts.password else None)


@dataclass(frozen=True)
class MailSettings:
    public_url: str                  # where links point: scheme://host[:port] of the storefront
    sender: str                      # From:
    smtp: SmtpServer | None          # None: write to `directory`
    directory: Path
    timeout: float = 20.0

    @classmethod
    def from_settings(cls, settings) -> "MailSettings":
        public = (settings.public_url or f"http://{settings.http_host}:{settings.http_port}").rstrip("/")
        return cls(public_url=public, sender=settings.mail_from,
                   smtp=SmtpServer.parse(settings.smtp_url) if settings.smtp_url else None,
                   directory=Path(settings.mail_dir) if settings.mail_dir else Path(settings.data_dir) / "mail")


def _mask(address: str) -> str:
    name, _, domain = address.partition("@")
    return f"{name[:1]}***@{domain}"


def shop_url(settings: MailSettings, row: dict) -> str:
    """Where the tenant's storefront is, for links: its own host name when it has one (core.tenant_domains, the first
    it added; the storefront resolves the tenant from the Host header), with the scheme and port of
    RUSTOK_PUBLIC_URL; else RUSTOK_PUBLIC_URL/t/<slug>."""
    host = row.get("tenant_host")
    if host:
        public = urlsplit(settings.public_url)
        port = f":{public.port}" if public.port else ""
        return f"{public.scheme or 'https'}://{host}{port}"
    return f"{settings.public_url}/t/{quote(row['tenant_slug'])}"


def compose(settings: MailSettings, row: dict, token: str) -> EmailMessage:
    """The mail for one token row (core.prepare_account_mail) with the link carrying `token`."""
    shop = row["tenant_name"] or row["tenant_slug"]
    base = shop_url(settings, row)
    expires = row["expires_at"].strftime("%Y-%m-%d %H:%M UTC")
    greeting = f"Hello {row['display_name']}," if row["display_name"] else "Hello,"
    msg = EmailMessage()
    if row["purpose"] == "invitation":
        link = f"{base}/account/invitation?token={quote(token)}"
        msg["Subject"] = f"You are invited to {shop}"
        text = (f"{greeting}\n\nyou are invited to {shop} as {row['role']}. Choose your password here:\n\n{link}\n\n"
                f"The link works once, until {expires}. If you did not expect this mail, ignore it.\n")
    else:
        link = f"{base}/account/reset-password?token={quote(token)}"
        msg["Subject"] = f"Reset your password at {shop}"
        text = (f"{greeting}\n\nsomeone (hopefully you) asked to reset the password of your account at {shop}. "
                f"Choose a new one here:\n\n{link}\n\nThe link works once, until {expires}. If you did not ask "
                "for it, ignore this mail: your password stays as it is.\n")
    msg["From"] = settings.sender
    msg["To"] = formataddr((row["display_name"] or "", row["email"]))
    msg["Date"] = formatdate(localtime=False)
    msg["Message-ID"] = make_msgid(domain="rustok")
    msg.set_content(text)
    return msg


def _send_smtp(server: SmtpServer, msg: EmailMessage, timeout: float) -> None:
    context = ssl.create_default_context()
    if server.security == "tls":
        client = smtplib.SMTP_SSL(server.host, server.port, timeout=timeout, context=context)
    else:
        client = smtplib.SMTP(server.host, server.port, timeout=timeout)
    with client:
        if server.security == "starttls":
            client.starttls(context=context)
        if server.username:
            client.login(server.username, server.password or "")
        client.send_message(msg)


def _write_file(directory: Path, msg: EmailMessage) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{time.strftime('%Y%m%dT%H%M%S')}-{uuid.uuid4().hex[:8]}.eml"
    tmp = path.with_suffix(".tmp")
    tmp.write_bytes(bytes(msg))
    tmp.replace(path)   # a reader never sees half a mail
    return path


class Mailer:
    """Sends the account mails of the deliveries a worker leased (see the module's docstring)."""

    def __init__(self, settings: MailSettings) -> None:
        self.settings = settings
        self.sent = 0

    async def send(self, msg: EmailMessage) -> str:
        """Hand one mail over: where it went (for the log; never its text)."""
        s = self.settings
        if s.smtp is not None:
            await asyncio.to_thread(_send_smtp, s.smtp, msg, s.timeout)
            return f"smtp {s.smtp.host}:{s.smtp.port}"
        return str(await asyncio.to_thread(_write_file, s.directory, msg))

    async def deliver_leased(self, conn: psycopg.AsyncConnection, worker: str) -> int:
        """Send the mails of the `mail` deliveries `worker` holds leases on (conn: autocommit); how many were sent.
        A failure is recorded on its token row and logged; the outbox retries it."""
        cur = await conn.execute(SQL_LEASED, (CONSUMER, worker))
        events = await cur.fetchall()
        sent = 0
        for event_id, tenant_id, event_type, token_id in events:
            if not token_id:
                continue
            token = new_token()
            try:
                async with conn.transaction():
                    cur = conn.cursor(row_factory=psycopg.rows.dict_row)
                    await cur.execute(SQL_PREPARE, (tenant_id, uuid.UUID(token_id), token_hash(token)))
                    row = await cur.fetchone()
                    if row is None:
                        continue   # nothing to send any more (sent before, used, expired)
                    where = await self.send(compose(self.settings, row, token))
                    await conn.execute(SQL_SENT, (tenant_id, uuid.UUID(token_id)))
            except psycopg.OperationalError:
                raise   # the connection: the worker reconnects; the lease returns the event
            except (OSError, smtplib.SMTPException, psycopg.Error) as exc:
                reason = f"{type(exc).__name__}: {exc}".splitlines()[0][:500]
                log.warning("mail: %s for token %s (event %s) not sent: %s", event_type, token_id, event_id, reason)
                try:
                    await conn.execute(SQL_FAILED, (tenant_id, uuid.UUID(token_id), reason))
                except psycopg.Error as again:
                    log.warning("mail: could not record the failure of token %s: %s", token_id, again)
                continue
            sent += 1
            self.sent += 1
            log.info("mail: %s to %s sent (%s)", event_type, _mask(row["email"]), where)
        return sent
