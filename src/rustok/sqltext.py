"""Read SQL source text well enough to check it: split it into statements, drop comments, find bodies.

Not a parser: a lexer that knows PostgreSQL's comments (`--`, nested `/* */`), string literals (`'...'`,
`E'...'`), quoted identifiers and dollar quotes, so that a `;`, a keyword or a comment marker inside one of
them is not taken for what it would be outside. Used by the migration rules (rustok.migration_history)
and the catalog convention tests.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_DOLLAR = re.compile(r"\$([A-Za-z_][A-Za-z_0-9]*)?\$")


@dataclass(frozen=True)
class Statement:
    text: str        # the statement without comments and without the closing `;`, stripped
    line: int        # 1-based line of its first character in the source

    @property
    def words(self) -> str:
        """The statement lowercased with runs of whitespace as one space (string contents kept)."""
        return re.sub(r"\s+", " ", self.text).strip().lower()


def _skip_quoted(sql: str, i: int) -> int:
    """Index just past the literal, identifier or dollar quote that starts at sql[i]."""
    ch = sql[i]
    if ch == "$":
        m = _DOLLAR.match(sql, i)
        end = sql.find(m.group(0), m.end())
        return len(sql) if end < 0 else end + len(m.group(0))
    backslash = ch == "'" and i > 0 and sql[i - 1] in "eE" and (i < 2 or not (sql[i - 2].isalnum() or sql[i - 2] == "_"))
    j = i + 1
    while j < len(sql):
        if backslash and sql[j] == "\\":
            j += 2
            continue
        if sql[j] == ch:
            if j + 1 < len(sql) and sql[j + 1] == ch:   # doubled quote
                j += 2
                continue
            return j + 1
        j += 1
    return len(sql)


def _quote_starts(sql: str, i: int) -> bool:
    ch = sql[i]
    if ch in "'\"":
        return True
    if ch == "$" and _DOLLAR.match(sql, i):
        # $1 is a parameter, not a quote; a dollar quote cannot follow an identifier character
        return i == 0 or not (sql[i - 1].isalnum() or sql[i - 1] == "_")
    return False


def strip_comments(sql: str) -> str:
    """The text with every comment replaced by spaces (newlines kept, so line numbers stay)."""
    out: list[str] = []
    i = 0
    while i < len(sql):
        if sql.startswith("--", i):
            end = sql.find("\n", i)
            end = len(sql) if end < 0 else end
            out.append(" " * (end - i))
            i = end
        elif sql.startswith("/*", i):
            depth, j = 1, i + 2
            while j < len(sql) and depth:
                if sql.startswith("/*", j):
                    depth, j = depth + 1, j + 2
                elif sql.startswith("*/", j):
                    depth, j = depth - 1, j + 2
                else:
                    j += 1
            out.append(re.sub(r"[^\n]", " ", sql[i:j]))
            i = j
        elif _quote_starts(sql, i):
            j = _skip_quoted(sql, i)
            out.append(sql[i:j])
            i = j
        else:
            out.append(sql[i])
            i += 1
    return "".join(out)


def blank_strings(sql: str) -> str:
    """The text (comments already stripped) with the contents of literals and dollar quotes blanked, so a
    search for keywords finds only code: `'create view'` becomes `'           '`."""
    out: list[str] = []
    i = 0
    while i < len(sql):
        if _quote_starts(sql, i) and sql[i] != '"':
            j = _skip_quoted(sql, i)
            if sql[i] == "$":
                tag = _DOLLAR.match(sql, i).group(0)
                inner = sql[i + len(tag):j - len(tag)]
                out.append(tag + re.sub(r"[^\n]", " ", inner) + tag)
            else:
                out.append(sql[i] + re.sub(r"[^\n]", " ", sql[i + 1:j - 1]) + sql[j - 1])
            i = j
        elif sql[i] == '"':
            j = _skip_quoted(sql, i)
            out.append(sql[i:j])
            i = j
        else:
            out.append(sql[i])
            i += 1
    return "".join(out)


def statements(sql: str) -> list[Statement]:
    """The statements of a script, comments removed, split at top-level semicolons."""
    text = strip_comments(sql)
    out: list[Statement] = []
    start = 0
    i = 0
    while i <= len(text):
        if i == len(text) or text[i] == ";":
            chunk = text[start:i]
            if chunk.strip():
                lead = len(chunk) - len(chunk.lstrip())
                out.append(Statement(chunk.strip(), text.count("\n", 0, start + lead) + 1))
            start = i + 1
            i += 1
        elif _quote_starts(text, i):
            i = _skip_quoted(text, i)
        else:
            i += 1
    return out


def dollar_bodies(statement: str) -> list[str]:
    """The contents of the dollar-quoted strings of a statement (function and DO bodies)."""
    out: list[str] = []
    i = 0
    while i < len(statement):
        if _quote_starts(statement, i):
            j = _skip_quoted(statement, i)
            if statement[i] == "$":
                tag = _DOLLAR.match(statement, i).group(0)
                out.append(statement[i + len(tag):j - len(tag)])
            i = j
        else:
            i += 1
    return out
