"""Read sql/code/ for the catalog tests: which file defines which function, trigger, view and policy."""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from rustok import sqlcode, sqltext

_IDENT = r'(?:"[^"]+"|[a-z_][a-z0-9_$]*)'
_QNAME = rf"{_IDENT}\.{_IDENT}"
FUNCTION = re.compile(rf"^create (?:or replace )?(?P<kind>function|procedure) (?P<name>{_QNAME})\s*\(")
TRIGGER = re.compile(rf"^create (?:or replace )?(?:constraint )?trigger (?P<name>{_IDENT}) .*? on (?P<table>{_QNAME})\b")
VIEW = re.compile(rf"^create (?:or replace )?(?:materialized )?view (?:if not exists )?(?P<name>{_QNAME})\b")
POLICY = re.compile(rf"^create policy (?P<name>{_IDENT}) on (?P<table>{_QNAME})\b")
RLS_ON = re.compile(rf"^alter table (?:if exists )?(?:only )?(?P<table>{_QNAME}) (?:enable|force) row level security\b")
HELPER = re.compile(rf"\bcore\.(?P<helper>enable_tenant_rls|allow_analyst_read|allow_tenant_analyst_read)\s*\(\s*'(?P<table>{_QNAME})'")
HELPER_POLICY = {"enable_tenant_rls": "tenant_isolation", "allow_analyst_read": "analyst_read",
                 "allow_tenant_analyst_read": "tenant_analyst_read"}


@dataclass(frozen=True)
class Definition:
    file: str          # path under sql/code, e.g. content/tags.sql
    line: int
    text: str          # the statement (comments removed)


@dataclass
class CodeTree:
    files: list[str]
    functions: dict[str, list[Definition]] = field(default_factory=lambda: defaultdict(list))   # schema.name
    triggers: dict[tuple[str, str], list[Definition]] = field(default_factory=lambda: defaultdict(list))  # (table, name)
    views: dict[str, list[Definition]] = field(default_factory=lambda: defaultdict(list))
    policies: dict[tuple[str, str], list[Definition]] = field(default_factory=lambda: defaultdict(list))  # (table, name)
    row_security: dict[str, list[Definition]] = field(default_factory=lambda: defaultdict(list))   # table
    statements: list[tuple[str, sqltext.Statement]] = field(default_factory=list)


def unquote(name: str) -> str:
    return ".".join(p.strip('"') for p in name.split("."))


def read(root: Path | None = None) -> CodeTree:
    tree = sqlcode.load(root)
    out = CodeTree(files=[p.relative_to(tree.root).as_posix() for p in tree.files])
    for path, rel in zip(tree.files, out.files):
        for stmt in sqltext.statements(path.read_text()):
            out.statements.append((rel, stmt))
            words = stmt.words
            code = sqltext.blank_strings(words)   # keywords outside literals and bodies
            d = Definition(rel, stmt.line, stmt.text)
            if m := FUNCTION.match(code):
                out.functions[unquote(m["name"])].append(d)
            elif m := TRIGGER.match(code):
                out.triggers[(unquote(m["table"]), m["name"].strip('"'))].append(d)
            elif m := VIEW.match(code):
                out.views[unquote(m["name"])].append(d)
            elif m := POLICY.match(code):
                out.policies[(unquote(m["table"]), m["name"].strip('"'))].append(d)
            elif m := RLS_ON.match(code):
                out.row_security[unquote(m["table"])].append(d)
            if not FUNCTION.match(code):
                for m in HELPER.finditer(words):
                    table = unquote(m["table"])
                    out.policies[(table, HELPER_POLICY[m["helper"]])].append(d)
                    if m["helper"] == "enable_tenant_rls":
                        out.row_security[table].append(d)
    return out
