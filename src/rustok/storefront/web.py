"""Request helpers of the storefront: cookies (session, cart, CSRF, currency), form bodies, conditional GET,
rendering and the error pages."""

from __future__ import annotations

import email.utils
import hashlib
import hmac
import json
import re
import secrets
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.responses import HTMLResponse, RedirectResponse, Response

SESSION_COOKIE = "rustok_session"
CART_COOKIE = "rustok_cart"
CSRF_COOKIE = "rustok_csrf"
CURRENCY_COOKIE = "rustok_currency"
CURRENCIES = ("EUR", "USD", "GBP")
MAX_FORM_BYTES = 64 * 1024
TEMPLATE_VERSION = "1"   # part of every ETag: a changed template changes the page

HERE = Path(__file__).parent
templates = Environment(loader=FileSystemLoader(str(HERE / "templates")), autoescape=select_autoescape(["html", "xml"]),
                        trim_blocks=True, lstrip_blocks=True)


class BadForm(Exception):
    """A POST the storefront refuses (too large, not a form, failed CSRF check): 400 / 403 with a message."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status
        self.message = message


def money(value: dict | None) -> str:
    if not value:
        return ""
    amount, currency = int(value["amount"]), value.get("currencyCode") or ""
    digits = 0 if currency in ("JPY", "KRW") else 2
    number = f"{amount / 10 ** digits:,.{digits}f}"
    symbol = {"EUR": "€", "USD": "$", "GBP": "£"}.get(currency)
    return f"{symbol}{number}" if symbol else f"{number} {currency}"


def date(value: str | None) -> str:
    if not value:
        return ""
    try:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00")).strftime("%d %b %Y")
    except ValueError:
        return str(value)


_HEADING = re.compile(r"^(#{1,4})\s+(.*)$")
_LINK = re.compile(r"\[([^\]]+)\]\((https?://[^)\s]+|/[^)\s]*)\)")
_STRONG = re.compile(r"\*\*([^*]+)\*\*")
_EM = re.compile(r"(?<![*\w])\*([^*]+)\*(?!\*)")
_TAGS = re.compile(r"<[^>]*>")
_BULLET = re.compile(r"^\s*[-*]\s+")


def render_body(body: str | None, fmt: str | None) -> str:
    """A body as safe HTML: Markdown's headings, paragraphs, lists, bold, italics and links (everything escaped
    first); HTML bodies are shown as their text (tags removed); plain text as paragraphs."""
    from markupsafe import Markup, escape

    if not body:
        return Markup("")
    if fmt == "html":
        body, fmt = _TAGS.sub("", body), "plain"
    blocks, out = re.split(r"\n\s*\n", body.strip()), []
    for block in blocks:
        text = str(escape(block))
        if fmt == "markdown":
            heading = _HEADING.match(text)
            lines = text.splitlines()
            if heading:
                level = min(len(heading.group(1)) + 1, 5)
                out.append(f"<h{level}>{_inline(heading.group(2))}</h{level}>")
                continue
            if all(_BULLET.match(line) for line in lines):
                items = [_inline(_BULLET.sub("", line)) for line in lines]
                out.append("<ul>" + "".join(f"<li>{item}</li>" for item in items) + "</ul>")
                continue
            text = _inline(text)
        out.append("<p>" + text.replace("\n", "<br>") + "</p>")
    return Markup("\n".join(out))


def _inline(text: str) -> str:
    text = _LINK.sub(lambda m: f'<a href="{m.group(2)}" rel="nofollow">{m.group(1)}</a>', text)
    text = _STRONG.sub(r"<strong>\1</strong>", text)
    return _EM.sub(r"<em>\1</em>", text)


templates.filters["money"] = money
templates.filters["date"] = date
templates.globals["render_body"] = render_body


def qs(params: dict, **changes) -> str:
    """A query string from the current parameters with some changed (None removes one)."""
    merged = {k: v for k, v in params.items() if v not in (None, "", [])}
    for key, value in changes.items():
        if value in (None, "", []):
            merged.pop(key, None)
        else:
            merged[key] = value
    return ("?" + urlencode(merged, doseq=True)) if merged else "?"


templates.globals["qs"] = qs


async def read_form(request) -> dict[str, str]:
    """An application/x-www-form-urlencoded body (at most 64 kB), last value per key; the CSRF token checked."""
    origin = request.headers.get("origin")
    if origin and origin != "null" and urlsplit(origin).netloc != request.url.netloc:
        raise BadForm(403, "this form came from another site and was refused")
    mime = (request.headers.get("content-type") or "").split(";")[0].strip().lower()
    if mime != "application/x-www-form-urlencoded":
        raise BadForm(400, "send the form as application/x-www-form-urlencoded")
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_FORM_BYTES:
            raise BadForm(413, "the form is too large")
    try:
        parsed = parse_qs(body.decode("utf-8"), keep_blank_values=True, max_num_fields=200)
    except (UnicodeDecodeError, ValueError):
        raise BadForm(400, "the form could not be read") from None
    form = {k: v[-1].replace("\x00", "") for k, v in parsed.items()}
    # every rustok_csrf cookie the browser sent (one per path it was set on)
    sent = form.get("csrf", "")
    expected = [value for name, _, value in (part.strip().partition("=")
                                             for part in (request.headers.get("cookie") or "").split(";"))
                if name == CSRF_COOKIE and value]
    if not sent or not any(hmac.compare_digest(value, sent) for value in expected):
        raise BadForm(403, "this form expired or came from another site: reload the page and send it again")
    return form


def csrf_token(request) -> str:
    token = request.cookies.get(CSRF_COOKIE)
    if not token or len(token) > 100:
        token = getattr(request.state, "new_csrf", None) or secrets.token_urlsafe(24)
        request.state.new_csrf = token
    return token


def set_cookie(response: Response, site, name: str, value: str, max_age: int | None = 60 * 60 * 24 * 30) -> None:
    response.set_cookie(name, value, max_age=max_age, path=site.cookie_path, httponly=True, samesite="lax",
                        secure=site.secure)


def clear_cookie(response: Response, site, name: str) -> None:
    response.delete_cookie(name, path=site.cookie_path, httponly=True, samesite="lax", secure=site.secure)


def finish(request, site, response: Response) -> Response:
    new = getattr(request.state, "new_csrf", None)
    if new and site.slug:   # not on a page of no shop (e.g. /favicon.ico under an unknown host)
        set_cookie(response, site, CSRF_COOKIE, new, max_age=None)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
    return response


def render(request, site, template: str, status: int = 200, **context) -> HTMLResponse:
    html = templates.get_template(template).render(site=site, csrf=csrf_token(request), **context)
    return finish(request, site, HTMLResponse(html, status_code=status))


def redirect(request, site, url: str) -> Response:
    return finish(request, site, RedirectResponse(url, status_code=303))


def _http_date(value: str) -> str | None:
    try:
        moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None
    return email.utils.format_datetime(moment.astimezone(timezone.utc), usegmt=True)


def _latest(data, keys=("updatedAt",)) -> str | None:
    found: list[str] = []

    def walk(value):
        if isinstance(value, dict):
            for key, item in value.items():
                if key in keys and isinstance(item, str):
                    found.append(item)
                else:
                    walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    walk(data)
    return max(found, key=lambda v: datetime.fromisoformat(v.replace("Z", "+00:00"))) if found else None


def conditional(request, site, data, render_page, *, extra: str = "") -> Response:
    """Conditional GET for a page built from read-model data: the ETag is a digest of that data (and the
    visitor-specific bits in `extra`), Last-Modified the newest `updatedAt` in it. An unchanged page answers
    304 without rendering."""
    digest = hashlib.sha256(json.dumps([TEMPLATE_VERSION, extra, site.base, data], sort_keys=True,
                                       default=str).encode()).hexdigest()[:32]
    etag = f'W/"{digest}"'
    latest = _latest(data)
    last_modified = _http_date(latest) if latest else None
    headers = {"ETag": etag, "Cache-Control": "private, no-cache", "Vary": "Cookie"}
    if last_modified:
        headers["Last-Modified"] = last_modified
    match = request.headers.get("if-none-match")
    since = request.headers.get("if-modified-since")
    not_modified = False
    if match is not None:
        not_modified = etag in [t.strip() for t in match.split(",")] or match.strip() == "*"
    elif since and last_modified:
        try:
            not_modified = email.utils.parsedate_to_datetime(since) >= email.utils.parsedate_to_datetime(last_modified)
        except (TypeError, ValueError):
            not_modified = False
    if not_modified:
        return finish(request, site, Response(status_code=304, headers=headers))
    response = render_page()
    response.headers.update(headers)
    return response
