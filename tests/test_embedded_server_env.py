"""The embedded server is started with its allocator settings (rustok.embedded.SERVER_GLIBC_TUNABLES): the effect
(fewer page faults per projector event) is measured in bench/README.md; here, that the settings reach the server
and that an operator's own GLIBC_TUNABLES wins."""

import os
from pathlib import Path

import pytest

from rustok.embedded import SERVER_GLIBC_TUNABLES, server_environment


def test_the_server_environment_adds_the_allocator_settings_unless_the_caller_has_its_own():
    env = server_environment({"PATH": "/usr/bin", "LANG": "C.UTF-8"})
    assert env == {"PATH": "/usr/bin", "LANG": "C.UTF-8", "GLIBC_TUNABLES": SERVER_GLIBC_TUNABLES}
    mine = "glibc.malloc.arena_max=2"
    assert server_environment({"GLIBC_TUNABLES": mine})["GLIBC_TUNABLES"] == mine
    assert "mmap_threshold=16777216" in SERVER_GLIBC_TUNABLES and "trim_threshold=67108864" in SERVER_GLIBC_TUNABLES


def test_the_running_embedded_server_was_started_with_them(pg):
    if os.environ.get("RUSTOK_TEST_DATABASE_URL"):
        pytest.skip("an external test server: not started by rustok")
    with pg.admin() as conn:     # read while the backend lives (an ended process's environ reads empty)
        pid = conn.execute("select pg_backend_pid()").fetchone()[0]
        try:
            environ = Path(f"/proc/{pid}/environ").read_bytes()
        except (FileNotFoundError, PermissionError) as exc:
            pytest.skip(f"cannot read the backend's environment here: {exc}")
    # glibc splits the value at its ':' in place while it reads it, so only the first setting is left readable
    first = SERVER_GLIBC_TUNABLES.split(":")[0]
    assert f"GLIBC_TUNABLES={first}".encode() in environ.split(b"\0")
