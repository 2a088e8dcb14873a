"""The HTTP protocol the API serves with: uvicorn's httptools protocol, writing each response in one write.

uvicorn writes a response's status line and headers when the app sends `http.response.start`, and the body
with `http.response.body`: two socket writes (two `send` system calls, two TCP segments with TCP_NODELAY) for
every GraphQL answer, which is one segment of a few kB. Under load those writes were ~20 % of the API
process's time (py-spy, bench/README.md, read side attempt 12). `OneWriteProtocol` holds the head until the
first body message and writes both together; everything else is uvicorn's own code path.

Used by `rustok serve` when uvicorn would pick httptools anyway (it is installed with uvicorn[standard]);
without httptools uvicorn's default (h11) is used unchanged.
"""

from __future__ import annotations

from typing import Any

try:
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol, RequestResponseCycle
except ImportError:  # pragma: no cover - httptools missing: uvicorn's default protocol is used
    HttpToolsProtocol = RequestResponseCycle = None  # type: ignore[assignment,misc]


class _HeldWrites:
    """Stands in for the transport while uvicorn writes a response's head: keeps the bytes."""

    __slots__ = ("real", "parts")

    def __init__(self, real: Any):
        self.real, self.parts = real, []

    def write(self, data: bytes) -> None:
        self.parts.append(data)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real, name)


class _HeadFirst:
    """Stands in for the transport while uvicorn writes the first body part: the held head goes with it."""

    __slots__ = ("real", "head")

    def __init__(self, real: Any, head: bytes):
        self.real, self.head = real, head

    def write(self, data: bytes) -> None:
        head, self.head = self.head, None
        self.real.write(head + data if head else data)

    def close(self) -> None:
        if self.head:
            self.write(b"")
        self.real.close()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real, name)


if HttpToolsProtocol is not None:

    class OneWriteCycle(RequestResponseCycle):  # type: ignore[misc,valid-type]
        """A request/response cycle whose response head waits for the first body part."""

        _held_head: bytes | None = None

        async def send(self, message: Any) -> None:
            kind = message["type"]
            if kind == "http.response.start" and not self.response_started:
                real = self.transport
                held = _HeldWrites(real)
                self.transport = held
                try:
                    await super().send(message)
                finally:
                    self.transport = real
                self._held_head = b"".join(held.parts)
                return
            head = self._held_head
            if head is not None and kind == "http.response.body":
                self._held_head = None
                real = self.transport
                first = _HeadFirst(real, head)
                self.transport = first
                try:
                    await super().send(message)
                finally:
                    self.transport = real
                    if first.head and not self.disconnected:   # uvicorn wrote no body: the head alone
                        real.write(first.head)
                return
            await super().send(message)

    class OneWriteProtocol(HttpToolsProtocol):  # type: ignore[misc,valid-type]
        """uvicorn's httptools protocol whose cycles write each response in one write."""

        def on_headers_complete(self) -> None:
            super().on_headers_complete()
            cycle = getattr(self, "cycle", None)
            # the cycle's task is created but has not run yet: its `send` is looked up when it does
            if cycle is not None and type(cycle) is RequestResponseCycle:
                cycle.__class__ = OneWriteCycle

else:  # pragma: no cover
    OneWriteProtocol = None  # type: ignore[assignment,misc]


def http_protocol() -> Any:
    """The `http=` setting for uvicorn.Config: OneWriteProtocol where httptools is installed, else "auto"."""
    return OneWriteProtocol if OneWriteProtocol is not None else "auto"
