"""Back-office mutations: module toggles, users (role, deactivation), tags by name, SEO meta. Each is one
SQL API function (sql/code/core/api.sql, sql/code/content/api.sql) that checks the permission itself."""

from __future__ import annotations

from ariadne import MutationType

from rustok.graphql.db import one, permission_write, scalar
from rustok.graphql.payloads import mutation_payload
from rustok.graphql.scalars import jsonb
from rustok.graphql.storefront import seo_of
from rustok.ids import parse_id

mutation = MutationType()

_USER = ("select id, email, display_name, role, status, created_at, last_login_at from core.users "
         "where tenant_id = core.current_tenant_id() and id = %s")


@mutation.field("setModuleEnabled")
@mutation_payload
async def resolve_set_module_enabled(_, info, module: str, enabled: bool):
    async with permission_write(info.context, "modules:manage") as (conn, result):
        state = await scalar(conn, "select core.set_module_enabled(%s, %s)", (module, enabled))
        result["module"] = {"module": module, "enabled": state}
    return result


async def _change_user(info, user_id: str, role=None, status=None):
    uid = parse_id(user_id)
    async with permission_write(info.context, "users:manage") as (conn, result):
        await scalar(conn, "select core.change_user(%s, %s, %s)", (uid, role, status))
        result["user"] = await one(conn, _USER, (uid,))
    return result


@mutation.field("changeUserRole")
@mutation_payload
async def resolve_change_user_role(_, info, userId: str, role: str):  # noqa: N803
    return await _change_user(info, userId, role=role)


@mutation.field("deactivateUser")
@mutation_payload
async def resolve_deactivate_user(_, info, userId: str):  # noqa: N803
    return await _change_user(info, userId, status="inactive")


@mutation.field("setTags")
@mutation_payload
async def resolve_set_tags(_, info, targetType: str, targetId: str, names: list[str]):  # noqa: N803
    target = parse_id(targetId)
    async with permission_write(info.context, "tags:manage") as (conn, result):
        await scalar(conn, "select content.set_tags(%s, %s, %s)", (targetType, target, names))
        cur = await conn.execute(
            "select t.id, t.name, t.slug from content.taggables x join content.tags t "
            "on t.tenant_id = x.tenant_id and t.id = x.tag_id where x.tenant_id = core.current_tenant_id() "
            "and x.target_type = %s and x.target_id = %s order by t.slug", (targetType, target))
        result["tags"] = [{"__typename": "Tag", "id": r[0], "name": r[1], "slug": r[2]} for r in await cur.fetchall()]
    return result


@mutation.field("setSeo")
@mutation_payload
async def resolve_set_seo(_, info, targetType: str, targetId: str, input: dict):  # noqa: N803
    target = parse_id(targetId)
    permission = "catalog:write" if targetType == "product" else "content:write_own"
    async with permission_write(info.context, permission) as (conn, result):
        await conn.execute("select content.set_meta(%s, %s, %s)", (targetType, target, jsonb(input)))
        result["seo"] = seo_of({k: v for k, v in input.items() if v is not None})
    return result


bindables = [mutation]
