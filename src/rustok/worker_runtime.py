"""Background workers run inside `rustok up` (the projector lands with the outbox module)."""

from __future__ import annotations

import asyncio

from rustok.config import Settings


async def start_background_workers(url: str, settings: Settings, stop: asyncio.Event) -> list[asyncio.Task]:
    """Start the in-process workers; return their tasks (they end when `stop` is set)."""
    return []
