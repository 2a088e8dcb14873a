"""The admin app at /admin: a client-side app (plain HTML, CSS and JavaScript ES modules in static/, no build
step, nothing from a CDN) that talks to /graphql with the staff member's bearer token, like any API client.

`routes()` is the one entry app.py adds to its routes. /admin/ answers the app's page (index.html; /admin redirects there); the hash
part of the URL (#/products, #/orders/...) picks the screen in the browser. Static files are served with a
strict Content-Security-Policy (scripts and styles from this origin only, no inline script)."""

from __future__ import annotations

from pathlib import Path

from starlette.requests import Request
from starlette.responses import FileResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

STATIC = Path(__file__).parent / "static"

SECURITY_HEADERS = {
    "Content-Security-Policy": ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
                                "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}


async def index(request: Request) -> Response:
    return FileResponse(STATIC / "index.html", headers={**SECURITY_HEADERS, "Cache-Control": "no-cache"})


class _Static(StaticFiles):
    async def get_response(self, path, scope):
        response = await super().get_response(path, scope)
        response.headers.update(SECURITY_HEADERS)
        response.headers.setdefault("Cache-Control", "no-cache")
        return response


async def to_slash(request: Request) -> Response:
    return RedirectResponse("/admin/", status_code=308)


def routes() -> list:
    """The admin's entries for app.py's routes: /admin (a redirect: the storefront's catch-all mount would
    otherwise answer it) and the /admin/ mount."""
    return [
        Route("/admin", to_slash),
        Mount("/admin", routes=[
            Route("/", index),
            Mount("/static", app=_Static(directory=STATIC), name="admin-static"),
        ]),
    ]
