"""The app under uvicorn in a thread, on a free loopback port: real HTTP for tests that need a server
(outages, replicas, browsers)."""

from __future__ import annotations

import threading

import uvicorn

from rustok.embedded import free_port
from rustok.httpserver import http_protocol
from tests.outbox.helpers import wait_for


class UvicornServer:
    def __init__(self, app, *, start_timeout: float = 30):
        self.app = app
        self.port = free_port()
        self.start_timeout = start_timeout
        # the protocol `rustok serve` uses (one write per response: rustok.httpserver)
        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=self.port, log_config=None,
                                                    access_log=False, lifespan="on", http=http_protocol()))
        self.thread = threading.Thread(target=self.server.run, daemon=True, name="uvicorn-test-server")

    def __enter__(self):
        self.thread.start()
        wait_for(lambda: self.server.started, timeout=self.start_timeout, what="uvicorn started")
        return self

    def __exit__(self, *exc) -> None:
        self.server.should_exit = True
        self.thread.join(30)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"
