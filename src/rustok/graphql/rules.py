"""Human words for a CHECK constraint a mutation broke (issue 12: every constraint of the write model maps to a field
and a human message). The rule is read from the constraint's definition (pg_get_constraintdef) the first time one
is broken, and worded from its common shapes (a length limit, a non-empty text, a minimum, a list of allowed values,
a format, a JSON object, one column after another); an unknown shape keeps the generic "this value is not accepted".
"""

from __future__ import annotations

import logging
import re

from rustok.graphql.payloads import camel

log = logging.getLogger(__name__)

_CACHE: dict[str, str | None] = {}
_SQL = """select pg_get_constraintdef(k.oid) as definition from pg_constraint k
          join pg_namespace n on n.oid = k.connamespace
          where k.conname = %s and k.contype = 'c' and n.nspname in ('core', 'content', 'commerce', 'community')
          limit 1"""

_COL = r'"?([a-z_][a-z0-9_]*)"?'
_NUM = r"(?:\(?'?(-?\d+(?:\.\d+)?)'?\)?(?:::(?:integer|numeric|bigint))?)"
_PATTERNS: list[tuple[re.Pattern, object]] = [
    (re.compile(rf"^length\({_COL}\) <= (\d+)$"), lambda m: f"at most {m[2]} characters"),
    (re.compile(rf"^length\({_COL}\) >= (\d+)$"), lambda m: f"at least {m[2]} characters"),
    (re.compile(rf"^(?:btrim\({_COL}\)|{_COL}) <> ''::text$"), lambda m: "cannot be empty"),
    (re.compile(rf"^jsonb_typeof\({_COL}\) = 'object'::text$"), lambda m: "must be a JSON object"),
    (re.compile(rf"^jsonb_typeof\({_COL}\) = 'array'::text$"), lambda m: "must be a list"),
    (re.compile(rf"^{_COL} >= {_NUM}$"), lambda m: "must be 0 or more" if float(m[2]) == 0 else f"must be at least {m[2]}"),
    (re.compile(rf"^{_COL} > {_NUM}$"), lambda m: f"must be more than {m[2]}"),
    (re.compile(rf"^{_COL} <= {_NUM}$"), lambda m: f"must be at most {m[2]}"),
    (re.compile(rf"^{_COL} <> {_NUM}$"), lambda m: f"cannot be {m[2]}"),
    (re.compile(rf"^{_COL} = ANY \(ARRAY\[(.*)\]\)$"),
     lambda m: "must be one of " + ", ".join(re.findall(r"'([^']*)'", m[2]))),
    (re.compile(rf"^{_COL} = '([^']*)'::text$"), lambda m: f"must be {m[2]}"),
    (re.compile(r"^email ~ '.*'::text$"), lambda m: "must be an email address like ann@example.com"),
    (re.compile(rf"^{_COL} ~\*? '.*'::text$", re.S), lambda m: "does not have the expected format"),
    (re.compile(rf"^{_COL} = lower\({_COL}\)$"), lambda m: "must be lowercase"),
    (re.compile(r"^content\.slug_is_valid\(.*\)$"),
     lambda m: "lowercase letters and digits in groups separated by single dashes, at most 255 characters"),
    (re.compile(rf"^{_COL} <> {_COL}$"), lambda m: f"cannot be the same as {camel(m[2])}"),
    (re.compile(rf"^{_COL} > {_COL}$"),
     lambda m: f"must be after {camel(m[2])}" if m[2].endswith("_at") else f"must be more than {camel(m[2])}"),
    (re.compile(rf"^{_COL} >= {_COL}$"),
     lambda m: f"must not be before {camel(m[2])}" if m[2].endswith("_at") else f"must be at least {camel(m[2])}"),
    (re.compile(rf"^{_COL} <= {_COL}$"), lambda m: f"must be at most {camel(m[2])}"),
]


# Rules whose shape is not one of the above, worded by hand (tests/graphql/test_audit12_gaps.py checks that every
# CHECK constraint of the write model has words, from here or from its shape).
WORDED = {
    "carts_order_check": "an ordered cart names its order and an open cart none",
    "carts_owner_check": "a cart belongs to a visitor's token or to a customer",
    "follows_one_target": "follow exactly one user, page or post, or category",
    "media_location_check": "a file needs a place it is stored (a storage key or a URL)",
    "nodes_published_at_check": "a scheduled or published item needs its publication time",
    "nodes_slug_required": "pages and posts need a slug; comments have none",
    "nodes_status_check": "pages and posts are draft, scheduled, published or archived; comments pending, approved or spam",
    "nodes_title_required": "pages and posts need a title",
    "order_items_total_check": "a line's total is its unit price times its quantity",
    "orders_total_check": "the total is the subtotal less the discount plus shipping and tax",
    "price_list_rules_values_check": "give at least one value, and no empty one",
}


def _strip(text: str) -> str:
    text = text.strip()
    while text.startswith("(") and _balanced_inside(text):
        text = text[1:-1].strip()
    return text


def _balanced_inside(text: str) -> bool:
    """True when the outer parentheses of text enclose all of it."""
    depth = 0
    for i, ch in enumerate(text):
        depth += ch == "("
        depth -= ch == ")"
        if depth == 0 and i < len(text) - 1:
            return False
    return text.endswith(")")


def _conjuncts(text: str) -> list[str]:
    parts, depth, quoted, start = [], 0, False, 0
    i = 0
    while i < len(text):
        ch = text[i]
        if ch == "'":
            quoted = not quoted
        elif not quoted:
            depth += ch == "("
            depth -= ch == ")"
            if depth == 0 and text.startswith(" AND ", i):
                parts.append(text[start:i])
                start = i + 5
                i += 5
                continue
        i += 1
    parts.append(text[start:])
    return [_strip(p) for p in parts]


def describe(definition: str) -> str | None:
    """`CHECK ((length(title) <= 255))` -> "at most 255 characters"; None for a shape we do not word."""
    body = definition.strip()
    if not body.startswith("CHECK "):
        return None
    phrases = []
    for part in _conjuncts(_strip(body[6:])):
        for pattern, word in _PATTERNS:
            m = pattern.match(part)
            if m:
                phrases.append(word(m))
                break
        else:
            return None
    return "; ".join(dict.fromkeys(phrases)) or None


async def human_rule(ctx, constraint: str) -> str | None:
    """The human words of a CHECK constraint of the write model (cached per process), or None."""
    if constraint not in _CACHE:
        from rustok.graphql.db import fetch_one   # db imports access: import at call time

        try:
            row = await fetch_one(ctx, _SQL, (constraint,))
        except Exception:   # the words are a nicety: the refusal keeps its generic message, the fault is logged
            log.warning("could not read the definition of constraint %s", constraint, exc_info=True)
            return None
        _CACHE[constraint] = WORDED.get(constraint) or (describe(row["definition"]) if row else None)
    return _CACHE[constraint]
