"""Commands contributed by modules (worker, reindex, ...), each registering its own subparser.

Kept apart from cli.py so modules add commands without editing the core CLI.
"""

from __future__ import annotations

import argparse
import importlib

# Each entry is a module exposing `register(subparsers)`.
COMMAND_MODULES: list[str] = ["rustok.outbox.cli", "rustok.index.cli"]


def register_commands(sub: argparse._SubParsersAction) -> None:
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(sub)
