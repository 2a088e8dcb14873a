"""Carts (schema/cart.graphql): thin resolvers over the cart SQL API (sql/code/commerce/carts.sql).

A visitor's cart is found by the SHA-256 of its token (the token is made here, returned once, never stored);
a signed-in user's by the user (the SQL functions read rustok.user_id). Checkout runs commerce.checkout_cart,
which places the order through commerce.checkout, or for a visitor without a session (guest checkout)
commerce.guest_checkout_cart, which places it through commerce.place_order and keeps the hash of the guest's order
token (guestOrder reads the order by it); `items[i]` refusals are renamed `lines[i]`.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import datetime
from uuid import UUID

from ariadne import MutationType, ObjectType, QueryType

from rustok.graphql.access import ready_to_read, require_permission, require_tenant, require_user
from rustok.graphql.commerce import _address, _order
from rustok.graphql.db import fetch_all, fetch_one, scalar, tenant_connection, tenant_write
from rustok.graphql.errors import ApiError
from rustok.graphql.paging import COUNT_CAP, bind_total_count, connection, counted, not_a_cursor, page_args
from rustok.graphql.payloads import mutation_payload
from rustok.graphql.scalars import jsonb
from rustok.graphql.storefront import _ORDER_COLUMNS, order_node
from rustok.ids import parse_id

query = QueryType()
mutation = MutationType()
cart_type = ObjectType("Cart")
line_type = ObjectType("CartLine")

_ITEMS = re.compile(r"^items\[(\d+)\]")
_MAX_TOKEN = 200


def token_hash(token: str | None) -> str | None:
    if token is None or token == "":
        return None
    if len(token) > _MAX_TOKEN:
        raise ApiError("BAD_USER_INPUT", "token: not a cart token", argument="token")
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def _money(amount, currency):
    return None if amount is None else {"amount": amount, "currencyCode": currency}


def _cart(record: dict | None) -> dict | None:
    if not record:
        return None
    currency = record["currencyCode"]
    lines = [{**line, "unitPrice": _money(line.get("unitPrice"), currency),
              "originalUnitPrice": _money(line.get("originalUnitPrice"), currency),
              "total": _money(line.get("total"), currency)} for line in record["lines"]]
    return {**record, "lines": lines, "itemCount": sum(line["quantity"] for line in lines),
            "subtotal": _money(record["subtotal"], currency)}


async def _cart_id(conn, hashed: str | None):
    return await scalar(conn, "select (commerce._visitor_cart(%s)).id", (hashed,))


@query.field("cart")
async def resolve_cart(_, info, token: str | None = None):
    ctx = info.context
    hashed = token_hash(token)
    caller = await ctx.caller()
    if hashed is None and caller.user_id is None:
        await require_tenant(ctx)
        return None
    tenant_id = await require_tenant(ctx)
    async with tenant_connection(ctx, tenant_id) as conn:
        cart_id = await _cart_id(conn, hashed)
        return _cart(await scalar(conn, "select commerce.cart_record(%s)", (cart_id,))) if cart_id else None


async def _write_line(info, token, variant_id, quantity, add: bool, currency=None) -> dict:
    ctx = info.context
    caller = await ctx.caller()
    hashed = token_hash(token)
    new_token = None
    if hashed is None and caller.user_id is None:
        new_token = secrets.token_urlsafe(32)
        hashed = token_hash(new_token)
    variant = parse_id(variant_id)
    async with tenant_write(ctx) as (conn, result):
        if add:
            cart_id = await scalar(conn, "select commerce.open_cart(%s, %s)", (hashed, currency))
        else:
            cart_id = await _cart_id(conn, hashed)
            if cart_id is None:
                raise ApiError("NOT_FOUND", "token: no open cart for this visitor", argument="token")
        await conn.execute("select commerce.set_cart_line(%s, %s, %s, %s)", (cart_id, variant, quantity, add))
        result["cart"] = _cart(await scalar(conn, "select commerce.cart_record(%s)", (cart_id,)))
        if new_token is not None:
            result["token"] = new_token
    return result


@mutation.field("addToCart")
@mutation_payload
async def resolve_add_to_cart(_, info, variantId: str, quantity: int = 1, token: str | None = None,  # noqa: N803
                              currency: str | None = None):
    return await _write_line(info, token, variantId, quantity, True, currency)


@mutation.field("setCartLine")
@mutation_payload
async def resolve_set_cart_line(_, info, variantId: str, quantity: int, token: str | None = None):  # noqa: N803
    return await _write_line(info, token, variantId, quantity, False)


@mutation.field("removeCartLine")
@mutation_payload
async def resolve_remove_cart_line(_, info, variantId: str, token: str | None = None):  # noqa: N803
    return await _write_line(info, token, variantId, 0, False)


def _line_field(error: dict) -> dict:
    field = error.get("field") or ""
    match = _ITEMS.match(field)
    if match:
        rest = field[match.end():]
        error = {**error, "field": f"lines[{match.group(1)}]{rest}",
                 "message": error["message"].replace(field, f"lines[{match.group(1)}]{rest}", 1)}
    return error


@mutation.field("checkoutCart")
async def resolve_checkout_cart(_, info, token: str | None = None, email: str | None = None,
                                shippingAddress: dict | None = None, billingAddress: dict | None = None):  # noqa: N803
    result = await _checkout(None, info, token=token, email=email, shippingAddress=shippingAddress,
                             billingAddress=billingAddress)
    result["userErrors"] = [_line_field(e) for e in result.get("userErrors") or ()]
    if result["userErrors"]:
        result = await _name_line_by_variant(info, token, result)
    return result


@mutation_payload
async def _checkout(_, info, token=None, email=None, shippingAddress=None, billingAddress=None):  # noqa: N803
    ctx = info.context
    await require_tenant(ctx)
    caller = await ctx.caller()
    if caller.user_id is None:
        return await _guest_checkout(ctx, token, email, shippingAddress, billingAddress)
    await require_user(ctx)
    await require_permission(ctx, "orders:place")
    hashed = token_hash(token)
    async with tenant_write(ctx, early_release=True) as (conn, result):
        cart_id = await _cart_id(conn, hashed)
        if cart_id is None:
            raise ApiError("NOT_FOUND", "token: no open cart for this visitor", argument="token")
        order_id = await scalar(conn, "select commerce.checkout_cart(%s, %s, %s::jsonb, %s::jsonb)",
                                (cart_id, email, jsonb(_address(shippingAddress)), jsonb(_address(billingAddress))))
        result["order"] = _order(await scalar(conn, "select commerce.order_record(%s)", (order_id,)))
    return result


_GUEST_ADDRESS = (("address1", "a street address"), ("city", "a city"), ("countryCode", "a two-letter country code"))
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def guest_input_errors(email: str | None, address: dict | None) -> list[dict]:
    """What a guest must give, every missing or malformed field at once (commerce.guest_checkout_cart checks again)."""
    errors = []
    if not email or not _EMAIL.match(email.strip()) or len(email.strip()) > 255:
        errors.append({"field": "email", "code": "REQUIRED" if not email else "INVALID",
                       "message": "email: an e-mail address (name@example.com) is needed to check out without an account"})
    for key, what in _GUEST_ADDRESS:
        value = ((address or {}).get(key) or "").strip()
        if not value or (key == "countryCode" and not re.fullmatch(r"[A-Z]{2}", value)):
            errors.append({"field": f"shippingAddress.{key}", "code": "REQUIRED" if not value else "INVALID",
                           "message": f"shippingAddress.{key}: {what} is needed to ship the order"})
    return errors


async def _guest_checkout(ctx, token, email, shipping, billing) -> dict:
    """Guest checkout: an anonymous cart (by its token) ordered with an e-mail and a shipping address; the new
    order token (returned once, only its hash is stored) opens the order later (guestOrder)."""
    hashed = token_hash(token)
    if hashed is None:
        raise ApiError("NOT_FOUND", "token: no open cart for this visitor", argument="token")
    errors = guest_input_errors(email, shipping)
    if errors:
        return {"userErrors": errors, "position": None}
    order_token = secrets.token_urlsafe(32)
    async with tenant_write(ctx, early_release=True) as (conn, result):
        cart_id = await _cart_id(conn, hashed)
        if cart_id is None:
            raise ApiError("NOT_FOUND", "token: no open cart for this visitor", argument="token")
        order_id = await scalar(conn, "select commerce.guest_checkout_cart(%s, %s, %s::jsonb, %s::jsonb, %s)",
                                (cart_id, email.strip(), jsonb(_address(shipping)), jsonb(_address(billing)),
                                 token_hash(order_token)))
        result["order"] = _order(await scalar(conn, "select commerce.order_record(%s)", (order_id,)))
        result["orderToken"] = order_token
    return result


@query.field("guestOrder")
async def resolve_guest_order(_, info, token: str):
    ctx = info.context
    await require_tenant(ctx)
    await ready_to_read(ctx, "commerce")
    if not token or len(token) > _MAX_TOKEN:
        return None
    row = await fetch_one(ctx, f"""
        select {_ORDER_COLUMNS} from index.orders o
        where o.tenant_id = core.current_tenant_id() and o.order_id = commerce.guest_order(%s)""", (token_hash(token),))
    return order_node(row) if row else None


async def _name_line_by_variant(info, token, result: dict) -> dict:
    """A refusal that names a variant but no line (a product no longer published): point it at its line."""
    errors = result["userErrors"]
    if all((e.get("field") or "").startswith("lines[") for e in errors):
        return result
    try:
        cart = await resolve_cart(None, info, token)
    except ApiError:
        return result
    lines = (cart or {}).get("lines") or []
    named = []
    for error in errors:
        if not (error.get("field") or "").startswith("lines["):
            for i, line in enumerate(lines):
                if str(line["variantId"]) in error["message"]:
                    error = {**error, "field": f"lines[{i}].variantId"}
                    break
        named.append(error)
    return {**result, "userErrors": named}


_PENDING_TREE = """
    with recursive tree as (
        select n.tenant_id, n.id from content.nodes n
        where n.tenant_id = core.current_tenant_id() and n.id = %(content)s
      union all
        select c.tenant_id, c.id from content.nodes c
        join tree t on c.tenant_id = t.tenant_id and c.parent_id = t.id
        where c.kind = 'comment'
    )"""
_PENDING_PAGE = _PENDING_TREE + """
    select content.node_record(n.id) as record,
           jsonb_build_object('s', 'oldest', 'k', jsonb_build_array(n.created_at, n.id)) as cursor
    from tree join content.nodes n on n.tenant_id = tree.tenant_id and n.id = tree.id
    where n.kind = 'comment' and n.status = 'pending' and n.author_id = %(user)s
      and (%(after_at)s::timestamptz is null or (n.created_at, n.id) > (%(after_at)s::timestamptz, %(after_id)s::uuid))
      and (%(before_at)s::timestamptz is null or (n.created_at, n.id) < (%(before_at)s::timestamptz, %(before_id)s::uuid))
    order by case when %(from_end)s then n.created_at end desc, case when %(from_end)s then n.id end desc,
             n.created_at, n.id
    limit %(limit)s + 1"""
_PENDING_COUNT = _PENDING_TREE + """
    select count(*)::int as n from (
        select 1 from tree join content.nodes n on n.tenant_id = tree.tenant_id and n.id = tree.id
        where n.kind = 'comment' and n.status = 'pending' and n.author_id = %(user)s limit %(cap)s) x"""


def _oldest_key(cursor: dict | None, argument: str) -> tuple:
    """The (created_at, id) of a pending-comments cursor, or (None, None)."""
    if cursor is None:
        return None, None
    key = cursor.get("k")
    try:
        if cursor.get("s") != "oldest" or not isinstance(key, list) or len(key) != 2:
            raise ValueError
        return datetime.fromisoformat(key[0]), UUID(key[1])
    except (ValueError, TypeError, AttributeError):
        raise not_a_cursor(argument) from None


@query.field("viewerPendingComments")
async def resolve_viewer_pending_comments(_, info, contentId: str, first=None, after=None, last=None,  # noqa: N803
                                          before=None):
    ctx = info.context
    args = page_args(first, after, last, before)
    caller = await require_user(ctx)
    after_at, after_id = _oldest_key(args.after, "after")
    before_at, before_id = _oldest_key(args.before, "before")
    params = {"content": parse_id(contentId), "user": caller.user_id}
    rows = await fetch_all(ctx, _PENDING_PAGE, {**params, "after_at": after_at, "after_id": after_id,
                                                "before_at": before_at, "before_id": before_id,
                                                "from_end": args.from_end, "limit": args.limit})
    return counted(connection(rows, args, lambda r: r["record"]), _PENDING_COUNT, {**params, "cap": COUNT_CAP + 1})


pending_connection_type = ObjectType("PendingCommentConnection")
bind_total_count(pending_connection_type)


bindables = [query, mutation, cart_type, line_type, pending_connection_type]
