"""All bindables, collected per module."""

from __future__ import annotations

from rustok.graphql import core


def bindables() -> list:
    return [*core.bindables]
