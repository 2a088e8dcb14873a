"""Migrations are append-only history: sql/migrations/HISTORY.sha256 records the checksum of every migration
that has landed, and a migration not yet recorded must follow the rules for new migrations.

    python -m rustok.migration_history            # check; print the problems, exit 1 when there are any
    python -m rustok.migration_history --record   # append the new migrations to HISTORY.sha256 (on main,
                                                  # when they land; recorded lines are never rewritten)

The manifest is in sha256sum's format: `cd sql/migrations && sha256sum -c HISTORY.sha256` checks it too.

Rules for a new migration (one not in the manifest), see docs/conventions.md:
  (a) named NNNN_<module>_<change>.sql, <module> one of MODULES, numbered after every recorded migration;
  (b) a `-- depends: <migration>` line (yoyo's ordering);
  (c) the shape of data only: no function, procedure, trigger, view, policy, row security, grant, revoke or
      comment. Those are current state and live in sql/code/<module>/ (applied after the migrations).
"""

from __future__ import annotations

import hashlib
import re
import sys
from dataclasses import dataclass
from pathlib import Path

from rustok import sqltext
from rustok.paths import migrations_dir

MANIFEST = "HISTORY.sha256"
MODULES = ("core", "content", "community", "commerce", "outbox", "index", "analytics", "ops")
HOOKS = ("post-apply.py",)   # yoyo hooks that live beside the migrations; they are code, not history

_NAME = re.compile(r"^(?P<number>\d{4})_(?P<module>[a-z]+)_(?P<change>[a-z0-9]+(?:_[a-z0-9]+)*)\.sql$")
_DEPENDS = re.compile(r"^--\s*depends:\s*\S+", re.M)
_LINE = re.compile(r"^(?P<digest>[0-9a-f]{64}) [ *](?P<name>\S+)$")

# What a migration may not define, matched against one statement (comments dropped, lowercased, strings kept).
_FORBIDDEN = [
    (re.compile(r"^create (or replace )?(function|procedure|aggregate)\b"), "defines a function or procedure"),
    (re.compile(r"^create (or replace )?(constraint )?trigger\b"), "defines a trigger"),
    (re.compile(r"^create (or replace )?((temp|temporary|recursive) )*view\b"), "defines a view"),
    (re.compile(r"^(create|alter) policy\b"), "defines a policy"),
    (re.compile(r"^alter table (if exists )?(only )?\S+ (enable|disable|force|no force) row level security\b"),
     "sets row security"),
    (re.compile(r"^(grant|revoke)\b|^alter default privileges\b"), "grants or revokes a privilege"),
    (re.compile(r"^comment on\b"), "sets a comment"),
    (re.compile(r"^alter (function|procedure)\b"), "alters a function"),
    (re.compile(r"\bcore\.(enable_tenant_rls|allow_analyst_read|allow_tenant_analyst_read)\s*\("), "defines a policy"),
]
# Inside a DO block (PL/pgSQL) the same things may hide in dynamic SQL: look for the words anywhere.
_FORBIDDEN_IN_DO = re.compile(
    r"\b(create\s+(or\s+replace\s+)?(function|procedure|(constraint\s+)?trigger|view|policy)"
    r"|alter\s+policy|grant\s|revoke\s|comment\s+on|row\s+level\s+security)\b", re.I)


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def read_manifest(directory: Path) -> dict[str, str]:
    """{file name: sha256} recorded in the manifest (empty when there is none)."""
    path = directory / MANIFEST
    if not path.exists():
        return {}
    out: dict[str, str] = {}
    for n, line in enumerate(path.read_text().splitlines(), 1):
        m = _LINE.match(line)
        if not m:
            raise ValueError(f"{path}:{n}: not a `<sha256>  <file>` line: {line!r}")
        out[m["name"]] = m["digest"]
    return out


def migration_files(directory: Path) -> list[Path]:
    """The files yoyo reads as migrations (.sql and .py, without the hooks), by name."""
    return sorted(p for p in directory.iterdir()
                  if p.is_file() and p.suffix in (".sql", ".py") and p.name not in HOOKS)


@dataclass(frozen=True)
class Problem:
    file: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}: {self.message}"


def check_history(directory: Path) -> list[Problem]:
    """Recorded migrations that were changed or removed."""
    problems = []
    for name, digest in read_manifest(directory).items():
        path = directory / name
        if not path.exists():
            problems.append(Problem(name, f"recorded in {MANIFEST} but removed: migrations are append-only history"))
        elif sha256(path) != digest:
            problems.append(Problem(name, f"changed since it was recorded in {MANIFEST}: migrations are append-only; "
                                          "change the function/view/grant in sql/code, or the data shape in a new migration"))
    return problems


def check_new_migration(path: Path, after: int = 0) -> list[Problem]:
    """The rules a migration not yet recorded must follow; `after` is the highest recorded number."""
    name = path.name
    if name.endswith(".rollback.sql"):
        forward = path.with_name(name[: -len(".rollback.sql")] + ".sql")
        return [] if forward.exists() else [Problem(name, f"rollback of a migration that does not exist ({forward.name})")]
    problems = []
    m = _NAME.match(name)
    if not m:
        problems.append(Problem(name, "name must be NNNN_<module>_<change>.sql (lowercase, digits, underscores)"))
    else:
        if m["module"] not in MODULES:
            problems.append(Problem(name, f"module {m['module']!r} is not one of {', '.join(MODULES)}"))
        if int(m["number"]) <= after:
            problems.append(Problem(name, f"number {m['number']} must come after the last recorded migration ({after:04d})"))
    text = path.read_text()
    if not _DEPENDS.search(text):
        problems.append(Problem(name, "no `-- depends: <migration>` line"))
    for stmt in sqltext.statements(text):
        words = stmt.words
        for pattern, what in _FORBIDDEN:
            if pattern.search(sqltext.blank_strings(words)):
                problems.append(Problem(name, f"line {stmt.line}: {what}; that belongs in sql/code/<module>/ "
                                              f"(migrations hold the shape of data only): {words[:80]}"))
                break
        else:
            if re.match(r"^do\b", words):
                for body in sqltext.dollar_bodies(stmt.text):
                    hit = _FORBIDDEN_IN_DO.search(sqltext.strip_comments(body))
                    if hit:
                        problems.append(Problem(name, f"line {stmt.line}: a DO block runs {hit.group(0).strip()!r}; "
                                                      "that belongs in sql/code/<module>/"))
                        break
    return problems


def check(directory: Path | None = None) -> list[Problem]:
    """Every problem of the migrations directory: changed history, and new migrations breaking the rules."""
    directory = directory or migrations_dir()
    recorded = read_manifest(directory)
    problems = check_history(directory)
    numbers = [int(n[:4]) for n in recorded if n[:4].isdigit()]
    last = max(numbers, default=0)
    for path in migration_files(directory):
        if path.name not in recorded:
            problems += check_new_migration(path, last)
    return problems


def record(directory: Path | None = None) -> list[str]:
    """Append the migrations not yet in the manifest (after checking them); return their names."""
    directory = directory or migrations_dir()
    problems = check(directory)
    if problems:
        raise ValueError("fix these first:\n" + "\n".join(map(str, problems)))
    recorded = read_manifest(directory)
    new = [p for p in migration_files(directory) if p.name not in recorded]
    if new:
        with (directory / MANIFEST).open("a") as f:
            for p in new:
                f.write(f"{sha256(p)}  {p.name}\n")
    return [p.name for p in new]


def main(argv: list[str]) -> int:
    if "--record" in argv:
        try:
            names = record()
        except ValueError as exc:
            print(exc, file=sys.stderr)
            return 1
        print(f"recorded {len(names)} migration(s): {', '.join(names) or '-'}", file=sys.stderr)
        return 0
    problems = check()
    for p in problems:
        print(p)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
