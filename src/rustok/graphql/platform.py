"""The platform operator's API (schema/platform.graphql): tenants and their domains, thin resolvers over the
security definer functions of sql/code/core/platform.sql. Each checks platform:manage here (require_permission)
and again in SQL; a tenant's administrator does not hold it."""

from __future__ import annotations

from datetime import timedelta

from ariadne import MutationType, ObjectType, QueryType

from rustok.graphql.accounts import settings_of
from rustok.graphql.access import require_permission
from rustok.graphql.db import fetch_all, one, permission_write, scalar
from rustok.graphql.paging import COUNT_CAP, bind_total_count, connection, counted, page_args
from rustok.graphql.payloads import mutation_payload
from rustok.ids import parse_id

query = QueryType()
mutation = MutationType()
connection_type = ObjectType("PlatformTenantConnection")
bind_total_count(connection_type)

PERMISSION = "platform:manage"
_MAX_SEARCH = 200
_TENANT = "select * from core.platform_tenant(%s)"


@query.field("platformTenants")
async def resolve_platform_tenants(_, info, search=None, first=None, after=None, last=None, before=None):
    ctx = info.context
    await require_permission(ctx, PERMISSION)
    args = page_args(first, after, last, before)
    search = (search or "").strip()[:_MAX_SEARCH] or None
    rows = await fetch_all(ctx, "select * from core.page_platform_tenants(%s, %s, %s, %s, %s)",
                           (search, args.after_param, args.before_param, args.limit, args.from_end))
    return counted(connection(rows, args, lambda row: row), "select core.count_platform_tenants(%s, %s) as n",
                   (search, COUNT_CAP + 1))


async def _write(info, sql: str, params: tuple, tenant_of=lambda value, params: value) -> dict:
    async with permission_write(info.context, PERMISSION) as (conn, result):
        value = await scalar(conn, sql, params)
        result["tenant"] = await one(conn, _TENANT, (tenant_of(value, params),))
    return result


@mutation.field("createTenant")
@mutation_payload
async def resolve_create_tenant(_, info, input: dict):
    ttl = timedelta(seconds=settings_of(info.context).invitation_ttl)
    return await _write(info, "select core.platform_create_tenant(%s, %s, %s, %s, %s)",
                        (input["name"], input["slug"].strip(), input.get("textSearchConfig"),
                         input.get("adminEmail"), ttl))


@mutation.field("updateTenant")
@mutation_payload
async def resolve_update_tenant(_, info, id: str, input: dict):
    return await _write(info, "select core.platform_update_tenant(%s, %s, null)", (parse_id(id), input.get("name")))


@mutation.field("suspendTenant")
@mutation_payload
async def resolve_suspend_tenant(_, info, id: str):
    return await _write(info, "select core.platform_update_tenant(%s, null, false)", (parse_id(id),))


@mutation.field("reactivateTenant")
@mutation_payload
async def resolve_reactivate_tenant(_, info, id: str):
    return await _write(info, "select core.platform_update_tenant(%s, null, true)", (parse_id(id),))


@mutation.field("addPlatformTenantDomain")
@mutation_payload
async def resolve_add_domain(_, info, tenantId: str, host: str):  # noqa: N803
    tenant = parse_id(tenantId)
    return await _write(info, "select core.platform_add_domain(%s, %s)", (tenant, host), lambda _v, p: p[0])


@mutation.field("removePlatformTenantDomain")
@mutation_payload
async def resolve_remove_domain(_, info, tenantId: str, host: str):  # noqa: N803
    tenant = parse_id(tenantId)
    return await _write(info, "select core.platform_remove_domain(%s, %s)", (tenant, host), lambda _v, p: p[0])


bindables = [query, mutation, connection_type]
