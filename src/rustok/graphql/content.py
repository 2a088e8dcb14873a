"""Content and blog mutations (pages, posts, comments, tags): thin resolvers over the content SQL API
(sql/code/content/api.sql and the module's set-based functions)."""

from __future__ import annotations

from ariadne import MutationType

from rustok.graphql.access import has_permission, require_permission
from rustok.graphql.db import one, permission_write, scalar, tenant_write
from rustok.graphql.scalars import jsonb, parse_ids
from rustok.graphql.payloads import mutation_payload
from rustok.ids import parse_id

mutation = MutationType()

_NODE = "select content.node_record(%s)"
_ID_FIELDS = ("categoryId", "parentId")


def _node_input(data: dict) -> dict:
    """GraphQL input -> the JSON content.create_node/update_node take (ids normalised to UUID text)."""
    out = dict(data)
    for key in _ID_FIELDS:
        if out.get(key):
            out[key] = str(parse_id(out[key]))
    return out


@mutation.field("createNode")
@mutation_payload
async def resolve_create_node(_, info, input: dict):
    ctx = info.context
    caller = await ctx.caller()
    async with permission_write(ctx, "content:write_own") as (conn, result):
        node_id = await scalar(conn, "select content.create_node(%s, %s)", (jsonb(_node_input(input)), caller.user_id))
        result["node"] = await scalar(conn, _NODE, (node_id,))
    return result


@mutation.field("updateNode")
@mutation_payload
async def resolve_update_node(_, info, id: str, input: dict):
    # content:write_own here; content.update_node also checks the node's author (content:write_all for others)
    async with permission_write(info.context, "content:write_own") as (conn, result):
        node_id = await scalar(conn, "select content.update_node(%s, %s)", (parse_id(id), jsonb(_node_input(input))))
        result["node"] = await scalar(conn, _NODE, (node_id,))
    return result


async def _batch(info, permission: str, sql: str, params: tuple) -> dict:
    async with permission_write(info.context, permission) as (conn, result):
        cur = await conn.execute(sql, params)
        result["ids"] = [row[0] for row in await cur.fetchall()]
    return result


@mutation.field("publishNodes")
@mutation_payload
async def resolve_publish_nodes(_, info, ids: list[str]):
    return await _batch(info, "content:publish", "select id from content.publish_nodes(%s)", (parse_ids(ids),))


@mutation.field("scheduleNodes")
@mutation_payload
async def resolve_schedule_nodes(_, info, ids: list[str], at):
    return await _batch(info, "content:publish", "select id from content.schedule_nodes(%s, %s::timestamptz)", (parse_ids(ids), at))


@mutation.field("archiveNodes")
@mutation_payload
async def resolve_archive_nodes(_, info, ids: list[str]):
    return await _batch(info, "content:publish", "select id from content.archive_nodes(%s)", (parse_ids(ids),))


@mutation.field("moderateComments")
@mutation_payload
async def resolve_moderate_comments(_, info, ids: list[str], status: str):
    return await _batch(info, "content:moderate", "select id from content.moderate_comments(%s, %s)", (parse_ids(ids), status))


@mutation.field("attachTags")
@mutation_payload
async def resolve_attach_tags(_, info, tagIds, targetType, targetIds):  # noqa: N803
    return await _batch(info, "tags:manage", "select target_id from content.attach_tags(%s, %s, %s)",
                        (parse_ids(tagIds), targetType, parse_ids(targetIds)))


@mutation.field("detachTags")
@mutation_payload
async def resolve_detach_tags(_, info, tagIds, targetType, targetIds):  # noqa: N803
    return await _batch(info, "tags:manage", "select target_id from content.detach_tags(%s, %s, %s)",
                        (parse_ids(tagIds), targetType, parse_ids(targetIds)))


@mutation.field("restoreRevision")
@mutation_payload
async def resolve_restore_revision(_, info, revisionId: str):  # noqa: N803
    async with permission_write(info.context, "content:write_own") as (conn, result):
        node_id = await scalar(conn, "select (content.restore_revision(%s)).id", (parse_id(revisionId),))
        result["node"] = await scalar(conn, _NODE, (node_id,))
    return result


@mutation.field("addComment")
@mutation_payload
async def resolve_add_comment(_, info, parentId: str, body: str, format: str = "markdown"):  # noqa: N803
    ctx = info.context
    caller = await require_permission(ctx, "content:comment")
    status = "approved" if await has_permission(ctx, "content:moderate") else "pending"
    async with tenant_write(ctx) as (conn, result):
        node_id = await scalar(conn, "select (content.add_comment(%s, %s, %s, %s, %s)).id",
                               (parse_id(parentId), caller.user_id, body, format, status))
        result["node"] = await scalar(conn, _NODE, (node_id,))
    return result


@mutation.field("createTag")
@mutation_payload
async def resolve_create_tag(_, info, name: str, slug: str | None = None):
    async with permission_write(info.context, "tags:manage") as (conn, result):
        result["tag"] = {"__typename": "Tag", **await one(conn, "select id, name, slug from content.create_tag(%s, %s)",
                                                          (name, slug))}
    return result


bindables = [mutation]
