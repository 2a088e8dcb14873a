"""The storefront's pages. Each handler: resolve the site (tenant from the path prefix or the host), run one
GraphQL operation as the visitor (rustok.storefront.api), render a template. POST forms check the CSRF token,
call one mutation, and redirect (303) to a page that shows the result."""

from __future__ import annotations

import logging
import re
import time
from dataclasses import dataclass
from urllib.parse import quote

from starlette.responses import JSONResponse, Response

from rustok.ids import InvalidIdError, parse_id
from rustok.storefront import queries as Q
from rustok.storefront.api import (ApiFailed, ApiUnavailable, ModuleDisabled, TenantSuspended, execute, field_type_fields,
                                   read)
from rustok.storefront.tenancy import slug_for_host
from rustok.storefront.web import (CART_COOKIE, CURRENCIES, CURRENCY_COOKIE, SESSION_COOKIE, BadForm, clear_cookie,
                                   conditional, csrf_token, read_form, redirect, render, set_cookie)

log = logging.getLogger(__name__)

PAGE_SIZE = 12
PRICE_BUCKETS = [0, 1000, 2500, 5000, 10000]
SORTS = {"relevance": "Relevance", "newest": "Newest", "price_asc": "Price: low to high",
         "price_desc": "Price: high to low", "title_asc": "Name: A to Z", "title_desc": "Name: Z to A"}
_SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


@dataclass
class Site:
    slug: str
    prefix: str            # "/t/<slug>" or "" under the tenant's own host
    origin: str            # scheme://host[:port]
    secure: bool
    currency: str
    name: str = ""
    me: dict | None = None
    cart_count: int = 0

    @property
    def base(self) -> str:
        return self.origin + self.prefix

    @property
    def cookie_path(self) -> str:
        return self.prefix + "/" if self.prefix else "/"

    def url(self, path: str = "/") -> str:
        return self.prefix + path

    def absolute(self, path: str = "/") -> str:
        return self.base + path

    def header(self, data: dict) -> None:
        tenant = data.get("tenant") or {}
        self.name = tenant.get("name") or self.slug
        self.me = data.get("me")
        self.cart_count = (data.get("cart") or {}).get("itemCount") or 0


class NotFound(Exception):
    pass


async def site_of(request) -> Site:
    slug = request.path_params.get("tenant")
    prefix = f"/t/{slug}" if slug is not None else ""
    if slug is None:
        slug = await slug_for_host(request)
    if not slug or not _SLUG.match(slug) or len(slug) > 64:
        raise NotFound()
    currency = (request.query_params.get("currency") or request.cookies.get(CURRENCY_COOKIE) or "EUR").upper()
    if currency not in CURRENCIES:
        currency = "EUR"
    origin = f"{request.url.scheme}://{request.url.netloc}"
    return Site(slug=slug, prefix=prefix, origin=origin, secure=request.url.scheme == "https", currency=currency)


def _token(request) -> str | None:
    return request.cookies.get(SESSION_COOKIE) or None


def _cart(request) -> str | None:
    return request.cookies.get(CART_COOKIE) or None


_TENANT_NAMES: dict[str, tuple[float, str]] = {}


async def _header(request, site) -> dict:
    """The header's data (shop name, signed-in user, cart count). A visitor without a session or a cart needs only
    the shop's name (cached 10 s per process); others get one GraphQL operation."""
    if not _token(request) and not _cart(request):
        hit = _TENANT_NAMES.get(site.slug)
        if hit and hit[0] > time.monotonic():
            data = {"tenant": {"name": hit[1], "slug": site.slug}, "me": None, "cart": None}
            site.header(data)
            return data
    data = (await _run(request, site, Q.fill(Q.HEADER_QUERY), allow=("NOT_FOUND",))).data
    if data.get("tenant") is None:
        raise NotFound()
    if len(_TENANT_NAMES) > 10_000:
        _TENANT_NAMES.clear()
    _TENANT_NAMES[site.slug] = (time.monotonic() + 10.0, data["tenant"]["name"])
    site.header(data)
    return data


async def _read(request, site, query, variables=None, **kwargs):
    """A catalog read (compiled for anonymous visitors: rustok.storefront.api.read)."""
    return await read(request, site.slug, query, dict(variables or {}), token=_token(request), **kwargs)


async def _run(request, site, query, variables=None, **kwargs):
    variables = dict(variables or {})
    if "$cart" in query:
        variables.setdefault("cart", _cart(request))
    return await execute(request, site.slug, query, variables, token=_token(request), **kwargs)


def page(handler):
    """Errors of every page: unknown tenant 404, database down 503, a refused form 400/403, a fault 500 — each an
    HTML page with a message, never a stack trace."""

    async def wrapped(request):
        started = time.perf_counter()
        response = await _page(request)
        total = (time.perf_counter() - started) * 1000
        api = getattr(request.state, "api_ms", 0.0)
        response.headers["Server-Timing"] = f"api;dur={api:.1f}, page;dur={total:.1f}"
        if getattr(request.state, "compiled", 0):
            response.headers["X-Execution"] = "compiled"
        return response

    async def _page(request):
        site = None
        try:
            site = await site_of(request)
            response = await handler(request, site)
            if site.currency != (request.cookies.get(CURRENCY_COOKIE) or "EUR") and request.query_params.get("currency"):
                set_cookie(response, site, CURRENCY_COOKIE, site.currency)
            return response
        except NotFound:
            return not_found(request, site)
        except BadForm as exc:
            return _error(request, site, exc.status, "That did not work", exc.message)
        except ModuleDisabled:
            return _error(request, site, 404, "Not available", "This part of the site is turned off.")
        except TenantSuspended:
            return _error(request, None, 403, "Shop suspended", "This shop is suspended for now. Please come back later.")
        except ApiUnavailable:
            response = _error(request, site, 503, "Back in a moment", "The shop cannot reach its database right now. "
                                                                      "Please try again in a few seconds.")
            response.headers["Retry-After"] = "1"
            return response
        except ApiFailed as exc:
            if "unknown or inactive tenant" in str(exc):
                return not_found(request, None)
            return _error(request, site, 500, "Something went wrong", "The page could not be shown; it has been logged.")
        except Exception:
            log.exception("storefront: unexpected error serving %s", request.url.path)
            return _error(request, site, 500, "Something went wrong", "The page could not be shown; it has been logged.")

    return wrapped


def _error(request, site, status, title, message) -> Response:
    site = site or Site(slug="", prefix="", origin="", secure=False, currency="EUR")
    return render(request, site, "error.html", status=status, title=title, message=message)


def not_found(request, site, gone: dict | None = None) -> Response:
    if gone:
        title = gone.get("title")
        what = f"“{title}”" if title else "What was here"
        return _error(request, site, 410, "No longer available",
                      f"{what} has been removed for good. Have a look at what there is now.")
    if site is None or not site.slug:
        return _error(request, site, 404, "Not found", "There is no shop at this address. Shops are served at "
                                                       "/t/<shop>/ or on their own host names.")
    return _error(request, site, 404, "Not found", "There is nothing at this address.")


async def _missing(request, site, kind: str, key: str) -> Response:
    """No visible item answers the address: 410 Gone when the API says it is gone for good (deleted while public,
    or archived), else 404."""
    result = await _run(request, site, Q.RETIRED, {"kind": kind, "key": key[:300]})
    return not_found(request, site, gone=result.data.get("retired"))


# ---------------------------------------------------------------- catalog

def _int(value, default=None):
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


def _image_fields(request) -> str:
    """Product.images when the schema has it (the admin adds media): its url and alt text, whatever the type's name."""
    fields = field_type_fields(request, "Product", "images")
    if "url" not in fields:
        return ""
    return "images { %s }" % " ".join(f for f in ("url", "alt", "altText") if f in fields)


def catalog_params(request) -> dict:
    q = request.query_params
    return {"q": (q.get("q") or "").strip()[:200], "category": q.getlist("category")[:10], "tag": q.getlist("tag")[:10],
            "price": q.get("price") or "", "in_stock": "1" if q.get("in_stock") == "1" else "",
            "sort": q.get("sort") if q.get("sort") in SORTS else "", "currency": q.get("currency") or ""}


@page
async def catalog(request, site):
    params = catalog_params(request)
    query = request.query_params
    flt: dict = {"priceBuckets": PRICE_BUCKETS}
    if params["category"]:
        flt["categoryHandles"] = params["category"]
    if params["tag"]:
        flt["tags"] = params["tag"]
    if params["in_stock"]:
        flt["inStock"] = True
    low, _, high = params["price"].partition("-")
    if _int(low) is not None:
        flt["priceMin"] = _int(low)
    if _int(high) is not None:
        flt["priceMax"] = _int(high) - 1
    sort = params["sort"] or ("relevance" if params["q"] else "newest")
    variables = {"search": params["q"] or None, "filter": flt, "sort": sort, "currency": site.currency}
    after, before = query.get("after"), query.get("before")
    if before:
        variables.update(last=PAGE_SIZE, before=before[:500])
    else:
        variables.update(first=PAGE_SIZE, after=(after or None) and after[:500])
    header = await _header(request, site)
    result = await _read(request, site, Q.fill(Q.CATALOG, _image_fields(request)), variables, allow=("BAD_USER_INPUT",))
    if result.errors:   # a stale or made-up cursor: start again from the first page
        variables.pop("after", None), variables.pop("before", None), variables.pop("last", None)
        variables["first"] = PAGE_SIZE
        result = await _read(request, site, Q.fill(Q.CATALOG, _image_fields(request)), variables)
    data = {**header, **result.data}
    products = data["products"]

    def render_page():
        title = f"Search: {params['q']}" if params["q"] else "Catalog"
        return render(request, site, "catalog.html", title=title, products=products, params=params, sort=sort,
                      sorts=SORTS, canonical=site.absolute("/"), description=f"{site.name}: {title.lower()}")

    return conditional(request, site, data, render_page, extra=f"{site.currency}|{csrf_token(request)}")


@page
async def suggest(request, site):
    """Search as you type (the small script in static/search.js): titles of the first matches, JSON."""
    text = (request.query_params.get("q") or "").strip()[:200]
    if not text:
        return JSONResponse({"products": [], "correctedQuery": None})
    data = (await _read(request, site, Q.SUGGEST, {"search": text, "currency": site.currency})).data["products"]
    return JSONResponse({"correctedQuery": data["correctedQuery"],
                         "products": [{"title": p["title"], "url": site.url(f"/products/{quote(p['handle'])}")}
                                      for p in data["nodes"]]})


def choose_variant(product: dict, chosen: dict, variant_id: str | None) -> dict | None:
    variants = product["variants"]
    if variant_id:
        for v in variants:
            if v["id"] == variant_id:
                return v
    if chosen:
        for v in variants:
            options = {o["name"]: o["value"] for o in v["selectedOptions"]}
            if all(options.get(k) == val for k, val in chosen.items() if k in options):
                return v
    return next((v for v in variants if v["inStock"]), variants[0] if variants else None)


@page
async def product_page(request, site):
    ref = request.path_params["handle"][:300]
    variables = {"currency": site.currency}
    try:
        variables["id"] = str(parse_id(ref))
    except InvalidIdError:
        variables["handle"] = ref
    header = await _header(request, site)
    result = await _read(request, site, Q.fill(Q.PRODUCT, _image_fields(request)), variables)
    data = {**header, **result.data}
    product = data.get("product")
    if product is None:
        return await _missing(request, site, "product", ref)
    names = [o["title"] for o in product["options"]]
    chosen = {n: request.query_params.get(f"option.{n}") for n in names if request.query_params.get(f"option.{n}")}
    variant = choose_variant(product, chosen, request.query_params.get("variant"))
    seo = product["seo"] or {}
    canonical = seo.get("canonicalUrl") or site.absolute(f"/products/{quote(product['handle'])}")

    def render_page():
        return render(request, site, "product.html", title=seo.get("title") or product["title"], product=product,
                      variant=variant, chosen={**{o["name"]: o["value"] for o in (variant or {}).get("selectedOptions", [])},
                                               **chosen},
                      description=seo.get("description") or product.get("subtitle") or (product.get("description") or "")[:160],
                      canonical=canonical, og_type="product", og_image=seo.get("imageUrl"), robots=seo.get("robots"),
                      added=request.query_params.get("added"), error=request.query_params.get("error"))

    return conditional(request, site, data, render_page,
                       extra=f"{site.currency}|{csrf_token(request)}|{request.url.query}")


# ---------------------------------------------------------------- cart and checkout

@page
async def cart_add(request, site):
    form = await read_form(request)
    quantity = _int(form.get("quantity"), 1)
    result = await _run(request, site, Q.ADD_TO_CART, {"variant": form.get("variant_id") or "", "quantity": quantity,
                                                       "currency": site.currency}, primary=True)
    payload = result.data["addToCart"]
    back = form.get("back") or ""
    if payload["userErrors"]:
        message = payload["userErrors"][0]["message"]
        target = back if back.startswith(site.url("/products/")) else site.url("/cart")
        return redirect(request, site, f"{target.split('?')[0]}?error={quote(message[:300])}")
    response = redirect(request, site, site.url("/cart"))
    if payload.get("token"):
        set_cookie(response, site, CART_COOKIE, payload["token"])
    return response


@page
async def cart_update(request, site):
    form = await read_form(request)
    quantity = 0 if "remove" in form else _int(form.get("quantity"), -1)
    result = await _run(request, site, Q.SET_LINE, {"variant": form.get("variant_id") or "", "quantity": quantity},
                        primary=True)
    errors = result.data["setCartLine"]["userErrors"]
    url = site.url("/cart") + (f"?error={quote(errors[0]['message'][:300])}" if errors else "")
    return redirect(request, site, url)


def _line_errors(errors: list[dict]) -> tuple[dict[int, str], list[str]]:
    by_line, general = {}, []
    for error in errors:
        match = re.match(r"^lines\[(\d+)\]", error.get("field") or "")
        if match:
            by_line[int(match.group(1))] = re.sub(r"^lines\[\d+\]\.\w+: ", "", error["message"])
        else:
            general.append(error["message"])
    return by_line, general


@page
async def cart_page(request, site):
    data = (await _run(request, site, Q.CART_PAGE, primary=True)).data
    site.header(data)
    return render(request, site, "cart.html", title="Your cart", cart=data.get("cart"), line_errors={},
                  errors=[request.query_params["error"][:300]] if request.query_params.get("error") else [],
                  robots="noindex")


_GUEST_FIELDS = {"email": "email", "shippingAddress.address1": "address1", "shippingAddress.city": "city",
                 "shippingAddress.countryCode": "country", "shippingAddress.postalCode": "postal_code"}


@page
async def checkout(request, site):
    """Checkout: a signed-in customer's order is theirs; a visitor without an account checks out as a guest with an
    e-mail and a shipping address (checkoutCart with the cart's token) and gets a secret link to the order."""
    data = (await _run(request, site, Q.CART_PAGE, primary=True)).data
    site.header(data)
    form, line_errors, errors, field_errors = {}, {}, [], {}
    if request.method == "POST":
        form = await read_form(request)
        address = {k: v.strip()[:200] for k, v in (("firstName", form.get("first_name", "")),
                                                    ("lastName", form.get("last_name", "")),
                                                    ("address1", form.get("address1", "")),
                                                    ("city", form.get("city", "")),
                                                    ("postalCode", form.get("postal_code", "")),
                                                    ("countryCode", form.get("country", "").strip().upper()[:2])) if v.strip()}
        email = (form.get("email") or "").strip()[:300] or None
        if site.me is None and not _cart(request):
            return redirect(request, site, site.url("/cart"))
        result = await _run(request, site, Q.CHECKOUT, {"email": email, "address": address or None}, primary=True)
        payload = result.data["checkoutCart"]
        if payload["order"]:
            # read the order back once the read model has it (X-Index-Position of the API)
            if payload.get("orderToken"):
                target = f"/orders/guest/{payload['orderToken']}?placed=1&after={payload['position']}"
            else:
                target = f"/orders/{payload['order']['id']}?placed=1&after={payload['position']}"
            response = redirect(request, site, site.url(target))
            clear_cookie(response, site, CART_COOKIE)     # that cart is ordered; the next visit starts a new one
            return response
        line_errors, errors = _line_errors(payload["userErrors"])
        for error in payload["userErrors"]:
            name = _GUEST_FIELDS.get(error.get("field") or "")
            if name:
                field_errors[name] = re.sub(r"^[\w.]+: ", "", error["message"])
                errors.remove(error["message"])
        data = (await _run(request, site, Q.CART_PAGE, primary=True)).data
    return render(request, site, "checkout.html", status=422 if (line_errors or errors or field_errors) else 200,
                  title="Checkout", cart=data.get("cart"), line_errors=line_errors, errors=errors,
                  field_errors=field_errors, form=form, robots="noindex")


@page
async def order_page(request, site):
    if site.me is None and not _token(request):
        return redirect(request, site, site.url("/account?next=orders"))
    ref = request.path_params["ref"][:100]
    order_id = None
    try:
        order_id = str(parse_id(ref))
    except InvalidIdError:
        if ref.isdigit():   # a display number: look it up among the visitor's orders
            found = await _run(request, site, Q.fill(Q.MY_ORDERS), {}, primary=True, allow=("UNAUTHENTICATED",))
            for o in ((found.data.get("orders") or {}).get("nodes") or []):
                if str(o["displayId"]) == ref:
                    order_id = o["id"]
    if order_id is None:
        return not_found(request, site)
    position = None
    try:
        position = str(parse_id(request.query_params.get("after") or ""))
    except InvalidIdError:
        pass
    result = await _run(request, site, Q.fill(Q.ORDER), {"id": order_id}, primary=True, index_position=position,
                        allow=("UNAUTHENTICATED", "INDEX_NOT_CAUGHT_UP"))
    if "UNAUTHENTICATED" in result.codes():
        return redirect(request, site, site.url("/account?next=orders"))
    site.header(result.data)
    order = result.data.get("order")
    if order is None:
        return not_found(request, site)
    return render(request, site, "order.html", title=f"Order #{order['displayId']}", order=order,
                  placed=request.query_params.get("placed") == "1", robots="noindex")


@page
async def guest_order_page(request, site):
    """A guest's order, opened by the secret token of its link (no account, no session needed)."""
    token = request.path_params["token"][:200]
    position = None
    try:
        position = str(parse_id(request.query_params.get("after") or ""))
    except InvalidIdError:
        pass
    result = await _run(request, site, Q.fill(Q.GUEST_ORDER), {"token": token}, primary=True, index_position=position,
                        allow=("INDEX_NOT_CAUGHT_UP",))
    site.header(result.data)
    order = result.data.get("guestOrder")
    if order is None:
        return not_found(request, site)
    link = site.absolute(f"/orders/guest/{quote(token)}")
    response = render(request, site, "order.html", title=f"Order #{order['displayId']}", order=order, guest_link=link,
                      placed=request.query_params.get("placed") == "1", robots="noindex")
    response.headers["Referrer-Policy"] = "no-referrer"     # the link is the key to the order: never pass it on
    response.headers["Cache-Control"] = "private, no-store"
    return response


# ---------------------------------------------------------------- accounts

_NEXT = {"checkout": "/checkout", "orders": "/account", "cart": "/cart"}


@page
async def account(request, site):
    data = (await _run(request, site, Q.fill(Q.ACCOUNT), primary=True)).data
    site.header(data)
    orders = None
    if site.me:
        orders = (await _run(request, site, Q.fill(Q.MY_ORDERS), primary=True)).data["orders"]
    return render(request, site, "account.html", title="Your account", orders=orders,
                  next=request.query_params.get("next") if request.query_params.get("next") in _NEXT else "",
                  error=(request.query_params.get("error") or "")[:300], robots="noindex")


async def _sign_in(request, site, mutation, variables, field) -> Response:
    form_next = variables.pop("next", "")
    result = await _run(request, site, mutation, variables, primary=True,
                        allow=("UNAUTHENTICATED", "CONFLICT", "BAD_USER_INPUT", "RATE_LIMITED"))
    refusals = result.errors or (result.data or {}).get(field, {}).get("userErrors") or []
    if refusals:
        message = refusals[0].get("message") or "that did not work"
        url = site.url("/account") + f"?error={quote(message[:300])}" + (f"&next={form_next}" if form_next else "")
        return redirect(request, site, url)
    response = redirect(request, site, site.url(_NEXT.get(form_next, "/account")))
    set_cookie(response, site, SESSION_COOKIE, result.data[field]["token"], max_age=60 * 60 * 24 * 14)
    return response


@page
async def register(request, site):
    form = await read_form(request)
    return await _sign_in(request, site, Q.REGISTER, {"email": form.get("email", "").strip(),
                                                      "password": form.get("password", ""),
                                                      "name": form.get("name", "").strip() or None,
                                                      "next": form.get("next", "")}, "register")


@page
async def login(request, site):
    form = await read_form(request)
    return await _sign_in(request, site, Q.LOGIN, {"email": form.get("email", "").strip(),
                                                   "password": form.get("password", ""),
                                                   "next": form.get("next", "")}, "login")


@page
async def logout(request, site):
    await read_form(request)
    if _token(request):
        await _run(request, site, Q.LOGOUT, primary=True, allow=("UNAUTHENTICATED",))
    response = redirect(request, site, site.url("/"))
    clear_cookie(response, site, SESSION_COOKIE)
    clear_cookie(response, site, CART_COOKIE)
    return response


# ---------------------------------------------------------------- password reset and invitations

def _no_referrer(response: Response) -> Response:
    """A page whose URL carries a link's token: never send it on as a Referer (to images, other sites)."""
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["Cache-Control"] = "no-store"
    return response


@page
async def forgot_password(request, site):
    await _header(request, site)
    message, errors, email = "", [], ""
    if request.method == "POST":
        form = await read_form(request)
        email = form.get("email", "").strip()[:255]
        out = (await _run(request, site, Q.REQUEST_PASSWORD_RESET, {"email": email}, primary=True)).data
        result = out["requestPasswordReset"]
        errors = [e["message"] for e in result["userErrors"]]
        message = "" if errors else result["message"]
    return render(request, site, "password.html", mode="forgot", title="Forgot your password?", message=message,
                  errors=errors, email=email, robots="noindex")


async def _token_form(request, site, mode: str, mutation: str, field: str, title: str) -> Response:
    await _header(request, site)
    errors: list[str] = []
    token = (request.query_params.get("token") or "")[:200]
    name = ""
    if request.method == "POST":
        form = await read_form(request)
        token, name = form.get("token", "")[:200], form.get("name", "").strip()[:255]
        variables = {"token": token, "password": form.get("password", "")}
        if mode == "invitation":
            variables["name"] = name or None
        result = (await _run(request, site, mutation, variables, primary=True)).data[field]
        errors = [e["message"] for e in result["userErrors"]]
        if not errors:
            user = result["user"]
            staff = user["role"] != "customer"
            response = render(request, site, "password.html", mode="done", title="You are signed in",
                              done=mode, user=user, staff=staff, robots="noindex")
            set_cookie(response, site, SESSION_COOKIE, result["session"]["token"], max_age=60 * 60 * 24 * 14)
            return _no_referrer(response)
    return _no_referrer(render(request, site, "password.html", mode=mode, title=title, token=token, name=name,
                               errors=errors, status=400 if errors else 200, robots="noindex"))


@page
async def reset_password(request, site):
    return await _token_form(request, site, "reset", Q.RESET_PASSWORD, "resetPassword", "Choose a new password")


@page
async def accept_invitation(request, site):
    return await _token_form(request, site, "invitation", Q.ACCEPT_INVITATION, "acceptInvitation",
                             "Accept your invitation")


# ---------------------------------------------------------------- content

@page
async def blog(request, site):
    q = request.query_params
    flt = {}
    category, tag = (q.get("category") or "")[:100], (q.get("tag") or "")[:100]
    if category:
        flt["categorySlugs"] = [category]
    if tag:
        flt["tags"] = [tag]
    variables = {"filter": flt or None}
    if q.get("before"):
        variables.update(last=10, before=q["before"][:500])
    else:
        variables.update(first=10, after=(q.get("after") or None) and q["after"][:500])
    header = await _header(request, site)
    result = await _read(request, site, Q.fill(Q.BLOG), variables, allow=("BAD_USER_INPUT",))
    if result.errors:   # a stale or made-up cursor: start again from the first page
        result = await _read(request, site, Q.fill(Q.BLOG), {"filter": flt or None, "first": 10})
    data = {**header, **result.data}

    def render_page():
        return render(request, site, "blog.html", title="Blog", posts=data["contents"], category=category, tag=tag,
                      canonical=site.absolute("/blog"), description=f"{site.name}: blog")

    return conditional(request, site, data, render_page, extra=csrf_token(request))


async def _content(request, site, kind: str, slug: str):
    slug = slug[:300]
    header = await _header(request, site)
    # the page without the header: an anonymous visitor's post, its comment tree included, is one statement
    return {**header, **(await _read(request, site, Q.fill(Q.POST), {"kind": kind, "slug": slug})).data}


@page
async def post_page(request, site):
    data = await _content(request, site, "post", request.path_params["slug"])
    post = data.get("content")
    if post is None:
        return await _missing(request, site, "post", request.path_params["slug"])
    pending = []
    if site.me:
        pending = (await _run(request, site, Q.PENDING, {"id": post["id"]}, primary=True)).data["viewerPendingComments"]["nodes"]
    seo = post.get("seo") or {}

    def render_page():
        return render(request, site, "post.html", title=seo.get("title") or post["title"], post=post, pending=pending,
                      description=seo.get("description") or post.get("excerpt") or "",
                      canonical=seo.get("canonicalUrl") or site.absolute(f"/blog/{quote(post['slug'])}"),
                      og_type="article", og_image=seo.get("imageUrl"), robots=seo.get("robots"),
                      error=(request.query_params.get("error") or "")[:300])

    return conditional(request, site, {"data": data, "pending": pending}, render_page, extra=csrf_token(request))


@page
async def add_comment(request, site):
    form = await read_form(request)
    slug = request.path_params["slug"]
    back = site.url(f"/blog/{quote(slug)}")
    if not _token(request):
        return redirect(request, site, site.url("/account"))
    result = await _run(request, site, Q.ADD_COMMENT, {"parent": form.get("parent_id") or "", "body": form.get("body", "")},
                        primary=True, allow=("UNAUTHENTICATED", "FORBIDDEN"))
    if result.errors:
        return redirect(request, site, back + f"?error={quote(result.errors[0]['message'][:300])}#comments")
    errors = result.data["addComment"]["userErrors"]
    if errors:
        return redirect(request, site, back + f"?error={quote(errors[0]['message'][:300])}#comments")
    return redirect(request, site, back + "#comments")


@page
async def static_page(request, site):
    data = await _content(request, site, "page", request.path_params["slug"])
    content = data.get("content")
    if content is None:
        return await _missing(request, site, "page", request.path_params["slug"])
    seo = content.get("seo") or {}

    def render_page():
        return render(request, site, "page.html", title=seo.get("title") or content["title"], content=content,
                      description=seo.get("description") or content.get("excerpt") or "",
                      canonical=seo.get("canonicalUrl") or site.absolute(f"/pages/{quote(content['slug'])}"),
                      og_image=seo.get("imageUrl"), robots=seo.get("robots"))

    return conditional(request, site, data, render_page, extra=csrf_token(request))


# ---------------------------------------------------------------- SEO

SITEMAP_MAX = 10_000


async def _walk(request, site, query, key, variables):
    after, rows = None, []
    while len(rows) < SITEMAP_MAX:
        conn = (await _read(request, site, query, {**variables, "after": after})).data[key]   # compiled: one statement
        rows.extend(conn["nodes"])
        if not conn["pageInfo"]["hasNextPage"]:
            break
        after = conn["pageInfo"]["endCursor"]
    return rows[:SITEMAP_MAX]


@page
async def sitemap(request, site):
    entries = [(site.absolute("/"), None), (site.absolute("/blog"), None)]
    for p in await _walk(request, site, Q.SITEMAP_PRODUCTS, "products", {}):
        entries.append((site.absolute(f"/products/{quote(p['handle'])}"), p["updatedAt"]))
    for kind, path in (("post", "/blog/"), ("page", "/pages/")):
        for c in await _walk(request, site, Q.SITEMAP_CONTENT, "contents", {"kind": kind}):
            entries.append((site.absolute(path + quote(c["slug"])), c["updatedAt"]))
    from rustok.storefront.web import templates

    xml = templates.get_template("sitemap.xml").render(entries=entries[:SITEMAP_MAX])
    return Response(xml, media_type="application/xml")


@page
async def robots(request, site):
    lines = ["User-agent: *", "Allow: /"]
    for path in ("/cart", "/checkout", "/account", "/orders/"):
        lines.append(f"Disallow: {site.url(path)}")
    lines.append(f"Sitemap: {site.absolute('/sitemap.xml')}")
    return Response("\n".join(lines) + "\n", media_type="text/plain")


async def prefix_root(request):
    return Response(status_code=308, headers={"Location": f"/t/{quote(request.path_params['tenant'])}/"})

