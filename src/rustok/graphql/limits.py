"""Input limits: refuse oversized or hostile GraphQL input before any SQL runs.

Two checks, each in one place:

- `check_document` runs once per distinct query text, right after parsing (the document cache keeps
  only documents that passed). It bounds the shape of the document -- field selections, aliases,
  nesting depth, root fields and their cost (root fields that reach the database) -- before
  graphql-core spends time validating it and before any resolver runs.
- `guard_arguments` wraps every field that takes arguments, once, when the schema is built. The
  wrapper sees the coerced argument values, literal or variable alike, and refuses NUL characters,
  lone surrogates, over-long strings and oversized JSON values, naming the argument. Resolvers
  never see such values, so no resolver needs its own check.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, fields
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLInputObjectType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLScalarType,
    GraphQLSchema,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    default_field_resolver,
)

from rustok.graphql.errors import ApiError

#: Root fields answered without the database (they cost nothing).
FREE_ROOT_FIELDS = frozenset({"version", "__typename", "__schema", "__type"})
#: Introspection subtrees: graphql-core's MaxIntrospectionDepthRule bounds them.
INTROSPECTION_FIELDS = frozenset({"__schema", "__type"})
#: String arguments that hold long text (a post or comment body, a product description).
LONG_TEXT_ARGUMENTS = frozenset({"body", "description", "excerpt"})
#: Query texts longer than this are parsed every time rather than kept in the document cache.
MAX_CACHED_QUERY_LENGTH = 16_384


@dataclass(frozen=True)
class Limits:
    max_query_tokens: int = 2_000
    max_query_depth: int = 10
    max_aliases: int = 30
    max_root_fields: int = 20
    max_query_cost: int = 10
    max_fields: int = 500
    max_variables_depth: int = 32
    max_json_bytes: int = 65_536
    max_string_length: int = 10_000
    max_text_length: int = 200_000

    @classmethod
    def from_settings(cls, settings) -> "Limits":
        return cls(**{f.name: getattr(settings, f.name) for f in fields(cls)})


def too_complex(limit: str, maximum: int, actual: int | None, what: str) -> GraphQLError:
    found = f" (found {actual})" if actual is not None else ""
    return GraphQLError(
        f"the query is too complex: at most {maximum} {what}{found}; split it into smaller requests",
        extensions={"code": "QUERY_TOO_COMPLEX", "limit": limit, "max": maximum,
                    **({"actual": actual} if actual is not None else {})})


# ---------------------------------------------------------------- the document's shape

def check_document(document: DocumentNode, limits: Limits) -> None:
    """Raise a QUERY_TOO_COMPLEX GraphQLError when the document exceeds a limit."""
    fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
    field_count = alias_count = 0
    stack: list[SelectionSetNode] = [d.selection_set for d in document.definitions
                                     if isinstance(d, (OperationDefinitionNode, FragmentDefinitionNode))]
    while stack:  # every selection written in the document, once (not expanded)
        for selection in stack.pop().selections:
            if isinstance(selection, FieldNode):
                field_count += 1
                alias_count += selection.alias is not None
            if getattr(selection, "selection_set", None) is not None:
                stack.append(selection.selection_set)
    if field_count > limits.max_fields:
        raise too_complex("fields", limits.max_fields, field_count, "field selections")
    if alias_count > limits.max_aliases:
        raise too_complex("aliases", limits.max_aliases, alias_count, "aliases")

    depths: dict[str, int] = {}
    for definition in document.definitions:
        if not isinstance(definition, OperationDefinitionNode):
            continue
        depth = _depth(definition.selection_set, fragments, depths, set(), limits.max_query_depth)
        if depth > limits.max_query_depth:
            raise too_complex("depth", limits.max_query_depth, None, "levels of nesting")
        root = _root_fields(definition.selection_set, fragments, set())
        if len(root) > limits.max_root_fields:
            raise too_complex("rootFields", limits.max_root_fields, len(root), "root fields")
        cost = sum(1 for name in root.values() if name not in FREE_ROOT_FIELDS)
        if cost > limits.max_query_cost:
            raise too_complex("cost", limits.max_query_cost, cost, "root fields that read or write data")


def _depth(selection_set: SelectionSetNode, fragments: dict, memo: dict[str, int], visiting: set[str],
           cap: int) -> int:
    deepest = 0
    for selection in selection_set.selections:
        if isinstance(selection, FieldNode):
            if selection.name.value in INTROSPECTION_FIELDS or selection.selection_set is None:
                depth = 1
            else:
                depth = 1 + _depth(selection.selection_set, fragments, memo, visiting, cap)
        elif isinstance(selection, InlineFragmentNode):
            depth = _depth(selection.selection_set, fragments, memo, visiting, cap)
        elif isinstance(selection, FragmentSpreadNode):
            name = selection.name.value
            if name not in memo:
                fragment = fragments.get(name)
                if fragment is None or name in visiting:  # unknown or cyclic: validation reports it
                    continue
                visiting.add(name)
                memo[name] = _depth(fragment.selection_set, fragments, memo, visiting, cap)
                visiting.discard(name)
            depth = memo[name]
        else:
            continue
        deepest = max(deepest, depth)
        if deepest > cap:
            break
    return deepest


def _root_fields(selection_set: SelectionSetNode, fragments: dict, visiting: set[str]) -> dict[str, str]:
    """Response key -> field name of the root selection (fields with one key merge into one execution)."""
    keys: dict[str, str] = {}
    for selection in selection_set.selections:
        if isinstance(selection, FieldNode):
            key = (selection.alias or selection.name).value
            keys.setdefault(key, selection.name.value)
        elif isinstance(selection, InlineFragmentNode):
            for key, name in _root_fields(selection.selection_set, fragments, visiting).items():
                keys.setdefault(key, name)
        elif isinstance(selection, FragmentSpreadNode):
            name = selection.name.value
            fragment = fragments.get(name)
            if fragment is None or name in visiting:
                continue
            visiting.add(name)
            for key, field_name in _root_fields(fragment.selection_set, fragments, visiting).items():
                keys.setdefault(key, field_name)
    return keys


# ---------------------------------------------------------------- the variables' shape

def variables_depth_exceeds(value: Any, maximum: int) -> bool:
    """True when a JSON value nests deeper than `maximum` (iterative: safe on any depth)."""
    stack = [(value, 0)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, dict):
            items = value.values()
        elif isinstance(value, list):
            items = value
        else:
            continue
        if depth >= maximum:
            return True
        stack.extend((item, depth + 1) for item in items)
    return False


# ---------------------------------------------------------------- argument values

def guard_arguments(schema: GraphQLSchema, limits: Limits) -> GraphQLSchema:
    """Wrap the resolver (and subscription source) of every field that takes arguments."""
    for type_ in schema.type_map.values():
        if not isinstance(type_, GraphQLObjectType) or type_.name.startswith("__"):
            continue
        for field_name, field in type_.fields.items():
            if not field.args:
                continue
            guard = _ArgumentGuard(f"{type_.name}.{field_name}", field.args, limits)
            field.resolve = guard.wrap(field.resolve or default_field_resolver)
            if field.subscribe is not None:
                field.subscribe = guard.wrap(field.subscribe)
    return schema


class _ArgumentGuard:
    def __init__(self, where: str, args: dict, limits: Limits):
        self.where = where
        self.args = {arg.out_name or name: (name, arg.type) for name, arg in args.items()}
        self.limits = limits

    def wrap(self, resolve):
        def guarded(obj, info, **kwargs):
            if kwargs:
                self.check(kwargs)
            return resolve(obj, info, **kwargs)

        guarded.__wrapped__ = resolve  # type: ignore[attr-defined]
        return guarded

    def check(self, kwargs: dict) -> None:
        for key, value in kwargs.items():
            if key in self.args:
                name, type_ = self.args[key]
                self._value(value, type_, name, name)

    def _refuse(self, path: str, problem: str) -> ApiError:
        return ApiError("BAD_USER_INPUT", f"argument {path} of {self.where}: {problem}", argument=path)

    def _value(self, value: Any, type_, path: str, leaf: str) -> None:
        if isinstance(type_, GraphQLNonNull):
            type_ = type_.of_type
        if value is None:
            return
        if isinstance(type_, GraphQLList):
            for i, item in enumerate(value if isinstance(value, list) else [value]):
                self._value(item, type_.of_type, f"{path}[{i}]", leaf)
        elif isinstance(type_, GraphQLInputObjectType):
            for name, field in type_.fields.items():
                key = field.out_name or name
                if isinstance(value, dict) and key in value:
                    self._value(value[key], field.type, f"{path}.{name}", name)
        elif isinstance(type_, GraphQLScalarType):
            if type_.name == "JSON":
                self._json(value, path)
            elif isinstance(value, str):
                longest = self.limits.max_text_length if leaf in LONG_TEXT_ARGUMENTS else self.limits.max_string_length
                if len(value) > longest:
                    raise self._refuse(path, f"longer than {longest} characters ({len(value)})")
                self._text(value, path)

    def _text(self, value: str, path: str) -> None:
        if "\x00" in value:
            raise self._refuse(path, "contains a NUL character (U+0000), which text cannot hold")
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise self._refuse(path, "contains a lone surrogate (invalid Unicode); send UTF-8 text") from None

    def _json(self, value: Any, path: str) -> None:
        stack = [(value, path)]
        while stack:  # every string in the value, keys included, is text for jsonb
            item, where = stack.pop()
            if isinstance(item, str):
                self._text(item, where)
            elif isinstance(item, dict):
                for key, child in item.items():
                    self._text(str(key), where)
                    stack.append((child, f"{where}.{key}" if len(str(key)) <= 64 else where))
            elif isinstance(item, list):
                stack.extend((child, f"{where}[{i}]") for i, child in enumerate(item))
        try:
            size = len(json.dumps(value, ensure_ascii=False, allow_nan=False).encode("utf-8"))
        except (ValueError, TypeError, RecursionError):
            raise self._refuse(path, "is not a JSON value PostgreSQL can store (NaN, Infinity or nested too deeply)") \
                from None
        if size > self.limits.max_json_bytes:
            raise self._refuse(path, f"is {size} bytes of JSON; at most {self.limits.max_json_bytes} are accepted")
