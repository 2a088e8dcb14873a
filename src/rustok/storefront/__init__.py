"""The storefront: server-rendered HTML pages of a tenant's shop and blog, a client of the platform's own GraphQL
schema (executed in-process with the visitor's session: rustok.storefront.api).

URLs (the same paths without the prefix under a tenant's own host, core.tenant_domains):

    /t/<slug>/                    catalog (?q= search, category= tag= price=min-max in_stock=1 facets, sort=, after=/before=)
    /t/<slug>/products/<handle>   product page (or by id); variant by option values (?option.<Name>=<value>)
    /t/<slug>/cart, /checkout     cart in PostgreSQL (commerce.carts), checkout through commerce.checkout
    /t/<slug>/orders/<id|number>  order confirmation / detail (signed in)
    /t/<slug>/orders/guest/<token>  a guest's order (the secret link guest checkout gives)
    /t/<slug>/blog[/<slug>]       posts with categories, tags and the comment tree; /pages/<slug>
    /t/<slug>/account             register, sign in, sign out, my orders
    /t/<slug>/sitemap.xml, /robots.txt

docs/storefront.md describes it.
"""

from __future__ import annotations

from pathlib import Path

from starlette.routing import Mount, Route, Router
from starlette.staticfiles import StaticFiles

from rustok.storefront import routes as r

STATIC = Path(__file__).parent / "static"


def _pages(prefix: str) -> list:
    return [
        Route(prefix + "/", r.catalog),
        Route(prefix + "/search.json", r.suggest),
        Route(prefix + "/products/{handle}", r.product_page),
        Route(prefix + "/cart", r.cart_page),
        Route(prefix + "/cart/add", r.cart_add, methods=["POST"]),
        Route(prefix + "/cart/update", r.cart_update, methods=["POST"]),
        Route(prefix + "/checkout", r.checkout, methods=["GET", "POST"]),
        Route(prefix + "/orders/guest/{token}", r.guest_order_page),
        Route(prefix + "/orders/{ref}", r.order_page),
        Route(prefix + "/account", r.account),
        Route(prefix + "/account/register", r.register, methods=["POST"]),
        Route(prefix + "/account/login", r.login, methods=["POST"]),
        Route(prefix + "/account/logout", r.logout, methods=["POST"]),
        Route(prefix + "/account/forgot-password", r.forgot_password, methods=["GET", "POST"]),
        Route(prefix + "/account/reset-password", r.reset_password, methods=["GET", "POST"]),
        Route(prefix + "/account/invitation", r.accept_invitation, methods=["GET", "POST"]),
        Route(prefix + "/blog", r.blog),
        Route(prefix + "/blog/{slug}", r.post_page),
        Route(prefix + "/blog/{slug}/comments", r.add_comment, methods=["POST"]),
        Route(prefix + "/pages/{slug}", r.static_page),
        Route(prefix + "/sitemap.xml", r.sitemap),
        Route(prefix + "/robots.txt", r.robots),
    ]


@r.page
async def _not_found(request, site):
    return r.not_found(request, site)


async def _default(scope, receive, send):
    from starlette.requests import Request

    request = Request(scope, receive)
    if scope["type"] != "http":
        return
    response = await _not_found(request)
    await response(scope, receive, send)


def create_storefront() -> Router:
    """The storefront's routes, mounted last in rustok.app (everything the API does not answer)."""
    return Router(routes=[
        Mount("/_storefront/static", app=StaticFiles(directory=str(STATIC)), name="storefront-static"),
        Route("/t/{tenant}", r.prefix_root),
        *_pages("/t/{tenant}"),
        *_pages(""),
    ], default=_default)
