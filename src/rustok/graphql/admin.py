"""Back-office mutations: module toggles, users (role, deactivation), tags by name, SEO meta (of products, nodes and
both kinds of categories). Each is one SQL API function (sql/code/core/api.sql, sql/code/content/api.sql) that checks
the permission itself."""

from __future__ import annotations

from ariadne import MutationType, ObjectType, QueryType

from rustok.graphql.access import ready_to_read, require_permission
from rustok.graphql.db import fetch_all, one, permission_write, scalar
from rustok.graphql.paging import COUNT_CAP, connection, counted, page_args
from rustok.graphql.payloads import mutation_payload
from rustok.graphql.scalars import jsonb
from rustok.graphql.staff import _PRICE_LIST, CATEGORY_RECORD, _page_params
from rustok.graphql.storefront import SEO_OF_META, seo_of
from rustok.ids import parse_id

mutation = MutationType()
query = QueryType()

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


# the permission the role must hold for setSeo on each kind of target (content.set_meta checks it again, and a
# node's author: content._require_target)
_SEO_TARGET_PERMISSION = {"product": "catalog:write", "catalog_category": "catalog:write", "node": "content:write_own",
                          "content_category": "content:write_all"}


@mutation.field("setSeo")
@mutation_payload
async def resolve_set_seo(_, info, targetType: str, targetId: str, input: dict):  # noqa: N803
    target = parse_id(targetId)
    permission = _SEO_TARGET_PERMISSION[targetType]
    async with permission_write(info.context, permission) as (conn, result):
        await conn.execute("select content.set_meta(%s, %s, %s)", (targetType, target, jsonb(input)))
        result["seo"] = seo_of({k: v for k, v in input.items() if v is not None})
    return result


bindables = [mutation]


# ---------------------------------------------------------------- variants and catalog categories

_PRODUCT = "select commerce.product_record(%s)"
_CATEGORY = CATEGORY_RECORD


def _variant_input(data: dict) -> dict:
    return {k: v for k, v in data.items() if k != "stock" and v is not None}


@mutation.field("addVariant")
@mutation_payload
async def resolve_add_variant(_, info, productId: str, input: dict):  # noqa: N803
    product_id = parse_id(productId)
    async with permission_write(info.context, "catalog:write") as (conn, result):
        await scalar(conn, "select commerce.upsert_variant(%s, null, %s)", (product_id, jsonb(_variant_input(input))))
        result["product"] = await scalar(conn, _PRODUCT, (product_id,))
    return result


@mutation.field("updateVariant")
@mutation_payload
async def resolve_update_variant(_, info, id: str, input: dict):
    variant_id = parse_id(id)
    async with permission_write(info.context, "catalog:write") as (conn, result):
        await scalar(conn, "select commerce.upsert_variant(null, %s, %s)", (variant_id, jsonb(input)))
        product_id = await scalar(conn, "select commerce.product_of_variant(%s)", (variant_id,))
        result["product"] = await scalar(conn, _PRODUCT, (product_id,))
    return result


@mutation.field("deleteVariant")
@mutation_payload
async def resolve_delete_variant(_, info, id: str):
    async with permission_write(info.context, "catalog:write") as (conn, result):
        product_id = await scalar(conn, "select commerce.delete_variant(%s)", (parse_id(id),))
        result["product"] = await scalar(conn, _PRODUCT, (product_id,))
    return result


@mutation.field("reorderVariants")
@mutation_payload
async def resolve_reorder_variants(_, info, productId: str, variantIds: list[str]):  # noqa: N803
    product_id = parse_id(productId)
    async with permission_write(info.context, "catalog:write") as (conn, result):
        await scalar(conn, "select commerce.reorder_variants(%s, %s)", (product_id, [parse_id(v) for v in variantIds]))
        result["product"] = await scalar(conn, _PRODUCT, (product_id,))
    return result


def _category_input(data: dict) -> dict:
    out = dict(data)
    if out.get("parentId"):
        out["parentId"] = str(parse_id(out["parentId"]))
    if out.get("productIds") is not None:
        out["productIds"] = [str(parse_id(p)) for p in out["productIds"]]
    return out


async def _upsert_category(info, category_id, input: dict):
    async with permission_write(info.context, "catalog:write") as (conn, result):
        cid = await scalar(conn, "select commerce.upsert_category(%s, %s)", (category_id, jsonb(_category_input(input))))
        result["category"] = await one(conn, _CATEGORY, (cid,))
    return result


@mutation.field("createCategory")
@mutation_payload
async def resolve_create_category(_, info, input: dict):
    return await _upsert_category(info, None, input)


@mutation.field("updateCategory")
@mutation_payload
async def resolve_update_category(_, info, id: str, input: dict):
    return await _upsert_category(info, parse_id(id), input)


@mutation.field("deleteCategory")
@mutation_payload
async def resolve_delete_category(_, info, id: str):
    async with permission_write(info.context, "catalog:write") as (conn, result):
        result["deleted"] = await scalar(conn, "select commerce.delete_category(%s)", (parse_id(id),))
    return result


# ---------------------------------------------------------------- price lists, cancellation, follows

@mutation.field("createPriceList")
@mutation_payload
async def resolve_create_price_list(_, info, input: dict):
    data = dict(input)
    for key in ("startsAt", "endsAt"):
        if data.get(key) is not None:
            data[key] = data[key].isoformat()
    data["prices"] = [{**p, "variantId": str(parse_id(p["variantId"]))} for p in data.get("prices") or []]
    async with permission_write(info.context, "catalog:write") as (conn, result):
        list_id = await scalar(conn, "select commerce.create_price_list(%s)", (jsonb(data),))
        result["priceList"] = await one(conn, _PRICE_LIST + " and l.id = %s", (list_id,))
    return result


@mutation.field("cancelOrder")
@mutation_payload
async def resolve_cancel_order(_, info, id: str, reason: str):
    from rustok.graphql.commerce import _order

    order_id = parse_id(id)
    async with permission_write(info.context, "orders:write") as (conn, result):
        await scalar(conn, "select commerce.cancel_order(%s, %s)", (order_id, reason))
        result["order"] = _order(await scalar(conn, "select commerce.order_record(%s)", (order_id,)))
    return result


async def _follow(info, target_type: str, target_id: str, follow: bool):
    async with permission_write(info.context, "community:react") as (conn, result):
        result["following"] = await scalar(conn, "select community.follow(%s, %s, %s)",
                                           (target_type, parse_id(target_id), follow))
    return result


@mutation.field("follow")
@mutation_payload
async def resolve_follow(_, info, targetType: str, targetId: str):  # noqa: N803
    return await _follow(info, targetType, targetId, True)


@mutation.field("unfollow")
@mutation_payload
async def resolve_unfollow(_, info, targetType: str, targetId: str):  # noqa: N803
    return await _follow(info, targetType, targetId, False)


@mutation.field("createStockLocation")
@mutation_payload
async def resolve_create_stock_location(_, info, name: str):
    async with permission_write(info.context, "catalog:write") as (conn, result):
        location_id = await scalar(conn, "select commerce.create_stock_location(%s)", (name,))
        result["location"] = {"__typename": "StockLocation", "id": location_id, "name": name}
    return result


@mutation.field("updateStockLocation")
@mutation_payload
async def resolve_update_stock_location(_, info, id: str, name: str):
    async with permission_write(info.context, "catalog:write") as (conn, result):
        location_id = await scalar(conn, "select commerce.update_stock_location(%s, %s)", (parse_id(id), name))
        result["location"] = {"__typename": "StockLocation", "id": location_id, "name": name}
    return result


@mutation.field("deleteStockLocation")
@mutation_payload
async def resolve_delete_stock_location(_, info, id: str):
    async with permission_write(info.context, "catalog:write") as (conn, result):
        result["deleted"] = await scalar(conn, "select commerce.delete_stock_location(%s)", (parse_id(id),))
    return result


_ADJUSTMENT_PAGE = """
    select k.cursor, a.id, a.delta, a.stocked_after, a.reason, a.adjusted_by, a.created_at,
           (select vi.variant_id from commerce.variant_inventory vi
            where vi.tenant_id = a.tenant_id and vi.inventory_item_id = a.inventory_item_id
            order by vi.variant_id limit 1) as variant_id,
           l.id as location_id, l.name as location_name
    from commerce.page_inventory_adjustments(%(variant)s, %(after)s, %(before)s, %(limit)s, %(from_end)s)
         with ordinality as k (adjustment_id, cursor, ord)
    join commerce.inventory_adjustments a on a.tenant_id = core.current_tenant_id() and a.id = k.adjustment_id
    join commerce.stock_locations l on l.tenant_id = a.tenant_id and l.id = a.location_id
    order by k.ord"""


@query.field("inventoryAdjustments")
async def resolve_inventory_adjustments(_, info, variantId=None, first=None, after=None, last=None, before=None):  # noqa: N803
    ctx = info.context
    await require_permission(ctx, "catalog:write")
    await ready_to_read(ctx, "commerce")
    args = page_args(first, after, last, before)
    variant = parse_id(variantId) if variantId else None
    rows = await fetch_all(ctx, _ADJUSTMENT_PAGE, {"variant": variant, **_page_params(args)})
    return counted(connection(rows, args, _adjustment_node), "select commerce.count_inventory_adjustments(%s, %s) as n",
                   (variant, COUNT_CAP + 1))


def _adjustment_node(row: dict) -> dict:
    location = {"__typename": "StockLocation", "id": row.pop("locationId"), "name": row.pop("locationName")}
    return {**row, "location": location}


_STOCK_LOCATION_PAGE = """
    select k.cursor, l.id, l.name, 'StockLocation' as "__typename"
    from commerce.page_stock_locations(%(after)s, %(before)s, %(limit)s, %(from_end)s)
         with ordinality as k (location_id, cursor, ord)
    join commerce.stock_locations l on l.tenant_id = core.current_tenant_id() and l.id = k.location_id
    order by k.ord"""


@query.field("stockLocations")
async def resolve_stock_locations(_, info, first=None, after=None, last=None, before=None):
    ctx = info.context
    await require_permission(ctx, "catalog:write")
    await ready_to_read(ctx, "commerce")
    args = page_args(first, after, last, before)
    rows = await fetch_all(ctx, _STOCK_LOCATION_PAGE, _page_params(args))
    return counted(connection(rows, args, _location_node), "select commerce.count_stock_locations(%s) as n",
                   (COUNT_CAP + 1,))


def _location_node(row: dict) -> dict:
    return {"__typename": "StockLocation", "id": row["id"], "name": row["name"]}


@mutation.field("adjustInventory")
@mutation_payload
async def resolve_adjust_inventory(_, info, variantId: str, delta: int, reason: str, locationId: str | None = None):  # noqa: N803
    variant_id = parse_id(variantId)
    location_id = parse_id(locationId) if locationId else None
    async with permission_write(info.context, "catalog:write") as (conn, result):
        await scalar(conn, "select commerce.adjust_inventory(%s, %s, %s, %s)", (variant_id, location_id, delta, reason))
        product_id = await scalar(conn, "select commerce.product_of_variant(%s)", (variant_id,))
        result["product"] = await scalar(conn, _PRODUCT, (product_id,))
    return result


# ---------------------------------------------------------------- content categories, revisions

_CONTENT_CATEGORY = (f"select c.id, c.name, c.slug, c.description, c.parent_id, c.position, "
                     f"coalesce((select {SEO_OF_META} from content.meta m where m.tenant_id = c.tenant_id "
                     f"and m.target_type = 'content_category' and m.target_id = c.id), '{{}}') as seo "
                     f"from content.categories c where c.tenant_id = core.current_tenant_id() and c.id = %s")


async def _upsert_content_category(info, category_id, input: dict):
    data = dict(input)
    if data.get("parentId"):
        data["parentId"] = str(parse_id(data["parentId"]))
    async with permission_write(info.context, "content:write_all") as (conn, result):
        cid = await scalar(conn, "select content.upsert_category(%s, %s)", (category_id, jsonb(data)))
        result["category"] = await one(conn, _CONTENT_CATEGORY, (cid,))
    return result


@mutation.field("createContentCategory")
@mutation_payload
async def resolve_create_content_category(_, info, input: dict):
    return await _upsert_content_category(info, None, input)


@mutation.field("updateContentCategory")
@mutation_payload
async def resolve_update_content_category(_, info, id: str, input: dict):
    return await _upsert_content_category(info, parse_id(id), input)


@mutation.field("deleteContentCategory")
@mutation_payload
async def resolve_delete_content_category(_, info, id: str):
    async with permission_write(info.context, "content:write_all") as (conn, result):
        result["deleted"] = await scalar(conn, "select content.delete_category(%s)", (parse_id(id),))
    return result


content_type = ObjectType("Content")


@content_type.field("revisions")
async def resolve_content_revisions(content, info, first=None, after=None, last=None, before=None):
    ctx = info.context
    await require_permission(ctx, "content:write_own")
    args = page_args(first, after, last, before)
    rows = await fetch_all(ctx, "select * from content.page_revisions(%(node)s, %(after)s, %(before)s, %(limit)s, "
                                "%(from_end)s)", {"node": content["id"], **_page_params(args)})
    return counted(connection(rows, args, dict), "select content.count_revisions(%s, %s) as n",
                   (content["id"], COUNT_CAP + 1))


bindables = [query, mutation, content_type]
