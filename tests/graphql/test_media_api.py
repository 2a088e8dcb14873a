"""Media over HTTP: uploads with the GraphQL multipart request spec, files on disk under the media root, GET of a
file for its own tenant only, the media library connection, images of products and nodes."""

from __future__ import annotations

import dataclasses
import hashlib
import json

import psycopg
import pytest
from starlette.testclient import TestClient

from rustok.app import create_app
from rustok.config import Settings
from tests.graphql.conftest import Gql, login, new_tenant, new_user

PNG_1x1 = bytes.fromhex("89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d4944415478da63f8cfc0f01f0005"
                        "0001ff5c2d5a1c0000000049454e44ae426082")
GIF_2x3 = b"GIF89a\x02\x00\x03\x00\x00\x00\x00;"
MAX_BYTES = 4096

UPLOAD = ("mutation($f: Upload!, $a: String) { uploadMedia(file: $f, alt: $a) { "
          "media { id url mimeType size width height altText } userErrors { field code message } position } }")
UPLOAD_MANY = ("mutation($f: [Upload!]!, $a: [String]) { uploadMediaFiles(files: $f, alt: $a) { "
               "media { id url mimeType } userErrors { field code message } position } }")


@pytest.fixture(scope="module")
def media_root(tmp_path_factory):
    return tmp_path_factory.mktemp("media")


@pytest.fixture(scope="module")
def client(api_db, media_root):
    settings = dataclasses.replace(Settings.from_env(), media_root=media_root, media_max_bytes=MAX_BYTES,
                                   media_max_files=3)
    with TestClient(create_app(api_db, settings=settings)) as c:
        yield c


@pytest.fixture(scope="module")
def gql(client) -> Gql:
    return Gql(client)


@pytest.fixture(scope="module")
def shop(gql, owner):
    slug = new_tenant(owner)
    for role in ("admin", "author", "customer"):
        new_user(owner, slug, f"{role}@media.example", role)
    tokens = {role: login(gql, slug, f"{role}@media.example") for role in ("admin", "author", "customer")}
    product = gql('mutation { createProduct(input: {title: "Mug", handle: "mug", status: published, variants: ['
                  '{title: "S", sku: "MUG-S", prices: [{amount: 900, currencyCode: "EUR"}], stock: 10}]}) '
                  '{ product { id } } }', tenant=slug, token=tokens["admin"])["data"]["createProduct"]["product"]
    other = new_tenant(owner)
    new_user(owner, other, "admin@other.example", "admin")
    return {"slug": slug, "tokens": tokens, "product": product, "other": other,
            "other_token": login(gql, other, "admin@other.example")}


def files_on_disk(root) -> list:
    return sorted(p for p in root.rglob("*") if p.is_file())


def upload(client, slug, token, files: dict, operations: dict, file_map: dict, headers: dict | None = None):
    """A multipart request as the spec lays it out: operations, map, then the file parts."""
    base = {"X-Tenant": slug} if slug else {}
    if token:
        base["Authorization"] = f"Bearer {token}"
    return client.post("/graphql", data={"operations": json.dumps(operations), "map": json.dumps(file_map)},
                       files=files, headers={**base, **(headers or {})})


def upload_one(client, slug, token, content: bytes, *, name="dot.png", declared="image/png", alt=None):
    resp = upload(client, slug, token, {"0": (name, content, declared)},
                  {"query": UPLOAD, "variables": {"f": None, "a": alt}}, {"0": ["variables.f"]})
    assert resp.status_code in (200, 400), resp.text   # 400: a top-level error left no data (application/json)
    assert resp.status_code == 200 or resp.json()["errors"][0].get("path") == ["uploadMedia"], resp.text
    return resp.json()


def test_upload_stores_a_file_and_serves_it_to_its_tenant_only(client, shop, media_root, api_db):
    slug, admin = shop["slug"], shop["tokens"]["admin"]
    body = upload_one(client, slug, admin, PNG_1x1, alt="A dot")
    assert "errors" not in body, body
    out = body["data"]["uploadMedia"]
    media = out["media"]
    assert out["userErrors"] == [] and out["position"]
    assert media["mimeType"] == "image/png" and media["size"] == len(PNG_1x1)
    assert (media["width"], media["height"], media["altText"]) == (1, 1, "A dot")
    assert media["url"] == f"/t/{slug}/media/{media['id']}"
    # on disk under the media root, named by the id, the row keeps the path, checksum, size and type
    with psycopg.connect(api_db) as conn:
        key, sha, size, mime, uploaded_by = conn.execute(
            "select storage_key, sha256, size, mime_type, uploaded_by from content.media where id = %s",
            (media["id"],)).fetchone()
    assert uploaded_by is not None
    assert key.startswith("file:") and key.endswith(f"{media['id']}.png")
    path = media_root / key[5:]
    assert path.read_bytes() == PNG_1x1
    assert sha == hashlib.sha256(PNG_1x1).hexdigest() and size == len(PNG_1x1) and mime == "image/png"
    assert not list((media_root / ".tmp").iterdir())
    # served with its type, length, ETag and a year of caching; 304 for the same ETag; HEAD too
    got = client.get(media["url"])
    assert got.status_code == 200 and got.content == PNG_1x1
    assert got.headers["content-type"] == "image/png" and got.headers["content-length"] == str(len(PNG_1x1))
    assert got.headers["etag"] == f'"{sha}"' and "immutable" in got.headers["cache-control"]
    assert got.headers["x-content-type-options"] == "nosniff"
    assert client.get(media["url"], headers={"If-None-Match": got.headers["etag"]}).status_code == 304
    assert client.head(media["url"]).status_code == 200
    # /media/<id> takes the tenant from X-Tenant
    assert client.get(f"/media/{media['id']}", headers={"X-Tenant": slug}).content == PNG_1x1
    # another tenant's media: 404 whichever way the tenant is named; no tenant at all: 404
    other = shop["other"]
    assert client.get(f"/t/{other}/media/{media['id']}").status_code == 404
    assert client.get(f"/media/{media['id']}", headers={"X-Tenant": other}).status_code == 404
    assert client.get(f"/media/{media['id']}").status_code == 404
    assert client.get(f"/t/{slug}/media/not-an-id").status_code == 404
    # ... and the other tenant's library does not list it, nor can it attach it
    lib = Gql(client)("{ mediaLibrary { totalCount } }", tenant=other, token=shop["other_token"])
    assert lib["data"]["mediaLibrary"]["totalCount"] == 0


def test_the_type_is_sniffed_not_taken_from_the_client(client, shop, media_root):
    slug, admin = shop["slug"], shop["tokens"]["admin"]
    gif = upload_one(client, slug, admin, GIF_2x3, name="photo.png", declared="image/png")["data"]["uploadMedia"]
    assert gif["userErrors"] == [] and gif["media"]["mimeType"] == "image/gif"
    assert (gif["media"]["width"], gif["media"]["height"]) == (2, 3)
    assert client.get(gif["media"]["url"]).headers["content-type"] == "image/gif"
    before = files_on_disk(media_root)
    for content in (b"<svg xmlns='http://www.w3.org/2000/svg'/>", b"%PDF-1.7 not an image", b"\x89PNG"):
        out = upload_one(client, slug, admin, content)["data"]["uploadMedia"]
        assert out["media"] is None and out["position"] is None
        assert [(e["field"], e["code"]) for e in out["userErrors"]] == [("file", "UNSUPPORTED_TYPE")]
    empty = upload_one(client, slug, admin, b"")["data"]["uploadMedia"]
    assert [(e["field"], e["code"]) for e in empty["userErrors"]] == [("file", "EMPTY")]
    assert files_on_disk(media_root) == before


def test_a_file_past_the_limit_is_a_user_error_and_a_huge_body_is_413(client, shop, media_root):
    slug, admin = shop["slug"], shop["tokens"]["admin"]
    before = files_on_disk(media_root)
    out = upload_one(client, slug, admin, PNG_1x1 + b"\0" * MAX_BYTES)["data"]["uploadMedia"]
    assert out["media"] is None
    assert out["userErrors"][0]["field"] == "file" and out["userErrors"][0]["code"] == "FILE_TOO_LARGE"
    assert str(MAX_BYTES) in out["userErrors"][0]["message"]
    # exactly the limit is accepted
    fits = upload_one(client, slug, admin, PNG_1x1 + b"\0" * (MAX_BYTES - len(PNG_1x1)))["data"]["uploadMedia"]
    assert fits["userErrors"] == [] and fits["media"]["size"] == MAX_BYTES
    # a body past files x limit + the JSON limit is refused at the HTTP level, never a 500
    resp = upload(client, slug, admin, {"0": ("big.png", PNG_1x1 + b"\0" * (2 * 1024 * 1024), "image/png")},
                  {"query": UPLOAD, "variables": {"f": None}}, {"0": ["variables.f"]})
    assert resp.status_code == 413 and resp.json()["errors"][0]["extensions"]["code"] == "PAYLOAD_TOO_LARGE"
    assert len(files_on_disk(media_root)) == len(before) + 1


@pytest.mark.parametrize("case", ["map-not-json", "map-not-an-object", "map-entry-not-a-list", "missing-file-part",
                                  "path-names-no-variable", "path-outside-variables", "no-operations", "no-map",
                                  "operations-a-batch", "variable-given-a-string"])
def test_malformed_multipart_requests_are_400(client, shop, case):
    slug, admin = shop["slug"], shop["tokens"]["admin"]
    ops = {"query": UPLOAD, "variables": {"f": None}}
    file = {"0": ("dot.png", PNG_1x1, "image/png")}
    data = {"operations": json.dumps(ops), "map": json.dumps({"0": ["variables.f"]})}
    if case == "map-not-json":
        data["map"] = "{0: variables.f"
    elif case == "map-not-an-object":
        data["map"] = '["variables.f"]'
    elif case == "map-entry-not-a-list":
        data["map"] = '{"0": "variables.f"}'
    elif case == "missing-file-part":
        data["map"] = '{"1": ["variables.f"]}'
    elif case == "path-names-no-variable":
        data["map"] = '{"0": ["variables.nope"]}'
    elif case == "path-outside-variables":
        data["map"] = '{"0": ["query"]}'
    elif case == "no-operations":
        del data["operations"]
    elif case == "no-map":
        del data["map"]
    elif case == "operations-a-batch":
        data["operations"] = json.dumps([ops])
    elif case == "variable-given-a-string":
        data["operations"] = json.dumps({"query": UPLOAD, "variables": {"f": "dot.png"}})
        data["map"] = "{}"
    resp = client.post("/graphql", data=data, files=file,
                       headers={"X-Tenant": slug, "Authorization": f"Bearer {admin}"})
    assert resp.status_code == 400, resp.text
    error = resp.json()["errors"][0]
    assert error["extensions"]["code"] in ("BAD_REQUEST", "BAD_USER_INPUT"), error
    assert "Traceback" not in resp.text


def test_a_multipart_request_needs_a_header_a_form_cannot_send(client, shop):
    ops = {"query": UPLOAD, "variables": {"f": None}}
    resp = upload(client, None, None, {"0": ("dot.png", PNG_1x1, "image/png")}, ops, {"0": ["variables.f"]})
    assert resp.status_code == 400 and resp.json()["errors"][0]["extensions"]["code"] == "CSRF_PREVENTED"
    # Apollo-Require-Preflight (or X-Rustok-CSRF) is enough to get past the rule (then: no tenant, no user)
    ok = upload(client, None, None, {"0": ("dot.png", PNG_1x1, "image/png")}, ops, {"0": ["variables.f"]},
                headers={"Apollo-Require-Preflight": "true"})
    assert ok.status_code == 200 and "CSRF" not in ok.text


def test_who_may_upload(client, shop, media_root):
    slug = shop["slug"]
    before = files_on_disk(media_root)
    anon = upload_one(client, slug, None, PNG_1x1)
    assert anon["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    customer = upload_one(client, slug, shop["tokens"]["customer"], PNG_1x1)
    assert customer["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert files_on_disk(media_root) == before
    author = upload_one(client, slug, shop["tokens"]["author"], PNG_1x1)["data"]["uploadMedia"]
    assert author["userErrors"] == [] and author["media"]["id"]


def test_a_failed_insert_removes_the_file(client, shop, media_root, owner):
    slug, admin = shop["slug"], shop["tokens"]["admin"]
    before = files_on_disk(media_root)
    out = upload_one(client, slug, admin, PNG_1x1, alt="x" * 1001)["data"]["uploadMedia"]
    assert out["media"] is None and out["userErrors"][0]["field"] == "altText"
    assert files_on_disk(media_root) == before
    # a disabled content module: a top-level MODULE_DISABLED, nothing on disk
    owner.execute("insert into core.tenant_modules (tenant_id, module_slug, enabled) "
                  "values (core.tenant_id_by_slug(%s), 'content', false) "
                  "on conflict (tenant_id, module_slug) do update set enabled = false", (slug,))
    try:
        off = upload_one(client, slug, admin, PNG_1x1)
        assert off["errors"][0]["extensions"]["code"] == "MODULE_DISABLED"
        library = Gql(client)("{ mediaLibrary { totalCount } }", tenant=slug, token=admin, expect_errors=True)
        assert library["errors"][0]["extensions"]["code"] == "MODULE_DISABLED"
    finally:
        owner.execute("update core.tenant_modules set enabled = true "
                      "where tenant_id = core.tenant_id_by_slug(%s) and module_slug = 'content'", (slug,))
    assert files_on_disk(media_root) == before


def test_several_files_all_or_nothing(client, shop, media_root):
    slug, admin = shop["slug"], shop["tokens"]["admin"]
    before = files_on_disk(media_root)
    ops = {"query": UPLOAD_MANY, "variables": {"f": [None, None], "a": ["one", "two"]}}
    bad = upload(client, slug, admin, {"0": ("a.png", PNG_1x1, "image/png"), "1": ("b.txt", b"hello", "text/plain")},
                 ops, {"0": ["variables.f.0"], "1": ["variables.f.1"]}).json()["data"]["uploadMediaFiles"]
    assert bad["media"] is None
    assert [(e["field"], e["code"]) for e in bad["userErrors"]] == [("files[1]", "UNSUPPORTED_TYPE")]
    assert files_on_disk(media_root) == before
    good = upload(client, slug, admin, {"0": ("a.png", PNG_1x1, "image/png"), "1": ("b.gif", GIF_2x3, "image/gif")},
                  ops, {"0": ["variables.f.0"], "1": ["variables.f.1"]}).json()["data"]["uploadMediaFiles"]
    assert good["userErrors"] == [] and [m["mimeType"] for m in good["media"]] == ["image/png", "image/gif"]
    assert len(files_on_disk(media_root)) == len(before) + 2
    # one file part may fill two variables (the spec's map lists paths)
    same = upload(client, slug, admin, {"0": ("a.png", PNG_1x1, "image/png")}, ops,
                  {"0": ["variables.f.0", "variables.f.1"]}).json()["data"]["uploadMediaFiles"]
    assert same["userErrors"] == [] and len({m["id"] for m in same["media"]}) == 2
    # more files than RUSTOK_MEDIA_MAX_FILES (3 here): refused by the parser
    four = {str(i): (f"{i}.png", PNG_1x1, "image/png") for i in range(4)}
    many = upload(client, slug, admin, four, {"query": UPLOAD_MANY, "variables": {"f": [None] * 4}},
                  {str(i): [f"variables.f.{i}"] for i in range(4)})
    assert many.status_code == 400 and many.json()["errors"][0]["extensions"]["code"] == "BAD_REQUEST"


def test_media_library_is_a_connection(gql, client, owner):
    slug = new_tenant(owner)
    new_user(owner, slug, "lib@media.example", "admin")
    token = login(gql, slug, "lib@media.example")
    ids = [upload_one(client, slug, token, PNG_1x1)["data"]["uploadMedia"]["media"]["id"] for _ in range(5)]
    newest = list(reversed(ids))
    q = ("query($f: Int, $a: String, $l: Int, $b: String) { mediaLibrary(first: $f, after: $a, last: $l, before: $b) { "
         "edges { cursor node { id } } pageInfo { hasNextPage hasPreviousPage endCursor startCursor } totalCount } }")
    page1 = gql(q, {"f": 2}, tenant=slug, token=token)["data"]["mediaLibrary"]
    assert [e["node"]["id"] for e in page1["edges"]] == newest[:2] and page1["totalCount"] == 5
    assert page1["pageInfo"]["hasNextPage"] and not page1["pageInfo"]["hasPreviousPage"]
    walked, after = [], None
    while True:
        page = gql(q, {"f": 2, "a": after}, tenant=slug, token=token)["data"]["mediaLibrary"]
        walked += [e["node"]["id"] for e in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert walked == newest
    back = gql(q, {"l": 2}, tenant=slug, token=token)["data"]["mediaLibrary"]
    assert [e["node"]["id"] for e in back["edges"]] == newest[-2:] and back["pageInfo"]["hasPreviousPage"]
    before = gql(q, {"l": 2, "b": back["pageInfo"]["startCursor"]}, tenant=slug, token=token)["data"]["mediaLibrary"]
    assert [e["node"]["id"] for e in before["edges"]] == newest[1:3]
    too_many = gql(q, {"f": 101}, tenant=slug, token=token, expect_errors=True)
    assert too_many["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    bad_cursor = gql(q, {"f": 2, "a": "bm9wZQ"}, tenant=slug, token=token, expect_errors=True)
    assert bad_cursor["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


def test_images_of_products_and_nodes(gql, client, shop, api_db):
    slug, admin, author = shop["slug"], shop["tokens"]["admin"], shop["tokens"]["author"]
    media = upload_one(client, slug, admin, PNG_1x1, alt="A dot")["data"]["uploadMedia"]["media"]
    out = gql('mutation($p: ID!, $m: [ID!]!) { setProductImages(productId: $p, mediaIds: $m) { userErrors { field code } } }',
              {"p": shop["product"]["id"], "m": [media["id"]]}, tenant=slug, token=admin)["data"]["setProductImages"]
    assert out["userErrors"] == []
    with psycopg.connect(api_db, autocommit=True) as conn:
        conn.execute("select outbox.drain('index')")
    product = gql('{ product(handle: "mug") { images { url altText width mimeType } } }', tenant=slug, token=admin)
    assert product["data"]["product"]["images"] == [{"url": media["url"], "altText": "A dot", "width": 1,
                                                     "mimeType": "image/png"}]
    # the compiled read (anonymous) answers images exactly as ordinary execution does
    q = ('{ product(handle: "mug") { handle images { __typename id url mimeType size width height altText createdAt } } '
         'products(first: 5) { nodes { images { url altText } } } }')
    compiled = client.post("/graphql", json={"query": q}, headers={"X-Tenant": slug})
    ordinary = client.post("/graphql", json={"query": q}, headers={"X-Tenant": slug, "Authorization": f"Bearer {admin}"})
    assert compiled.headers.get("x-execution") == "compiled"
    assert compiled.content == ordinary.content
    assert client.get(json.loads(compiled.content)["data"]["product"]["images"][0]["url"]).content == PNG_1x1
    # another tenant's media id cannot be attached
    foreign = upload_one(client, shop["other"], shop["other_token"], PNG_1x1)["data"]["uploadMedia"]["media"]
    bad = gql('mutation($p: ID!, $m: [ID!]!) { setProductImages(productId: $p, mediaIds: $m) { userErrors { field code } } }',
              {"p": shop["product"]["id"], "m": [foreign["id"]]}, tenant=slug, token=admin)["data"]["setProductImages"]
    assert bad["userErrors"] == [{"field": "mediaIds", "code": "NOT_FOUND"}]
    # nodes: the author attaches images to their own post; another's post is refused
    post = gql('mutation { createNode(input: {kind: post, title: "Hello", body: "hi"}) { node { id } } }',
               tenant=slug, token=author)["data"]["createNode"]["node"]["id"]
    gql('mutation($i: [ID!]!) { publishNodes(ids: $i) { userErrors { code } } }', {"i": [post]}, tenant=slug, token=admin)
    mine = upload_one(client, slug, author, GIF_2x3)["data"]["uploadMedia"]["media"]
    set_images = ('mutation($n: ID!, $m: [ID!]!) { setNodeImages(nodeId: $n, mediaIds: $m) { '
                  'node { id images { id url } } userErrors { field code } position } }')
    done = gql(set_images, {"n": post, "m": [mine["id"], media["id"]]}, tenant=slug, token=author)["data"]["setNodeImages"]
    assert done["userErrors"] == [] and [m["id"] for m in done["node"]["images"]] == [mine["id"], media["id"]]
    twice = gql(set_images, {"n": post, "m": [mine["id"], mine["id"]]}, tenant=slug, token=author)["data"]["setNodeImages"]
    assert twice["userErrors"][0]["code"] == "INVALID"
    page = gql('mutation { createNode(input: {kind: page, title: "About", body: "x"}) { node { id } } }',
               tenant=slug, token=admin)["data"]["createNode"]["node"]["id"]
    refused = gql(set_images, {"n": page, "m": [mine["id"]]}, tenant=slug, token=author, expect_errors=True)
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    with psycopg.connect(api_db, autocommit=True) as conn:
        conn.execute("select outbox.drain('index')")
    read = gql('query($i: ID!) { content(id: $i) { images { url } } }', {"i": post}, tenant=slug)
    assert [m["url"] for m in read["data"]["content"]["images"]] == [mine["url"], media["url"]]
    # compiled (anonymous) and ordinary (signed in) answers of a node's images are the same bytes
    q = ('query($i: ID!) { content(id: $i) { slug images { __typename id url mimeType size width height altText createdAt } } '
         'contents(kind: post, first: 5) { nodes { images { url } } } }')
    compiled = client.post("/graphql", json={"query": q, "variables": {"i": post}}, headers={"X-Tenant": slug})
    ordinary = client.post("/graphql", json={"query": q, "variables": {"i": post}},
                           headers={"X-Tenant": slug, "Authorization": f"Bearer {admin}"})
    assert compiled.headers.get("x-execution") == "compiled"
    assert compiled.content == ordinary.content


def test_rows_stored_in_the_database_keep_working(client, shop, owner):
    """Files uploaded before media moved to disk (storage_key db:<id>, bytes in content.media_data)."""
    slug = shop["slug"]
    row = owner.execute(
        "insert into content.media (tenant_id, storage_key, mime_type, size) "
        "values (core.tenant_id_by_slug(%s), 'db:legacy-' || core.new_id(), 'image/gif', %s) returning id",
        (slug, len(GIF_2x3))).fetchone()
    owner.execute("insert into content.media_data (tenant_id, media_id, data, sha256) "
                  "values (core.tenant_id_by_slug(%s), %s, %s, %s)",
                  (slug, row[0], GIF_2x3, hashlib.sha256(GIF_2x3).hexdigest()))
    got = client.get(f"/t/{slug}/media/{row[0]}")
    assert got.status_code == 200 and got.content == GIF_2x3 and got.headers["content-type"] == "image/gif"
    assert got.headers["etag"] == f'"{hashlib.sha256(GIF_2x3).hexdigest()}"'
    assert client.get(f"/t/{shop['other']}/media/{row[0]}").status_code == 404
    # `rustok media move-to-disk` writes it under the media root and drops the bytes from the database;
    # it is served the same, now from disk; `rustok media check` finds every file in place, then an orphan
    import io

    from rustok import media_cli

    report = io.StringIO()
    assert media_cli.move_to_disk(owner, client.app.state.settings.media_dir(), out=report) == 0
    assert "moved 1 file(s)" in report.getvalue()
    key = owner.execute("select storage_key from content.media where id = %s", (row[0],)).fetchone()[0]
    assert key.startswith("file:") and owner.execute("select count(*) from content.media_data where media_id = %s",
                                                     (row[0],)).fetchone()[0] == 0
    again = client.get(f"/t/{slug}/media/{row[0]}")
    assert again.content == GIF_2x3 and again.headers["etag"] == got.headers["etag"]
    root = client.app.state.settings.media_dir()
    assert media_cli.check(owner, root, out=io.StringIO()) == 0
    orphan = root / "00" / "orphan.png"
    orphan.parent.mkdir(parents=True, exist_ok=True)
    orphan.write_bytes(PNG_1x1)
    report = io.StringIO()
    assert media_cli.check(owner, root, remove_orphans=True, out=report) == 0
    assert "orphan" in report.getvalue() and not orphan.exists()
    (root / key[5:]).unlink()
    assert media_cli.check(owner, root, out=io.StringIO()) == 2
    assert client.get(f"/t/{slug}/media/{row[0]}").status_code == 404


def test_media_by_node_id(client, shop):
    """Media implements Node: node(id:) / nodes(ids:) answer an uploaded file of this tenant (compiled for a
    visitor, ordinary for staff: the same bytes), null for another tenant's."""
    slug, admin = shop["slug"], shop["tokens"]["admin"]
    media = upload_one(client, slug, admin, GIF_2x3, alt="Two by three")["data"]["uploadMedia"]["media"]
    foreign = upload_one(client, shop["other"], shop["other_token"], PNG_1x1)["data"]["uploadMedia"]["media"]
    q = ('query($ids: [ID!]!) { nodes(ids: $ids) { __typename id ... on Media { url mimeType size width height '
         'altText createdAt } } }')
    body = {"query": q, "variables": {"ids": [media["id"], foreign["id"]]}}
    compiled = client.post("/graphql", json=body, headers={"X-Tenant": slug})
    ordinary = client.post("/graphql", json=body, headers={"X-Tenant": slug, "Authorization": f"Bearer {admin}"})
    assert compiled.headers.get("x-execution") == "compiled"
    assert compiled.content == ordinary.content
    found, other = compiled.json()["data"]["nodes"]
    assert other is None
    assert found == {"__typename": "Media", "id": media["id"], "url": media["url"], "mimeType": "image/gif",
                     "size": len(GIF_2x3), "width": 2, "height": 3, "altText": "Two by three",
                     "createdAt": found["createdAt"]}
    assert client.get(found["url"]).content == GIF_2x3
