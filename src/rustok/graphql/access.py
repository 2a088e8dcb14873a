"""Who may do what: every access check of the GraphQL API lives here.

- require_tenant: the request names an active tenant (X-Tenant header);
- require_user:   ... and a signed-in user of it (Authorization: Bearer <token>);
- require_permission: ... whose role holds a permission of the matrix (core.role_permissions, read once per
                  request with core.my_permissions(); the SQL API functions check the same matrix);
- is_staff:       the caller may see drafts (content:read_drafts);
- orders_customer: whose orders a caller may list (orders:read_all: every order of the tenant);
- require_module: the tenant has the module on (else MODULE_DISABLED naming it);
- ready_to_read:  require_module, and (with the X-Index-Position header) wait until the read model reflects
                  that mutation position (read-your-writes; INDEX_NOT_CAUGHT_UP after the bounded wait).

Row-level security in PostgreSQL keeps every request inside its tenant whatever a resolver does; these
checks decide which operations a caller may attempt.
"""

from __future__ import annotations

import asyncio
import time
from uuid import UUID

from rustok.graphql.errors import ApiError


async def require_tenant(ctx) -> UUID:
    tenant_id = await ctx.tenant_id()
    if tenant_id is None:
        if ctx.tenant_slug:
            await refuse_suspended(ctx)
            raise ApiError("NOT_FOUND", f"unknown or inactive tenant {ctx.tenant_slug!r} (X-Tenant header)")
        raise ApiError("BAD_USER_INPUT", "this operation needs a tenant: send the X-Tenant header with the tenant slug")
    return tenant_id


async def refuse_suspended(ctx) -> None:
    """TENANT_SUSPENDED when X-Tenant names a tenant the platform operator suspended (asked only once the tenant
    did not resolve: the refusal path)."""
    from rustok.graphql.db import autocommit

    async with ctx.db.primary_connection() as conn, autocommit(conn):
        cur = await conn.execute("select core.tenant_suspended(%s)", (ctx.tenant_slug,))
        (suspended,) = await cur.fetchone()
    if suspended:
        raise ApiError("TENANT_SUSPENDED", f"the shop {ctx.tenant_slug!r} is suspended by the platform operator: its "
                                           "storefront and API answer nothing until it is reactivated",
                       tenant=ctx.tenant_slug)


async def require_user(ctx):
    await require_tenant(ctx)
    caller = await ctx.caller()
    if caller.user_id is None:
        raise ApiError("UNAUTHENTICATED", "sign in first: send Authorization: Bearer <token> from the login mutation")
    return caller


async def permissions(ctx) -> frozenset[str]:
    """The caller's permissions (core.my_permissions(): the role's row of the matrix; none when anonymous),
    read once per request."""
    task = ctx.loaders.get("permissions")
    if task is None:   # one lookup per request, shared by resolvers running concurrently
        task = ctx.loaders["permissions"] = asyncio.ensure_future(_permissions(ctx))
    return await task


async def _permissions(ctx) -> frozenset[str]:
    caller = await ctx.caller()
    if caller.user_id is None or caller.tenant_id is None:
        return frozenset()
    from rustok.graphql.db import fetch_one

    row = await fetch_one(ctx, "select core.my_permissions() as p")
    return frozenset(row["p"] or ())


async def has_permission(ctx, permission: str) -> bool:
    return permission in await permissions(ctx)


async def require_permission(ctx, permission: str):
    """Refuse unless the caller's role holds `permission` (UNAUTHENTICATED when nobody is signed in)."""
    caller = await require_user(ctx)
    if permission not in await permissions(ctx):
        raise ApiError("FORBIDDEN", f"this operation needs the permission {permission}, which the role "
                       f"{caller.role} does not have", permission=permission)
    return caller


async def is_staff(ctx) -> bool:
    """The caller may see unpublished products and content (permission content:read_drafts)."""
    return await has_permission(ctx, "content:read_drafts")


async def orders_customer(ctx, caller) -> UUID | None:
    """Whose orders a signed-in caller may list: their own (their user id), or every order of the tenant
    (None) with the permission orders:read_all."""
    return None if await has_permission(ctx, "orders:read_all") else caller.user_id


MODULES = ("content", "blog", "commerce", "community", "index")


async def require_module(ctx, module: str) -> None:
    """Refuse with MODULE_DISABLED when the tenant has turned `module` off (asked once per request)."""
    key = f"module:{module}"
    task = ctx.loaders.get(key)
    if task is None:   # one lookup per request, shared by resolvers running concurrently
        task = ctx.loaders[key] = asyncio.ensure_future(_module_enabled(ctx, module))
    enabled = await task
    if not enabled:
        raise ApiError("MODULE_DISABLED", module_disabled_message(module), module=module)


async def _module_enabled(ctx, module: str) -> bool:
    from rustok.graphql.db import fetch_one

    row = await fetch_one(ctx, "select core.module_enabled(core.current_tenant_id(), %s) as enabled", (module,))
    return bool(row["enabled"])


def module_disabled_message(module: str) -> str:
    return (f'the "{module}" module is disabled for this tenant: its reads and writes are refused until an '
            f"administrator enables it")


async def ready_to_read(ctx, module: str) -> None:
    await require_module(ctx, module)
    await wait_for_index(ctx)


async def wait_for_index(ctx) -> None:
    """With X-Index-Position, wait (once per request, at most ctx.read_wait_seconds) until the read model has
    processed every event of the tenant up to that position."""
    if not ctx.index_position:
        return
    task = ctx.loaders.get("index_wait")
    if task is None:
        task = ctx.loaders["index_wait"] = asyncio.ensure_future(_wait_for_index(ctx))
    await task


async def _wait_for_index(ctx) -> None:
    from rustok.graphql.db import fetch_one
    from rustok.ids import InvalidIdError, parse_id

    try:
        position = parse_id(ctx.index_position)
    except InvalidIdError:
        raise ApiError("BAD_USER_INPUT", "X-Index-Position: send the `position` a mutation returned",
                       argument="X-Index-Position") from None
    started = time.monotonic()
    pause = 0.005
    while True:
        row = await fetch_one(ctx, "select outbox.caught_up('index', %s) as done", (position,))
        if row["done"]:
            return
        waited = time.monotonic() - started
        if waited >= ctx.read_wait_seconds:
            raise ApiError("INDEX_NOT_CAUGHT_UP",
                           f"the read model has not caught up to position {position} within "
                           f"{ctx.read_wait_seconds:g} s; retry shortly (the mutation's own answer is already current)",
                           position=str(position), waitedSeconds=round(waited, 3))
        await asyncio.sleep(min(pause, max(ctx.read_wait_seconds - waited, 0)))
        pause = min(pause * 2, 0.05)
