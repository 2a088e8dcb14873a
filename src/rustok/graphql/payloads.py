"""Mutation payloads: the changed object(s), `userErrors { field code message }` and the `position` of the
transaction's last event.

Validation and business refusals become userErrors (the transaction is rolled back: nothing is written, and
`position` is null); authentication, permission, disabled modules and internal faults stay top-level errors.
No PostgreSQL text reaches a client as it is: our own refusals (`<table>.<column>: <what is wrong>`, raised
by the SQL API) keep their message with the field in front; constraint violations PostgreSQL words itself
(unique, check, not null, foreign key, out of range) are reworded from the constraint and column names.
"""

from __future__ import annotations

import functools
import re

import psycopg

from rustok.graphql.errors import ApiError, _disabled_module
from rustok.ids import InvalidIdError

# userErrors.code
DUPLICATE, INVALID, REQUIRED, NOT_FOUND, IN_USE, INVALID_STATE, OUT_OF_STOCK, CONFLICT = (
    "DUPLICATE", "INVALID", "REQUIRED", "NOT_FOUND", "IN_USE", "INVALID_STATE", "OUT_OF_STOCK", "CONFLICT")

_OWN_MESSAGE = re.compile(r"^([a-z_][a-z0-9_]*(?:\.[a-z_][a-z0-9_]*|\[\d+\])*): (.+)$", re.S)
_KEY = re.compile(r"^Key \((?P<cols>[^)]*)\)=\((?P<vals>.*)\) (?P<rest>.*)$", re.S)
_SCHEMAS = ("core", "content", "commerce", "community", "index", "outbox")


def camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def _field(path: str) -> str:
    """`commerce.products.handle` -> handle, `items[0].quantity` -> items[0].quantity, `p_currency` -> currency."""
    parts = path.split(".")
    if parts[0] in _SCHEMAS and len(parts) >= 3:
        parts = parts[2:]
    elif parts[0] in _SCHEMAS or (len(parts) == 2 and parts[0].endswith("s") and "[" not in parts[0]
                                  and parts[0] not in ("items", "input", "filter")):
        parts = parts[1:] or parts
    parts = [p[2:] if p.startswith("p_") else p for p in parts]
    return ".".join(camel(p) for p in parts)


def _noun(table: str | None) -> str:
    table = (table or "row").removesuffix("s") if table != "categories" else "category"
    return {"node": "page, post or comment", "taggable": "tag link", "variant": "variant"}.get(table, table.replace("_", " "))


_PARTITION = re.compile(r"_(?:p\d+|default|p\d{4}q\d)$")


def _constraint_field(constraint: str | None, table: str | None) -> str | None:
    if not constraint:
        return None
    name = constraint
    table = _PARTITION.sub("", table) if table else table   # a partition (nodes_p5) reports its own name
    if table and name.startswith(table + "_"):
        name = name[len(table) + 1:]
    for suffix in ("_check", "_format", "_key", "_fkey", "_not_self", "_idx"):
        name = name.removesuffix(suffix)
    name = name.removeprefix("tenant_id_").removeprefix("tenant_")   # keys lead with the tenant: not a field
    return camel(name) if name else None


def user_error(exc: BaseException) -> dict | None:
    """The userError for a refusal, or None when it is not the user's to fix (top-level instead)."""
    if isinstance(exc, InvalidIdError):
        return {"field": None, "code": INVALID, "message": str(exc)}
    if isinstance(exc, ApiError):
        if exc.code in ("BAD_USER_INPUT", "NOT_FOUND", "CONFLICT"):
            code = {"BAD_USER_INPUT": INVALID, "NOT_FOUND": NOT_FOUND, "CONFLICT": CONFLICT}[exc.code]
            return {"field": exc.extra.get("argument"), "code": code, "message": str(exc)}
        return None
    if not isinstance(exc, psycopg.Error) or not exc.sqlstate:
        return None
    state, diag = exc.sqlstate, exc.diag
    primary = diag.message_primary or ""
    if state == "55000" and _disabled_module(primary):
        return None
    if not (state[:2] in ("22", "23") or state in ("P0001", "P0002", "55000", "40001", "40P01")):
        return None
    if state in ("40001", "40P01"):
        return {"field": None, "code": CONFLICT, "message": "a concurrent change got in the way; try again"}
    own = _OWN_MESSAGE.match(primary)
    if own and not primary.startswith(("new row ", "duplicate key ", "null value ", "insert or update ", "update or delete ")):
        field = _field(own.group(1))
        message = f"{field}: {own.group(2)}"
        if state == "P0002":
            code = NOT_FOUND
        elif state == "55000":
            code = INVALID_STATE
        elif "insufficient stock" in primary:
            code = OUT_OF_STOCK
        elif state == "23505":
            code = DUPLICATE
        elif state == "23503":
            code = NOT_FOUND
        elif state == "23001":
            code = IN_USE
        else:
            code = INVALID
        return {"field": field, "code": code, "message": message}
    table, column, constraint = diag.table_name, diag.column_name, diag.constraint_name
    key = _KEY.match(diag.message_detail or "")
    cols = [c.strip() for c in key.group("cols").split(",")] if key else []
    vals = [v.strip() for v in key.group("vals").split(",")] if key else []
    pairs = [(c, v) for c, v in zip(cols, vals) if c != "tenant_id"] if len(cols) == len(vals) else []
    if state == "23505":
        field = camel(pairs[-1][0]) if pairs else _constraint_field(constraint, table)
        value = f' "{pairs[-1][1]}"' if pairs else " this value"
        return {"field": field, "code": DUPLICATE,
                "message": f"{field}:{value} is already used by another {_noun(table)}"}
    if state in ("23503", "23001"):
        if state == "23001" or "referenced" in (diag.message_detail or ""):
            return {"field": None, "code": IN_USE,
                    "message": f"this {_noun(table)} is still in use and cannot be removed"}
        field = camel(pairs[-1][0]) if pairs else _constraint_field(constraint, table)
        return {"field": field, "code": NOT_FOUND, "message": f"{field}: no such record in this tenant"}
    if state == "23502":
        field = camel(column) if column else None
        return {"field": field, "code": REQUIRED, "message": f"{field}: is required"}
    if state == "23514":
        field = _constraint_field(constraint, table)
        # "_rule": mutation_payload words the rule from the constraint's definition (rustok.graphql.rules)
        return {"field": field, "code": INVALID, "_rule": constraint,
                "message": f"{field}: this value is not accepted (rule {constraint})"}
    if state in ("22003", "22P02", "22007", "22008", "22001"):
        field = camel(column) if column else None
        what = {"22003": "is out of range", "22001": "is too long"}.get(state, "has the wrong format")
        return {"field": field, "code": INVALID, "message": f"{field or 'a value'}: {what}"}
    # our own refusals without a field prefix keep their wording; PostgreSQL's own data errors do not
    ours = state in ("P0001", "P0002", "22023", "55000")
    code = {"P0002": NOT_FOUND, "55000": INVALID_STATE}.get(state, INVALID)
    return {"field": camel(column) if column else None, "code": code,
            "message": primary if ours else "a value was refused"}


def mutation_payload(resolver):
    """Wrap a mutation resolver: refusals become `userErrors` (nothing written, position null)."""

    @functools.wraps(resolver)
    async def wrapped(obj, info, **kwargs):
        try:
            result = await resolver(obj, info, **kwargs)
        except (psycopg.Error, InvalidIdError, ApiError) as exc:
            error = user_error(exc)
            if error is None:
                raise
            rule = error.pop("_rule", None)
            if rule:
                from rustok.graphql.rules import human_rule   # rules imports this module

                words = await human_rule(info.context, rule)
                if words:
                    error["message"] = f"{error['field']}: {words}" if error["field"] else words
            return {"userErrors": [error], "position": None}
        result = dict(result)
        result.setdefault("userErrors", [])
        return result

    return wrapped
