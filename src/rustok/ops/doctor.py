"""`rustok doctor`: ops.health() as a table, plus what only the files can tell (pending migrations, a code tree
that differs from sql/code, via rustok.migrate.pending). Exit status: 0 when nothing failed (warnings allowed),
2 when a check failed, 1 when the database cannot be asked."""

from __future__ import annotations

import shutil
import textwrap
from dataclasses import dataclass

import psycopg

from rustok import migrate

SQL_HEALTH = "select check_name, status, figure, advice from ops.health()"
SQL_HAS_HEALTH = "select to_regprocedure('ops.health()') is not null"

EXIT_FAILED = 2


@dataclass(frozen=True)
class Check:
    name: str
    status: str          # ok | warn | fail
    figure: str
    advice: str | None


def files_check(url: str) -> Check:
    """Do the migrations and the code tree on disk match the database? (The database cannot read files.)"""
    todo = migrate.pending(url)
    if not todo:
        return Check("migration files", "ok", "the database matches sql/migrations and sql/code", None)
    return Check("migration files", "fail", f"{len(todo)} pending: {', '.join(todo)}", "run rustok migrate")


def checks(url: str) -> list[Check]:
    result = [files_check(url)]
    with psycopg.connect(url, autocommit=True) as conn:
        if not conn.execute(SQL_HAS_HEALTH).fetchone()[0]:
            result.append(Check("ops.health()", "fail", "this database has no ops.health() yet", "run rustok migrate"))
            return result
        result += [Check(*row) for row in conn.execute(SQL_HEALTH).fetchall()]
    return result


def exit_code(found: list[Check]) -> int:
    return EXIT_FAILED if any(c.status == "fail" for c in found) else 0


def render(found: list[Check], *, problems_only: bool = False, width: int | None = None) -> str:
    """A plain-text table: status, check, figure; the advice of a warn or fail row on the line below it."""
    width = width or max(shutil.get_terminal_size((120, 24)).columns, 80)
    rows = [c for c in found if not problems_only or c.status != "ok"]
    name_w = max([len(c.name) for c in rows] + [5])
    lead = 7 + name_w + 2
    lines = [f"{'STATUS':<7}{'CHECK':<{name_w + 2}}FIGURE"]
    for c in rows:
        figure = textwrap.wrap(c.figure, max(width - lead, 30)) or [""]
        lines.append(f"{c.status:<7}{c.name:<{name_w + 2}}{figure[0]}")
        lines += [" " * lead + more for more in figure[1:]]
        if c.advice and c.status != "ok":
            for i, part in enumerate(textwrap.wrap(c.advice, max(width - lead - 3, 30))):
                lines.append(" " * lead + ("-> " if i == 0 else "   ") + part)
    counts = {s: sum(1 for c in found if c.status == s) for s in ("ok", "warn", "fail")}
    lines.append(f"{counts['ok']} ok, {counts['warn']} warn, {counts['fail']} fail")
    return "\n".join(lines)
