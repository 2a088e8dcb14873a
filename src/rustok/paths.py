"""Where the SQL lives, for a source checkout and for an installed wheel alike."""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def sql_dir() -> Path:
    installed = _PACKAGE / "_sql"          # wheel: hatch force-includes sql/ here
    if installed.is_dir():
        return installed
    return _PACKAGE.parent.parent / "sql"  # source checkout / editable install


def migrations_dir() -> Path:
    return sql_dir() / "migrations"


def code_dir() -> Path:
    return sql_dir() / "code"
