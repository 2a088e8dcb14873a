"""Core resolvers: version, tenant, accounts and sessions, read-your-writes position.

Accounts and sessions go through the SQL API in sql/code/core/api.sql (core.register_user,
core.user_for_login, core.start_session, core.end_session); passwords are hashed and checked here
(scrypt, rustok.auth), and of a session token only its hash reaches the database.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

from ariadne import MutationType, QueryType

from rustok import __version__
from rustok.auth import hash_password, new_token, token_hash, verify_password
from rustok.graphql.access import require_tenant, require_user
from rustok.graphql.db import fetch_one, one, scalar, tenant_connection
from rustok.graphql.errors import ApiError
from rustok.ids import parse_id

SESSION_LIFETIME = timedelta(days=30)
MIN_PASSWORD = 8

query = QueryType()
mutation = MutationType()

_USER_COLUMNS = "id, email, display_name, role, status, created_at, last_login_at"
_START_SESSION = f"select expires_at, {_USER_COLUMNS} from core.start_session(%s, %s, %s, %s)"


@query.field("version")
async def resolve_version(*_):
    return __version__


@query.field("tenant")
async def resolve_tenant(_, info):
    if await info.context.tenant_id() is None:
        return None
    return await fetch_one(
        info.context,
        "select id, name, slug, is_active, text_search_config::text, created_at from core.tenants "
        "where id = core.current_tenant_id()")


@query.field("me")
async def resolve_me(_, info):
    caller = await info.context.caller()
    if caller.user_id is None:
        return None
    return await fetch_one(info.context, f"select {_USER_COLUMNS} from core.users where id = %s", (caller.user_id,))


async def _start_session(ctx, conn, user_id) -> dict:
    token = new_token()
    user = await one(conn, _START_SESSION,
                     (user_id, token_hash(token), ctx.request.headers.get("user-agent"), SESSION_LIFETIME))
    expires_at = user.pop("expiresAt")
    return {"token": token, "expiresAt": expires_at, "user": user}


@mutation.field("register")
async def resolve_register(_, info, email: str, password: str, displayName: str | None = None):  # noqa: N803 (GraphQL name)
    ctx = info.context
    tenant_id = await require_tenant(ctx)
    if len(password) < MIN_PASSWORD:
        raise ApiError("BAD_USER_INPUT", f"password: use at least {MIN_PASSWORD} characters", field="password")
    hashed = await asyncio.to_thread(hash_password, password)
    async with tenant_connection(ctx, tenant_id) as conn:
        user_id = await scalar(conn, "select core.register_user(%s, %s, %s)", (email.strip(), hashed, displayName))
        return await _start_session(ctx, conn, user_id)


@mutation.field("login")
async def resolve_login(_, info, email: str, password: str):
    ctx = info.context
    tenant_id = await require_tenant(ctx)
    async with tenant_connection(ctx, tenant_id) as conn:
        user = await one(conn, "select user_id, password_hash, status from core.user_for_login(%s)", (email.strip(),))
        ok = user is not None and await asyncio.to_thread(verify_password, password, user["passwordHash"])
        if not ok or user["status"] != "active":
            raise ApiError("UNAUTHENTICATED", "wrong email or password, or the account is not active")
        return await _start_session(ctx, conn, user["userId"])


@mutation.field("logout")
async def resolve_logout(_, info):
    ctx = info.context
    await require_user(ctx)
    row = await fetch_one(ctx, "select core.end_session(%s) as revoked", (token_hash(ctx.token),))
    return row["revoked"]


@query.field("indexCaughtUp")
async def resolve_index_caught_up(_, info, position: str):
    row = await fetch_one(info.context, "select outbox.caught_up('index', %s) as done", (parse_id(position),))
    return row["done"]


bindables = [query, mutation]
