"""The catalog as pg_dump prints it, cut into blocks: compare two catalogs, or lay one out by module.

pg_dump (schema only, plain format) heads every object with

    --
    -- Name: products products_pkey; Type: CONSTRAINT; Schema: commerce; Owner: -
    --

`parse` cuts a dump at those headers into `Block`s keyed by (type, schema, name), the owner left out, so
two dumps can be compared object by object: a function with its body, a trigger, a policy, an ACL (grant),
an index, a constraint, a comment. `diff` lists the blocks that were added, removed or changed;
`by_module` lays the blocks out by schema and object (a table with its constraints, indexes, triggers,
policies, comments and grants; then views, types and functions, each with its comment and grant), the
order sql/schema.sql is written in.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field

# Our schemas, in the order sql/schema.sql lists them.
SCHEMAS = ("core", "outbox", "content", "community", "commerce", "index", "analytics", "ops")

_HEADER = re.compile(r"^-- Name: (?P<name>.*); Type: (?P<type>[A-Z][A-Z ]*); Schema: (?P<schema>[^;]*); Owner: .*$")
# Lines that say who owns an object or how the restore session is set up, not what the object is.
_OWNER = re.compile(r"^ALTER [A-Z ]+ .+ OWNER TO [^;]+;$")
_SESSION_SET = re.compile(r"^SET default_(tablespace|table_access_method) = .*;$")


@dataclass(frozen=True)
class Block:
    """One object of a dump: its header (owner left out) and the SQL under it."""

    type: str     # pg_dump's object type: TABLE, FUNCTION, COMMENT, ACL, TRIGGER, FK CONSTRAINT, ...
    schema: str   # "-" for objects outside a schema (schemas themselves, extensions)
    name: str     # as pg_dump prints it, e.g. "products products_pkey", "FUNCTION f(p_x uuid)"
    sql: str

    @property
    def key(self) -> str:
        return f"{self.type} {self.schema}.{self.name}" if self.schema != "-" else f"{self.type} {self.name}"

    def render(self) -> str:
        return f"--\n-- Name: {self.name}; Type: {self.type}; Schema: {self.schema}; Owner: -\n--\n\n{self.sql}\n"


@dataclass
class Dump:
    preamble: str                                  # the lines before the first object (session settings)
    blocks: list[Block]
    settings: list[str] = field(default_factory=list)  # SET lines pg_dump puts between objects


def _box(lines: list[str], i: int) -> str | None:
    """The text of a three-line comment box starting at lines[i] (`--` / `-- text` / `--`), else None."""
    if i + 2 < len(lines) and lines[i] == "--" and lines[i + 2] == "--" and lines[i + 1].startswith("-- "):
        return lines[i + 1][3:]
    return None


def parse(text: str) -> Dump:
    """Cut a plain-format schema-only pg_dump (or sql/schema.sql) into blocks.

    Comment boxes that are not object headers (the dump's title and trailer, the section titles of
    sql/schema.sql) separate blocks and are dropped; so are ALTER ... OWNER TO lines."""
    lines = text.splitlines()
    preamble: list[str] = []
    blocks: list[Block] = []
    settings: list[str] = []
    current: tuple[str, str, str] | None = None
    body: list[str] = []

    def close() -> None:
        if current is not None:
            blocks.append(Block(current[0], current[1], current[2], "\n".join(body).strip("\n")))

    i = 0
    while i < len(lines):
        boxed = _box(lines, i)
        if boxed is not None:
            m = _HEADER.match("-- " + boxed)
            close()
            body = []
            current = (m["type"], m["schema"], m["name"]) if m else None
            i += 3
            continue
        line = lines[i]
        if _SESSION_SET.match(line):
            if line not in settings:
                settings.append(line)
        elif current is not None:
            if not _OWNER.match(line):
                body.append(line)
        elif not blocks:
            preamble.append(line)
        i += 1
    close()
    return Dump("\n".join(preamble).strip("\n"), blocks, settings)


# ---------------------------------------------------------------------------------------------- compare

@dataclass(frozen=True)
class Difference:
    kind: str          # added | removed | changed
    key: str
    old: str | None
    new: str | None

    def render(self, old_label: str = "a", new_label: str = "b") -> str:
        head = f"{self.kind}: {self.key}\n"
        diff = difflib.unified_diff(
            (self.old or "").splitlines(True) if self.old is not None else [],
            (self.new or "").splitlines(True) if self.new is not None else [],
            f"{old_label}: {self.key}", f"{new_label}: {self.key}", lineterm="\n")
        return head + "".join(line if line.endswith("\n") else line + "\n" for line in diff)


def blocks_by_key(dump: Dump | str) -> dict[str, str]:
    """{key: sql} of a dump. A key printed twice by pg_dump (it never does) keeps both texts."""
    if isinstance(dump, str):
        dump = parse(dump)
    out: dict[str, str] = {}
    for b in dump.blocks:
        out[b.key] = out[b.key] + "\n\n" + b.sql if b.key in out else b.sql
    return out


def diff(old: Dump | str, new: Dump | str) -> list[Difference]:
    """The blocks that differ between two dumps: removed (only in old), added (only in new), changed."""
    a, b = blocks_by_key(old), blocks_by_key(new)
    out = [Difference("removed", k, a[k], None) for k in a if k not in b]
    out += [Difference("added", k, None, b[k]) for k in b if k not in a]
    out += [Difference("changed", k, a[k], b[k]) for k in a if k in b and a[k] != b[k]]
    return sorted(out, key=lambda d: (d.key, d.kind))


def render_diff(differences: list[Difference], old_label: str = "a", new_label: str = "b") -> str:
    if not differences:
        return ""
    summary = "".join(f"{d.kind:8} {d.key}\n" for d in differences)
    return summary + "\n" + "\n".join(d.render(old_label, new_label) for d in differences)


# ------------------------------------------------------------------------------------------ by module

_ON_TABLE = re.compile(r"\bON (?:ONLY )?(?P<schema>[\w\"]+)\.(?P<table>[\w\"]+)(?: USING|\s*\()", re.S)
_ADD_CONSTRAINT = re.compile(r"^ALTER TABLE (?:ONLY )?(?P<schema>[\w\"]+)\.(?P<table>[\w\"]+)\s+ADD CONSTRAINT (?P<name>[\w\"]+)",
                             re.M)
_ATTACH_PARTITION = re.compile(r"^ALTER TABLE (?:ONLY )?[\w\"]+\.(?P<parent>[\w\"]+) ATTACH PARTITION", re.M)
_ATTACH_INDEX = re.compile(r"^ALTER INDEX [\w\"]+\.(?P<parent>[\w\"]+) ATTACH PARTITION", re.M)
_CREATE_ROUTINE = re.compile(r"^CREATE (?:FUNCTION|PROCEDURE|AGGREGATE) [\w\"]+\.[\w\"]+\(", re.M)

# What a table's section holds, in this order.
_TABLE_PARTS = ("TABLE", "DEFAULT", "TABLE ATTACH", "CONSTRAINT", "CHECK CONSTRAINT", "FK CONSTRAINT", "INDEX",
                "INDEX ATTACH", "TRIGGER", "RULE", "ROW SECURITY", "POLICY", "COMMENT", "ACL")
_RELATION_TYPES = {"TABLE", "VIEW", "MATERIALIZED VIEW", "FOREIGN TABLE", "SEQUENCE"}
_ROUTINE_TYPES = {"FUNCTION", "PROCEDURE", "AGGREGATE"}
# Sections of a schema after its tables, in this order (anything else follows, by type).
_SECTION_ORDER = {"TABLE": 0, "VIEW": 1, "MATERIALIZED VIEW": 1, "SEQUENCE": 2, "TYPE": 3, "DOMAIN": 3,
                  "FUNCTION": 4, "PROCEDURE": 4, "AGGREGATE": 4}


def _unquote(ident: str) -> str:
    return ident[1:-1].replace('""', '"') if ident.startswith('"') and ident.endswith('"') else ident


def _split_top(text: str) -> list[str]:
    """Split an argument list at top-level commas (not inside parentheses or quotes)."""
    parts, depth, quote, start = [], 0, None, 0
    for i, ch in enumerate(text):
        if quote:
            if ch == quote:
                quote = None
        elif ch in "'\"":
            quote = ch
        elif ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif ch == "," and depth == 0:
            parts.append(text[start:i].strip())
            start = i + 1
    if text[start:].strip():
        parts.append(text[start:].strip())
    return parts


def _routine_identity(block: Block) -> str | None:
    """`name(args)` as pg_dump names the routine in its COMMENT and ACL headers (identity arguments, with
    parameter names, without defaults and, for functions, without OUT parameters)."""
    m = _CREATE_ROUTINE.search(block.sql)
    if not m:
        return None
    i, depth = m.end(), 1
    start = i
    while i < len(block.sql) and depth:
        depth += {"(": 1, ")": -1}.get(block.sql[i], 0)
        i += 1
    args = []
    for arg in _split_top(block.sql[start:i - 1]):
        if block.type == "FUNCTION" and (arg.startswith("OUT ") or arg == "OUT"):
            continue
        args.append(re.split(r" DEFAULT ", arg, maxsplit=1)[0])
    return block.name.split("(", 1)[0] + "(" + ", ".join(args) + ")"


def _owner(block: Block, tables_of_index: dict[tuple[str, str], str],
           routines: dict[tuple[str, str], list[str]]) -> tuple[str, str, str] | None:
    """(schema, section, object) a block belongs to: section is TABLE (tables and views), TYPE, FUNCTION, ..."""
    s, t, n = block.schema, block.type, block.name
    if t == "SCHEMA":
        return (n, "SCHEMA", n)
    if t in ("COMMENT", "ACL") and n.startswith("SCHEMA "):
        return (n[len("SCHEMA "):], "SCHEMA", n[len("SCHEMA "):])
    if s == "-":
        return None
    if t in _RELATION_TYPES or t == "TABLE ATTACH" or t == "ROW SECURITY":
        return (s, "TABLE", n)
    if t in ("CONSTRAINT", "FK CONSTRAINT", "CHECK CONSTRAINT", "TRIGGER", "POLICY", "DEFAULT", "RULE"):
        return (s, "TABLE", _unquote(n.split(" ", 1)[0]))
    if t == "INDEX":
        m = _ON_TABLE.search(block.sql)
        return (s, "TABLE", _unquote(m["table"]) if m else n)
    if t == "INDEX ATTACH":
        table = tables_of_index.get((s, n))
        if table is None:
            m = _ATTACH_INDEX.search(block.sql)
            table = tables_of_index.get((s, _unquote(m["parent"]))) if m else None
        return (s, "TABLE", table or n)
    if t in _ROUTINE_TYPES or t in ("TYPE", "DOMAIN"):
        return (s, t, n)
    if t in ("COMMENT", "ACL"):
        what, _, rest = n.partition(" ")
        if what == "MATERIALIZED":
            what, _, rest = rest.partition(" ")
        if what in ("TABLE", "VIEW", "SEQUENCE", "FOREIGN"):
            return (s, "TABLE", rest.split(" ")[-1] if what == "FOREIGN" else rest)
        if what == "COLUMN":
            return (s, "TABLE", rest.rsplit(".", 1)[0])
        if what in ("CONSTRAINT", "TRIGGER", "POLICY", "RULE") and " ON " in rest:
            return (s, "TABLE", rest.rsplit(" ON ", 1)[1])
        if what == "INDEX":
            return (s, "TABLE", tables_of_index.get((s, rest), rest))
        if what in _ROUTINE_TYPES:
            bare = rest.split("(", 1)[0]
            candidates = routines.get((s, bare), [])
            for candidate in candidates:
                if candidate.split("\0")[1] == rest:
                    return (s, what, candidate.split("\0")[0])
            if candidates:
                return (s, what, candidates[0].split("\0")[0])
            return (s, what, rest)
        if what in ("TYPE", "DOMAIN"):
            return (s, what, rest)
    return None


def by_module(dump: Dump, schemas: tuple[str, ...] = SCHEMAS) -> list[tuple[str, list[Block]]]:
    """The blocks in reading order, as (section title, blocks): first what lies outside our schemas
    (extensions), then per schema: the schema with its comment and grants; each table with its partitions,
    constraints, indexes, triggers, row security, policies, comments and grants; views; types; functions
    (each with its comment and grant); anything else. Blocks keep pg_dump's relative order within a part."""
    tables_of_index: dict[tuple[str, str], str] = {}
    parent_of: dict[tuple[str, str], str] = {}
    routines: dict[tuple[str, str], list[str]] = {}
    kinds: dict[tuple[str, str], str] = {}
    for b in dump.blocks:
        if b.type == "INDEX" and (m := _ON_TABLE.search(b.sql)):
            tables_of_index[(b.schema, b.name)] = _unquote(m["table"])
        elif b.type in ("CONSTRAINT", "FK CONSTRAINT") and (m := _ADD_CONSTRAINT.search(b.sql)):
            tables_of_index[(b.schema, _unquote(m["name"]))] = _unquote(m["table"])
        elif b.type == "TABLE ATTACH" and (m := _ATTACH_PARTITION.search(b.sql)):
            parent_of[(b.schema, b.name)] = _unquote(m["parent"])
        elif b.type in _ROUTINE_TYPES:
            ident = _routine_identity(b)
            routines.setdefault((b.schema, b.name.split("(", 1)[0]), []).append(f"{b.name}\0{ident}")
        if b.type in _RELATION_TYPES or b.type in _ROUTINE_TYPES or b.type in ("TYPE", "DOMAIN"):
            kinds[(b.schema, b.name)] = b.type

    def table_root(schema: str, name: str) -> str:
        seen = set()
        while (schema, name) in parent_of and name not in seen:
            seen.add(name)
            name = parent_of[(schema, name)]
        return name

    placed: dict[str, list[tuple[tuple, int, Block]]] = {s: [] for s in schemas}
    outside: list[Block] = []
    rest: list[Block] = []
    for index, b in enumerate(dump.blocks):
        owner = _owner(b, tables_of_index, routines)
        if owner is None or owner[0] not in placed:
            (outside if b.schema == "-" or owner is None else rest).append(b)
            continue
        schema, section, obj = owner
        if section == "SCHEMA":
            sort = (0,)
        elif section == "TABLE":
            kind = kinds.get((schema, obj), "TABLE")
            root = table_root(schema, obj)
            part = _TABLE_PARTS.index(b.type) if b.type in _TABLE_PARTS else \
                _TABLE_PARTS.index("TABLE") if b.type in _RELATION_TYPES else len(_TABLE_PARTS)
            sort = (1, _SECTION_ORDER.get(kinds.get((schema, root), kind), 9), root, int(obj != root), obj, part)
        else:
            sort = (1, _SECTION_ORDER.get(section, 9), section, 0, obj, 0 if b.type == section else 1)
        placed[schema].append((sort, index, b))

    sections: list[tuple[str, list[Block]]] = []
    if outside:
        sections.append(("extensions and other objects outside our schemas", outside))
    for schema in schemas:
        if placed[schema]:
            sections.append((f"schema {schema}", [b for _, _, b in sorted(placed[schema], key=lambda x: x[:2])]))
    if rest:
        sections.append(("other schemas", rest))
    count = sum(len(bs) for _, bs in sections)
    if count != len(dump.blocks):   # pragma: no cover - a bug here would drop objects from the snapshot
        raise AssertionError(f"by_module placed {count} of {len(dump.blocks)} blocks")
    return sections


def render_by_module(dump: Dump, header: str = "") -> str:
    """The dump as text laid out by `by_module`, with a title box per section."""
    out = [header.rstrip("\n")] if header else []
    out.append(dump.preamble)
    out.extend(dump.settings)
    for title, blocks in by_module(dump):
        out.append(f"--\n-- ======== {title}\n--")
        out.extend(b.render().rstrip("\n") for b in blocks)
    return "\n\n".join(s for s in out if s) + "\n"
