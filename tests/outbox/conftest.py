"""Fixtures of the outbox tests (helpers live in helpers.py)."""

import pytest

from .helpers import WorkerThread


@pytest.fixture
def workers():
    started: list[WorkerThread] = []

    def start(url: str, **config) -> WorkerThread:
        w = WorkerThread(url, **config).start()
        started.append(w)
        return w

    yield start
    for w in started:
        w.stop()
