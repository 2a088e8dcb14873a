"""Core resolvers: version, tenant, accounts and sessions, read-your-writes position.

Accounts and sessions go through the SQL API in sql/code/core/api.sql (core.register_user,
core.user_for_login, core.upgrade_password_hash, core.start_session, core.end_session); passwords are
hashed and checked here (argon2id, rustok.auth, in a thread), and of a session token only its hash
reaches the database.

Login is throttled per account and per client address in the database (sql/code/core/login.sql, policy
from Settings.login_throttle), and answers an unknown email, an inactive account and a wrong password
alike: the same error after the same password work (a check against a dummy hash when there is no
account to check), so neither the answer nor its timing tells whether an email is registered.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

from ariadne import MutationType, ObjectType, QueryType

from rustok import __version__
from rustok.auth import check_password, hash_password, new_token, token_hash
from rustok.config import LoginThrottle
from rustok.graphql.access import require_tenant, require_user
from rustok.graphql.db import fetch_all, fetch_one, one, scalar, tenant_connection, tenant_write
from rustok.graphql.payloads import mutation_payload
from rustok.graphql.errors import ApiError
from rustok.ids import parse_id

SESSION_LIFETIME = timedelta(days=30)
MIN_PASSWORD = 8

query = QueryType()
mutation = MutationType()

_USER_COLUMNS = "id, email, display_name, role, status, created_at, last_login_at"
_START_SESSION = f"select expires_at, {_USER_COLUMNS} from core.start_session(%s, %s, %s, %s)"
_USER_FOR_LOGIN = "select user_id, password_hash, status from core.user_for_login(%s)"
_THROTTLE_CHECK = "select core.login_throttle_check(%s, %s)"
_LOGIN_FAILED = ("select core.login_failed(%s, %s, %s, %s, make_interval(secs => %s), make_interval(secs => %s), "
                 "make_interval(secs => %s))")
_LOGIN_SUCCEEDED = "select core.login_succeeded(%s)"
_UPGRADE_HASH = "select core.upgrade_password_hash(%s, %s, %s)"
_WRONG_CREDENTIALS = "wrong email or password, or the account is not active"


@query.field("version")
async def resolve_version(*_):
    return __version__


@query.field("tenant")
async def resolve_tenant(_, info):
    if await info.context.tenant_id() is None:
        if info.context.tenant_slug:
            from rustok.graphql.access import refuse_suspended

            await refuse_suspended(info.context)
        return None
    return await fetch_one(
        info.context,
        "select id, name, slug, is_active, text_search_config::text, created_at from core.tenants "
        "where id = core.current_tenant_id()")


@query.field("me")
async def resolve_me(_, info):
    caller = await info.context.caller()
    if caller.user_id is None:
        if caller.tenant_id is None and info.context.tenant_slug:
            from rustok.graphql.access import refuse_suspended

            await refuse_suspended(info.context)
        return None
    return await fetch_one(info.context, f"select {_USER_COLUMNS} from core.users where id = %s", (caller.user_id,))


async def _start_session(ctx, conn, user_id) -> dict:
    token = new_token()
    user = await one(conn, _START_SESSION,
                     (user_id, token_hash(token), ctx.request.headers.get("user-agent"), SESSION_LIFETIME))
    expires_at = user.pop("expiresAt")
    return {"token": token, "expiresAt": expires_at, "user": user}


@mutation.field("register")
@mutation_payload
async def resolve_register(_, info, email: str, password: str, displayName: str | None = None):  # noqa: N803 (GraphQL name)
    ctx = info.context
    await require_tenant(ctx)
    if len(password) < MIN_PASSWORD:
        raise ApiError("BAD_USER_INPUT", f"password: use at least {MIN_PASSWORD} characters", argument="password")
    hashed = await asyncio.to_thread(hash_password, password)
    async with tenant_write(ctx) as (conn, result):
        user_id = await scalar(conn, "select core.register_user(%s, %s, %s)", (email.strip(), hashed, displayName))
        result.update(await _start_session(ctx, conn, user_id))
    return result


def _client_address(request) -> str | None:
    """The client's address from the ASGI scope. Behind a reverse proxy this is the proxy, unless the server
    is told to trust its forwarded headers (uvicorn --forwarded-allow-ips; docs/operators.md)."""
    client = getattr(request, "client", None)
    return client.host if client and client.host else None


def _throttle_policy(ctx) -> LoginThrottle:
    settings = getattr(ctx.request.app.state, "settings", None)
    return settings.login_throttle if settings is not None else LoginThrottle()


@mutation.field("login")
async def resolve_login(_, info, email: str, password: str):
    ctx = info.context
    tenant_id = await require_tenant(ctx)
    email = email.strip()
    address = _client_address(ctx.request)
    policy = _throttle_policy(ctx)
    async with tenant_connection(ctx, tenant_id) as conn:
        # Throttled: refused before any password check (the account's lock is held from here to commit).
        wait = await scalar(conn, _THROTTLE_CHECK, (email, address))
        if wait == 0:
            user = await one(conn, _USER_FOR_LOGIN, (email,))
            usable = user is not None and user["status"] == "active"
            # No account, or one that may not sign in: the same work against the dummy hash.
            ok, new_hash = await asyncio.to_thread(check_password, password, user["passwordHash"] if usable else None)
            if ok:
                await scalar(conn, _LOGIN_SUCCEEDED, (email,))
                if new_hash is not None:
                    await scalar(conn, _UPGRADE_HASH, (user["userId"], user["passwordHash"], new_hash))
                return await _start_session(ctx, conn, user["userId"])
            # Counted and committed (the error is raised after the transaction, which would roll it back).
            await scalar(conn, _LOGIN_FAILED, (email, address, policy.account_limit, policy.address_limit,
                                               policy.window_seconds, policy.first_wait_seconds,
                                               policy.max_wait_seconds))
    if wait > 0:
        raise ApiError("RATE_LIMITED", f"too many failed logins for this email or from this address: "
                                       f"try again in {wait} s", retryAfter=wait)
    raise ApiError("UNAUTHENTICATED", _WRONG_CREDENTIALS)


@mutation.field("logout")
async def resolve_logout(_, info):
    ctx = info.context
    await require_user(ctx)
    row = await fetch_one(ctx, "select core.end_session(%s) as revoked", (token_hash(ctx.token),))
    return row["revoked"]


@query.field("indexCaughtUp")
async def resolve_index_caught_up(_, info, position: str):
    position = parse_id(position)
    info.context.db.read_after(position)  # a replica answers only once it has the events up to the position
    row = await fetch_one(info.context, "select outbox.caught_up('index', %s) as done", (position,))
    return row["done"]


user_type = ObjectType("User")


@user_type.field("permissions")
async def resolve_user_permissions(user, info):
    # the role's row of the matrix, and platform:manage for a platform operator (core.my_permissions for the caller)
    rows = await fetch_all(info.context, "select permission from core.role_permissions where role = %s "
                                         "union all select 'platform:manage' from core.users "
                                         "where tenant_id = core.current_tenant_id() and id = %s "
                                         "and is_platform_admin and status = 'active' "
                                         "order by permission", (user["role"], user["id"]))
    return [r["permission"] for r in rows]


bindables = [query, mutation, user_type]
