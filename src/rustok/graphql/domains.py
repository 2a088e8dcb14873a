"""Tenant domains (schema/domains.graphql): thin resolvers over core.add_tenant_domain / remove_tenant_domain
(sql/code/core/domains.sql)."""

from __future__ import annotations

from ariadne import MutationType, QueryType

from rustok.graphql.access import require_permission
from rustok.graphql.db import fetch_all, one, permission_write, scalar
from rustok.graphql.payloads import mutation_payload

query = QueryType()
mutation = MutationType()


@query.field("tenantDomains")
async def resolve_tenant_domains(_, info):
    await require_permission(info.context, "modules:manage")
    return await fetch_all(info.context, "select d.host, d.created_at from core.tenant_domains d "
                                         "where d.tenant_id = core.current_tenant_id() order by d.host")


@mutation.field("addTenantDomain")
@mutation_payload
async def resolve_add_tenant_domain(_, info, host: str):
    async with permission_write(info.context, "modules:manage") as (conn, result):
        added = await scalar(conn, "select core.add_tenant_domain(%s)", (host,))
        result["domain"] = await one(conn, "select d.host, d.created_at from core.tenant_domains d "
                                           "where d.tenant_id = core.current_tenant_id() and d.host = %s", (added,))
    return result


@mutation.field("removeTenantDomain")
@mutation_payload
async def resolve_remove_tenant_domain(_, info, host: str):
    async with permission_write(info.context, "modules:manage") as (conn, result):
        result["deleted"] = await scalar(conn, "select core.remove_tenant_domain(%s)", (host,))
    return result


bindables = [query, mutation]
