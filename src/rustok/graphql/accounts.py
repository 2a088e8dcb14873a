"""Password reset and invitations (schema/accounts.graphql) over sql/code/core/accounts.sql.

The API never sees a link's token being made: it records a request (core.request_password_reset,
core.invite_user_by_mail) and the worker's mail consumer makes the token, stores its sha256 and mails the link
(rustok.mail). Redeeming hashes the token sent back and lets the database check it (single use, expiry, tenant).
"""

from __future__ import annotations

import asyncio
import math
import re
import time
from datetime import timedelta

import psycopg
from ariadne import MutationType

from rustok.auth import hash_password, token_hash
from rustok.config import Settings
from rustok.graphql.access import require_tenant
from rustok.graphql.db import one, permission_write, scalar, tenant_write
from rustok.graphql.payloads import mutation_payload
from rustok.ids import parse_id

mutation = MutationType()

MIN_PASSWORD = 8
_USER_COLUMNS = "id, email, display_name, role, status, created_at, last_login_at"
_USER = f"select {_USER_COLUMNS} from core.users where tenant_id = core.current_tenant_id() and id = %s"
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+$")
RESET_MESSAGE = ("if an account with this email exists, we have sent it a link to choose a new password; "
                 "it works once, for a limited time")


def settings_of(ctx) -> Settings:
    return getattr(ctx.request.app.state, "settings", None) or Settings()


def password_error(password: str | None) -> list[dict]:
    if len(password or "") < MIN_PASSWORD:
        return [{"field": "password", "code": "INVALID",
                 "message": f"password: use at least {MIN_PASSWORD} characters"}]
    return []


def _token_error(exc: psycopg.Error) -> dict | None:
    """The userError for a refused link (core._redeem_account_token and its callers), else None."""
    message = exc.diag.message_primary or ""
    if not message.startswith("token: "):
        return None
    code = {"token_hash": "NOT_FOUND", "expires_at": "EXPIRED"}.get(exc.diag.column_name or "", "INVALID_STATE")
    return {"field": "token", "code": code, "message": message}


async def pad_to_floor(started: float, floor: float) -> None:
    """Sleep until `floor` seconds after `started` (time.monotonic()), or, when the work took longer, until the next
    multiple of `floor`: the answer's time then tells nothing about which branch the work took."""
    if floor <= 0:
        return
    elapsed = time.monotonic() - started
    await asyncio.sleep(floor * max(1, math.ceil(elapsed / floor)) - elapsed)


@mutation.field("requestPasswordReset")
async def resolve_request_password_reset(_, info, email: str):
    ctx = info.context
    await require_tenant(ctx)
    email = (email or "").strip()
    if not _EMAIL.match(email) or len(email) > 255:
        return {"message": "", "userErrors": [{"field": "email", "code": "INVALID",
                                               "message": "email: must be an email address like ann@example.com"}]}
    s = settings_of(ctx)
    started = time.monotonic()
    try:
        # the same statement either way (core.request_password_reset does the same reads for an unknown email; the
        # mail is made and sent later by the worker), and the answer waits for a fixed floor, so neither its text
        # nor its time tells whether an account has this email
        async with tenant_write(ctx) as (conn, _result):
            await scalar(conn, "select core.request_password_reset(%s, %s, %s)",
                         (email, timedelta(seconds=s.password_reset_ttl), s.password_reset_limit))
    finally:
        await pad_to_floor(started, s.password_reset_floor_ms / 1000)
    # the same answer (and no position) whether or not a mail goes out
    return {"message": RESET_MESSAGE, "userErrors": []}


async def _redeem(info, sql: str, token: str, password: str, *extra) -> dict:
    ctx = info.context
    errors = password_error(password)
    if not (token or "").strip():
        errors.insert(0, {"field": "token", "code": "REQUIRED", "message": "token: is required (it is in the link)"})
    if errors:
        return {"userErrors": errors, "position": None}
    await require_tenant(ctx)
    hashed = await asyncio.to_thread(hash_password, password)
    from rustok.graphql.core import _start_session

    try:
        async with tenant_write(ctx) as (conn, result):
            user_id = await scalar(conn, sql, (token_hash(token.strip()), hashed, *extra))
            result["user"] = await one(conn, _USER, (user_id,))
            result["session"] = await _start_session(ctx, conn, user_id)
    except psycopg.Error as exc:
        error = _token_error(exc)
        if error is None:
            raise
        return {"userErrors": [error], "position": None}
    return result


@mutation.field("resetPassword")
@mutation_payload
async def resolve_reset_password(_, info, token: str, password: str):
    return await _redeem(info, "select core.reset_password_with_token(%s, %s)", token, password)


@mutation.field("acceptInvitation")
@mutation_payload
async def resolve_accept_invitation(_, info, token: str, password: str, name: str | None = None):
    return await _redeem(info, "select core.accept_invitation(%s, %s, %s)", token, password, name)


@mutation.field("sendPasswordReset")
@mutation_payload
async def resolve_send_password_reset(_, info, userId: str):  # noqa: N803
    uid = parse_id(userId)
    ttl = timedelta(seconds=settings_of(info.context).password_reset_ttl)
    async with permission_write(info.context, "users:manage") as (conn, result):
        await scalar(conn, "select core.send_password_reset(%s, %s)", (uid, ttl))
        result["user"] = await one(conn, _USER, (uid,))
    return result


@mutation.field("resendInvitation")
@mutation_payload
async def resolve_resend_invitation(_, info, userId: str):  # noqa: N803
    uid = parse_id(userId)
    ttl = timedelta(seconds=settings_of(info.context).invitation_ttl)
    async with permission_write(info.context, "users:manage") as (conn, result):
        await scalar(conn, "select core.resend_invitation(%s, %s)", (uid, ttl))
        result["user"] = await one(conn, _USER, (uid,))
    return result


async def invite_by_mail(ctx, input: dict) -> dict:
    """inviteUser without a password: an invited account and its mailed invitation."""
    ttl = timedelta(seconds=settings_of(ctx).invitation_ttl)
    async with permission_write(ctx, "users:manage") as (conn, result):
        uid = await scalar(conn, "select core.invite_user_by_mail(%s, %s, %s, %s)",
                           (input["email"], input["role"], input.get("displayName"), ttl))
        result["user"] = await one(conn, _USER, (uid,))
    return result


bindables = [mutation]
