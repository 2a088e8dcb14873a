"""Media files: storage on local disk and `GET /media/<id>`.

Uploads arrive through GraphQL (the multipart request spec, rustok.graphql.http; the mutation uploadMedia in
rustok.graphql.media). An accepted file is copied into `<media root>/.tmp/`, fsynced, and renamed (atomically:
the same file system) to `<media root>/<tenant id>/<first two hex digits of its SHA-256>/<media id>.<ext>`; then
its content.media row is inserted (storage_key `file:<that path>`, with type, size, SHA-256 and dimensions). If
the insert fails the file is removed again; a crash between the rename and the commit leaves an orphan file that
nothing points at (harmless; `rustok media check` lists them). The media root is RUSTOK_MEDIA_ROOT, by default
`<data dir>/media`.

Limits: RUSTOK_MEDIA_MAX_BYTES per file (default 5 MB) and RUSTOK_MEDIA_MAX_FILES per request (default 10).
The type is sniffed from the file's first bytes (PNG, JPEG, GIF, WebP); the client's Content-Type is ignored.

`GET /t/<slug>/media/<id>` (the URL GraphQL's Media.url gives) and `GET /media/<id>` (the tenant from the
X-Tenant header, else from the host name as the storefront resolves it) serve a file only for the tenant that
owns it (another tenant's id is 404), with its type, length, an ETag (its SHA-256, so If-None-Match answers 304)
and a year of caching (a file never changes: a new upload gets a new id). Rows uploaded before files moved to
disk (storage_key `db:<id>`, bytes in content.media_data) are served from the database until
`rustok media move-to-disk` moves them.
"""

from __future__ import annotations

import hashlib
import logging
import os
import struct
import uuid
from dataclasses import dataclass
from pathlib import Path

from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import Route

from rustok.errors import DatabaseUnavailable
from rustok.ids import InvalidIdError, parse_id

log = logging.getLogger(__name__)

TYPES = {"image/png": "png", "image/jpeg": "jpg", "image/gif": "gif", "image/webp": "webp"}
HEAD_BYTES = 256 * 1024        # read for the type and the dimensions (a JPEG's size may follow its EXIF block)
_CHUNK = 1024 * 1024
TMP = ".tmp"


def sniff(data: bytes) -> str | None:
    """The image type of these first bytes (magic numbers), or None."""
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
    """Width and height from the image header (None when it cannot be read, or is not a positive size)."""
    width = height = None
    try:
        if mime == "image/png" and len(data) >= 24:
            width, height = struct.unpack(">II", data[16:24])
        elif mime == "image/gif" and len(data) >= 10:
            width, height = struct.unpack("<HH", data[6:10])
        elif mime == "image/webp" and len(data) >= 30:
            chunk = data[12:16]
            if chunk == b"VP8X":
                width = 1 + int.from_bytes(data[24:27], "little")
                height = 1 + int.from_bytes(data[27:30], "little")
            elif chunk == b"VP8 ":
                w, h = struct.unpack("<HH", data[26:30])
                width, height = w & 0x3FFF, h & 0x3FFF
            elif chunk == b"VP8L" and len(data) >= 25:
                bits = int.from_bytes(data[21:25], "little")
                width, height = 1 + (bits & 0x3FFF), 1 + ((bits >> 14) & 0x3FFF)
        elif mime == "image/jpeg":
            i = 2
            while i + 9 < len(data):
                if data[i] != 0xFF:
                    i += 1
                    continue
                marker = data[i + 1]
                if marker in (0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF):
                    height, width = struct.unpack(">HH", data[i + 5:i + 9])
                    break
                length = struct.unpack(">H", data[i + 2:i + 4])[0]
                i += 2 + length
    except struct.error:
        return None, None
    if not width or not height or width <= 0 or height <= 0 or width > 2**31 - 1 or height > 2**31 - 1:
        return None, None
    return width, height


# ---------------------------------------------------------------- the files

def media_root(settings) -> Path:
    return settings.media_dir() if settings is not None else Path(".rustok") / "media"


def storage_key(tenant_id: uuid.UUID, media_id: uuid.UUID, sha256: str, mime: str) -> str:
    return f"file:{tenant_id}/{sha256[:2]}/{media_id}.{TYPES.get(mime, 'bin')}"


def path_of(root: Path, key: str) -> Path | None:
    """The file of a `file:` storage key under root (None for another kind of key or a path leaving root)."""
    if not key.startswith("file:"):
        return None
    relative = key[5:]
    parts = relative.split("/")
    if not relative or any(p in ("", ".", "..") for p in parts) or relative.startswith("/"):
        return None
    return root.joinpath(*parts)


@dataclass
class Stored:
    key: str
    path: Path
    sha256: str
    size: int


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def store(root: Path, source, tenant_id: uuid.UUID, media_id: uuid.UUID, mime: str) -> Stored:
    """Copy a readable binary file object into the media root: a temp file in <root>/.tmp (hashing on the
    way), fsynced, then renamed atomically to its final name. Blocking: run it in a thread."""
    tmp_dir = root / TMP
    tmp_dir.mkdir(parents=True, exist_ok=True)
    tmp = tmp_dir / f"{media_id}.{uuid.uuid4().hex}.part"
    digest, size = hashlib.sha256(), 0
    try:
        source.seek(0)
        with open(tmp, "wb") as out:
            while chunk := source.read(_CHUNK):
                digest.update(chunk)
                out.write(chunk)
                size += len(chunk)
            out.flush()
            os.fsync(out.fileno())
        sha = digest.hexdigest()
        key = storage_key(tenant_id, media_id, sha, mime)
        final = path_of(root, key)
        final.parent.mkdir(parents=True, exist_ok=True)
        os.replace(tmp, final)
        _fsync_dir(final.parent)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return Stored(key, final, sha, size)


def store_bytes(root: Path, data: bytes, tenant_id: uuid.UUID, media_id: uuid.UUID, mime: str) -> Stored:
    import io

    return store(root, io.BytesIO(data), tenant_id, media_id, mime)


def remove(path: Path) -> None:
    try:
        path.unlink(missing_ok=True)
    except OSError as exc:  # an orphan file is harmless; say so in the log
        log.warning("could not remove the media file %s after a failed upload: %s", path, exc)


# ---------------------------------------------------------------- serving

MEDIA_FILE = "select mime_type, sha256, size, storage_key, data from content.media_file(%s, %s)"


def _error(status: int, code: str, message: str, **headers) -> JSONResponse:
    return JSONResponse({"errors": [{"message": message, "extensions": {"code": code}}]}, status, headers=headers or None)


async def _tenant_slug(request: Request) -> str | None:
    slug = request.path_params.get("tenant_slug") or request.headers.get("x-tenant")
    if slug:
        return slug
    from rustok.storefront.tenancy import slug_for_host

    return await slug_for_host(request)


async def serve(request: Request) -> Response:
    not_found = _error(404, "NOT_FOUND", "no such file")
    try:
        media_id = parse_id(request.path_params["media_id"])
    except InvalidIdError:
        return not_found
    try:
        slug = await _tenant_slug(request)
        if not slug or len(slug) > 255:
            return not_found
        async with request.app.state.db.connection() as conn:
            cur = await conn.execute(MEDIA_FILE, (slug, media_id))
            row = await cur.fetchone()
    except DatabaseUnavailable:
        retry = str(getattr(getattr(request.app.state, "settings", None), "retry_after", 1))
        return _error(503, "UNAVAILABLE", "the database is unreachable; try again shortly", **{"Retry-After": retry})
    if row is None:
        return not_found
    mime, sha, size, key, data = row
    etag = f'"{sha}"'
    headers = {"ETag": etag, "Cache-Control": "public, max-age=31536000, immutable", "X-Content-Type-Options": "nosniff",
               "Content-Security-Policy": "default-src 'none'; sandbox"}
    if "tenant_slug" not in request.path_params:
        headers["Vary"] = "X-Tenant"
    if etag in [t.strip() for t in (request.headers.get("if-none-match") or "").split(",")]:
        return Response(status_code=304, headers=headers)
    if data is not None:
        return Response(bytes(data), media_type=mime, headers=headers)
    path = path_of(media_root(getattr(request.app.state, "settings", None)), key)
    if path is None or not path.is_file():
        log.error("media %s of tenant %s: the file %s is missing under the media root", media_id, slug, path or key)
        return not_found
    return FileResponse(path, media_type=mime, headers=headers)


def routes() -> list:
    return [Route("/media/{media_id}", serve, methods=["GET", "HEAD"]),
            Route("/t/{tenant_slug}/media/{media_id}", serve, methods=["GET", "HEAD"])]
