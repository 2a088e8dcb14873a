"""Community mutations (reactions): thin resolvers over the community SQL API (sql/code/community/api.sql)."""

from __future__ import annotations

from ariadne import MutationType

from rustok.graphql.access import require_permission
from rustok.graphql.db import scalar, tenant_write
from rustok.graphql.payloads import mutation_payload
from rustok.ids import parse_id

mutation = MutationType()


@mutation.field("react")
@mutation_payload
async def resolve_react(_, info, nodeId: str, kind: str):  # noqa: N803
    ctx = info.context
    caller = await require_permission(ctx, "community:react")
    async with tenant_write(ctx) as (conn, result):
        result["reacted"] = await scalar(conn, "select community.react(%s, %s, %s)", (parse_id(nodeId), caller.user_id, kind))
    return result


bindables = [mutation]
