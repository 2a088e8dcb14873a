"""Compiled storefront reads: one GraphQL query -> one SQL statement that returns the response body.

The storefront reads of an anonymous visitor (`products` listings with their cards, totals and facets; `product`
by id or handle; `contents` listings and `content` by id or kind and slug, with bodies, comment trees and
parents; the category trees and `category` with its products; the unified `search`; `node`/`nodes`; `author`)
are compiled, per document and operation, into one SQL statement over the read
functions of sql/code/index/reads.sql. The statement resolves the tenant, sets it for its own transaction
(row-level security applies as usual), reads, and builds the exact response JSON as text
(`{"data":{...}}`, the selected fields only, in selection order, formatted as rustok.graphql.http renders
JSON), so Python sends the bytes it receives without decoding them. It runs on an autocommit connection:
one round trip, no BEGIN/COMMIT.

What is not compiled runs through ordinary execution, with identical responses (tests/graphql/
test_compiled_reads.py compares the two byte for byte):
- a document with any field, argument, directive or fragment the compiler does not know (`compile` -> None);
- requests with a bearer token (staff may see drafts; the permission lookup stays in ordinary execution),
  with X-Index-Position or X-Read-After, or without X-Tenant;
- any request whose arguments the ordinary path would refuse (bad cursor, page size, ids), and any database
  error (unknown tenant, module off, bad filters): the ordinary path runs and reports it as usual.
RUSTOK_COMPILED_READS=off turns the compiler off. A compiled answer carries `X-Execution: compiled`.
"""

from __future__ import annotations

import logging
import re
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any, Callable

from graphql import (
    DocumentNode, GraphQLError, FieldNode, FragmentSpreadNode, GraphQLSchema, InlineFragmentNode, OperationDefinitionNode,
    OperationType, get_operation_ast, is_abstract_type,
)
from graphql.execution.values import get_argument_values, get_variable_values
import psycopg
from psycopg.types.json import Jsonb

from rustok.errors import DatabaseUnavailable

from rustok.graphql.db import autocommit
from rustok.graphql.errors import ApiError
from rustok.graphql.limits import Limits, _ArgumentGuard
from rustok.graphql.paging import page_args
from rustok.graphql.storefront import SEO_OF_META
from rustok.ids import InvalidIdError, parse_id

log = logging.getLogger(__name__)


# SQLSTATEs of a compiled read that ordinary execution reports to the caller: unknown tenant (P0002), module off
# (55000), refused arguments (22023, 22P02)
EXPECTED_REFUSALS = frozenset({"P0002", "55000", "22023", "22P02"})


class Unsupported(Exception):
    """The document uses something the compiler does not cover: ordinary execution serves it."""


# ---------------------------------------------------------------- JSON text in SQL

def _j(expr: str) -> str:
    """JSON text of a text/uuid/boolean/integer/array SQL value (null -> null), as Python's json.dumps writes it."""
    return f"coalesce(to_json({expr})::text, 'null')"


def _lit(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _object(members: list[tuple[str, str]]) -> str:
    """SQL building '{"k1":v1,"k2":v2}' from (response key, JSON text expression) pairs."""
    if not members:
        return "'{}'"
    parts = []
    for i, (key, expr) in enumerate(members):
        parts.append(_lit(("{" if i == 0 else ",") + f'"{key}":'))
        parts.append(f"({expr})")
    parts.append("'}'")
    return " || ".join(parts)


def _array(element: str, source: str, order: str) -> str:
    """SQL building '[e1,e2]' from a row source (a FROM clause) and an element expression."""
    return f"('[' || coalesce((select string_agg({element}, ',' order by {order}) from {source}), '') || ']')"


# Python's json.dumps of a value read from jsonb: strings and integers as PostgreSQL writes them; a number
# with a fraction or exponent is a Python float (repr: the shortest round trip, as float8 output, with ".0"
# for an integral value).
_JSONB_SCALAR = ("(case when jsonb_typeof({x}) = 'number' and ({x})::text ~ '[.eE]' "
                 "then (select case when f ~ '^-?[0-9]+$' then f || '.0' else f end from (select ({x})::text::float8::text as f) z) "
                 "else coalesce(({x})::text, 'null') end)")


def _jsonb_scalar(expr: str) -> str:
    return _JSONB_SCALAR.format(x=expr)


def _float4(expr: str) -> str:
    """JSON text of a real as the ordinary path writes it: psycopg reads the text form into a Python float (the
    same shortest digits), orjson writes it (rustok.graphql.http.render_json): integral values with '.0', an
    exponent of -5 as a plain decimal (1e-05 -> 0.00001, 2.5e-05 -> 0.000025), other exponents without a leading
    zero (1.5e-07 -> 1.5e-7)."""
    return (f"(select case when f is null then 'null' when f ~ '^-?[0-9]+$' then f || '.0' "
            f"else regexp_replace(regexp_replace(f, '^(-?)([0-9])\\.?([0-9]*)e-05$', '\\10.0000\\2\\3'), "
            f"'e-0([0-9])$', 'e-\\1') end "
            f"from (select ({expr})::text as f) z)")


def _datetime(expr: str) -> str:
    """JSON text of a timestamptz as datetime.isoformat() writes it (microseconds only when not zero)."""
    return (f"(case when {expr} is null then 'null' else '\"' || to_char({expr}, 'YYYY-MM-DD\"T\"HH24:MI:SS') || "
            f"case when mod(extract(microseconds from {expr})::bigint, 1000000) <> 0 "
            f"then '.' || to_char({expr}, 'US') else '' end || to_char({expr}, 'TZH:TZM') || '\"' end)")


def _cursor(expr: str) -> str:
    """rustok.graphql.paging.encode_cursor in SQL: compact JSON of {"k": [key, id], "s": sort}, base64url."""
    text = (f"'{{\"k\":[' || {_jsonb_scalar(f'{expr} -> ' + chr(39) + 'k' + chr(39) + ' -> 0')} || ',' || "
            f"{_jsonb_scalar(f'{expr} -> ' + chr(39) + 'k' + chr(39) + ' -> 1')} || '],\"s\":' || ({expr} -> 's')::text || '}}'")
    return _base64url(text)


def _base64url(text: str) -> str:
    """Unpadded base64url of the UTF-8 bytes of SQL text `text` (urlsafe_b64encode without '=')."""
    # replace() three times, not translate(): translate handles multibyte text character by character, ~2 us more
    # per cursor (40 % of it; bench/README.md, read side attempt 13)
    return (f"rtrim(replace(replace(replace(encode(convert_to({text}, 'UTF8'), 'base64'), E'\\n', ''), '+', '-'), "
            f"'/', '_'), '=')")


def _newest_cursor(created_at: str, product_id: str) -> str:
    """_cursor of a newest-first row from its key columns (a timestamptz and a uuid, never null), without building
    and taking apart the cursor's jsonb: {"k": [created_at as JSON writes it, id], "s": "newest"}, base64url."""
    return _base64url(f"'{{\"k\":[' || to_json({created_at})::text || ',\"' || {product_id}::text || "
                      f"'\"],\"s\":\"newest\"}}'")


def _module_guard(module: str, expr: str) -> str:
    """`expr` once module `module` is on for the statement's tenant; else the statement fails (55000) and ordinary
    execution answers with its MODULE_DISABLED error for the field."""
    # the guard's value is used (in the WHERE): the planner drops an unused column of a subquery in FROM when
    # its expression is not volatile, and the check with it
    return (f"(select {expr} from (select core.assert_module_enabled(array[core.current_tenant_id()], "
            f"{_lit(module)})::text as ok) _guard where _guard.ok is not null)")


# ---------------------------------------------------------------- selections

@dataclass
class Selection:
    key: str                 # response key (alias or name)
    name: str
    node: FieldNode
    children: list["Selection"] = field(default_factory=list)


def _collect(schema: GraphQLSchema, document_fragments: dict, type_name: str, selection_set) -> list[Selection]:
    """The fields selected on concrete type `type_name`, in order. A fragment applies when its type condition is
    that type or an interface or union that includes it; a fragment on another type is skipped: validation lets one
    through only under an abstract type (a union member or an interface's other implementation), where it selects
    for the other types."""
    out: list[Selection] = []
    seen: set[str] = set()
    concrete = schema.type_map[type_name]

    def applies(condition: str) -> bool:
        if condition == type_name:
            return True
        other = schema.type_map.get(condition)
        return other is not None and is_abstract_type(other) and schema.is_sub_type(other, concrete)

    def walk(selections):
        for sel in selections:
            if getattr(sel, "directives", None):
                raise Unsupported("directives")
            if isinstance(sel, FieldNode):
                key = sel.alias.value if sel.alias else sel.name.value
                if key in seen:
                    raise Unsupported("a response key selected twice")
                seen.add(key)
                out.append(Selection(key, sel.name.value, sel))
            elif isinstance(sel, InlineFragmentNode):
                if sel.type_condition is None or applies(sel.type_condition.name.value):
                    walk(sel.selection_set.selections)
            elif isinstance(sel, FragmentSpreadNode):
                fragment = document_fragments.get(sel.name.value)
                if fragment is None:
                    raise Unsupported("an unknown fragment")
                if applies(fragment.type_condition.name.value):
                    walk(fragment.selection_set.selections)
            else:
                raise Unsupported("a selection kind")

    walk(selection_set.selections)
    return out


def _landing(args: dict, filters: dict, currency: str | None, page) -> bool:
    """Whether a products listing is the landing page: index.read_products_page's first branch (its condition in
    sql/code/index/reads.sql), which index.read_products_landing answers alike: no text, no filters but the price
    buckets, newest first (or relevance, which is newest without text), paging forwards, a currency code or none."""
    return (args.get("search") is None and not (filters.keys() - {"priceBuckets"}) and args.get("sort") in _LANDING_SORTS
            and page.before_param is None and not page.from_end
            and (currency is None or (len(currency) == 3 and currency.isascii() and currency.isalpha()
                                      and currency.isupper())))


def _page_values(values: dict, names: dict, page) -> None:
    """The paging parameters of a connection (rustok.graphql.paging.PageArgs) under their statement names."""
    values[names["after"]] = page.after_param
    values[names["before"]] = page.before_param
    values[names["limit"]] = page.limit
    values[names["from_end"]] = page.from_end
    values[names["has_after"]] = page.after is not None
    values[names["has_before"]] = page.before is not None


class Params:
    """Named SQL parameters of one compiled statement, filled per request."""

    def __init__(self):
        self.fillers: list[Callable[[dict, dict], None]] = []
        self.count = 0

    def name(self, prefix: str) -> str:
        self.count += 1
        return f"{prefix}_{self.count}"


# ---------------------------------------------------------------- the compiler

_SCALAR_COLUMNS = {  # Product field -> (column of index.products, kind)
    "id": ("product_id", "plain"), "handle": ("handle", "plain"), "title": ("title", "plain"),
    "subtitle": ("subtitle", "plain"), "description": ("description", "plain"), "status": ("status", "plain"),
    "discountable": ("discountable", "plain"), "inStock": ("has_stock", "plain"),
    "totalStock": ("total_stock", "plain"), "variantCount": ("variant_count", "plain"),
    "currencies": ("currencies", "plain"), "createdAt": ("created_at", "datetime"),
    "updatedAt": ("updated_at", "datetime"),
}
_SEO_KEYS = ("title", "description", "canonicalUrl", "imageUrl", "robots")
# The landing page's rows (index.read_products_landing) carry the card columns: those of a page row of
# index.read_products_page but the ones of these Product fields (description, the tag arrays, seo)
_WIDE_PAGE_FIELDS = frozenset({"description", "tags", "seo"})
_LANDING_COLUMNS = ("product_id", "handle", "title", "subtitle", "status", "discountable", "currencies", "prices",
                    "total_stock", "has_stock", "variant_count", "created_at", "updated_at")
_LANDING_SORTS = (None, "newest", "relevance")
_CONTENT_COLUMNS = {  # Content field -> (column of index.content, kind)
    "id": ("node_id", "plain"), "kind": ("kind", "plain"), "title": ("title", "plain"), "slug": ("slug", "plain"),
    "excerpt": ("excerpt", "plain"), "bodyPreview": ("body_preview", "plain"), "bodyFormat": ("body_format", "plain"),
    "status": ("status", "plain"), "replyCount": ("reply_count", "plain"),
    "publishedAt": ("published_at", "datetime"), "createdAt": ("created_at", "datetime"),
    "updatedAt": ("updated_at", "datetime"),
}


class Compiler:
    def __init__(self, schema: GraphQLSchema, document: DocumentNode, operation: OperationDefinitionNode,
                 limits: Limits):
        self.schema = schema
        self.limits = limits
        self.document = document
        self.operation = operation
        self.fragments = {d.name.value: d for d in document.definitions if d.kind == "fragment_definition"}
        self.params = Params()
        self.query_type = schema.query_type
        self.wants_body = False

    def selections(self, type_name: str, node: FieldNode) -> list[Selection]:
        if node.selection_set is None:
            raise Unsupported("a leaf where an object was expected")
        return _collect(self.schema, self.fragments, type_name, node.selection_set)

    def arguments(self, type_name: str, field_name: str, node: FieldNode) -> Callable[[dict], dict]:
        field_def = self.schema.type_map[type_name].fields[field_name]
        guard = _ArgumentGuard(f"{type_name}.{field_name}", field_def.args, self.limits)

        def read(variables) -> dict:
            args = get_argument_values(field_def, node, variables)
            guard.check(args)   # the input limits ordinary execution applies (rustok.graphql.limits)
            return args
        return read

    @staticmethod
    def no_arguments(node: FieldNode):
        if node.arguments:
            raise Unsupported("arguments")

    # ---- leaves
    def money(self, node: FieldNode, amount: str, currency: str) -> str:
        members = []
        for s in self.selections("Money", node):
            self.no_arguments(s.node)
            if s.name == "__typename":
                members.append((s.key, "'\"Money\"'"))
            elif s.name == "amount":
                members.append((s.key, f"({amount})::bigint::text"))
            elif s.name == "currencyCode":
                members.append((s.key, _j(currency)))
            else:
                raise Unsupported(f"Money.{s.name}")
        return _object(members)

    # ---- Product
    def product(self, node: FieldNode, p: str, listing_currency: str | None, ranked: bool = True) -> str:
        """JSON text of a Product from read row alias `p` (index.products columns, and `rank` in a page)."""
        members = []
        # a page row (index.read_products_page) carries the card columns only: the product page's columns
        # (variants, options, categories) come from the product's read row
        whole = p if not ranked else (f"(select r from index.products r where r.tenant_id = core.current_tenant_id() "
                                      f"and r.product_id = {p}.product_id)")
        for s in self.selections("Product", node):
            if s.name == "__typename":
                members.append((s.key, "'\"Product\"'"))
            elif s.name in _SCALAR_COLUMNS:
                self.no_arguments(s.node)
                column, kind = _SCALAR_COLUMNS[s.name]
                members.append((s.key, _datetime(f"{p}.{column}") if kind == "datetime" else _j(f"{p}.{column}")))
            elif s.name == "rank":
                self.no_arguments(s.node)
                members.append((s.key, _float4(f"{p}.rank") if ranked else "'null'"))
            elif s.name == "priceRange":
                members.append((s.key, self.price_range(s.node, p, listing_currency)))
            elif s.name == "price":
                members.append((s.key, self.product_price(s.node, p, listing_currency)))
            elif s.name == "variants":
                self.no_arguments(s.node)
                members.append((s.key, self.variants(s.node, whole)))
            elif s.name == "options":
                self.no_arguments(s.node)
                members.append((s.key, self.options(s.node, whole)))
            elif s.name == "categories":
                self.no_arguments(s.node)
                members.append((s.key, self.product_categories(s.node, whole)))
            elif s.name == "tags":
                self.no_arguments(s.node)
                members.append((s.key, self.tags(s.node, p)))
            elif s.name == "images":
                self.no_arguments(s.node)
                members.append((s.key, self.images(s.node, f"{p}.product_id")))
            elif s.name == "seo":
                self.no_arguments(s.node)
                members.append((s.key, self.seo(s.node, p)))
            else:
                raise Unsupported(f"Product.{s.name}")
        return _object(members)

    def seo(self, node: FieldNode, row: str) -> str:
        """Seo of a read row alias `row` (its seo jsonb): products and content alike."""
        members = []
        for t in self.selections("Seo", node):
            self.no_arguments(t.node)
            if t.name == "__typename":
                members.append((t.key, "'\"Seo\"'"))
            elif t.name in _SEO_KEYS:
                members.append((t.key, _j(f"({row}.seo ->> {_lit(t.name)})")))
            else:
                raise Unsupported(f"Seo.{t.name}")
        return _object(members)

    def category_seo(self, node: FieldNode, category_id: str, target_type: str) -> str:
        """Seo of a category (its content.meta row, every field null when it has none or `category_id` is null):
        Category.seo and ContentCategory.seo (storefront.category_node, content_category_node)."""
        sm = self.params.name("sm")
        return (f"(select {self.seo(node, sm)} from (select coalesce((select {SEO_OF_META} from content.meta m "
                f"where m.tenant_id = core.current_tenant_id() and m.target_type = {_lit(target_type)} "
                f"and m.target_id = {category_id}), '{{}}'::jsonb) as seo) {sm})")

    def currency(self, field_name: str, node: FieldNode, listing_currency: str | None) -> str:
        """The SQL parameter of a Product field's `currency` argument (trimmed, upper case), else the listing's
        currency (the parameter named `listing_currency`), else null."""
        read_args = self.arguments("Product", field_name, node)
        name = self.params.name(f"{field_name}_currency")

        def fill(values: dict, variables) -> None:
            currency = read_args(variables).get("currency")
            currency = currency.strip().upper() if currency else None
            values[name] = currency or (values.get(listing_currency) if listing_currency else None)
        self.params.fillers.append(fill)
        return f"%({name})s::text"

    def price_range(self, node: FieldNode, p: str, listing_currency: str | None) -> str:
        cur = self.currency("priceRange", node, listing_currency)
        prices = f"({p}.prices -> {cur})"
        members_min = self.money_of(node, "min", f"({prices} ->> 'min')", cur)
        members_max = self.money_of(node, "max", f"({prices} ->> 'max')", cur)
        sels = self.selections("MoneyRange", node)
        members = []
        for s in sels:
            if s.name == "__typename":
                members.append((s.key, "'\"MoneyRange\"'"))
            elif s.name == "min":
                members.append((s.key, members_min[s.key]))
            elif s.name == "max":
                members.append((s.key, members_max[s.key]))
            else:
                raise Unsupported(f"MoneyRange.{s.name}")
        return f"(case when {cur} is null or {prices} is null then 'null' else {_object(members)} end)"

    def product_price(self, node: FieldNode, p: str, listing_currency: str | None) -> str:
        """Product.price: the cheapest variant's price now (sale and override price lists applied) in the
        argument's currency or the listing's, as resolve_product_price answers it (commerce.calculate_prices over
        the product's variants; ties by variant position, then id). Under the statement's tenant."""
        cur = self.currency("price", node, listing_currency)
        # the product's variants in (position, id) order once; ties between equal prices go to the earlier one
        # (array_position: a join back to commerce.variants per price row was planned as a scan of the tenant's
        # variants, the function's result being opaque to the planner)
        cheapest = ("select cp.calculated_amount, cp.original_amount, cp.calculated_price_list_type "
                    "from (select coalesce(array_agg(v.id order by v.position, v.id), '{}') as ids "
                    "      from commerce.variants v "
                    f"     where v.tenant_id = core.current_tenant_id() and v.product_id = {p}.product_id) vs "
                    f"cross join lateral commerce.calculate_prices(vs.ids, {cur}) cp "
                    "where cp.calculated_amount is not null "
                    "order by cp.calculated_amount, array_position(vs.ids, cp.variant_id) limit 1")
        return self.price_of(node, cheapest, cur)

    def price_of(self, node: FieldNode, rows: str, cur: str) -> str:
        """A ProductPrice (storefront._price) from the first row of `rows` (calculated_amount, original_amount,
        calculated_price_list_type of commerce.calculate_prices); null when the currency is null or no row has a
        calculated amount."""
        members = []
        for s in self.selections("ProductPrice", node):
            self.no_arguments(s.node)
            if s.name == "__typename":
                members.append((s.key, "'\"ProductPrice\"'"))
            elif s.name == "calculated":
                members.append((s.key, self.money(s.node, "pr.calculated_amount", cur)))
            elif s.name == "original":
                members.append((s.key, self.money(s.node, "pr.original_amount", cur)))
            elif s.name == "onSale":
                members.append((s.key, "(pr.calculated_amount < pr.original_amount)::text"))
            elif s.name == "priceListType":
                members.append((s.key, _j("pr.calculated_price_list_type")))
            else:
                raise Unsupported(f"ProductPrice.{s.name}")
        first = (f"select x.calculated_amount, coalesce(x.original_amount, x.calculated_amount) as original_amount, "
                 f"x.calculated_price_list_type from ({rows}) x where x.calculated_amount is not null limit 1")
        return (f"(case when {cur} is null then 'null' "
                f"else coalesce((select {_object(members)} from ({first}) pr), 'null') end)")

    def variants(self, node: FieldNode, p: str) -> str:
        """Product.variants from the read row's variants JSON (storefront.variant_node), in its order."""
        return _array(self.variant(node, "v.e"),
                      f"jsonb_array_elements(coalesce(({p}).variants, '[]')) with ordinality as v (e, i)", "v.i")

    def variant(self, node: FieldNode, e: str) -> str:
        """A Variant from `e`, an element of a read row's variants JSON."""
        members = []
        for s in self.selections("Variant", node):
            if s.name == "price":
                members.append((s.key, self.variant_price(s.node, e)))
                continue
            self.no_arguments(s.node)
            if s.name == "__typename":
                members.append((s.key, "'\"Variant\"'"))
            elif s.name == "id":
                members.append((s.key, _j(f"({e} ->> 'id')")))
            elif s.name == "title":
                members.append((s.key, _j(f"coalesce(nullif({e} ->> 'title', ''), '')")))
            elif s.name in ("sku", "barcode"):
                members.append((s.key, _j(f"({e} ->> {_lit(s.name)})")))
            elif s.name == "position":
                members.append((s.key, f"coalesce(({e} ->> 'position')::bigint, 0)::text"))
            elif s.name in ("manageInventory", "allowBackorder"):
                default = "true" if s.name == "manageInventory" else "false"
                members.append((s.key, f"(case when {e} ? {_lit(s.name)} then coalesce(({e} -> {_lit(s.name)})::text, 'null') "
                                       f"else '{default}' end)"))
            elif s.name == "available":
                members.append((s.key, _jsonb_scalar(f"({e} -> 'available')")))
            elif s.name == "inStock":
                members.append((s.key, f"coalesce(({e} ->> 'inStock')::boolean, false)::text"))
            elif s.name == "selectedOptions":
                option = []
                for t in self.selections("SelectedOption", s.node):
                    self.no_arguments(t.node)
                    if t.name == "__typename":
                        option.append((t.key, "'\"SelectedOption\"'"))
                    elif t.name == "name":
                        option.append((t.key, _j("o.key")))
                    elif t.name == "value":
                        option.append((t.key, _j("(o.value #>> '{}')")))
                    else:
                        raise Unsupported(f"SelectedOption.{t.name}")
                members.append((s.key, _array(_object(option),
                                              f"jsonb_each(coalesce({e} -> 'options', '{{}}')) with ordinality as o (key, value, i)",
                                              "o.i")))
            elif s.name == "prices":
                members.append((s.key, _array(self.money(s.node, "(c.value)::text", "c.key"),
                                              f"jsonb_each(coalesce({e} -> 'prices', '{{}}')) as c (key, value)",
                                              'c.key collate "C"')))
            else:
                raise Unsupported(f"Variant.{s.name}")
        return _object(members)

    def variant_price(self, node: FieldNode, e: str) -> str:
        """Variant.price(currency, quantity): commerce.calculate_prices for the variant (resolve_variant_price)."""
        read_args = self.arguments("Variant", "price", node)
        cur_name, qty_name = self.params.name("variant_currency"), self.params.name("variant_quantity")

        def fill(values: dict, variables) -> None:
            args = read_args(variables)
            currency, quantity = args.get("currency"), args.get("quantity", 1)
            if quantity is None or quantity < 1:
                raise ValueError("quantity: the ordinary path refuses it")
            values[cur_name] = currency.strip().upper() if currency else None
            values[qty_name] = quantity
        self.params.fillers.append(fill)
        cur = f"%({cur_name})s::text"
        rows = (f"select cp.calculated_amount, cp.original_amount, cp.calculated_price_list_type "
                f"from commerce.calculate_prices(array[({e} ->> 'id')::uuid], {cur}, %({qty_name})s::integer) cp")
        return self.price_of(node, rows, cur)

    def options(self, node: FieldNode, p: str) -> str:
        members = []
        for s in self.selections("ProductOption", node):
            self.no_arguments(s.node)
            if s.name == "__typename":
                members.append((s.key, "'\"ProductOption\"'"))
            elif s.name in ("id", "title"):
                members.append((s.key, _j(f"(o.e ->> {_lit(s.name)})")))
            elif s.name == "values":
                members.append((s.key, _array(_j("(x.v #>> '{}')"),
                                              "jsonb_array_elements(coalesce(o.e -> 'values', '[]')) with ordinality as x (v, i)",
                                              "x.i")))
            else:
                raise Unsupported(f"ProductOption.{s.name}")
        return _array(_object(members), f"jsonb_array_elements(coalesce(({p}).options, '[]')) with ordinality as o (e, i)",
                      "o.i")

    def product_categories(self, node: FieldNode, p: str) -> str:
        """Product.categories: the read row's categories, each as the tenant's category (active, public) when it
        is one, else as the read row has it (resolve_product_categories)."""
        members = []
        for s in self.selections("Category", node):
            self.no_arguments(s.node)
            if s.name == "__typename":
                members.append((s.key, "'\"Category\"'"))
            elif s.name == "id":
                members.append((s.key, _j("coalesce(ct.id::text, c.e ->> 'id')")))
            elif s.name in ("name", "handle"):
                members.append((s.key, _j(f"coalesce(ct.{s.name}, c.e ->> {_lit(s.name)})")))
            elif s.name == "description":
                members.append((s.key, _j("ct.description")))
            elif s.name == "rank":
                members.append((s.key, "coalesce(nullif(ct.rank, 0), 0)::text"))
            elif s.name == "seo":
                members.append((s.key, self.category_seo(s.node, "ct.id", "catalog_category")))
            else:
                raise Unsupported(f"Category.{s.name}")
        return _array(_object(members),
                      f"jsonb_array_elements(coalesce(({p}).categories, '[]')) with ordinality as c (e, i) "
                      "left join commerce.categories ct on ct.tenant_id = core.current_tenant_id() "
                      "and ct.id = (c.e ->> 'id')::uuid and ct.is_active and not ct.is_internal", "c.i")

    def money_of(self, node: FieldNode, which: str, amount: str, currency: str) -> dict:
        out = {}
        for s in self.selections("MoneyRange", node):
            if s.name == which:
                self.no_arguments(s.node)
                out[s.key] = self.money(s.node, amount, currency)
        return out

    def media(self, node: FieldNode) -> str:
        """A Media from content.media alias `m`."""
        columns = {"id": "m.id", "mimeType": "m.mime_type", "size": "m.size", "width": "m.width", "height": "m.height",
                   "altText": "m.alt_text"}
        members = []
        for s in self.selections("Media", node):
            self.no_arguments(s.node)
            if s.name == "__typename":
                members.append((s.key, "'\"Media\"'"))
            elif s.name == "url":
                members.append((s.key, _j("'/t/' || %(tenant)s::text || '/media/' || m.id::text")))  # media.resolve_media_url
            elif s.name in columns:
                members.append((s.key, _j(columns[s.name])))
            elif s.name == "createdAt":
                members.append((s.key, _datetime("m.created_at")))
            else:
                raise Unsupported(f"Media.{s.name}")
        return _object(members)

    def images(self, node: FieldNode, owner: str, links: str = "commerce.product_images", key: str = "product_id") -> str:
        """Product.images / Content.images (schema/media.graphql): the uploaded images in order of the product (or
        node) whose id is the SQL `owner`, from the write tables (`links`, content.media) under the statement's
        tenant."""
        return _array(self.media(node),
                      f"{links} pi join content.media m on m.tenant_id = pi.tenant_id and m.id = pi.media_id "
                      f"where pi.tenant_id = core.current_tenant_id() and pi.{key} = {owner}", "pi.position")

    def tags(self, node: FieldNode, p: str) -> str:
        members = []
        for s in self.selections("Tag", node):
            self.no_arguments(s.node)
            if s.name == "__typename":
                members.append((s.key, "'\"Tag\"'"))
            elif s.name == "slug":
                members.append((s.key, _j("t.slug")))
            elif s.name == "name":
                members.append((s.key, _j("t.name")))
            else:
                raise Unsupported(f"Tag.{s.name}")   # Tag.id is looked up by a loader in ordinary execution
        return _array(_object(members), f"unnest({p}.tag_slugs, {p}.tags) with ordinality as t (slug, name, o)", "t.o")

    # ---- Query.product
    def root_product(self, sel: Selection) -> tuple[str, str]:
        read_args = self.arguments("Query", "product", sel.node)
        pid, phandle = self.params.name("product_id"), self.params.name("product_handle")

        def fill(values: dict, variables) -> None:
            args = read_args(variables)
            if (args.get("id") is None) == (args.get("handle") is None):
                raise ApiError("BAD_USER_INPUT", "product: give id or handle (one of them)")
            values[pid] = parse_id(args["id"]) if args.get("id") is not None else None
            values[phandle] = args.get("handle")
        self.params.fillers.append(fill)
        node = self.product(sel.node, "p", None, ranked=False)
        sql = (f"coalesce((select {node} from index.read_product(%(tenant)s, %({pid})s, %({phandle})s) p), 'null')")
        return sel.key, sql

    # ---- Query.products
    def root_products(self, sel: Selection) -> tuple[str, str, str]:
        expr, ctes = self.products_connection(sel.node, "Query", "products", None)
        return sel.key, expr, ctes

    def products_connection(self, node: FieldNode, type_name: str, field_name: str,
                            scope: str | None) -> tuple[str, str]:
        """A ProductConnection: (JSON expression, its CTEs). Query.products; or with `scope` (SQL of a jsonb object
        merged into the filters, correlated with an outer row) Category.products, the caller wrapping the CTEs in
        a subquery per category (products_connection with category_id)."""
        read_args = self.arguments(type_name, field_name, node)
        n = self.params.name("products" if scope is None else "scoped")
        names = {k: f"{n}_{k}" for k in ("search", "filters", "sort", "currency", "after", "before", "limit",
                                          "from_end", "want_total", "want_facets", "has_after", "has_before",
                                          "landing")}
        wants = {"total": False, "facets": False}
        currency_param = names["currency"]
        # the landing page's rows may come from index.read_products_landing: a top-level listing whose cards need
        # none of the columns it lacks
        narrow = scope is None and not self.wide_cards(node)

        def fill(values: dict, variables) -> None:
            from rustok.graphql.storefront import _currency, _filters

            args = read_args(variables)
            page = page_args(args.get("first"), args.get("after"), args.get("last"), args.get("before"))
            filters = _filters(args.get("filter"))
            currency = _currency(args.get("currency"))
            values[names["search"]] = args.get("search")
            values[names["filters"]] = Jsonb(filters)
            values[names["sort"]] = args.get("sort")
            values[names["currency"]] = currency
            _page_values(values, names, page)
            values[names["want_total"]] = wants["total"]
            values[names["want_facets"]] = wants["facets"]
            values[names["landing"]] = narrow and _landing(args, filters, currency, page)
        self.params.fillers.append(fill)

        rows, meta, page = f"{n}_rows", f"{n}_meta", f"{n}_page"
        P = {k: f"%({v})s" for k, v in names.items()}
        order = f"(case when {P['from_end']} then -x.ord else x.ord end)"
        # (cursor_text: the landing rows' cursors, written from their key columns; null on read_products_page's)
        members = self.connection_members(
            node, "Product", lambda n: self.product(n, "x", currency_param), rows, meta, page, order, P, wants,
            lambda n: self.facets(n, meta, P["currency"]),
            cursor=(lambda a: f"coalesce({a}.cursor_text, {_cursor(a + '.cursor')})") if narrow else None)
        filters = P["filters"] if scope is None else f"({P['filters']}::jsonb || {scope})"
        general = (f"index.read_products_page(%(tenant)s, {P['search']}, {filters}, {P['sort']}, {P['currency']}, "
                   f"{P['after']}, {P['before']}, {P['limit']}, {P['from_end']}, {P['want_total']}, {P['want_facets']})")
        if narrow:
            # one source or the other by a one-time filter on the parameter: the landing page's rows from the narrow
            # SQL function (the card columns, no PL/pgSQL between the statement and the rows), any other listing's
            # from read_products_page, of which the statement reads the same columns
            source = (f"select r.ord, r.cursor, null::text as cursor_text, r.rank, "
                      f"{', '.join('r.' + c for c in _LANDING_COLUMNS)}, r.tsq, "
                      f"r.corrected_query, r.total, r.total_capped, r.facets from {general} r where not {P['landing']} "
                      f"union all "
                      f"select l.ord, l.cursor, {_newest_cursor('l.created_at', 'l.product_id')}, null::real, "
                      f"{', '.join('l.' + c for c in _LANDING_COLUMNS)}, ''::text, "
                      f"null::text, l.total, l.total_capped, l.facets "
                      f"from index.read_products_landing(%(tenant)s, {P['filters']}, {P['currency']}, {P['after']}, "
                      f"{P['limit']}, {P['want_total']}, {P['want_facets']}) l where {P['landing']}")
        else:
            source = f"select * from {general}"
        ctes = (f"{rows} as materialized ({source}), "
                f"{meta} as (select r.tsq, r.corrected_query, r.total, r.total_capped, r.facets from {rows} r where r.ord = 0), "
                f"{page} as (select r.* from {rows} r "
                f"where r.ord between 1 and {P['limit']})")
        return _object(members), ctes

    def wide_cards(self, node: FieldNode) -> bool:
        """Whether a ProductConnection's products (edges.node, nodes) select a column index.read_products_landing
        does not return (_WIDE_PAGE_FIELDS)."""
        cards = []
        for s in self.selections("ProductConnection", node):
            if s.name == "nodes":
                cards.append(s.node)
            elif s.name == "edges":
                cards += [e.node for e in self.selections("ProductEdge", s.node) if e.name == "node"]
        return any(c.name in _WIDE_PAGE_FIELDS for card in cards for c in self.selections("Product", card))

    def keyed_facets(self, node: FieldNode, f: str, source: str, facet_type: str, inner_field: str, inner_type: str,
                     keys: tuple[str, ...]) -> str:
        """A facet list ([{count, <inner_field>: {keys...}}]) from the facets JSON `f` -> source, in its order."""
        item = []
        for c in self.selections(facet_type, node):
            self.no_arguments(c.node)
            if c.name == "__typename":
                item.append((c.key, f"'\"{facet_type}\"'"))
            elif c.name == "count":
                item.append((c.key, "(e.v ->> 'count')"))
            elif c.name == inner_field:
                inner = []
                for k in self.selections(inner_type, c.node):
                    self.no_arguments(k.node)
                    if k.name == "__typename":
                        inner.append((k.key, f"'\"{inner_type}\"'"))
                    elif k.name in keys:
                        inner.append((k.key, _j(f"(e.v ->> {_lit(k.name)})")))
                    else:
                        raise Unsupported(f"{inner_type}.{k.name} in facets")
                item.append((c.key, _object(inner)))
            else:
                raise Unsupported(f"{facet_type}.{c.name}")
        return _array(_object(item), f"jsonb_array_elements({f} -> {_lit(source)}) with ordinality as e (v, o)", "e.o")

    def facets(self, node: FieldNode, meta: str, currency: str) -> str:
        f = "m.facets"
        members = []
        for s in self.selections("ProductFacets", node):
            self.no_arguments(s.node)
            if s.name == "__typename":
                members.append((s.key, "'\"ProductFacets\"'"))
            elif s.name == "categories":
                members.append((s.key, self.keyed_facets(s.node, f, "categories", "CategoryFacet", "category",
                                                         "Category", ("id", "name", "handle"))))
            elif s.name == "tags":
                members.append((s.key, self.keyed_facets(s.node, f, "tags", "TagFacet", "tag", "Tag", ("slug", "name"))))
            elif s.name == "priceBuckets":
                item = []
                for c in self.selections("PriceBucketFacet", s.node):
                    self.no_arguments(c.node)
                    if c.name == "__typename":
                        item.append((c.key, "'\"PriceBucketFacet\"'"))
                    elif c.name == "count":
                        item.append((c.key, "(e.v ->> 'count')"))
                    elif c.name == "min":
                        item.append((c.key, self.money(c.node, "(e.v ->> 'min')", f"{currency}::text")))
                    elif c.name == "max":
                        money = self.money(c.node, "(e.v ->> 'max')", f"{currency}::text")
                        item.append((c.key, f"(case when e.v ->> 'max' is null then 'null' else {money} end)"))
                    else:
                        raise Unsupported(f"PriceBucketFacet.{c.name}")
                members.append((s.key, f"(case when {currency}::text is null then '[]' else " + _array(
                    _object(item), f"jsonb_array_elements(coalesce({f} -> 'priceBuckets', '[]')) with ordinality as e (v, o)",
                    "e.o") + " end)"))
            elif s.name == "inStock":
                def stock(flag: str) -> str:
                    item = []
                    for c in self.selections("StockFacet", s.node):
                        self.no_arguments(c.node)
                        if c.name == "__typename":
                            item.append((c.key, "'\"StockFacet\"'"))
                        elif c.name == "inStock":
                            item.append((c.key, _lit(flag)))
                        elif c.name == "count":
                            item.append((c.key, f"coalesce(({f} -> 'inStock' ->> {_lit(flag)})::bigint, 0)::text"))
                        else:
                            raise Unsupported(f"StockFacet.{c.name}")
                    return _object(item)
                members.append((s.key, f"'[' || {stock('true')} || ',' || {stock('false')} || ']'"))
            else:
                raise Unsupported(f"ProductFacets.{s.name}")
        return f"(select {_object(members)} from {meta} m)"

    # ---- Content (pages, posts, comments)
    def content(self, node: FieldNode, c: str, ranked: bool = True, body: str | None = None) -> str:
        """JSON text of a Content from read columns alias `c` (index.read_content_page / read_content, or an
        index.content row with `body` the SQL of its body)."""
        members = []
        for s in self.selections("Content", node):
            if s.name == "__typename":
                members.append((s.key, "'\"Content\"'"))
                continue
            if s.name == "comments":   # a connection per node, correlated with this row
                saved = self.wants_body
                expr, ctes = self.contents_connection(
                    s.node, "Content", "comments",
                    f"jsonb_build_object('parentId', {c}.node_id::text, 'kinds', jsonb_build_array('comment'))")
                self.wants_body = saved
                members.append((s.key, f"(with {ctes} select {expr})"))
                continue
            self.no_arguments(s.node)
            if s.name in _CONTENT_COLUMNS:
                column, kind = _CONTENT_COLUMNS[s.name]
                members.append((s.key, _datetime(f"{c}.{column}") if kind == "datetime" else _j(f"{c}.{column}")))
            elif s.name == "body":
                if body is None:
                    self.wants_body = True   # the read function returns it
                members.append((s.key, _j(body or f"{c}.body")))
            elif s.name == "rank":
                members.append((s.key, _float4(f"{c}.rank") if ranked else "'null'"))
            elif s.name == "author":
                members.append((s.key, f"(case when {c}.author_id is null then 'null' "
                                       f"else {self.author(s.node, f'{c}.author_id', f'{c}.author_name')} end)"))
            elif s.name == "parent":   # resolve_content_parent: the parent when visible, else null
                members.append((s.key, self.content_by_id(
                    s.node, f"(select ic.parent_id from index.content ic where ic.tenant_id = core.current_tenant_id() "
                            f"and ic.node_id = {c}.node_id)")))
            elif s.name == "tags":
                members.append((s.key, self.tags(s.node, c)))
            elif s.name == "seo":
                members.append((s.key, self.seo(s.node, c)))
            elif s.name == "reactions":
                reaction = []
                for r in self.selections("ReactionCount", s.node):
                    self.no_arguments(r.node)
                    if r.name == "__typename":
                        reaction.append((r.key, "'\"ReactionCount\"'"))
                    elif r.name == "kind":
                        reaction.append((r.key, _j("_rc.kind")))
                    elif r.name == "count":
                        reaction.append((r.key, "_rc.n::text"))
                    else:
                        raise Unsupported(f"ReactionCount.{r.name}")
                members.append((s.key, _module_guard("community", _array(
                    _object(reaction), "(select _rx.kind, count(*) as n from community.reactions _rx "
                    f"where _rx.tenant_id = core.current_tenant_id() and _rx.node_id = {c}.node_id group by _rx.kind) _rc",
                    "_rc.kind"))))
            elif s.name == "viewerReactions":   # an anonymous visitor has reacted to nothing
                members.append((s.key, _module_guard("community", "'[]'")))
            elif s.name == "followerCount":
                members.append((s.key, _module_guard("community", self.follower_count("node", f"{c}.node_id"))))
            elif s.name == "images":
                members.append((s.key, self.images(s.node, f"{c}.node_id", "content.node_images", "node_id")))
            elif s.name == "category":
                members.append((s.key, self.content_category(
                    s.node, "ct", "content.categories ct where ct.tenant_id = core.current_tenant_id() and ct.id = "
                    f"(select ic.category_id from index.content ic where ic.tenant_id = core.current_tenant_id() "
                    f"and ic.node_id = {c}.node_id)")))
            else:
                raise Unsupported(f"Content.{s.name}")
        return _object(members)

    def content_by_id(self, node: FieldNode, node_id: str) -> str:
        """storefront.content_by_id for an anonymous visitor: the visible page, post or comment whose id is the SQL
        `node_id` (from its read row, the body from content.bodies), or null."""
        a = self.params.name("cn")
        built = self.content(node, a, ranked=False,
                             body=f"(select b.body from content.bodies b where b.tenant_id = core.current_tenant_id() "
                                  f"and b.node_id = {a}.node_id)")
        return (f"coalesce((select {built} from index.content {a} where {a}.tenant_id = core.current_tenant_id() "
                f"and {a}.node_id = {node_id} and {a}.status in ('published', 'approved') "
                f"and {a}.published_at <= now()), 'null')")

    def author(self, node: FieldNode, user_id: str, name: str) -> str:
        """An Author (a user's public profile) whose id and display name are the SQL `user_id` and `name`."""
        author = []
        for a in self.selections("Author", node):
            if a.name == "contents":   # resolve_author_contents: a connection per author, newest first
                saved = self.wants_body
                expr, ctes = self.contents_connection(
                    a.node, "Author", "contents",
                    f"jsonb_build_object('authorIds', jsonb_build_array({user_id}::text))", sort="newest")
                self.wants_body = saved
                author.append((a.key, f"(with {ctes} select {expr})"))
                continue
            self.no_arguments(a.node)
            if a.name == "__typename":
                author.append((a.key, "'\"Author\"'"))
            elif a.name == "id":
                author.append((a.key, _j(user_id)))
            elif a.name == "name":
                author.append((a.key, _j(name)))
            elif a.name == "followerCount":
                author.append((a.key, _module_guard("community", self.follower_count("user", user_id))))
            elif a.name == "viewerFollows":   # an anonymous visitor follows nobody
                author.append((a.key, _module_guard("community", "'false'")))
            elif a.name == "reputation":
                author.append((a.key, _module_guard("community", self.reputation(a.node, user_id))))
            else:
                raise Unsupported(f"Author.{a.name}")
        return _object(author)

    def author_by_id(self, node: FieldNode, user_id: str) -> str:
        """storefront._node(..., "Author") for an anonymous visitor: the profile of the user whose id is the SQL
        `user_id` when they authored something visible, else null."""
        u = self.params.name("au")
        return (f"coalesce((select {self.author(node, f'{u}.id', f'{u}.display_name')} from core.users {u} "
                f"where {u}.tenant_id = core.current_tenant_id() and {u}.id = {user_id} "
                f"and exists (select 1 from index.content _ac where _ac.tenant_id = {u}.tenant_id "
                f"and _ac.author_id = {u}.id and _ac.status in ('published', 'approved') "
                f"and _ac.published_at <= now())), 'null')")

    @staticmethod
    def follower_count(target_type: str, target: str) -> str:
        """followerCount (storefront._follower_count): follows of a node or a user in the statement's tenant."""
        return (f"(select count(*)::text from community.follows _fo where _fo.tenant_id = core.current_tenant_id() "
                f"and _fo.target_type = {_lit(target_type)} and _fo.target_id = {target})")

    def reputation(self, node: FieldNode, user: str) -> str:
        """Author.reputation (resolve_author_reputation): score and reactions received, 0 without a row."""
        members = []
        for s in self.selections("Reputation", node):
            self.no_arguments(s.node)
            if s.name == "__typename":
                members.append((s.key, "'\"Reputation\"'"))
            elif s.name == "score":
                members.append((s.key, "coalesce(_rp.score, 0)::text"))
            elif s.name == "reactionsReceived":
                members.append((s.key, "coalesce(_rp.reactions_received, 0)::text"))
            else:
                raise Unsupported(f"Reputation.{s.name}")
        return (f"(select {_object(members)} from (select 1) _one left join community.reputation _rp "
                f"on _rp.tenant_id = core.current_tenant_id() and _rp.user_id = {user})")

    def content_category_object(self, node: FieldNode, ct: str, fallback: str | None = None) -> str:
        """A ContentCategory from content.categories alias `ct` (storefront.content_category_node); with
        `fallback`, a JSON alias ({id, name, slug}) used when `ct` found nothing (a facet's own values)."""
        def pick(column: str) -> str:
            return f"coalesce({ct}.{column}::text, {fallback} ->> {_lit(column)})" if fallback else f"{ct}.{column}"
        members = []
        for s in self.selections("ContentCategory", node):
            self.no_arguments(s.node)
            if s.name == "__typename":
                members.append((s.key, "'\"ContentCategory\"'"))
            elif s.name in ("id", "name", "slug"):
                members.append((s.key, _j(pick(s.name))))
            elif s.name == "description":
                members.append((s.key, _j(f"{ct}.description")))
            elif s.name == "position":
                members.append((s.key, f"coalesce({ct}.position, 0)::text"))
            elif s.name == "seo":
                members.append((s.key, self.category_seo(s.node, f"{ct}.id", "content_category")))
            else:
                raise Unsupported(f"ContentCategory.{s.name}")
        return _object(members)

    def content_category(self, node: FieldNode, ct: str, source: str) -> str:
        """Content.category: the tenant's content category of the node (resolve_content_category), or null."""
        return f"coalesce((select {self.content_category_object(node, ct)} from {source}), 'null')"

    def content_facets(self, node: FieldNode, facets: str) -> str:
        """ContentConnection.facets from index.search_content's facets JSON `facets` (resolve_content_facets):
        categories as the tenant's content categories (else as the facet has them)."""
        members = []
        for s in self.selections("ContentFacets", node):
            self.no_arguments(s.node)
            if s.name == "__typename":
                members.append((s.key, "'\"ContentFacets\"'"))
            elif s.name == "kinds":
                item = []
                for k in self.selections("KindFacet", s.node):
                    self.no_arguments(k.node)
                    if k.name == "__typename":
                        item.append((k.key, "'\"KindFacet\"'"))
                    elif k.name == "kind":
                        item.append((k.key, _j("(e.v ->> 'kind')")))
                    elif k.name == "count":
                        item.append((k.key, "(e.v ->> 'count')"))
                    else:
                        raise Unsupported(f"KindFacet.{k.name}")
                members.append((s.key, _array(_object(item), f"jsonb_array_elements({facets} -> 'kinds') "
                                                             "with ordinality as e (v, o)", "e.o")))
            elif s.name == "categories":
                item = []
                for k in self.selections("ContentCategoryFacet", s.node):
                    self.no_arguments(k.node)
                    if k.name == "__typename":
                        item.append((k.key, "'\"ContentCategoryFacet\"'"))
                    elif k.name == "count":
                        item.append((k.key, "(e.v ->> 'count')"))
                    elif k.name == "category":
                        item.append((k.key, self.content_category_object(k.node, "ct", "e.v")))
                    else:
                        raise Unsupported(f"ContentCategoryFacet.{k.name}")
                members.append((s.key, _array(_object(item),
                                              f"jsonb_array_elements({facets} -> 'categories') with ordinality as e (v, o) "
                                              "left join content.categories ct on ct.tenant_id = core.current_tenant_id() "
                                              "and ct.id = (e.v ->> 'id')::uuid", "e.o")))
            elif s.name == "tags":
                members.append((s.key, self.keyed_facets(s.node, facets, "tags", "TagFacet", "tag", "Tag",
                                                         ("slug", "name"))))
            else:
                raise Unsupported(f"ContentFacets.{s.name}")
        return _object(members)

    # the two category trees (storefront.category_tree, content_category_tree): the type, its own columns, the
    # order of siblings, the rows an anonymous visitor sees, the module
    _TREES = {
        "categories": ("Category", ("id", "name", "handle", "description"), "rank", "rank, {r}.name, {r}.id",
                       "commerce.categories", "c.is_active and not c.is_internal", "commerce", "handle"),
        "contentCategories": ("ContentCategory", ("id", "name", "slug", "description"), "position",
                              "position, {r}.name, {r}.id", "content.categories", "true", "content", "slug"),
    }

    def category_tree_node(self, node: FieldNode, row: str, cats: str, tree: tuple) -> str:
        """A category of a tree from row alias `row` of the CTE `cats` (the tenant's categories an anonymous
        visitor sees): parent and children from the same rows, children in the tree's order."""
        type_name, columns, number, order = tree[0], tree[1], tree[2], tree[3]
        members = []
        for s in self.selections(type_name, node):
            if s.name == "products" and type_name == "Category":   # resolve_category_products, per category
                expr, ctes = self.products_connection(
                    s.node, "Category", "products", f"jsonb_build_object('categoryIds', jsonb_build_array({row}.id::text))")
                members.append((s.key, f"(with {ctes} select {expr})"))
                continue
            self.no_arguments(s.node)
            if s.name == "__typename":
                members.append((s.key, f"'\"{type_name}\"'"))
            elif s.name in columns:
                members.append((s.key, _j(f"{row}.{s.name}")))
            elif s.name == number:
                members.append((s.key, f"coalesce({row}.{number}, 0)::text"))
            elif s.name == "seo":
                members.append((s.key, self.category_seo(
                    s.node, f"{row}.id", "catalog_category" if type_name == "Category" else "content_category")))
            elif s.name == "children":
                child = self.params.name("ch")
                members.append((s.key, _array(self.category_tree_node(s.node, child, cats, tree),
                                              f"{cats} {child} where {child}.parent_id = {row}.id",
                                              f"{child}." + order.format(r=child))))
            elif s.name == "parent":
                up = self.params.name("up")
                members.append((s.key, f"coalesce((select {self.category_tree_node(s.node, up, cats, tree)} "
                                       f"from {cats} {up} where {up}.id = {row}.parent_id), 'null')"))
            else:
                raise Unsupported(f"{type_name}.{s.name}")
        return _object(members)

    def root_category_tree(self, sel: Selection) -> tuple[str, str, str]:
        """Query.categories / contentCategories: the roots of the tenant's tree (a category whose parent is not
        visible is a root too), as resolve_categories answers it; the tenant set by index._begin_public_read."""
        self.no_arguments(sel.node)
        tree = self._TREES[sel.name]
        order = tree[3]
        cats, ctes = self.category_rows(tree)
        root = self.params.name("root")
        expr = _array(self.category_tree_node(sel.node, root, cats, tree),
                      f"{cats} {root} where {root}.parent_id is null "
                      f"or not exists (select 1 from {cats} pa where pa.id = {root}.parent_id)",
                      f"{root}." + order.format(r=root))
        return sel.key, expr, ctes

    def category_rows(self, tree: tuple) -> tuple[str, str]:
        """(the name of a CTE of the tenant's categories of `tree` an anonymous visitor sees, its SQL); the tenant
        set first by index._begin_public_read (which checks the tree's module)."""
        _, _, number, _, table, visible, module, key = tree
        n = self.params.name("tree")
        tenant, cats = f"{n}_tenant", f"{n}_rows"
        return cats, (f"{tenant} as materialized (select index._begin_public_read(%(tenant)s, '{module}') as id), "
                      f"{cats} as materialized (select c.id, c.parent_id, c.name, c.{key}, c.description, c.{number} "
                      f"from {tenant} t join {table} c on c.tenant_id = t.id where {visible})")

    def root_category(self, sel: Selection) -> tuple[str, str, str]:
        """Query.category(id | handle): one category of the tree (resolve_category), with its parent and children."""
        read_args = self.arguments("Query", "category", sel.node)
        cid, handle = self.params.name("category_id"), self.params.name("category_handle")

        def fill(values: dict, variables) -> None:
            args = read_args(variables)
            if (args.get("id") is None) == (args.get("handle") is None):
                raise ApiError("BAD_USER_INPUT", "category: give id or handle (one of them)")
            values[cid] = parse_id(args["id"]) if args.get("id") is not None else None
            values[handle] = args.get("handle")
        self.params.fillers.append(fill)
        tree = self._TREES["categories"]
        cats, ctes = self.category_rows(tree)
        row = self.params.name("cat")
        expr = (f"coalesce((select {self.category_tree_node(sel.node, row, cats, tree)} from {cats} {row} "
                f"where case when %({cid})s::uuid is not null then {row}.id = %({cid})s::uuid "
                f"else {row}.handle = %({handle})s::text end "
                f"order by {row}." + tree[3].format(r=row) + " limit 1), 'null')")
        return sel.key, expr, ctes

    def root_author(self, sel: Selection) -> tuple[str, str, str]:
        """Query.author(id): a user's public profile (resolve_author)."""
        read_args = self.arguments("Query", "author", sel.node)
        uid = self.params.name("author_id")

        def fill(values: dict, variables) -> None:
            values[uid] = parse_id(read_args(variables)["id"])
        self.params.fillers.append(fill)
        n = self.params.name("author")
        # no module: a profile is core (its fields check theirs)
        ctes = f"{n}_tenant as materialized (select index._begin_public_read(%(tenant)s, null) as id)"
        expr = f"(select {self.author_by_id(sel.node, f'%({uid})s::uuid')} from {n}_tenant)"
        return sel.key, expr, ctes

    # ---- Query.search (resolve_search): products and content by relevance, a union per edge
    def root_search(self, sel: Selection) -> tuple[str, str, str]:
        read_args = self.arguments("Query", "search", sel.node)
        n = self.params.name("search")
        names = {k: f"{n}_{k}" for k in ("search", "after", "before", "limit", "from_end", "has_after", "has_before")}

        def fill(values: dict, variables) -> None:
            args = read_args(variables)
            page = page_args(args.get("first"), args.get("after"), args.get("last"), args.get("before"))
            values[names["search"]] = args["query"]
            _page_values(values, names, page)
        self.params.fillers.append(fill)
        rows, meta, page = f"{n}_rows", f"{n}_meta", f"{n}_page"
        P = {k: f"%({v})s" for k, v in names.items()}
        order = f"(case when {P['from_end']} then -x.ord else x.ord end)"

        def result(node: FieldNode) -> str:   # a SearchResult: the union member of the row's type
            return (f"(case x.type when 'Product' then {self.product_by_id(node, 'x.id')} "
                    f"when 'Content' then {_module_guard('content', self.content_by_id(node, 'x.id'))} end)")

        # SearchConnection has the connection members a listing has but totals, sort and facets
        members = self.connection_members(sel.node, "Search", result, rows, meta, page, order, P, {}, None)
        ctes = (f"{rows} as materialized (select * from index.read_search_page(%(tenant)s, {P['search']}, "
                f"{P['after']}, {P['before']}, {P['limit']}, {P['from_end']})), "
                f"{meta} as (select r.corrected_query from {rows} r where r.ord = 0), "
                f"{page} as (select r.* from {rows} r where r.ord between 1 and {P['limit']})")
        return sel.key, _object(members), ctes

    def product_by_id(self, node: FieldNode, product_id: str) -> str:
        """storefront.product_by_id for an anonymous visitor: the published product whose id is the SQL
        `product_id`, or null; the commerce module must be on (as ready_to_read)."""
        a = self.params.name("pr")
        built = self.product(node, a, None, ranked=False)
        return _module_guard("commerce", f"coalesce((select {built} from index.products {a} "
                                         f"where {a}.tenant_id = core.current_tenant_id() and {a}.product_id = {product_id} "
                                         f"and {a}.status = 'published'), 'null')")

    # ---- Query.node / nodes (resolve_node(s)): any object by id, its type looked up first
    _NODE_TYPES = (
        ("Product", "select product_id as id from index.products where tenant_id = {t} and product_id = any ({ids})"),
        ("Variant", "select id from commerce.variants where tenant_id = {t} and id = any ({ids})"),
        ("Content", "select node_id as id from index.content where tenant_id = {t} and node_id = any ({ids})"),
        ("Category", "select id from commerce.categories where tenant_id = {t} and id = any ({ids})"),
        ("ContentCategory", "select id from content.categories where tenant_id = {t} and id = any ({ids})"),
        ("Tag", "select id from content.tags where tenant_id = {t} and id = any ({ids})"),
        ("Order", "select order_id as id from index.orders where tenant_id = {t} and order_id = any ({ids})"),
        ("StockLocation", "select id from commerce.stock_locations where tenant_id = {t} and id = any ({ids})"),
        ("Author", "select id from core.users where tenant_id = {t} and id = any ({ids})"),
        ("Media", "select id from content.media where tenant_id = {t} and id = any ({ids})"),
    )

    def root_nodes(self, sel: Selection) -> tuple[str, str, str]:
        from rustok.graphql.storefront import MAX_NODES

        single = sel.name == "node"
        read_args = self.arguments("Query", sel.name, sel.node)
        ids = self.params.name("node_ids")

        def fill(values: dict, variables) -> None:
            args = read_args(variables)
            raw = [args["id"]] if single else args["ids"]
            if len(raw) > MAX_NODES:
                raise ApiError("BAD_USER_INPUT", f"ids: at most {MAX_NODES} per call")
            values[ids] = [parse_id(i) for i in raw]
        self.params.fillers.append(fill)
        n = self.params.name("nodes")
        tenant, types = f"{n}_tenant", f"{n}_types"
        union = " union all ".join(
            f"select x.id, {_lit(name)} as type from ({sql.format(t='t.id', ids=f'%({ids})s::uuid[]')}) x"
            for name, sql in self._NODE_TYPES)
        ctes = [f"{tenant} as materialized (select index._begin_public_read(%(tenant)s, null) as id)",
                f"{types} as materialized (select y.id, y.type from {tenant} t, lateral ({union}) y)"]
        cats: dict[str, str] = {}

        def category(node: FieldNode, tree_name: str, module: str) -> str:
            tree = self._TREES[tree_name]
            if tree_name not in cats:
                cats[tree_name], cte = self.category_rows(tree)
                ctes.append(cte)
            row = self.params.name("cat")
            return _module_guard(module, f"coalesce((select {self.category_tree_node(node, row, cats[tree_name], tree)} "
                                         f"from {cats[tree_name]} {row} where {row}.id = q.id), 'null')")

        builders = {
            "Product": lambda node: self.product_by_id(node, "q.id"),
            "Variant": lambda node: self.variant_by_id(node, "q.id"),
            "Content": lambda node: _module_guard("content", self.content_by_id(node, "q.id")),
            "Category": lambda node: category(node, "categories", "commerce"),
            "ContentCategory": lambda node: category(node, "contentCategories", "content"),
            "Tag": lambda node: self.tag_by_id(node, "q.id"),
            # an anonymous visitor sees no order and no stock location: null whatever is selected
            "Order": lambda node: "'null'",
            "StockLocation": lambda node: "'null'",
            "Author": lambda node: self.author_by_id(node, "q.id"),
            "Media": lambda node: (f"coalesce((select {self.media(node)} from content.media m "
                                   "where m.tenant_id = core.current_tenant_id() and m.id = q.id), 'null')"),
        }
        cases = " ".join(f"when {_lit(name)} then {builders[name](sel.node)}" for name, _ in self._NODE_TYPES)
        value = f"coalesce((case (select ty.type from {types} ty where ty.id = q.id limit 1) {cases} end), 'null')"
        source = f"unnest(%({ids})s::uuid[]) with ordinality as q (id, i)"
        expr = f"(select {value} from {source})" if single else _array(value, source, "q.i")
        return sel.key, expr, ", ".join(ctes)

    def variant_by_id(self, node: FieldNode, variant_id: str) -> str:
        """Query.node of a Variant for an anonymous visitor: the variant of its published product, or null."""
        a = self.params.name("vp")
        return _module_guard("commerce", (
            f"coalesce((select {self.variant(node, 'v.e')} from index.products {a}, "
            f"jsonb_array_elements(coalesce({a}.variants, '[]')) v (e) "
            f"where {a}.tenant_id = core.current_tenant_id() and {a}.status = 'published' "
            f"and {a}.product_id = (select cv.product_id from commerce.variants cv "
            f"where cv.tenant_id = core.current_tenant_id() and cv.id = {variant_id}) "
            f"and v.e ->> 'id' = {variant_id}::text limit 1), 'null')"))

    def tag_by_id(self, node: FieldNode, tag_id: str) -> str:
        members = []
        for s in self.selections("Tag", node):
            self.no_arguments(s.node)
            if s.name == "__typename":
                members.append((s.key, "'\"Tag\"'"))
            elif s.name in ("id", "slug", "name"):
                members.append((s.key, _j(f"tg.{s.name}")))
            else:
                raise Unsupported(f"Tag.{s.name}")
        return (f"coalesce((select {_object(members)} from content.tags tg where tg.tenant_id = core.current_tenant_id() "
                f"and tg.id = {tag_id}), 'null')")

    def root_content(self, sel: Selection) -> tuple[str, str]:
        read_args = self.arguments("Query", "content", sel.node)
        cid, ckind, cslug, cbody = (self.params.name(x) for x in ("content_id", "content_kind", "content_slug",
                                                                   "content_body"))
        self.wants_body = False
        node = self.content(sel.node, "c", ranked=False)
        wants_body = self.wants_body

        def fill(values: dict, variables) -> None:
            args = read_args(variables)
            if args.get("id") is not None:
                values[cid], values[ckind], values[cslug] = parse_id(args["id"]), None, None
            elif args.get("kind") is None or args.get("slug") is None:
                raise ApiError("BAD_USER_INPUT", "content: give id, or kind and slug")
            else:
                values[cid], values[ckind], values[cslug] = None, args["kind"], args["slug"]
            values[cbody] = wants_body
        self.params.fillers.append(fill)
        sql = (f"coalesce((select {node} from index.read_content(%(tenant)s, %({cid})s, %({ckind})s::text, "
               f"%({cslug})s::text, %({cbody})s) c), 'null')")
        return sel.key, sql

    def root_contents(self, sel: Selection) -> tuple[str, str, str]:
        expr, ctes = self.contents_connection(sel.node, "Query", "contents", None)
        return sel.key, expr, ctes

    def contents_connection(self, node: FieldNode, type_name: str, field_name: str,
                            scope: str | None, sort: str | None = None) -> tuple[str, str]:
        """A ContentConnection: (JSON expression, its CTEs). Query.contents; or with `scope` (SQL of a jsonb
        object merged into the filters, correlated with an outer row) a connection per row: Content.comments (a
        node's comments), Author.contents (an author's, `sort` fixed). The caller wraps a scoped connection's CTEs
        in a subquery per row."""
        read_args = self.arguments(type_name, field_name, node)
        n = self.params.name("contents" if scope is None else "scoped")
        names = {k: f"{n}_{k}" for k in ("search", "filters", "sort", "after", "before", "limit", "from_end",
                                          "want_total", "want_body", "has_after", "has_before")}
        wants = {"total": False, "body": False}

        def fill(values: dict, variables) -> None:
            from rustok.graphql.storefront import _filters

            args = read_args(variables)
            page = page_args(args.get("first"), args.get("after"), args.get("last"), args.get("before"))
            filters = _filters(args.get("filter"))
            if args.get("kind"):
                filters["kinds"] = [args["kind"]]
            values[names["search"]] = args.get("search")
            values[names["filters"]] = Jsonb(filters)
            values[names["sort"]] = sort or args.get("sort")
            _page_values(values, names, page)
            values[names["want_total"]] = wants["total"]
            values[names["want_body"]] = wants["body"]
        self.params.fillers.append(fill)

        rows, meta, page, facets_cte = f"{n}_rows", f"{n}_meta", f"{n}_page", f"{n}_facets"
        P = {k: f"%({v})s" for k, v in names.items()}
        order = f"(case when {P['from_end']} then -x.ord else x.ord end)"
        self.wants_body = False
        members = self.connection_members(
            node, "Content", lambda n: self.content(n, "x"), rows, meta, page, order, P, wants,
            lambda n: self.content_facets(n, "(select x.f from " + facets_cte + " x)"))
        wants["body"] = self.wants_body
        filters = P["filters"] if scope is None else f"({P['filters']}::jsonb || {scope})"
        ctes = (f"{rows} as materialized (select * from index.read_content_page(%(tenant)s, {P['search']}, "
                f"{filters}, {P['sort']}, {P['after']}, {P['before']}, {P['limit']}, {P['from_end']}, "
                f"{P['want_total']}, {P['want_body']})), "
                f"{meta} as (select r.tsq, r.corrected_query, r.total, r.total_capped from {rows} r where r.ord = 0), "
                f"{page} as (select r.* from {rows} r where r.ord between 1 and {P['limit']})")
        if wants.get("facets"):
            # read from the listing's row 0, so that it runs after index.read_content_page set the tenant
            ctes += (f", {facets_cte} as materialized (select index.search_content(core.current_tenant_id(), "
                     f"{P['search']}, {filters}, null, 1, 0, false) -> 'facets' as f from {meta} m)")
        return _object(members), ctes

    def connection_members(self, node: FieldNode, type_name: str, build_node, rows: str, meta: str, page: str,
                           order: str, P: dict, wants: dict, build_facets,
                           cursor: Callable[[str], str] | None = None) -> list[tuple[str, str]]:
        """The members of a <type_name>Connection over the CTEs of a read function's answer (rows: row 0 the
        listing, then the page; meta: row 0; page: the page's rows in `order`): edges, nodes (each built by
        build_node on alias x), pageInfo, totals, query, correctedQuery, sort and facets (build_facets). Marks in
        `wants` what the read function must compute (total, facets). `cursor`: the SQL of a page row's cursor
        text from its alias (default: _cursor of its cursor column)."""
        cursor = cursor or (lambda alias: _cursor(f"{alias}.cursor"))
        connection, edge_type = f"{type_name}Connection", f"{type_name}Edge"
        members = []
        for s in self.selections(connection, node):
            self.no_arguments(s.node)
            if s.name == "__typename":
                members.append((s.key, f"'\"{connection}\"'"))
            elif s.name == "edges":
                edge = []
                for e in self.selections(edge_type, s.node):
                    self.no_arguments(e.node)
                    if e.name == "__typename":
                        edge.append((e.key, f"'\"{edge_type}\"'"))
                    elif e.name == "cursor":
                        edge.append((e.key, "'\"' || " + cursor("x") + " || '\"'"))
                    elif e.name == "node":
                        edge.append((e.key, build_node(e.node)))
                    else:
                        raise Unsupported(f"{edge_type}.{e.name}")
                members.append((s.key, _array(_object(edge), f"{page} x", order)))
            elif s.name == "nodes":
                members.append((s.key, _array(build_node(s.node), f"{page} x", order)))
            elif s.name == "pageInfo":
                members.append((s.key, self.page_info(s.node, rows, page, order, P, cursor)))
            elif s.name == "totalCount":
                wants["total"] = True
                members.append((s.key, f"(select m.total::text from {meta} m)"))
            elif s.name == "totalCountCapped":
                wants["total"] = True
                members.append((s.key, f"(select m.total_capped::text from {meta} m)"))
            elif s.name == "query":
                members.append((s.key, _j(f"{P['search']}::text")))
            elif s.name == "correctedQuery":
                members.append((s.key, f"(select {_j('m.corrected_query')} from {meta} m)"))
            elif s.name == "sort":
                members.append((s.key, self.effective_sort(P["sort"], meta)))
            elif s.name == "facets":
                wants["facets"] = True
                members.append((s.key, build_facets(s.node)))
            else:
                raise Unsupported(f"{connection}.{s.name}")
        return members

    def page_info(self, node: FieldNode, rows: str, page: str, order: str, P: dict,
                  cursor: Callable[[str], str]) -> str:
        info = []
        more = f"(select count(*) > {P['limit']} from {rows} r where r.ord > 0)"
        first_cursor = f"(select '\"' || {cursor('x')} || '\"' from {page} x order by {order} limit 1)"
        last_cursor = f"(select '\"' || {cursor('x')} || '\"' from {page} x order by {order} desc limit 1)"
        for i in self.selections("PageInfo", node):
            self.no_arguments(i.node)
            if i.name == "__typename":
                info.append((i.key, "'\"PageInfo\"'"))
            elif i.name == "hasNextPage":
                info.append((i.key, f"(case when {P['from_end']} then {P['has_before']} else {more} end)::text"))
            elif i.name == "hasPreviousPage":
                info.append((i.key, f"(case when {P['from_end']} then {more} else {P['has_after']} end)::text"))
            elif i.name == "startCursor":
                info.append((i.key, f"coalesce({first_cursor}, 'null')"))
            elif i.name == "endCursor":
                info.append((i.key, f"coalesce({last_cursor}, 'null')"))
            else:
                raise Unsupported(f"PageInfo.{i.name}")
        return _object(info)

    @staticmethod
    def effective_sort(sort: str, meta: str) -> str:
        return f"""(select to_json(case
                    when {sort}::text is null then case when coalesce(m.tsq, '') <> '' then 'relevance' else 'newest' end
                    when {sort}::text = 'relevance' and coalesce(m.tsq, '') = '' then 'newest'
                    else {sort}::text end)::text from {meta} m)"""

    def compile(self) -> "Plan":
        if self.operation.operation != OperationType.QUERY:
            raise Unsupported("not a query")
        if self.operation.directives:
            raise Unsupported("directives")
        root = _collect(self.schema, self.fragments, "Query", self.operation.selection_set)
        members, ctes = [], []
        for sel in root:
            if sel.name == "products":
                key, expr, cte = self.root_products(sel)
                members.append((key, expr))
                ctes.append(cte)
            elif sel.name == "product":
                members.append(self.root_product(sel))
            elif sel.name == "contents":
                key, expr, cte = self.root_contents(sel)
                members.append((key, expr))
                ctes.append(cte)
            elif sel.name == "content":
                members.append(self.root_content(sel))
            elif sel.name in ("category", "author", "search", "node", "nodes"):
                build = {"category": self.root_category, "author": self.root_author, "search": self.root_search,
                         "node": self.root_nodes, "nodes": self.root_nodes}[sel.name]
                key, expr, cte = build(sel)
                members.append((key, expr))
                ctes.append(cte)
            elif sel.name in ("categories", "contentCategories"):
                key, expr, cte = self.root_category_tree(sel)
                members.append((key, expr))
                ctes.append(cte)
            elif sel.name == "__typename":
                members.append((sel.key, "'\"Query\"'"))
            else:
                raise Unsupported(f"Query.{sel.name}")
        body = "'{\"data\":' || " + _object(members) + " || '}'"
        sql = (f"with {', '.join(ctes)} select {body}" if ctes else f"select {body}")
        return Plan(sql, self.params.fillers, self.operation)


_PLACEHOLDER = re.compile(r"%\((\w+)\)s|%%|%")


def native_placeholders(sql: str) -> tuple[bytes, tuple[str, ...]]:
    """The statement with PostgreSQL's own $1, $2 ... for its psycopg %(name)s placeholders (one number per name,
    however often it is used) and %% as %, and the names in number order. Done once per plan: psycopg parses a
    statement's placeholders on every execute when the statement is longer than its cache takes (4 kB), which the
    compiled pages are (~7 % of the API process's CPU per page request, py-spy, 2026-12-02)."""
    names: dict[str, int] = {}

    def number(m: re.Match) -> str:
        if m.group(1) is None:
            if m.group(0) == "%%":
                return "%"
            raise Unsupported(f"a lone % in the compiled statement at {m.start()}")
        return f"${names.setdefault(m.group(1), len(names) + 1)}"

    return _PLACEHOLDER.sub(number, sql).encode("utf-8"), tuple(names)


@dataclass
class Plan:
    sql: str
    fillers: list
    operation: OperationDefinitionNode
    native_sql: bytes = field(init=False, repr=False)
    native_names: tuple[str, ...] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.native_sql, self.native_names = native_placeholders(self.sql)

    def parameters(self, schema: GraphQLSchema, raw_variables: dict | None, tenant: str) -> dict | None:
        """The statement's parameters for one request, or None when ordinary execution must answer (variables
        that do not coerce, arguments the ordinary path refuses)."""
        variables = get_variable_values(schema, self.operation.variable_definitions or (), raw_variables or {})
        if isinstance(variables, list):
            return None
        values: dict[str, Any] = {"tenant": tenant}
        try:
            for fill in self.fillers:
                fill(values, variables)
        except (ApiError, GraphQLError, InvalidIdError, ValueError, TypeError):
            return None
        return values


class CompiledReads:
    """Plans per (query text, operation name): compiled once; None remembered for what is not covered."""

    def __init__(self, schema: GraphQLSchema, limits: Limits, max_plans: int = 256):
        self.schema = schema
        self.limits = limits
        self.max_plans = max_plans
        self._plans: OrderedDict[tuple, Plan | None] = OrderedDict()
        self._lock = threading.Lock()

    async def answer(self, router, documents, document: DocumentNode, operation_name: str | None,
                     variables: dict | None, tenant: str) -> bytes | None:
        """The response body (UTF-8 JSON) of an anonymous read of `tenant`, compiled and run as one statement on an
        autocommit connection of the router's read view; None when ordinary execution must answer (not covered,
        invalid, refused arguments, any database error). Used by /graphql and by the storefront in-process."""
        plan = self.plan(document, operation_name)
        if plan is None:
            return None
        if documents.validate(self.schema, document):   # invalid: ordinary execution reports it
            return None
        params = plan.parameters(self.schema, variables, tenant)
        if params is None:
            return None
        view = router.view(read_only=True)
        try:
            # autocommit: the statement is its own transaction (the tenant setting it makes is local to it)
            async with view.connection() as conn, autocommit(conn):
                # a raw cursor: the plan's $n statement as it is (no placeholder parsing per request)
                cur = psycopg.AsyncRawCursor(conn)
                await cur.execute(plan.native_sql, [params[name] for name in plan.native_names])
                row = await cur.fetchone()
        except psycopg.Error as exc:
            # unknown tenant, module off, refused arguments: ordinary execution answers and reports what is the
            # caller's to know. Anything else is unexpected here: logged (ordinary execution still answers).
            if exc.sqlstate in EXPECTED_REFUSALS:
                log.debug("compiled read refused (%s); ordinary execution answers", exc.sqlstate)
            else:
                log.warning("compiled read failed (SQLSTATE %s: %s); ordinary execution answers", exc.sqlstate,
                            str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__)
            return None
        except DatabaseUnavailable:
            return None
        if row is None or row[0] is None:
            return None
        return row[0].encode("utf-8")

    def plan(self, document: DocumentNode, operation_name: str | None) -> Plan | None:
        body = document.loc.source.body if document.loc else None
        if body is None:
            return None
        key = (body, operation_name)
        with self._lock:
            if key in self._plans:
                self._plans.move_to_end(key)
                return self._plans[key]
        operation = get_operation_ast(document, operation_name)
        plan = None
        if operation is not None:
            try:
                plan = Compiler(self.schema, document, operation, self.limits).compile()
            except Unsupported as exc:
                log.debug("not compiled (%s): ordinary execution", exc)
        with self._lock:
            self._plans[key] = plan
            while len(self._plans) > self.max_plans:
                self._plans.popitem(last=False)
        return plan
