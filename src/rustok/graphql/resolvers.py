"""All bindables, collected per module."""

from __future__ import annotations

from rustok.graphql import commerce, content, core, storefront


def bindables() -> list:
    return [*core.bindables, *commerce.bindables, *content.bindables, *storefront.bindables]
