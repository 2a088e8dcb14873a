"""The HTTP protocol `rustok serve` uses (rustok.httpserver.OneWriteProtocol): each response's head goes out
with its first body part in one socket write (issue 13, the HTTP layer), and responses stay what uvicorn's own
protocol sends: plain, streamed, HEAD, 304, an app that fails after starting its response. A real uvicorn
server on a loopback port; the test counts the writes on the real socket's transport."""

from __future__ import annotations

import socket
import threading

import httpx
import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from rustok.embedded import free_port
from rustok.httpserver import OneWriteProtocol, http_protocol
from tests.outbox.helpers import wait_for

pytestmark = pytest.mark.skipif(OneWriteProtocol is None, reason="httptools is not installed")

WRITES: list[bytes] = []


class _CountingTransport:
    def __init__(self, real):
        self.real = real

    def write(self, data):
        WRITES.append(bytes(data))
        self.real.write(data)

    def __getattr__(self, name):
        return getattr(self.real, name)


class CountingProtocol(OneWriteProtocol):  # type: ignore[misc,valid-type]
    def connection_made(self, transport):
        super().connection_made(_CountingTransport(transport))


async def plain(request):
    return JSONResponse({"data": {"hello": "world" * 200}})


async def streamed(request):
    async def parts():
        yield b"first,"
        yield b"second"
    return StreamingResponse(parts(), media_type="text/plain")


async def not_modified(request):
    return Response(status_code=304, headers={"etag": '"x"'})


async def broken(request):
    async def parts():
        yield b"begun"
        raise RuntimeError("the app failed after starting its response")
    return StreamingResponse(parts(), media_type="text/plain")


@pytest.fixture(scope="module")
def server():
    app = Starlette(routes=[Route("/plain", plain, methods=["GET", "HEAD"]), Route("/streamed", streamed),
                            Route("/304", not_modified), Route("/broken", broken)])
    port = free_port()
    srv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None, access_log=False,
                                        http=CountingProtocol, lifespan="off"))
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    wait_for(lambda: srv.started, timeout=30, what="uvicorn started")
    yield f"http://127.0.0.1:{port}"
    srv.should_exit = True
    thread.join(30)


def _writes_of(call):
    WRITES.clear()
    result = call()
    return result, list(WRITES)


def test_serve_uses_the_one_write_protocol():
    assert http_protocol() is OneWriteProtocol


def test_a_response_is_one_write(server):
    with httpx.Client(base_url=server) as http:
        resp, writes = _writes_of(lambda: http.get("/plain"))
    assert resp.status_code == 200 and resp.json()["data"]["hello"] == "world" * 200
    assert len(writes) == 1 and writes[0].startswith(b"HTTP/1.1 200 OK\r\n") and writes[0].endswith(b"world\"}}")


def test_keep_alive_requests_each_one_write(server):
    with httpx.Client(base_url=server) as http:
        resps, writes = _writes_of(lambda: [http.get("/plain") for _ in range(5)])
    assert [r.status_code for r in resps] == [200] * 5 and len(writes) == 5


def test_streamed_head_goes_with_the_first_part(server):
    with httpx.Client(base_url=server) as http:
        resp, writes = _writes_of(lambda: http.get("/streamed"))
    assert resp.text == "first,second"
    assert writes[0].startswith(b"HTTP/1.1 200 OK\r\n") and b"first," in writes[0] and b"second" not in writes[0]


def test_head_and_304_answer_with_their_head_only(server):
    with httpx.Client(base_url=server) as http:
        head, writes = _writes_of(lambda: http.head("/plain"))
        assert head.status_code == 200 and head.content == b"" and len(writes) == 1
        cached, writes = _writes_of(lambda: http.get("/304"))
        assert cached.status_code == 304 and cached.headers["etag"] == '"x"' and len(writes) == 1


def test_an_app_failing_mid_response_closes_the_connection_after_the_head(server):
    host, port = server.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(b"GET /broken HTTP/1.1\r\nHost: x\r\n\r\n")
        received = b""
        while chunk := sock.recv(65536):
            received += chunk
    assert received.startswith(b"HTTP/1.1 200 OK\r\n") and b"begun" in received
    # the server is still serving
    with httpx.Client(base_url=server) as http:
        assert http.get("/plain").status_code == 200
