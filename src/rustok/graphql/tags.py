"""Tag management for the admin (schema/tags.graphql): the tenant's tags with their uses, rename, merge, delete.
Each field checks tags:manage here and again in its SQL function (sql/code/content/api.sql)."""

from __future__ import annotations

from ariadne import MutationType, ObjectType, QueryType

from rustok.graphql.access import require_module, require_permission
from rustok.graphql.db import fetch_all, fetch_one, one, permission_write, scalar
from rustok.graphql.paging import COUNT_CAP, connection, page_args
from rustok.graphql.payloads import mutation_payload
from rustok.graphql.scalars import parse_ids
from rustok.ids import parse_id

query = QueryType()
mutation = MutationType()
connection_type = ObjectType("StaffTagConnection")

_MAX_SEARCH = 200
_TAG = """
    select t.id, t.name, t.slug, t.created_at, t.updated_at,
           (select count(*)::int from content.taggables x
            where x.tenant_id = t.tenant_id and x.tag_id = t.id and x.target_type = 'product') as product_count,
           (select count(*)::int from content.taggables x
            where x.tenant_id = t.tenant_id and x.tag_id = t.id and x.target_type = 'node') as content_count
    from content.tags t where t.tenant_id = core.current_tenant_id() and t.id = %s"""


def tag_node(row: dict) -> dict:
    return {"id": row["id"], "name": row["name"], "slug": row["slug"], "productCount": row["productCount"],
            "contentCount": row["contentCount"], "uses": row["productCount"] + row["contentCount"],
            "createdAt": row["createdAt"], "updatedAt": row["updatedAt"]}


def _search(search: str | None) -> str | None:
    return (search or "").strip()[:_MAX_SEARCH] or None


@query.field("staffTags")
async def resolve_staff_tags(_, info, search=None, first=None, after=None, last=None, before=None):
    ctx = info.context
    await require_permission(ctx, "tags:manage")
    await require_module(ctx, "content")
    args = page_args(first, after, last, before)
    rows = await fetch_all(ctx, "select * from content.list_tags(%s, %s, %s, %s, %s)",
                           (_search(search), args.after_param, args.before_param, args.limit + 1, args.from_end))
    return connection(rows, args, tag_node, _search=_search(search))


async def _count(ctx, conn: dict) -> int:
    if "_total" not in conn:
        row = await fetch_one(ctx, "select content.count_tags(%s, %s) as n", (conn["_search"], COUNT_CAP + 1))
        conn["_total"] = row["n"]
    return conn["_total"]


@connection_type.field("totalCount")
async def resolve_total_count(conn, info):
    return min(await _count(info.context, conn), COUNT_CAP)


@connection_type.field("totalCountCapped")
async def resolve_total_count_capped(conn, info):
    return await _count(info.context, conn) > COUNT_CAP


@mutation.field("renameTag")
@mutation_payload
async def resolve_rename_tag(_, info, id: str, name: str, slug: str | None = None):
    tag_id = parse_id(id)
    async with permission_write(info.context, "tags:manage") as (conn, result):
        await scalar(conn, "select content.rename_tag(%s, %s, %s)", (tag_id, name, slug))
        result["tag"] = tag_node(await one(conn, _TAG, (tag_id,)))
    return result


@mutation.field("mergeTags")
@mutation_payload
async def resolve_merge_tags(_, info, sourceIds: list[str], targetId: str):  # noqa: N803
    sources, target = parse_ids(sourceIds), parse_id(targetId)
    async with permission_write(info.context, "tags:manage") as (conn, result):
        await scalar(conn, "select content.merge_tags(%s, %s)", (sources, target))
        result["tag"] = tag_node(await one(conn, _TAG, (target,)))
    return result


@mutation.field("deleteTag")
@mutation_payload
async def resolve_delete_tag(_, info, id: str):
    async with permission_write(info.context, "tags:manage") as (conn, result):
        result["deleted"] = await scalar(conn, "select content.delete_tag(%s)", (parse_id(id),))
    return result


bindables = [query, mutation, connection_type]
