"""What the admin app needs beyond the storefront reads and the write basics (schema/staff.graphql): people,
order search, price lists, product options, node deletion and the tenant's operations screen. Each field checks
its permission here (require_permission) and again in its SQL function."""

from __future__ import annotations

import asyncio

from ariadne import MutationType, ObjectType, QueryType

from rustok.auth import hash_password
from rustok.graphql.access import MODULES, ready_to_read, require_permission
from rustok.graphql.db import fetch_all, fetch_one, one, permission_write, scalar
from rustok.graphql.errors import ApiError
from rustok.graphql.paging import COUNT_CAP, bind_total_count, connection, counted, page_args
from rustok.graphql.payloads import mutation_payload
from rustok.graphql.scalars import jsonb
from rustok.graphql.storefront import _ORDER_COLUMNS, SEO_OF_META, order_node
from rustok.ids import parse_id

query = QueryType()
mutation = MutationType()
price_list_type = ObjectType("PriceList")
revision_type = ObjectType("Revision")
category_record_type = ObjectType("CategoryRecord")
connection_types = [ObjectType(name) for name in
                    ("UserConnection", "PriceListConnection", "DeadLetterConnection", "IndexDriftConnection",
                     "StockLocationConnection", "RevisionConnection", "CategoryRecordConnection",
                     "PriceListPriceConnection", "InventoryAdjustmentConnection")]
bind_total_count(*connection_types)

MIN_PASSWORD = 8
_USER_COLUMNS = "id, email, display_name, role, status, created_at, last_login_at"
_MAX_SEARCH = 200


def _first(first: int | None, cap: int, argument: str = "first") -> int:
    if first is None:
        return cap
    if first < 0 or first > cap:
        raise ApiError("BAD_USER_INPUT", f"{argument}: between 0 and {cap}", argument=argument)
    return first


# ---------------------------------------------------------------- people and modules

_USER_PAGE = f"""
    select k.cursor, {_USER_COLUMNS}
    from core.page_users(%(search)s, %(role)s, %(after)s, %(before)s, %(limit)s, %(from_end)s)
         with ordinality as k (user_id, cursor, ord)
    join core.users u on u.tenant_id = core.current_tenant_id() and u.id = k.user_id
    order by k.ord"""


def _search(search: str | None) -> str | None:
    return (search or "").strip()[:_MAX_SEARCH] or None


def _node(row: dict) -> dict:
    return row


@query.field("users")
async def resolve_users(_, info, search=None, role=None, first=None, after=None, last=None, before=None):
    ctx = info.context
    await require_permission(ctx, "users:manage")
    args = page_args(first, after, last, before)
    rows = await fetch_all(ctx, _USER_PAGE, {"search": _search(search), "role": role, "after": args.after_param,
                                             "before": args.before_param, "limit": args.limit,
                                             "from_end": args.from_end})
    return counted(connection(rows, args, _node), "select core.count_users(%s, %s, %s) as n",
                   (_search(search), role, COUNT_CAP + 1))


@query.field("modules")
async def resolve_modules(_, info):
    await require_permission(info.context, "modules:manage")
    rows = await fetch_all(info.context, "select m as module, core.module_enabled(core.current_tenant_id(), m) as enabled "
                                         "from unnest(%s::text[]) as m", (list(MODULES),))
    return rows


@mutation.field("inviteUser")
@mutation_payload
async def resolve_invite_user(_, info, input: dict):
    if input.get("password") is None:
        from rustok.graphql.accounts import invite_by_mail

        return await invite_by_mail(info.context, input)
    password = input.get("password") or ""
    if len(password) < MIN_PASSWORD:
        return {"userErrors": [{"field": "password", "code": "INVALID",
                                "message": f"password: use at least {MIN_PASSWORD} characters"}], "position": None}
    await require_permission(info.context, "users:manage")
    hashed = await asyncio.to_thread(hash_password, password)
    async with permission_write(info.context, "users:manage") as (conn, result):
        uid = await scalar(conn, "select core.invite_user(%s, %s, %s, %s)",
                           (input["email"], input["role"], hashed, input.get("displayName")))
        result["user"] = await one(conn, f"select {_USER_COLUMNS} from core.users "
                                         "where tenant_id = core.current_tenant_id() and id = %s", (uid,))
    return result


@mutation.field("resetUserPassword")
@mutation_payload
async def resolve_reset_user_password(_, info, userId: str, password: str):  # noqa: N803
    uid = parse_id(userId)
    if len(password or "") < MIN_PASSWORD:
        return {"userErrors": [{"field": "password", "code": "INVALID",
                                "message": f"password: use at least {MIN_PASSWORD} characters"}], "position": None}
    await require_permission(info.context, "users:manage")
    hashed = await asyncio.to_thread(hash_password, password)
    async with permission_write(info.context, "users:manage") as (conn, result):
        await scalar(conn, "select core.reset_user_password(%s, %s)", (uid, hashed))
        result["user"] = await one(conn, f"select {_USER_COLUMNS} from core.users "
                                         "where tenant_id = core.current_tenant_id() and id = %s", (uid,))
    return result


# ---------------------------------------------------------------- content

@mutation.field("deleteNode")
@mutation_payload
async def resolve_delete_node(_, info, id: str):
    node_id = parse_id(id)
    async with permission_write(info.context, "content:write_own") as (conn, result):
        result["deleted"] = await scalar(conn, "select content.delete_node(%s)", (node_id,))
    return result


# ---------------------------------------------------------------- orders

_STAFF_ORDER_PAGE = f"""
    select k.cursor, {_ORDER_COLUMNS}
    from index.page_staff_orders(%(statuses)s, %(email)s, %(number)s, %(from)s, %(to)s,
                                 %(after)s, %(before)s, %(limit)s, %(from_end)s)
         with ordinality as k (order_id, cursor, ord)
    join index.orders o on o.tenant_id = core.current_tenant_id() and o.order_id = k.order_id
    order by k.ord"""

_STAFF_ORDER_COUNT = """
    select count(*)::int as total from (
        select 1 from index.orders o
        where o.tenant_id = core.current_tenant_id()
          and (%(statuses)s::text[] is null or o.status = any (%(statuses)s::text[]))
          and (%(email)s::text is null or o.customer_email ilike '%%' || replace(replace(replace(%(email)s::text, '\\', '\\\\'),
               '%%', '\\%%'), '_', '\\_') || '%%')
          and (%(number)s::int is null or o.display_id = %(number)s::int)
          and (%(from)s::timestamptz is null or o.created_at >= %(from)s::timestamptz)
          and (%(to)s::timestamptz is null or o.created_at < %(to)s::timestamptz)
        limit %(cap)s) x"""


@query.field("staffOrders")
async def resolve_staff_orders(_, info, filter=None, first=None, after=None, last=None, before=None):
    ctx = info.context
    await require_permission(ctx, "orders:read_all")
    await ready_to_read(ctx, "commerce")
    args = page_args(first, after, last, before)
    f = filter or {}
    email = (f.get("email") or "").strip() or None
    params = {"statuses": f.get("status") or None, "email": email, "number": f.get("number"),
              "from": f.get("createdFrom"), "to": f.get("createdTo")}
    rows = await fetch_all(ctx, _STAFF_ORDER_PAGE, {**params, "after": args.after_param, "before": args.before_param,
                                                    "limit": args.limit, "from_end": args.from_end})
    count = await fetch_one(ctx, _STAFF_ORDER_COUNT, {**params, "cap": COUNT_CAP + 1})
    total = count["total"]
    return connection(rows, args, order_node, _read={"kind": "staffOrders"},
                      _count={"total": min(total, COUNT_CAP), "capped": total > COUNT_CAP})


# ---------------------------------------------------------------- price lists and options

_PRICE_LIST_COLUMNS = """
    l.id, l.title, l.description, l.type, l.status, l.starts_at, l.ends_at,
    coalesce((select r."values" from commerce.price_list_rules r
              where r.tenant_id = l.tenant_id and r.price_list_id = l.id and r.attribute = 'customer_group'), '{}')
    as customer_groups,
    (select count(*) from commerce.prices p where p.tenant_id = l.tenant_id and p.price_list_id = l.id)::int
    as price_count"""
_PRICE_LIST = f"select {_PRICE_LIST_COLUMNS} from commerce.price_lists l where l.tenant_id = core.current_tenant_id()"
_PRICE_LIST_PAGE = f"""
    select k.cursor, {_PRICE_LIST_COLUMNS}
    from commerce.page_price_lists(%(after)s, %(before)s, %(limit)s, %(from_end)s)
         with ordinality as k (price_list_id, cursor, ord)
    join commerce.price_lists l on l.tenant_id = core.current_tenant_id() and l.id = k.price_list_id
    order by k.ord"""


def _page_params(args) -> dict:
    return {"after": args.after_param, "before": args.before_param, "limit": args.limit, "from_end": args.from_end}


@query.field("priceLists")
async def resolve_price_lists(_, info, first=None, after=None, last=None, before=None):
    ctx = info.context
    await require_permission(ctx, "catalog:write")
    args = page_args(first, after, last, before)
    rows = await fetch_all(ctx, _PRICE_LIST_PAGE, _page_params(args))
    return counted(connection(rows, args, _node), "select commerce.count_price_lists(%s) as n", (COUNT_CAP + 1,))


@price_list_type.field("prices")
async def resolve_price_list_prices(price_list, info, variantIds=None, first=None, after=None, last=None,  # noqa: N803
                                    before=None):
    args = page_args(first, after, last, before)
    variants = [parse_id(v) for v in variantIds] if variantIds is not None else None
    rows = await fetch_all(info.context, "select * from commerce.page_price_list_prices(%(list)s, %(variants)s, "
                                         "%(after)s, %(before)s, %(limit)s, %(from_end)s)",
                           {"list": price_list["id"], "variants": variants, **_page_params(args)})
    return counted(connection(rows, args, _node), "select commerce.count_price_list_prices(%s, %s, %s) as n",
                   (price_list["id"], variants, COUNT_CAP + 1))


@mutation.field("updatePriceList")
@mutation_payload
async def resolve_update_price_list(_, info, id: str, input: dict):
    list_id = parse_id(id)
    data = dict(input)
    for key in ("startsAt", "endsAt"):
        if data.get(key) is not None:
            data[key] = data[key].isoformat()
    if data.get("prices") is not None:
        data["prices"] = [{**p, "variantId": str(parse_id(p["variantId"]))} for p in data["prices"]]
    if data.get("variantIds") is not None:
        data["variantIds"] = [str(parse_id(v)) for v in data["variantIds"]]
    async with permission_write(info.context, "catalog:write") as (conn, result):
        await scalar(conn, "select commerce.update_price_list(%s, %s)", (list_id, jsonb(data)))
        result["priceList"] = await one(conn, _PRICE_LIST + " and l.id = %s", (list_id,))
    return result


@mutation.field("deletePriceList")
@mutation_payload
async def resolve_delete_price_list(_, info, id: str):
    async with permission_write(info.context, "catalog:write") as (conn, result):
        result["deleted"] = await scalar(conn, "select commerce.delete_price_list(%s)", (parse_id(id),))
    return result


@mutation.field("setProductOptions")
@mutation_payload
async def resolve_set_product_options(_, info, productId: str, options: list):  # noqa: N803
    product_id = parse_id(productId)
    async with permission_write(info.context, "catalog:write") as (conn, result):
        await scalar(conn, "select commerce.set_product_options(%s, %s)", (product_id, jsonb(options)))
        result["product"] = await scalar(conn, "select commerce.product_record(%s)", (product_id,))
    return result


@mutation.field("setVariantOptions")
@mutation_payload
async def resolve_set_variant_options(_, info, variantId: str, options: list):  # noqa: N803
    variant_id = parse_id(variantId)
    async with permission_write(info.context, "catalog:write") as (conn, result):
        await scalar(conn, "select commerce.set_variant_options(%s, %s)", (variant_id, jsonb(options)))
        product_id = await scalar(conn, "select commerce.product_of_variant(%s)", (variant_id,))
        result["product"] = await scalar(conn, "select commerce.product_record(%s)", (product_id,))
    return result


@mutation.field("setProductCategories")
@mutation_payload
async def resolve_set_product_categories(_, info, productId: str, categoryIds: list[str]):  # noqa: N803
    product_id = parse_id(productId)
    async with permission_write(info.context, "catalog:write") as (conn, result):
        await scalar(conn, "select commerce.set_product_categories(%s, %s)",
                     (product_id, [parse_id(c) for c in categoryIds]))
        result["product"] = await scalar(conn, "select commerce.product_record(%s)", (product_id,))
    return result


_CATEGORY_COLUMNS = f"""
    c.id, c.name, c.handle, c.description, c.parent_id, c.is_active, c.is_internal, c.rank, c.metadata,
    (select count(*) from commerce.product_categories pc
     where pc.tenant_id = c.tenant_id and pc.category_id = c.id)::int as product_count,
    coalesce((select {SEO_OF_META} from content.meta m where m.tenant_id = c.tenant_id
              and m.target_type = 'catalog_category' and m.target_id = c.id), '{{}}') as seo"""
CATEGORY_RECORD = f"select {_CATEGORY_COLUMNS} from commerce.categories c where c.tenant_id = core.current_tenant_id() and c.id = %s"
_CATEGORY_PAGE = f"""
    select k.cursor, {_CATEGORY_COLUMNS}
    from commerce.page_categories(%(after)s, %(before)s, %(limit)s, %(from_end)s)
         with ordinality as k (category_id, cursor, ord)
    join commerce.categories c on c.tenant_id = core.current_tenant_id() and c.id = k.category_id
    order by k.ord"""


@query.field("allCategories")
async def resolve_all_categories(_, info, first=None, after=None, last=None, before=None):
    ctx = info.context
    await require_permission(ctx, "catalog:write")
    await ready_to_read(ctx, "commerce")
    args = page_args(first, after, last, before)
    rows = await fetch_all(ctx, _CATEGORY_PAGE, _page_params(args))
    return counted(connection(rows, args, _node), "select commerce.count_categories(%s) as n", (COUNT_CAP + 1,))


@category_record_type.field("hasProduct")
async def resolve_category_has_product(category, info, productId: str):  # noqa: N803
    row = await fetch_one(info.context, "select exists (select 1 from commerce.product_categories pc "
                                        "where pc.tenant_id = core.current_tenant_id() and pc.category_id = %s "
                                        "and pc.product_id = %s) as found", (category["id"], parse_id(productId)))
    return row["found"]


@category_record_type.field("products")
async def resolve_category_record_products(category, info, first=None, after=None, last=None, before=None):
    from rustok.graphql.storefront import products_connection

    return await products_connection(info.context, first=first, after=after, last=last, before=before,
                                     category_id=category["id"])


@revision_type.field("body")
async def resolve_revision_body(revision, info):
    row = await fetch_one(info.context, "select body from content.revisions "
                                        "where tenant_id = core.current_tenant_id() and id = %s", (revision["id"],))
    return row["body"] if row else None


# ---------------------------------------------------------------- operations

@query.field("opsStatus")
async def resolve_ops_status(_, info):
    await require_permission(info.context, "ops:manage")
    return await fetch_all(info.context, "select * from outbox.tenant_backlog()")


@query.field("deadLetters")
async def resolve_dead_letters(_, info, first=None, after=None, last=None, before=None):
    ctx = info.context
    await require_permission(ctx, "ops:manage")
    args = page_args(first, after, last, before)
    rows = await fetch_all(ctx, "select * from outbox.page_dead_letters(%(after)s, %(before)s, %(limit)s, %(from_end)s)",
                           _page_params(args))
    return counted(connection(rows, args, _node), "select outbox.count_dead_letters(%s) as n", (COUNT_CAP + 1,))


@query.field("verifyIndex")
async def resolve_verify_index(_, info, first=None, after=None, last=None, before=None):
    ctx = info.context
    await require_permission(ctx, "ops:manage")
    args = page_args(first, after, last, before)
    rows = await fetch_all(ctx, "select * from index.page_verify(%(after)s, %(before)s, %(limit)s, %(from_end)s)",
                           _page_params(args))
    return counted(connection(rows, args, _node), "select index.count_verify(%s) as n", (COUNT_CAP + 1,))


@query.field("opsHealth")
async def resolve_ops_health(_, info):
    await require_permission(info.context, "ops:manage")
    return await fetch_all(info.context, "select * from outbox.tenant_health()")


@mutation.field("retryDeadLetters")
@mutation_payload
async def resolve_retry_dead_letters(_, info, eventIds: list[str] | None = None):  # noqa: N803
    ids = [parse_id(e) for e in eventIds] if eventIds is not None else None
    async with permission_write(info.context, "ops:manage") as (conn, result):
        result["count"] = await scalar(conn, "select outbox.tenant_retry_dead(%s)", (ids,))
    return result


@mutation.field("reindexTenant")
@mutation_payload
async def resolve_reindex_tenant(_, info):
    async with permission_write(info.context, "ops:manage") as (conn, result):
        result["count"] = await scalar(conn, "select index.tenant_reindex()")
    return result


bindables = [query, mutation, price_list_type, revision_type, category_record_type, *connection_types]
