"""Core resolvers: version, tenant, accounts and sessions."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone

from ariadne import MutationType, QueryType, ScalarType, SubscriptionType
from graphql import StringValueNode

from rustok import __version__
from rustok.auth import hash_password, new_token, token_hash, verify_password
from rustok.graphql.db import (camel_row, fetch_all, fetch_one, require_staff, require_tenant, require_user,
                               tenant_connection)
from rustok.graphql.errors import ApiError
from rustok.ids import parse_id

SESSION_LIFETIME = timedelta(days=30)
MIN_PASSWORD = 8

query = QueryType()
mutation = MutationType()
subscription = SubscriptionType()

# Live events are read from the event history (outbox.events), not a durable queue. Commits arrive out
# of occurred_at order, so each poll re-reads a window of overlap and skips ids already sent.
EVENT_POLL_SECONDS = 0.5
EVENT_OVERLAP = timedelta(seconds=10)
json_scalar = ScalarType("JSON")
datetime_scalar = ScalarType("DateTime")

_USER_COLUMNS = "id, email, display_name, role, status, created_at, last_login_at"


@datetime_scalar.serializer
def serialize_datetime(value):
    return value.isoformat() if hasattr(value, "isoformat") else value


_DATETIME_HINT = "an ISO 8601 string with a time zone, e.g. 2030-01-31T09:00:00Z or 2030-01-31T10:00:00+01:00"


@datetime_scalar.value_parser
def parse_datetime(value):
    if not isinstance(value, str) or len(value) > 64:
        raise ValueError(f"DateTime: expected {_DATETIME_HINT}")
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise ValueError(f"DateTime: expected {_DATETIME_HINT}") from None
    if parsed.tzinfo is None:
        raise ValueError(f"DateTime: the time zone is missing; expected {_DATETIME_HINT}")
    return parsed


@datetime_scalar.literal_parser
def parse_datetime_literal(ast, variables=None):
    if not isinstance(ast, StringValueNode):
        raise ValueError(f"DateTime: expected {_DATETIME_HINT}")
    return parse_datetime(ast.value)


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
    cur = conn.cursor(row_factory=camel_row)
    await cur.execute(
        "insert into core.sessions (tenant_id, user_id, token_hash, user_agent, expires_at) "
        "values (core.current_tenant_id(), %s, %s, %s, now() + %s) returning expires_at",
        (user_id, token_hash(token), ctx.request.headers.get("user-agent"), SESSION_LIFETIME))
    session = await cur.fetchone()
    await cur.execute(f"update core.users set last_login_at = now() where id = %s returning {_USER_COLUMNS}",
                      (user_id,))
    user = await cur.fetchone()
    return {"token": token, "expiresAt": session["expiresAt"], "user": user}


@mutation.field("register")
async def resolve_register(_, info, email: str, password: str, displayName: str | None = None):  # noqa: N803 (GraphQL name)
    ctx = info.context
    tenant_id = await require_tenant(ctx)
    if len(password) < MIN_PASSWORD:
        raise ApiError("BAD_USER_INPUT", f"password: use at least {MIN_PASSWORD} characters", field="password")
    hashed = await asyncio.to_thread(hash_password, password)
    async with tenant_connection(ctx, tenant_id) as conn:
        cur = conn.cursor(row_factory=camel_row)
        await cur.execute(
            "insert into core.users (tenant_id, email, password_hash, display_name) "
            "values (core.current_tenant_id(), %s, %s, %s) returning id",
            (email.strip(), hashed, displayName))
        user = await cur.fetchone()
        return await _start_session(ctx, conn, user["id"])


@mutation.field("login")
async def resolve_login(_, info, email: str, password: str):
    ctx = info.context
    tenant_id = await require_tenant(ctx)
    async with tenant_connection(ctx, tenant_id) as conn:
        cur = conn.cursor(row_factory=camel_row)
        await cur.execute("select id, password_hash, status from core.users where lower(email) = lower(%s)",
                          (email.strip(),))
        user = await cur.fetchone()
        ok = user is not None and await asyncio.to_thread(verify_password, password, user["passwordHash"])
        if not ok or user["status"] != "active":
            raise ApiError("UNAUTHENTICATED", "wrong email or password, or the account is not active")
        return await _start_session(ctx, conn, user["id"])


@mutation.field("logout")
async def resolve_logout(_, info):
    ctx = info.context
    await require_user(ctx)
    row = await fetch_one(ctx, "update core.sessions set revoked_at = now() where token_hash = %s and revoked_at is null "
                               "returning id", (token_hash(ctx.token),))
    return row is not None


@query.field("indexCaughtUp")
async def resolve_index_caught_up(_, info, position: str):
    row = await fetch_one(info.context, "select outbox.caught_up('index', %s) as done", (parse_id(position),))
    return row["done"]


@subscription.source("events")
async def events_source(_, info, types: list[str] | None = None):
    ctx = info.context
    await require_staff(ctx)
    since = datetime.now(timezone.utc) - EVENT_OVERLAP
    sent: dict = {}  # id -> occurred_at, pruned as the window moves
    while True:
        rows = await fetch_all(ctx, """
            select id, event_type, aggregate_type, aggregate_id, payload, occurred_at
            from outbox.events_since(%s, 1000) where %s::text[] is null or event_type = any(%s::text[])""",
            (since, types, types))
        for row in rows:
            if row["id"] not in sent:
                sent[row["id"]] = row["occurredAt"]
                yield row
        if rows:
            since = max(since, rows[-1]["occurredAt"] - EVENT_OVERLAP)
        sent = {k: v for k, v in sent.items() if v >= since}
        await asyncio.sleep(EVENT_POLL_SECONDS)


@subscription.field("events")
def events_resolver(event, info, types=None):
    return event


bindables = [query, mutation, subscription, json_scalar, datetime_scalar]
