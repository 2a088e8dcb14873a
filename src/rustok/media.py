"""Media files: `POST /media` uploads one image (the raw bytes as the body, its type as Content-Type, with the
X-Tenant and Authorization: Bearer headers of the GraphQL API) and answers its id and URL; `GET /media/<id>`
serves it with its type, an ETag (SHA-256) and a year of caching (a file never changes: a new upload gets a new id).

Limits: RUSTOK_MEDIA_MAX_BYTES (default 5 MB, enforced while the body streams in: 413); the type is sniffed from
the first bytes (PNG, JPEG, GIF, WebP) and must match the declared Content-Type (415 otherwise). The bytes live in
PostgreSQL (content.media_data), so backups hold them and every API process serves them. Attach images to a
product with the GraphQL mutation setProductImages. Refusals answer `{"errors": [{"message", "extensions": {"code"}}]}`
like the GraphQL endpoint.
"""

from __future__ import annotations

import hashlib
import os
import struct

import psycopg
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from rustok.errors import DatabaseUnavailable
from rustok.graphql.access import permissions, require_user
from rustok.graphql.context import RequestContext, _bearer
from rustok.graphql.db import scalar, tenant_write
from rustok.graphql.errors import ApiError
from rustok.ids import InvalidIdError, parse_id

DEFAULT_MAX_BYTES = 5 * 1024 * 1024
TYPES = ("image/png", "image/jpeg", "image/gif", "image/webp")


def max_bytes() -> int:
    try:
        return int(os.environ.get("RUSTOK_MEDIA_MAX_BYTES", DEFAULT_MAX_BYTES))
    except ValueError:
        return DEFAULT_MAX_BYTES


def sniff(data: bytes) -> str | None:
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return "image/gif"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


def dimensions(data: bytes, mime: str) -> tuple[int | None, int | None]:
    """Width and height from the image header (None when it cannot be read)."""
    try:
        if mime == "image/png" and len(data) >= 24:
            return struct.unpack(">II", data[16:24])
        if mime == "image/gif" and len(data) >= 10:
            return struct.unpack("<HH", data[6:10])
        if mime == "image/jpeg":
            i = 2
            while i + 9 < len(data):
                if data[i] != 0xFF:
                    i += 1
                    continue
                marker = data[i + 1]
                if marker in (0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF):
                    height, width = struct.unpack(">HH", data[i + 5:i + 9])
                    return width, height
                length = struct.unpack(">H", data[i + 2:i + 4])[0]
                i += 2 + length
    except struct.error:
        pass
    return None, None


def _error(status: int, code: str, message: str, **headers) -> JSONResponse:
    return JSONResponse({"errors": [{"message": message, "extensions": {"code": code}}]}, status, headers=headers or None)


async def _read_body(request: Request, limit: int) -> bytes | None:
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


async def upload(request: Request) -> Response:
    declared = (request.headers.get("content-type") or "").split(";")[0].strip().lower()
    if declared not in TYPES:
        return _error(415, "UNSUPPORTED_MEDIA_TYPE", f"send the image's own type as Content-Type: one of {', '.join(TYPES)}")
    limit = max_bytes()
    length = request.headers.get("content-length")
    if length and length.isdigit() and int(length) > limit:
        return _error(413, "PAYLOAD_TOO_LARGE", f"the file is larger than {limit} bytes")
    data = await _read_body(request, limit)
    if data is None:
        return _error(413, "PAYLOAD_TOO_LARGE", f"the file is larger than {limit} bytes")
    if not data:
        return _error(400, "BAD_REQUEST", "the body is empty: send the file's bytes")
    found = sniff(data)
    if found != declared:
        return _error(415, "UNSUPPORTED_MEDIA_TYPE",
                      f"the file is not a {declared} image" + (f" (it looks like {found})" if found else ""))
    alt = (request.query_params.get("alt") or "").strip()[:1000] or None
    view = request.app.state.router.view(read_only=False, position=None, force_primary=True)
    ctx = RequestContext(request=request, db=view, tenant_slug=request.headers.get("x-tenant"), token=_bearer(request))
    try:
        await require_user(ctx)
        held = await permissions(ctx)
        if not ({"catalog:write", "content:write_own"} & held):
            return _error(403, "FORBIDDEN", "uploading needs the permission catalog:write or content:write_own")
        width, height = dimensions(data, found)
        async with tenant_write(ctx) as (conn, result):
            media_id = await scalar(conn, "select content.upload_media(%s, %s, %s, %s, %s, %s)",
                                    (found, data, hashlib.sha256(data).hexdigest(), width, height, alt))
    except ApiError as exc:
        status = {"UNAUTHENTICATED": 401, "FORBIDDEN": 403, "NOT_FOUND": 404, "MODULE_DISABLED": 409}.get(exc.code, 400)
        return _error(status, exc.code, str(exc))
    except DatabaseUnavailable:
        return _error(503, "UNAVAILABLE", "the database is unreachable; try again shortly", **{"Retry-After": "1"})
    except psycopg.Error as exc:
        if exc.sqlstate == "42501":
            return _error(403, "FORBIDDEN", "uploading needs the permission catalog:write or content:write_own")
        if exc.sqlstate == "55000":
            return _error(409, "MODULE_DISABLED", 'the "content" module is disabled for this tenant')
        raise
    return JSONResponse({"id": str(media_id), "url": f"/media/{media_id}", "mimeType": found, "size": len(data),
                         "width": width, "height": height, "position": str(result["position"]) if result.get("position") else None}, 201)


async def serve(request: Request) -> Response:
    try:
        media_id = parse_id(request.path_params["media_id"])
    except InvalidIdError:
        return _error(404, "NOT_FOUND", "no such file")
    try:
        async with request.app.state.db.connection() as conn:
            cur = await conn.execute("select mime_type, sha256, data from content.media_file(%s)", (media_id,))
            row = await cur.fetchone()
    except DatabaseUnavailable:
        return _error(503, "UNAVAILABLE", "the database is unreachable; try again shortly", **{"Retry-After": "1"})
    if row is None:
        return _error(404, "NOT_FOUND", "no such file")
    mime, sha, data = row
    etag = f'"{sha}"'
    headers = {"ETag": etag, "Cache-Control": "public, max-age=31536000, immutable", "X-Content-Type-Options": "nosniff",
               "Content-Security-Policy": "default-src 'none'"}
    if etag in [t.strip() for t in (request.headers.get("if-none-match") or "").split(",")]:
        return Response(status_code=304, headers=headers)
    return Response(bytes(data), media_type=mime, headers=headers)


def routes() -> list:
    return [Route("/media", upload, methods=["POST"]), Route("/media/{media_id}", serve, methods=["GET", "HEAD"])]
