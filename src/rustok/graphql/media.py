"""Media (schema/media.graphql): uploads with the GraphQL multipart request spec (the HTTP side is in
rustok.graphql.http), the tenant's media library as a connection, images of products and of pages and posts.

An upload is checked before anything is written: the caller's permission (catalog:write or content:write_own)
and the content module, then every file's size (FILE_TOO_LARGE past RUSTOK_MEDIA_MAX_BYTES, EMPTY) and type
(sniffed from its bytes: UNSUPPORTED_TYPE unless PNG, JPEG, GIF or WebP). Then the files go to disk
(rustok.media.store: temp file, fsync, atomic rename) and their rows into content.media in one transaction;
if that fails, the files are removed again."""

from __future__ import annotations

import asyncio
from pathlib import Path

from ariadne import MutationType, ObjectType, QueryType, ScalarType
from starlette.datastructures import UploadFile

from rustok import media as storage
from rustok.graphql.access import permissions, require_module, require_tenant, require_user
from rustok.graphql.db import camel_row, fetch_all, fetch_one, permission_write, scalar, tenant_write
from rustok.graphql.errors import ApiError
from rustok.graphql.loaders import loader
from rustok.graphql.paging import COUNT_CAP, connection, not_a_cursor, page_args
from rustok.graphql.payloads import mutation_payload
from rustok.ids import new_id, parse_id

query = QueryType()
mutation = MutationType()
media_type = ObjectType("Media")
connection_type = ObjectType("MediaConnection")
product_type = ObjectType("Product")
content_type = ObjectType("Content")
node_record_type = ObjectType("NodeRecord")
upload_scalar = ScalarType("Upload")

UPLOAD_PERMISSIONS = frozenset({"catalog:write", "content:write_own"})
FILE_TOO_LARGE, UNSUPPORTED_TYPE, EMPTY = "FILE_TOO_LARGE", "UNSUPPORTED_TYPE", "EMPTY"
_MEDIA = "m.id, m.mime_type, m.size, m.width, m.height, m.alt_text, m.created_at"


@upload_scalar.serializer
def _serialize_upload(_value):
    raise ValueError("Upload is an input only")


@upload_scalar.literal_parser
def _parse_upload_literal(*_):
    raise ValueError("Upload: send the file as a part of a multipart request and null in its variable "
                     "(https://github.com/jaydenseric/graphql-multipart-request-spec; see docs/graphql.md)")


@upload_scalar.value_parser
def _parse_upload(value):
    if not isinstance(value, UploadFile):
        raise ValueError("Upload: send the file as a part of a multipart request and null in its variable "
                         "(https://github.com/jaydenseric/graphql-multipart-request-spec; see docs/graphql.md)")
    return value


@media_type.field("url")
async def resolve_media_url(media, info):
    return f"/t/{info.context.tenant_slug}/media/{media['id']}"


# ---------------------------------------------------------------- uploads

def _settings(ctx):
    return getattr(ctx.request.app.state, "settings", None)


def _max_bytes(ctx) -> int:
    settings = _settings(ctx)
    return settings.media_max_bytes if settings is not None else 5 * 1024 * 1024


def _head(upload: UploadFile) -> bytes:
    upload.file.seek(0)
    head = upload.file.read(storage.HEAD_BYTES)
    upload.file.seek(0)
    return head


async def _check(ctx, upload: UploadFile, field: str) -> tuple[dict | None, tuple | None]:
    """(userError, None) for a refused file, else (None, (mime, width, height))."""
    limit = _max_bytes(ctx)
    name = upload.filename or "the file"
    size = upload.size if upload.size is not None else await asyncio.to_thread(lambda: len(_head(upload)))
    if size == 0:
        return {"field": field, "code": EMPTY, "message": f"{field}: {name} is empty"}, None
    if size > limit:
        return {"field": field, "code": FILE_TOO_LARGE,
                "message": f"{field}: {name} is {size} bytes; at most {limit} bytes are accepted"}, None
    head = await asyncio.to_thread(_head, upload)
    mime = storage.sniff(head)
    if mime is None:
        return {"field": field, "code": UNSUPPORTED_TYPE,
                "message": f"{field}: {name} is not a PNG, JPEG, GIF or WebP image (judged by its content, "
                           f"not its name or declared type)"}, None
    width, height = storage.dimensions(head, mime)
    return None, (mime, width, height)


async def _upload(ctx, items: list[tuple[UploadFile, str | None, str]]) -> dict:
    """Store the files [(upload, alt, field)] all or nothing; the payload's `media` is the list of rows."""
    await require_user(ctx)
    if not (UPLOAD_PERMISSIONS & await permissions(ctx)):
        raise ApiError("FORBIDDEN", "uploading needs the permission catalog:write or content:write_own")
    await require_module(ctx, "content")
    settings = _settings(ctx)
    if len(items) > (settings.media_max_files if settings else 10):
        return {"userErrors": [{"field": "files", "code": "INVALID",
                                "message": f"files: at most {settings.media_max_files} files per request"}],
                "position": None}
    errors, checked = [], []
    for upload, alt, field in items:
        error, found = await _check(ctx, upload, field)
        if error:
            errors.append(error)
        checked.append(found)
    if errors:
        return {"userErrors": errors, "position": None}
    tenant_id = await require_tenant(ctx)
    root = Path(storage.media_root(settings))
    written: list[Path] = []
    try:
        rows = []
        for (upload, alt, _field), (mime, width, height) in zip(items, checked):
            media_id = new_id()
            stored = await asyncio.to_thread(storage.store, root, upload.file, tenant_id, media_id, mime)
            written.append(stored.path)
            rows.append((media_id, stored, mime, width, height, alt))
        async with tenant_write(ctx) as (conn, result):
            for media_id, stored, mime, width, height, alt in rows:
                await scalar(conn, "select content.create_media(%s, %s, %s, %s, %s, %s, %s, %s)",
                             (media_id, stored.key, mime, stored.size, stored.sha256, width, height, alt))
            ids = [r[0] for r in rows]
            cur = conn.cursor(row_factory=camel_row)
            await cur.execute(f"select {_MEDIA} from content.media m where m.tenant_id = core.current_tenant_id() "
                              "and m.id = any (%s) order by array_position(%s, m.id)", (ids, ids))
            result["media"] = await cur.fetchall()
    except BaseException:
        for path in written:   # no half-written state: the rows are not there, so neither are the files
            storage.remove(path)
        raise
    return result


@mutation.field("uploadMedia")
@mutation_payload
async def resolve_upload_media(_, info, file: UploadFile, alt: str | None = None):
    result = await _upload(info.context, [(file, alt, "file")])
    if "media" in result:
        result["media"] = result["media"][0]
    return result


@mutation.field("uploadMediaFiles")
@mutation_payload
async def resolve_upload_media_files(_, info, files: list[UploadFile], alt: list[str | None] | None = None):
    alt = alt or []
    if not files:
        return {"userErrors": [{"field": "files", "code": "REQUIRED", "message": "files: send at least one file"}],
                "position": None}
    return await _upload(info.context, [(f, alt[i] if i < len(alt) else None, f"files[{i}]")
                                        for i, f in enumerate(files)])


# ---------------------------------------------------------------- the library

async def media_by_id(ctx, media_id) -> dict | None:
    """One uploaded file of the tenant by id (Query.node), or None."""
    row = await fetch_one(ctx, f"select {_MEDIA} from content.media m where m.tenant_id = core.current_tenant_id() "
                               "and m.id = %s", (media_id,))
    return {"__typename": "Media", **row} if row else None


_PAGE = f"""
    select {_MEDIA} from content.media m
    where m.tenant_id = core.current_tenant_id()
      and (%(after)s::uuid is null or m.id < %(after)s::uuid)
      and (%(before)s::uuid is null or m.id > %(before)s::uuid)
    order by case when %(from_end)s then m.id end asc, m.id desc
    limit %(limit)s"""

_COUNT = """
    select count(*)::int as total from (select 1 from content.media m
    where m.tenant_id = core.current_tenant_id() limit %(cap)s) x"""


def _cursor_id(key: dict | None, argument: str):
    if key is None:
        return None
    try:
        if key.get("s") != "newest" or len(key.get("k") or ()) != 1:
            raise ValueError
        return parse_id(key["k"][0])
    except (ValueError, TypeError, AttributeError):
        raise not_a_cursor(argument) from None


async def _require_media_reader(ctx) -> None:
    await require_user(ctx)
    if not (UPLOAD_PERMISSIONS & await permissions(ctx)):
        raise ApiError("FORBIDDEN", "the media library needs the permission catalog:write or content:write_own")


@query.field("mediaLibrary")
async def resolve_media_library(_, info, first=None, after=None, last=None, before=None):
    ctx = info.context
    await _require_media_reader(ctx)
    await require_module(ctx, "content")
    args = page_args(first, after, last, before)
    rows = await fetch_all(ctx, _PAGE, {"after": _cursor_id(args.after, "after"),
                                        "before": _cursor_id(args.before, "before"),
                                        "from_end": args.from_end, "limit": args.limit + 1})
    for row in rows:
        row["cursor"] = {"s": "newest", "k": [str(row["id"])]}
    return connection(rows, args, lambda r: {k: v for k, v in r.items() if k != "cursor"})


async def _count(ctx, conn: dict) -> int:
    if "_total" not in conn:
        conn["_total"] = (await fetch_one(ctx, _COUNT, {"cap": COUNT_CAP + 1}))["total"]
    return conn["_total"]


@connection_type.field("totalCount")
async def resolve_total_count(conn, info):
    return min(await _count(info.context, conn), COUNT_CAP)


@connection_type.field("totalCountCapped")
async def resolve_total_count_capped(conn, info):
    return await _count(info.context, conn) > COUNT_CAP


# ---------------------------------------------------------------- images of products and nodes

def _images_loader(ctx, name: str, table: str, key: str):
    sql = (f"select x.{key} as owner_id, {_MEDIA} from {table} x "
           "join content.media m on m.tenant_id = x.tenant_id and m.id = x.media_id "
           f"where x.tenant_id = core.current_tenant_id() and x.{key} = any (%s) order by x.{key}, x.position")

    async def fetch(ids):
        rows = await fetch_all(ctx, sql, ([parse_id(i) for i in ids],))
        out: dict = {}
        for r in rows:
            out.setdefault(str(r.pop("ownerId")), []).append(r)
        return out

    return loader(ctx, name, fetch)


@product_type.field("images")
async def resolve_product_images(product, info):
    found = await _images_loader(info.context, "product_images", "commerce.product_images", "product_id").load(
        str(product["id"]))
    return found or []


@content_type.field("images")
async def resolve_content_images(content, info):
    found = await _images_loader(info.context, "node_images", "content.node_images", "node_id").load(str(content["id"]))
    return found or []


@node_record_type.field("images")
async def resolve_node_record_images(node, info):
    found = await _images_loader(info.context, "node_images", "content.node_images", "node_id").load(str(node["id"]))
    return found or []


@mutation.field("setProductImages")
@mutation_payload
async def resolve_set_product_images(_, info, productId: str, mediaIds: list[str]):  # noqa: N803
    product_id = parse_id(productId)
    async with permission_write(info.context, "catalog:write") as (conn, result):
        await scalar(conn, "select commerce.set_product_images(%s, %s)", (product_id, [parse_id(m) for m in mediaIds]))
        result["product"] = await scalar(conn, "select commerce.product_record(%s)", (product_id,))
    return result


@mutation.field("setNodeImages")
@mutation_payload
async def resolve_set_node_images(_, info, nodeId: str, mediaIds: list[str]):  # noqa: N803
    node_id = parse_id(nodeId)
    async with permission_write(info.context, "content:write_own") as (conn, result):
        await scalar(conn, "select content.set_node_images(%s, %s)", (node_id, [parse_id(m) for m in mediaIds]))
        result["node"] = await scalar(conn, "select content.node_record(%s)", (node_id,))
    return result


bindables = [upload_scalar, query, mutation, media_type, connection_type, product_type, content_type, node_record_type]
