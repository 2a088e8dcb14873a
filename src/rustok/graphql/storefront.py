"""Storefront reads: typed objects and Relay connections over the read model (schema `index`).

- Lists are keyset pages from the SQL page functions (sql/code/index/pages.sql): one statement per page
  (query parsing, the page of ids with their cursors and the rows' display columns); totalCount and
  facets are read only when selected.
- Objects are dicts shaped like their GraphQL type (`__typename` tells the Node interface which type);
  fields that need another read (a body, a calculated price, stock per location, a tag's id) go through
  per-request batch loaders (rustok.graphql.loaders): one query for every card of a page.
- Ids are ULIDs shown as UUIDs, unique across types, so `node(id:)` finds an object's type by looking the
  id up in each table (primary-key probes in one statement).

Visibility: the public sees published products and content (and approved comments); staff also see drafts;
orders: a customer sees their own, staff every order of the tenant.
"""

from __future__ import annotations

import asyncio

from uuid import UUID

from ariadne import InterfaceType, ObjectType, QueryType, UnionType
from psycopg.types.json import Jsonb

from rustok.graphql.access import (has_permission, is_staff, orders_customer, ready_to_read, require_module,
                                   require_permission, require_tenant, require_user, wait_for_index)
from rustok.graphql.db import fetch_all, fetch_one
from rustok.graphql.errors import ApiError
from rustok.graphql.loaders import loader
from rustok.graphql.paging import COUNT_CAP, connection, page_args
from rustok.ids import parse_id

query = QueryType()
node_interface = InterfaceType("Node")
product_type = ObjectType("Product")
variant_type = ObjectType("Variant")
category_type = ObjectType("Category")
tag_type = ObjectType("Tag")
content_type = ObjectType("Content")
content_category_type = ObjectType("ContentCategory")
order_type = ObjectType("Order")
product_connection_type = ObjectType("ProductConnection")
content_connection_type = ObjectType("ContentConnection")
order_connection_type = ObjectType("OrderConnection")

MAX_NODES = 100
_ID_LIST_FILTERS = ("categoryIds", "authorIds")


@node_interface.type_resolver
def resolve_node_type(obj, *_):
    return obj["__typename"]


def _filters(data: dict | None) -> dict:
    """GraphQL filter input -> the read functions' JSON (ids normalised, empty values dropped)."""
    out = {}
    for key, value in (data or {}).items():
        if value is None:
            continue
        if key in _ID_LIST_FILTERS:
            value = [str(parse_id(v)) for v in value]
        elif key == "parentId":
            value = str(parse_id(value))
        out[key] = value
    return out


def money(amount, currency: str | None):
    return None if amount is None or currency is None else {"amount": int(amount), "currencyCode": currency}


def _currency(value: str | None) -> str | None:
    return value.strip().upper() if value else None


# ================================================================ products

_PRODUCT_COLUMNS = """p.product_id, p.handle, p.title, p.subtitle, p.description, p.status, p.discountable,
    p.currencies, p.prices, p.total_stock, p.has_stock, p.variant_count, p.variants, p.options, p.category_ids,
    p.categories, p.tags, p.tag_slugs, p.seo, p.metadata, p.created_at, p.updated_at"""

_PRODUCT_PAGE = f"""
    select q.q::text as tsq, q.corrected_query, k.ord, k.cursor, k.rank, {_PRODUCT_COLUMNS}
    from index.product_query(%(t)s, %(search)s, %(filters)s, %(currency)s, %(staff)s) q
    left join lateral index.page_products(%(t)s, q.q, %(filters)s, %(sort)s, %(currency)s, %(staff)s,
                                          %(after)s, %(before)s, %(limit)s, %(from_end)s)
         with ordinality as k (product_id, cursor, rank, ord) on true
    left join index.products p on p.tenant_id = %(t)s and p.product_id = k.product_id
    order by k.ord"""

_PRODUCTS_BY_ID = f"""
    select {_PRODUCT_COLUMNS} from index.products p
    where p.tenant_id = core.current_tenant_id() and p.product_id = any (%s) and (%s or p.status = 'published')"""

_PRODUCT_BY_HANDLE = f"""
    select {_PRODUCT_COLUMNS} from index.products p
    where p.tenant_id = core.current_tenant_id() and p.handle = %s and (%s or p.status = 'published')
    order by p.updated_at desc limit 1"""


def tag_node(slug: str, name: str, tag_id=None) -> dict:
    return {"__typename": "Tag", "id": tag_id, "slug": slug, "name": name}


def seo_of(seo: dict | None) -> dict:
    seo = seo or {}
    return {key: seo.get(key) for key in ("title", "description", "canonicalUrl", "imageUrl", "robots")}


def variant_node(v: dict, product_id) -> dict:
    return {
        "__typename": "Variant", "id": v["id"], "title": v.get("title") or "", "sku": v.get("sku"),
        "barcode": v.get("barcode"), "position": v.get("position") or 0,
        "manageInventory": v.get("manageInventory", True), "allowBackorder": v.get("allowBackorder", False),
        "available": v.get("available"), "inStock": bool(v.get("inStock")),
        "selectedOptions": [{"name": k, "value": str(val)} for k, val in (v.get("options") or {}).items()],
        "prices": [money(a, c) for c, a in sorted((v.get("prices") or {}).items())],
        "_productId": product_id,
    }


def product_node(row: dict, currency: str | None = None) -> dict:
    pid = row["productId"]
    return {
        "__typename": "Product", "id": pid, "handle": row["handle"], "title": row["title"],
        "subtitle": row["subtitle"], "description": row["description"], "status": row["status"],
        "discountable": row["discountable"], "inStock": row["hasStock"], "totalStock": row["totalStock"],
        "variantCount": row["variantCount"], "currencies": row["currencies"],
        "variants": [variant_node(v, pid) for v in row["variants"] or []],
        "options": [{"id": o["id"], "title": o["title"], "values": [str(x) for x in o.get("values") or []]}
                    for o in row["options"] or []],
        "tags": [tag_node(s, n) for s, n in zip(row["tagSlugs"], row["tags"])],
        "seo": seo_of(row["seo"]), "metadata": row["metadata"], "rank": row.get("rank"),
        "createdAt": row["createdAt"], "updatedAt": row["updatedAt"],
        "_prices": row["prices"] or {}, "_categories": row["categories"] or [], "_currency": currency,
    }


async def products_connection(ctx, search=None, filter=None, sort=None, currency=None, first=None, after=None,
                              last=None, before=None, category_id=None) -> dict:
    args = page_args(first, after, last, before)
    tenant_id = await require_tenant(ctx)
    await ready_to_read(ctx, "commerce")
    staff = await is_staff(ctx)
    filters = _filters(filter)
    if category_id is not None:
        filters["categoryIds"] = [str(category_id)]
    currency = _currency(currency)
    rows = await fetch_all(ctx, _PRODUCT_PAGE, {
        "t": tenant_id, "search": search, "filters": Jsonb(filters), "currency": currency, "staff": staff,
        "sort": sort, "after": args.after_param, "before": args.before_param, "limit": args.limit,
        "from_end": args.from_end})
    head = rows[0]
    tsq = head["tsq"] or ""
    effective = sort or ("relevance" if tsq else "newest")
    if effective == "relevance" and not tsq:
        effective = "newest"
    page = [r for r in rows if r["productId"] is not None]
    return connection(page, args, lambda r: product_node(r, currency),
                      query=search, correctedQuery=head["correctedQuery"], sort=effective,
                      _read={"t": tenant_id, "search": search, "tsq": tsq, "filters": filters, "currency": currency,
                             "staff": staff, "kind": "products"})


async def _count(ctx, conn: dict) -> dict:
    cached = conn.get("_count")
    if cached is None:
        r = conn["_read"]
        if r["kind"] == "products":
            row = await fetch_one(ctx, "select total, capped from index.count_products(%s, %s::tsquery, %s, %s, %s, %s)",
                                  (r["t"], r["tsq"], Jsonb(r["filters"]), r["currency"], r["staff"], COUNT_CAP))
        elif r["kind"] == "content":
            row = await fetch_one(ctx, "select total, capped from index.count_content(%s, %s::tsquery, %s, %s, %s)",
                                  (r["t"], r["tsq"], Jsonb(r["filters"]), r["staff"], COUNT_CAP))
        else:
            row = await fetch_one(ctx, "select total, capped from index.count_orders(%s, %s, %s)",
                                  (r["customer"], r["status"], COUNT_CAP))
        cached = conn["_count"] = row
    return cached


for _conn_type in (product_connection_type, content_connection_type, order_connection_type):
    @_conn_type.field("totalCount")
    async def resolve_total_count(conn, info):
        return (await _count(info.context, conn))["total"]

    @_conn_type.field("totalCountCapped")
    async def resolve_total_count_capped(conn, info):
        return (await _count(info.context, conn))["capped"]


@product_connection_type.field("facets")
async def resolve_product_facets(conn, info):
    r = conn["_read"]
    row = await fetch_one(info.context, "select index.search_products(%s, %s, %s, 'newest', 1, 0, %s, %s) -> 'facets' as f",
                          (r["t"], r["search"], Jsonb(r["filters"]), r["currency"], r["staff"]))
    facets = row["f"] or {}
    currency = r["currency"]
    tree = await category_tree(info.context)
    categories = []
    for c in facets.get("categories") or []:
        node = tree["byId"].get(str(c["id"])) or category_node({"id": c["id"], "name": c["name"], "handle": c["handle"]})
        categories.append({"category": node, "count": c["count"]})
    in_stock = facets.get("inStock") or {}
    return {
        "categories": categories,
        "tags": [{"tag": tag_node(t["slug"], t["name"]), "count": t["count"]} for t in facets.get("tags") or []],
        "priceBuckets": [{"min": money(b["min"], currency), "max": money(b.get("max"), currency), "count": b["count"]}
                         for b in facets.get("priceBuckets") or []] if currency else [],
        "inStock": [{"inStock": True, "count": in_stock.get("true", 0)},
                    {"inStock": False, "count": in_stock.get("false", 0)}],
    }


@query.field("products")
async def resolve_products(_, info, search=None, filter=None, sort=None, currency=None, first=None, after=None,
                           last=None, before=None):
    return await products_connection(info.context, search, filter, sort, currency, first, after, last, before)


async def _load_products(ctx, ids: list) -> dict:
    rows = await fetch_all(ctx, _PRODUCTS_BY_ID, (list(ids), await is_staff(ctx)))
    return {r["productId"]: r for r in rows}


async def product_by_id(ctx, product_id: UUID):
    await ready_to_read(ctx, "commerce")
    row = await loader(ctx, "product", lambda ids: _load_products(ctx, ids)).load(product_id)
    return product_node(row) if row else None


@query.field("product")
async def resolve_product(_, info, id=None, handle=None):
    ctx = info.context
    await require_tenant(ctx)
    if (id is None) == (handle is None):
        raise ApiError("BAD_USER_INPUT", "product: give id or handle (one of them)", argument="id")
    await ready_to_read(ctx, "commerce")
    if id is not None:
        return await product_by_id(ctx, parse_id(id))
    row = await fetch_one(ctx, _PRODUCT_BY_HANDLE, (handle, await is_staff(ctx)))
    return product_node(row) if row else None


@product_type.field("priceRange")
def resolve_price_range(product, info, currency=None):
    currency = _currency(currency) or product["_currency"]
    found = product["_prices"].get(currency) if currency else None
    if not found:
        return None
    return {"min": money(found["min"], currency), "max": money(found["max"], currency)}


_PRODUCT_PRICES = """
    select distinct on (v.product_id) v.product_id, cp.calculated_amount, cp.original_amount,
           cp.calculated_price_list_type
    from commerce.calculate_prices(
             array(select v.id from commerce.variants v
                   where v.tenant_id = core.current_tenant_id() and v.product_id = any (%s)), %s) cp
    join commerce.variants v on v.tenant_id = core.current_tenant_id() and v.id = cp.variant_id
    where cp.calculated_amount is not null
    order by v.product_id, cp.calculated_amount, v.position, v.id"""


def _price(row, currency) -> dict | None:
    if row is None or row["calculatedAmount"] is None:
        return None
    original = row["originalAmount"] if row["originalAmount"] is not None else row["calculatedAmount"]
    return {"calculated": money(row["calculatedAmount"], currency), "original": money(original, currency),
            "onSale": row["calculatedAmount"] < original, "priceListType": row["calculatedPriceListType"]}


@product_type.field("price")
async def resolve_product_price(product, info, currency=None):
    ctx = info.context
    currency = _currency(currency) or product["_currency"]
    if not currency:
        return None

    async def fetch(ids):
        rows = await fetch_all(ctx, _PRODUCT_PRICES, (list(ids), currency))
        return {r["productId"]: r for r in rows}

    row = await loader(ctx, f"product_price:{currency}", fetch).load(product["id"])
    return _price(row, currency)


@product_type.field("categories")
async def resolve_product_categories(product, info):
    tree = await category_tree(info.context)
    return [tree["byId"].get(str(c["id"])) or category_node(c) for c in product["_categories"]]


# ---------------------------------------------------------------- variants

_VARIANT_PRICES = """
    select cp.variant_id, cp.calculated_amount, cp.original_amount, cp.calculated_price_list_type
    from commerce.calculate_prices(%s, %s, %s) cp"""

_VARIANT_STOCK = """
    select vi.variant_id, sl.id as location_id, sl.name as location_name,
           sum(il.stocked_quantity)::integer as stocked, sum(il.reserved_quantity)::integer as reserved,
           sum(il.incoming_quantity)::integer as incoming
    from commerce.variant_inventory vi
    join commerce.inventory_levels il on il.tenant_id = vi.tenant_id and il.inventory_item_id = vi.inventory_item_id
    join commerce.stock_locations sl on sl.tenant_id = il.tenant_id and sl.id = il.location_id
    where vi.tenant_id = core.current_tenant_id() and vi.variant_id = any (%s)
    group by vi.variant_id, sl.id, sl.name
    order by sl.name, sl.id"""


@variant_type.field("price")
async def resolve_variant_price(variant, info, currency: str, quantity: int = 1):
    ctx = info.context
    currency = _currency(currency)
    if quantity is None or quantity < 1:
        raise ApiError("BAD_USER_INPUT", f"quantity: must be at least 1 (got {quantity})", argument="quantity")

    async def fetch(ids):
        rows = await fetch_all(ctx, _VARIANT_PRICES, (list(ids), currency, quantity))
        return {r["variantId"]: r for r in rows}

    row = await loader(ctx, f"variant_price:{currency}:{quantity}", fetch).load(UUID(str(variant["id"])))
    return _price(row, currency)


@variant_type.field("stock")
async def resolve_variant_stock(variant, info):
    ctx = info.context
    await require_permission(ctx, "catalog:write")

    async def fetch(ids):
        out: dict = {}
        for r in await fetch_all(ctx, _VARIANT_STOCK, (list(ids),)):
            out.setdefault(r["variantId"], []).append({
                "location": {"__typename": "StockLocation", "id": r["locationId"], "name": r["locationName"]},
                "stocked": r["stocked"], "reserved": r["reserved"], "incoming": r["incoming"],
                "available": max(r["stocked"] - r["reserved"], 0)})
        return out

    return await loader(ctx, "variant_stock", fetch).load(UUID(str(variant["id"]))) or []


@variant_type.field("product")
async def resolve_variant_product(variant, info):
    return await product_by_id(info.context, UUID(str(variant["_productId"])))


# ---------------------------------------------------------------- categories

# A category's SEO meta (content.meta alias m, left joined: {} when it has none), as Seo reads it (seo_of).
SEO_OF_META = ("jsonb_strip_nulls(jsonb_build_object('title', m.title, 'description', m.description, "
               "'canonicalUrl', m.canonical_url, 'imageUrl', m.image_url, 'robots', m.robots))")

_CATEGORIES = f"""
    select c.id, c.parent_id, c.name, c.handle, c.description, c.rank, {SEO_OF_META} as seo
    from commerce.categories c
    left join content.meta m on m.tenant_id = c.tenant_id and m.target_type = 'catalog_category' and m.target_id = c.id
    where c.tenant_id = core.current_tenant_id() and (%s or (c.is_active and not c.is_internal))
    order by c.rank, c.name, c.id"""


def category_node(row: dict) -> dict:
    return {"__typename": "Category", "id": row["id"], "name": row["name"], "handle": row["handle"],
            "description": row.get("description"), "rank": row.get("rank") or 0, "seo": seo_of(row.get("seo")),
            "_parentId": row.get("parentId"), "_children": []}


async def _tree(ctx, key: str, sql: str, make) -> dict:
    """A category tree of the tenant (small: read whole, once per request): {byId, roots}."""
    found = ctx.loaders.get(key)
    if found is None:
        rows = await fetch_all(ctx, sql, (await is_staff(ctx),))
        by_id = {str(r["id"]): make(r) for r in rows}
        roots = []
        for node in by_id.values():
            parent = by_id.get(str(node["_parentId"])) if node["_parentId"] else None
            node["parent"] = parent
            (parent["_children"] if parent else roots).append(node)
        found = ctx.loaders[key] = {"byId": by_id, "roots": roots}
    return found


async def category_tree(ctx) -> dict:
    await ready_to_read(ctx, "commerce")
    return await _tree(ctx, "tree:category", _CATEGORIES, category_node)


@query.field("categories")
async def resolve_categories(_, info):
    await require_tenant(info.context)
    return (await category_tree(info.context))["roots"]


@query.field("category")
async def resolve_category(_, info, id=None, handle=None):
    ctx = info.context
    await require_tenant(ctx)
    if (id is None) == (handle is None):
        raise ApiError("BAD_USER_INPUT", "category: give id or handle (one of them)", argument="id")
    tree = await category_tree(ctx)
    if id is not None:
        return tree["byId"].get(str(parse_id(id)))
    return next((c for c in tree["byId"].values() if c["handle"] == handle), None)


@category_type.field("children")
def resolve_category_children(category, info):
    return category.get("_children") or []


@category_type.field("products")
async def resolve_category_products(category, info, search=None, filter=None, sort=None, currency=None, first=None,
                                    after=None, last=None, before=None):
    return await products_connection(info.context, search, filter, sort, currency, first, after, last, before,
                                     category_id=category["id"])


# ---------------------------------------------------------------- tags

@tag_type.field("id")
async def resolve_tag_id(tag, info):
    if tag.get("id") is not None:
        return tag["id"]
    ctx = info.context

    async def fetch(slugs):
        rows = await fetch_all(ctx, "select slug, id from content.tags where tenant_id = core.current_tenant_id() "
                                    "and slug = any (%s)", (list(slugs),))
        return {r["slug"]: r["id"] for r in rows}

    return await loader(ctx, "tag_id", fetch).load(tag["slug"])


# ================================================================ content

_CONTENT_COLUMNS = """c.node_id, c.kind, c.title, c.slug, c.excerpt, c.body_preview, c.body_format, c.status,
    c.author_id, c.author_name, c.category_id, c.tags, c.tag_slugs, c.parent_id, c.reply_count, c.seo,
    c.metadata, c.published_at, c.created_at, c.updated_at"""

_CONTENT_PAGE = f"""
    select q.q::text as tsq, q.corrected_query, k.ord, k.cursor, k.rank, {_CONTENT_COLUMNS}
    from index.content_query(%(t)s, %(search)s, %(filters)s, %(staff)s) q
    left join lateral index.page_content(%(t)s, q.q, %(filters)s, %(sort)s, %(staff)s,
                                         %(after)s, %(before)s, %(limit)s, %(from_end)s)
         with ordinality as k (node_id, cursor, rank, ord) on true
    left join index.content c on c.tenant_id = %(t)s and c.node_id = k.node_id
    order by k.ord"""

_VISIBLE_CONTENT = "(%s or (c.status in ('published', 'approved') and c.published_at <= now()))"

_CONTENT_BY_ID = f"""
    select {_CONTENT_COLUMNS} from index.content c
    where c.tenant_id = core.current_tenant_id() and c.node_id = any (%s) and {_VISIBLE_CONTENT}"""

_CONTENT_BY_SLUG = f"""
    select {_CONTENT_COLUMNS} from index.content c
    where c.tenant_id = core.current_tenant_id() and c.kind = %s and c.slug = %s and {_VISIBLE_CONTENT}
    limit 1"""


def content_node(row: dict) -> dict:
    return {
        "__typename": "Content", "id": row["nodeId"], "kind": row["kind"], "title": row["title"],
        "slug": row["slug"], "excerpt": row["excerpt"], "bodyPreview": row["bodyPreview"],
        "bodyFormat": row["bodyFormat"], "status": row["status"],
        "author": {"__typename": "Author", "id": row["authorId"], "name": row["authorName"]} if row["authorId"] else None,
        "tags": [tag_node(s, n) for s, n in zip(row["tagSlugs"], row["tags"])],
        "seo": seo_of(row["seo"]), "metadata": row["metadata"], "replyCount": row["replyCount"],
        "rank": row.get("rank"), "publishedAt": row["publishedAt"], "createdAt": row["createdAt"],
        "updatedAt": row["updatedAt"], "_parentId": row["parentId"], "_categoryId": row["categoryId"],
    }


async def contents_connection(ctx, search=None, kind=None, filter=None, sort=None, first=None, after=None,
                              last=None, before=None, parent_id=None) -> dict:
    args = page_args(first, after, last, before)
    tenant_id = await require_tenant(ctx)
    await ready_to_read(ctx, "content")
    staff = await is_staff(ctx)
    filters = _filters(filter)
    if kind:
        filters["kinds"] = [kind]
    if parent_id is not None:
        filters["parentId"] = str(parent_id)
        filters["kinds"] = ["comment"]
    rows = await fetch_all(ctx, _CONTENT_PAGE, {
        "t": tenant_id, "search": search, "filters": Jsonb(filters), "staff": staff, "sort": sort,
        "after": args.after_param, "before": args.before_param, "limit": args.limit, "from_end": args.from_end})
    head = rows[0]
    tsq = head["tsq"] or ""
    effective = sort or ("relevance" if tsq else "newest")
    if effective == "relevance" and not tsq:
        effective = "newest"
    page = [r for r in rows if r["nodeId"] is not None]
    return connection(page, args, content_node, query=search, correctedQuery=head["correctedQuery"], sort=effective,
                      _read={"t": tenant_id, "search": search, "tsq": tsq, "filters": filters, "staff": staff,
                             "kind": "content"})


@query.field("contents")
async def resolve_contents(_, info, search=None, kind=None, filter=None, sort=None, first=None, after=None,
                           last=None, before=None):
    return await contents_connection(info.context, search, kind, filter, sort, first, after, last, before)


@content_connection_type.field("facets")
async def resolve_content_facets(conn, info):
    r = conn["_read"]
    row = await fetch_one(info.context, "select index.search_content(%s, %s, %s, null, 1, 0, %s) -> 'facets' as f",
                          (r["t"], r["search"], Jsonb(r["filters"]), r["staff"]))
    facets = row["f"] or {}
    tree = await content_category_tree(info.context)
    return {
        "kinds": [{"kind": k["kind"], "count": k["count"]} for k in facets.get("kinds") or []],
        "categories": [{"category": tree["byId"].get(str(c["id"])) or content_category_node(c), "count": c["count"]}
                       for c in facets.get("categories") or []],
        "tags": [{"tag": tag_node(t["slug"], t["name"]), "count": t["count"]} for t in facets.get("tags") or []],
    }


async def _load_contents(ctx, ids: list) -> dict:
    rows = await fetch_all(ctx, _CONTENT_BY_ID, (list(ids), await is_staff(ctx)))
    return {r["nodeId"]: r for r in rows}


async def content_by_id(ctx, node_id: UUID):
    await ready_to_read(ctx, "content")
    row = await loader(ctx, "content", lambda ids: _load_contents(ctx, ids)).load(node_id)
    return content_node(row) if row else None


@query.field("content")
async def resolve_content(_, info, id=None, kind=None, slug=None):
    ctx = info.context
    await require_tenant(ctx)
    if id is not None:
        return await content_by_id(ctx, parse_id(id))
    if kind is None or slug is None:
        raise ApiError("BAD_USER_INPUT", "content: give id, or kind and slug", argument="slug")
    await ready_to_read(ctx, "content")
    row = await fetch_one(ctx, _CONTENT_BY_SLUG, (kind, slug, await is_staff(ctx)))
    return content_node(row) if row else None


@content_type.field("body")
async def resolve_content_body(content, info):
    ctx = info.context

    async def fetch(ids):
        rows = await fetch_all(ctx, "select node_id, body from content.bodies "
                                    "where tenant_id = core.current_tenant_id() and node_id = any (%s)", (list(ids),))
        return {r["nodeId"]: r["body"] for r in rows}

    return await loader(ctx, "content_body", fetch).load(content["id"])


@content_type.field("parent")
async def resolve_content_parent(content, info):
    return await content_by_id(info.context, content["_parentId"]) if content["_parentId"] else None


@content_type.field("category")
async def resolve_content_category(content, info):
    if not content["_categoryId"]:
        return None
    return (await content_category_tree(info.context))["byId"].get(str(content["_categoryId"]))


@content_type.field("comments")
async def resolve_content_comments(content, info, sort="oldest", first=None, after=None, last=None, before=None):
    return await contents_connection(info.context, None, None, None, sort, first, after, last, before,
                                     parent_id=content["id"])


_CONTENT_CATEGORIES = f"""
    select c.id, c.parent_id, c.name, c.slug, c.description, c.position, {SEO_OF_META} as seo
    from content.categories c
    left join content.meta m on m.tenant_id = c.tenant_id and m.target_type = 'content_category' and m.target_id = c.id
    where c.tenant_id = core.current_tenant_id() and %s is not null
    order by c.position, c.name, c.id"""


def content_category_node(row: dict) -> dict:
    return {"__typename": "ContentCategory", "id": row["id"], "name": row["name"], "slug": row["slug"],
            "description": row.get("description"), "position": row.get("position") or 0,
            "seo": seo_of(row.get("seo")), "_parentId": row.get("parentId"), "_children": []}


async def content_category_tree(ctx) -> dict:
    await ready_to_read(ctx, "content")
    return await _tree(ctx, "tree:content_category", _CONTENT_CATEGORIES, content_category_node)


@query.field("contentCategories")
async def resolve_content_categories(_, info):
    await require_tenant(info.context)
    return (await content_category_tree(info.context))["roots"]


@content_category_type.field("children")
def resolve_content_category_children(category, info):
    return category.get("_children") or []


# ================================================================ orders

_ORDER_COLUMNS = """o.order_id, o.display_id, o.status, o.currency_code, o.subtotal, o.discount_total,
    o.shipping_total, o.tax_total, o.total, o.item_count, o.items, o.customer_id, o.customer_email, o.created_at,
    o.updated_at, o.paid_at, o.fulfilled_at, o.completed_at, o.cancelled_at"""

_ORDER_PAGE = f"""
    select k.cursor, {_ORDER_COLUMNS}
    from index.page_orders(%(customer)s, %(status)s, %(after)s, %(before)s, %(limit)s, %(from_end)s)
         with ordinality as k (order_id, cursor, ord)
    join index.orders o on o.tenant_id = core.current_tenant_id() and o.order_id = k.order_id
    order by k.ord"""

_ORDERS_BY_ID = f"""
    select {_ORDER_COLUMNS} from index.orders o
    where o.tenant_id = core.current_tenant_id() and o.order_id = any (%s)
      and (%s::uuid is null or o.customer_id = %s::uuid)"""


def order_node(row: dict) -> dict:
    cur = row["currencyCode"]
    return {
        "__typename": "Order", "id": row["orderId"], "displayId": row["displayId"], "status": row["status"],
        "currencyCode": cur, "subtotal": money(row["subtotal"], cur), "discountTotal": money(row["discountTotal"], cur),
        "shippingTotal": money(row["shippingTotal"], cur), "taxTotal": money(row["taxTotal"], cur),
        "total": money(row["total"], cur), "itemCount": row["itemCount"],
        "lines": [{"id": i["id"], "title": i["title"], "sku": i.get("sku"), "quantity": i["quantity"],
                   "unitPrice": money(i["unitPrice"], cur), "total": money(i["total"], cur),
                   "variantId": i.get("variantId"), "productId": i.get("productId")} for i in row["items"] or []],
        "customerId": row["customerId"], "email": row["customerEmail"], "createdAt": row["createdAt"],
        "updatedAt": row["updatedAt"], "paidAt": row["paidAt"], "fulfilledAt": row["fulfilledAt"],
        "completedAt": row["completedAt"], "cancelledAt": row["cancelledAt"],
    }


@query.field("orders")
async def resolve_orders(_, info, status=None, first=None, after=None, last=None, before=None):
    ctx = info.context
    args = page_args(first, after, last, before)
    caller = await require_user(ctx)
    await ready_to_read(ctx, "commerce")
    customer = await orders_customer(ctx, caller)
    rows = await fetch_all(ctx, _ORDER_PAGE, {
        "customer": customer, "status": status, "after": args.after_param, "before": args.before_param,
        "limit": args.limit, "from_end": args.from_end})
    return connection(rows, args, order_node, _read={"kind": "orders", "customer": customer, "status": status})


async def order_by_id(ctx, order_id: UUID):
    caller = await require_user(ctx)
    await ready_to_read(ctx, "commerce")
    customer = await orders_customer(ctx, caller)

    async def fetch(ids):
        rows = await fetch_all(ctx, _ORDERS_BY_ID, (list(ids), customer, customer))
        return {r["orderId"]: r for r in rows}

    row = await loader(ctx, "order", fetch).load(order_id)
    return order_node(row) if row else None


@query.field("order")
async def resolve_order(_, info, id: str):
    return await order_by_id(info.context, parse_id(id))


_ADDRESS_KEYS = {"firstName": ("first_name",), "lastName": ("last_name",), "company": (), "address1": ("address_1", "line1"),
                 "address2": ("address_2", "line2"), "city": (), "postalCode": ("postal_code", "zip"),
                 "province": ("state", "region"), "countryCode": ("country_code", "country"), "phone": ()}


def address_of(value) -> dict | None:
    """A stored address (free-form JSON: camelCase or snake_case keys) as the typed Address."""
    if not isinstance(value, dict):
        return None
    out = {}
    for key, aliases in _ADDRESS_KEYS.items():
        found = next((value[k] for k in (key, *aliases) if value.get(k) is not None), None)
        out[key] = None if found is None else str(found)
    return out


async def _order_addresses(ctx, order_id):
    async def fetch(ids):
        rows = await fetch_all(ctx, "select id, shipping_address, billing_address, metadata->'cancellation' as cancellation "
                                    "from commerce.orders "
                                    "where tenant_id = core.current_tenant_id() and id = any (%s)", (list(ids),))
        return {r["id"]: r for r in rows}

    return await loader(ctx, "order_addresses", fetch).load(order_id) or {}


@order_type.field("shippingAddress")
async def resolve_order_shipping(order, info):
    return address_of((await _order_addresses(info.context, order["id"])).get("shippingAddress"))


@order_type.field("billingAddress")
async def resolve_order_billing(order, info):
    return address_of((await _order_addresses(info.context, order["id"])).get("billingAddress"))


def cancellation_of(value) -> dict | None:
    """commerce.cancel_order's metadata.cancellation {reason, by, at} as the typed OrderCancellation."""
    if not isinstance(value, dict) or not value.get("reason"):
        return None
    return {"reason": value["reason"], "cancelledBy": value.get("by"), "cancelledAt": value.get("at")}


@order_type.field("cancellation")
async def resolve_order_cancellation(order, info):
    return cancellation_of((await _order_addresses(info.context, order["id"])).get("cancellation"))


# ================================================================ Global Object Identification

_NODE_TYPES = """
    select x.id, x.type from (
        select product_id as id, 'Product' as type from index.products
         where tenant_id = core.current_tenant_id() and product_id = any (%(ids)s)
        union all select id, 'Variant' from commerce.variants
         where tenant_id = core.current_tenant_id() and id = any (%(ids)s)
        union all select node_id, 'Content' from index.content
         where tenant_id = core.current_tenant_id() and node_id = any (%(ids)s)
        union all select id, 'Category' from commerce.categories
         where tenant_id = core.current_tenant_id() and id = any (%(ids)s)
        union all select id, 'ContentCategory' from content.categories
         where tenant_id = core.current_tenant_id() and id = any (%(ids)s)
        union all select id, 'Tag' from content.tags
         where tenant_id = core.current_tenant_id() and id = any (%(ids)s)
        union all select order_id, 'Order' from index.orders
         where tenant_id = core.current_tenant_id() and order_id = any (%(ids)s)
        union all select id, 'StockLocation' from commerce.stock_locations
         where tenant_id = core.current_tenant_id() and id = any (%(ids)s)
        union all select id, 'Author' from core.users u
         where tenant_id = core.current_tenant_id() and id = any (%(ids)s)
        union all select id, 'Media' from content.media
         where tenant_id = core.current_tenant_id() and id = any (%(ids)s)
    ) x"""


async def _node(ctx, type_name: str, node_id: UUID):
    if type_name == "Product":
        return await product_by_id(ctx, node_id)
    if type_name == "Variant":
        row = await fetch_one(ctx, "select product_id from commerce.variants where tenant_id = core.current_tenant_id() "
                                   "and id = %s", (node_id,))
        product = await product_by_id(ctx, row["productId"]) if row else None
        return next((v for v in product["variants"] if str(v["id"]) == str(node_id)), None) if product else None
    if type_name == "Content":
        return await content_by_id(ctx, node_id)
    if type_name == "Category":
        return (await category_tree(ctx))["byId"].get(str(node_id))
    if type_name == "ContentCategory":
        return (await content_category_tree(ctx))["byId"].get(str(node_id))
    if type_name == "Tag":
        row = await fetch_one(ctx, "select id, slug, name from content.tags where tenant_id = core.current_tenant_id() "
                                   "and id = %s", (node_id,))
        return tag_node(row["slug"], row["name"], row["id"]) if row else None
    if type_name == "Order":
        if (await ctx.caller()).user_id is None:
            return None
        return await order_by_id(ctx, node_id)
    if type_name == "StockLocation":
        if not await has_permission(ctx, "catalog:write"):
            return None
        row = await fetch_one(ctx, "select id, name from commerce.stock_locations "
                                   "where tenant_id = core.current_tenant_id() and id = %s", (node_id,))
        return {"__typename": "StockLocation", **row} if row else None
    if type_name == "Author":
        # a public profile exists for users who authored something visible
        row = await fetch_one(ctx, """
            select u.id, u.display_name from core.users u
            where u.tenant_id = core.current_tenant_id() and u.id = %s
              and exists (select 1 from index.content c where c.tenant_id = u.tenant_id and c.author_id = u.id
                          and (%s or (c.status in ('published', 'approved') and c.published_at <= now())))""",
            (node_id, await is_staff(ctx)))
        return {"__typename": "Author", "id": row["id"], "name": row["displayName"]} if row else None
    if type_name == "Media":
        # as GET /t/<slug>/media/<id>: whoever has the id may fetch the file, so its description too
        from rustok.graphql.media import media_by_id
        return await media_by_id(ctx, node_id)
    return None


async def _nodes(ctx, ids: list[UUID]) -> list:
    await wait_for_index(ctx)
    rows = await fetch_all(ctx, _NODE_TYPES, {"ids": ids})
    types = {r["id"]: r["type"] for r in rows}

    async def one(node_id):
        return await _node(ctx, types[node_id], node_id) if node_id in types else None
    # concurrently, so that the batch loaders (products, contents, orders) fetch each type in one statement
    return list(await asyncio.gather(*(one(node_id) for node_id in ids)))


@query.field("node")
async def resolve_node(_, info, id: str):
    await require_tenant(info.context)
    return (await _nodes(info.context, [parse_id(id)]))[0]


@query.field("nodes")
async def resolve_nodes(_, info, ids: list[str]):
    await require_tenant(info.context)
    if len(ids) > MAX_NODES:
        raise ApiError("BAD_USER_INPUT", f"ids: at most {MAX_NODES} per call (got {len(ids)})", argument="ids")
    return await _nodes(info.context, [parse_id(i) for i in ids])


bindables = [query, node_interface, product_type, variant_type, category_type, tag_type, content_type,
             content_category_type, order_type, product_connection_type, content_connection_type,
             order_connection_type]


# ================================================================ unified search

search_result_union = UnionType("SearchResult")


@search_result_union.type_resolver
def resolve_search_result_type(obj, *_):
    return obj["__typename"]


# The spelling correction first (null when the text as typed finds something), then the page for the text used;
# one statement: a left join, so the correction comes back even when the page is empty.
_SEARCH_PAGE = """
    select c.fix as corrected_query, k.id, k.type, k.cursor
    from index.search_correction(%(t)s, %(q)s, %(staff)s) as c (fix)
    left join lateral index.page_search(%(t)s, coalesce(c.fix, %(q)s), %(staff)s, %(after)s, %(before)s, %(limit)s,
                                        %(from_end)s) k on true"""


@query.field("search")
async def resolve_search(_, info, query: str, first=None, after=None, last=None, before=None):
    ctx = info.context
    args = page_args(first, after, last, before)
    tenant_id = await require_tenant(ctx)
    await wait_for_index(ctx)
    rows = await fetch_all(ctx, _SEARCH_PAGE, {"t": tenant_id, "q": query, "staff": await is_staff(ctx),
                                               "after": args.after_param, "before": args.before_param,
                                               "limit": args.limit, "from_end": args.from_end})
    corrected = rows[0]["correctedQuery"] if rows else None
    rows = [r for r in rows if r["id"] is not None]
    nodes = {}
    for r in rows:
        loaded = await (product_by_id if r["type"] == "Product" else content_by_id)(ctx, r["id"])
        nodes[r["id"]] = loaded
    rows = [r for r in rows if nodes.get(r["id"]) is not None]
    return connection(rows, args, lambda r: nodes[r["id"]], query=query, correctedQuery=corrected,
                      _read={"t": tenant_id, "kind": "search", "text": corrected or query, "staff": await is_staff(ctx)})


search_connection_type = ObjectType("SearchConnection")


async def _search_count(conn: dict, info) -> dict:
    if "_count" not in conn:
        r = conn["_read"]
        conn["_count"] = await fetch_one(info.context, "select total, capped from index.count_search(%s, %s, %s, %s)",
                                         (r["t"], r["text"], r["staff"], COUNT_CAP))
    return conn["_count"]


@search_connection_type.field("totalCount")
async def resolve_search_total(conn, info):
    return (await _search_count(conn, info))["total"]


@search_connection_type.field("totalCountCapped")
async def resolve_search_capped(conn, info):
    return (await _search_count(conn, info))["capped"]


# ================================================================ community reads

async def _reaction_counts(ctx, node_id):
    async def fetch(ids):
        out: dict = {}
        for r in await fetch_all(ctx, "select node_id, kind, count(*)::integer as n from community.reactions "
                                      "where tenant_id = core.current_tenant_id() and node_id = any (%s) "
                                      "group by node_id, kind order by node_id, kind", (list(ids),)):
            out.setdefault(r["nodeId"], []).append({"kind": r["kind"], "count": r["n"]})
        return out

    return await loader(ctx, "reaction_counts", fetch).load(node_id) or []


@content_type.field("reactions")
async def resolve_content_reactions(content, info):
    await require_module(info.context, "community")
    return await _reaction_counts(info.context, content["id"])


@content_type.field("viewerReactions")
async def resolve_viewer_reactions(content, info):
    ctx = info.context
    await ready_to_read(ctx, "community")
    caller = await ctx.caller()
    if caller.user_id is None:
        return []

    async def fetch(ids):
        out: dict = {}
        for r in await fetch_all(ctx, "select node_id, kind from community.reactions "
                                      "where tenant_id = core.current_tenant_id() and user_id = %s and node_id = any (%s) "
                                      "order by kind", (caller.user_id, list(ids))):
            out.setdefault(r["nodeId"], []).append(r["kind"])
        return out

    return await loader(ctx, "viewer_reactions", fetch).load(content["id"]) or []


async def _follower_count(ctx, target_type: str, target_id):
    async def fetch(ids):
        rows = await fetch_all(ctx, "select target_id, count(*)::integer as n from community.follows "
                                    "where tenant_id = core.current_tenant_id() and target_type = %s "
                                    "and target_id = any (%s) group by target_id", (target_type, list(ids)))
        return {r["targetId"]: r["n"] for r in rows}

    return await loader(ctx, f"followers:{target_type}", fetch).load(target_id) or 0


@content_type.field("followerCount")
async def resolve_content_followers(content, info):
    await require_module(info.context, "community")
    return await _follower_count(info.context, "node", content["id"])


_author_type = ObjectType("Author")


@_author_type.field("followerCount")
async def resolve_author_followers(author, info):
    await require_module(info.context, "community")
    return await _follower_count(info.context, "user", author["id"])


@_author_type.field("viewerFollows")
async def resolve_author_viewer_follows(author, info):
    ctx = info.context
    await ready_to_read(ctx, "community")
    caller = await ctx.caller()
    if caller.user_id is None:
        return False
    row = await fetch_one(ctx, "select exists (select 1 from community.follows where tenant_id = core.current_tenant_id() "
                               "and follower_id = %s and followed_user_id = %s) as f", (caller.user_id, author["id"]))
    return row["f"]


@_author_type.field("reputation")
async def resolve_author_reputation(author, info):
    ctx = info.context
    await ready_to_read(ctx, "community")

    async def fetch(ids):
        rows = await fetch_all(ctx, "select user_id, score, reactions_received from community.reputation "
                                    "where tenant_id = core.current_tenant_id() and user_id = any (%s)", (list(ids),))
        return {r["userId"]: r for r in rows}

    row = await loader(ctx, "reputation", fetch).load(author["id"])
    return {"score": row["score"] if row else 0, "reactionsReceived": row["reactionsReceived"] if row else 0}


@_author_type.field("contents")
async def resolve_author_contents(author, info, kind=None, first=None, after=None, last=None, before=None):
    return await contents_connection(info.context, None, kind, {"authorIds": [str(author["id"])]}, "newest",
                                     first, after, last, before)


@query.field("author")
async def resolve_author(_, info, id: str):
    await require_tenant(info.context)
    return await _node(info.context, "Author", parse_id(id))


bindables += [search_result_union, _author_type, search_connection_type]
