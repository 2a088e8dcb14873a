"""Admin journey: a staff member uploads a product image through the admin (the multipart mutation uploadMedia,
with progress and errors at the file field), and the storefront's product page shows it."""

from __future__ import annotations

import os
import struct
import zlib

import pytest
from playwright.sync_api import expect

from tests.outbox.helpers import wait_for
from tests.web.admin_helpers import graphql, login_token, make_shop, sign_in
from tests.web.conftest import LiveServer


def png(width: int, height: int, rgb=(200, 60, 40)) -> bytes:
    """A real PNG of one colour (so the browser decodes and shows it)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    row = b"\x00" + bytes(rgb) * width
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(row * height)) + chunk(b"IEND", b""))


@pytest.fixture(scope="module")
def media_root(tmp_path_factory):
    return tmp_path_factory.mktemp("web-media")


@pytest.fixture(scope="module")
def live_server(web_db, media_root):
    """The app with its media root in a temporary directory (RUSTOK_MEDIA_ROOT, read when the app is made)."""
    old = os.environ.get("RUSTOK_MEDIA_ROOT")
    os.environ["RUSTOK_MEDIA_ROOT"] = str(media_root)
    try:
        server = LiveServer(web_db)
    finally:
        if old is None:
            os.environ.pop("RUSTOK_MEDIA_ROOT", None)
        else:
            os.environ["RUSTOK_MEDIA_ROOT"] = old
    with server:
        yield server


def test_staff_uploads_a_product_image_and_the_storefront_shows_it(live_server, page, shots, media_root, tmp_path):
    base = live_server.base_url
    shop = make_shop(live_server.db_url)
    token = login_token(base, shop, "admin")
    made = graphql(base, shop["slug"], 'mutation { createProduct(input: {title: "Red Kite", handle: "red-kite", '
                   'status: published, variants: [{title: "One", sku: "KITE-1", prices: [{amount: 1500, '
                   'currencyCode: "EUR"}], stock: 4}]}) { product { id } userErrors { message } } }', token=token)
    product_id = made["data"]["createProduct"]["product"]["id"]

    sign_in(page, base, shop, "manager")
    page.goto(f"{base}/admin/#/products/{product_id}")
    expect(page.get_by_role("heading", name="Red Kite")).to_be_visible()
    form = page.locator('form[aria-label="Upload an image"]')
    expect(form).to_be_visible()

    # a text file named .png: refused at the file field (the server reads the bytes, not the name)
    fake = tmp_path / "not-really.png"
    fake.write_bytes(b"just some text, not an image")
    form.locator('[data-field="file"]').set_input_files(str(fake))
    form.get_by_role("button", name="Upload").click()
    expect(form.locator('[data-error-for="file"]')).to_contain_text("not a PNG, JPEG, GIF or WebP image")
    expect(form.locator("[data-upload-status]")).to_have_text("Upload refused")
    assert [p for p in media_root.rglob("*") if p.is_file()] == []
    shots(page, "upload-refused")

    # a real image: uploaded, attached, shown as a thumbnail
    kite = tmp_path / "kite.png"
    kite.write_bytes(png(64, 48))
    form.locator('[data-field="file"]').set_input_files(str(kite))
    form.locator('[data-field="alt"]').fill("A red kite")
    form.get_by_role("button", name="Upload").click()
    expect(page.locator("#status")).to_contain_text("Images saved")
    thumb = page.locator("section[aria-labelledby=sec-images-product] .thumbs img")
    expect(thumb).to_have_count(1)
    expect(thumb).to_have_attribute("alt", "A red kite")
    wait_for(lambda: thumb.evaluate("img => img.complete && img.naturalWidth") == 64, timeout=15)
    stored = [p for p in media_root.rglob("*") if p.is_file()]
    assert len(stored) == 1 and stored[0].read_bytes() == kite.read_bytes()
    shots(page, "uploaded")

    # the storefront's product page shows it (served from disk, for this shop)
    wait_for(lambda: graphql(base, shop["slug"], '{ product(handle: "red-kite") { images { url } } }')
             ["data"]["product"], timeout=30, what="the product in the read model")
    page.goto(f"{base}/t/{shop['slug']}/products/red-kite")
    image = page.locator('img[alt="A red kite"]')
    expect(image).to_have_count(1)
    src = image.get_attribute("src")
    assert src.startswith(f"/t/{shop['slug']}/media/")
    wait_for(lambda: image.evaluate("img => img.complete && img.naturalWidth") == 64, timeout=15)
    shots(page, "storefront-product")
    other = make_shop(live_server.db_url, roles=("admin",))
    assert page.request.get(f"{base}/t/{other['slug']}/media/{src.rsplit('/', 1)[1]}").status == 404
