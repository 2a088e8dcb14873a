"""Which tenant a storefront request is for: the `/t/<slug>/` path prefix, else the Host header
(core.tenant_domains, resolved with core.tenant_slug_by_host and cached for a few seconds per process)."""

from __future__ import annotations

import time

from rustok.graphql.db import scalar

_CACHE: dict[str, tuple[float, str | None]] = {}
_TTL = 10.0
_MAX = 10_000


def host_of(request) -> str:
    host = (request.headers.get("host") or "").strip().lower()
    if host.startswith("["):                      # [::1]:8000
        return host.split("]")[0] + "]"
    return host.rsplit(":", 1)[0].rstrip(".") if ":" in host else host.rstrip(".")


async def slug_for_host(request) -> str | None:
    host = host_of(request)
    if not host or len(host) > 253:
        return None
    now = time.monotonic()
    hit = _CACHE.get(host)
    if hit and hit[0] > now:
        return hit[1]
    async with request.app.state.router.view(read_only=True, position=None, force_primary=False).connection() as conn:
        slug = await scalar(conn, "select core.tenant_slug_by_host(%s)", (host,))
    if len(_CACHE) >= _MAX:
        _CACHE.clear()
    _CACHE[host] = (now + _TTL, slug)
    return slug
