"""Per-request batch loaders: the resolvers of one field on many objects (a price on every card of a page)
ask for their keys one at a time; the loader answers them all with one query.

Keys asked during one turn of the event loop are fetched together (graphql-core starts the resolvers of a
list's items before any of them awaits the database). Each loader lives in the request context, so its
cache never outlives a request.
"""

from __future__ import annotations

import asyncio
from typing import Any, Awaitable, Callable, Hashable

Fetch = Callable[[list], Awaitable[dict]]


class BatchLoader:
    def __init__(self, fetch: Fetch):
        self._fetch = fetch
        self._cache: dict[Hashable, asyncio.Future] = {}
        self._pending: dict[Hashable, asyncio.Future] = {}

    async def load(self, key: Hashable) -> Any:
        future = self._cache.get(key)
        if future is None:
            loop = asyncio.get_running_loop()
            future = self._cache[key] = loop.create_future()
            self._pending[key] = future
            if len(self._pending) == 1:
                loop.call_soon(lambda: asyncio.ensure_future(self._dispatch()))
        return await future

    async def _dispatch(self) -> None:
        batch, self._pending = self._pending, {}
        try:
            found = await self._fetch(list(batch))
        except BaseException as exc:  # handed to every waiter, which re-raises it in its own resolver
            for future in batch.values():
                if not future.done():
                    future.set_exception(exc)
            return
        for key, future in batch.items():
            if not future.done():
                future.set_result(found.get(key))


def loader(ctx, name: str, fetch: Fetch) -> BatchLoader:
    """The request's loader called `name` (made with `fetch` on first use)."""
    found = ctx.loaders.get(name)
    if found is None:
        found = ctx.loaders[name] = BatchLoader(fetch)
    return found
