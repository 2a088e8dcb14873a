"""The browser harness itself: Chromium renders a page served by the live app."""


def test_chromium_reaches_the_live_app(live_server, page, shots):
    response = page.goto(live_server.base_url + "/healthz")
    assert response is not None and response.status == 200
    assert '"ok"' in page.content()
    assert shots(page, "healthz").stat().st_size > 0
