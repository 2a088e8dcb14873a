"""The API's pool sized to the cores (issue 13 item 4): RUSTOK_DB_POOL_SIZE's default, per API process."""

from __future__ import annotations

import os

import pytest

from rustok import cli
from rustok.config import POOL_FLOOR, Settings, default_index_workers, default_pool_size, usable_cpus
from rustok.errors import ConfigError


def test_the_default_is_two_per_core_shared_by_the_processes_with_a_floor():
    assert default_pool_size(1, cpus=2) == 4
    assert default_pool_size(1, cpus=8) == 16
    assert default_pool_size(4, cpus=8) == 4
    assert default_pool_size(3, cpus=8) == 6           # rounded up
    assert default_pool_size(1, cpus=1) == POOL_FLOOR  # a small machine still has room for a burst
    assert default_pool_size(16, cpus=8) == POOL_FLOOR
    assert 1 <= usable_cpus() <= (os.cpu_count() or 1)
    assert Settings().db_pool_size == default_pool_size(1)


def test_the_projector_slots_default_to_the_cores_up_to_four(monkeypatch):
    assert [default_index_workers(cpus=n) for n in (1, 2, 3, 4, 16)] == [1, 2, 3, 4, 4]
    monkeypatch.delenv("RUSTOK_INDEX_WORKERS", raising=False)
    assert Settings.from_env().index_workers == Settings().index_workers == default_index_workers()
    monkeypatch.setenv("RUSTOK_INDEX_WORKERS", "6")
    assert Settings.from_env().index_workers == 6


def test_from_env(monkeypatch):
    monkeypatch.delenv("RUSTOK_DB_POOL_SIZE", raising=False)
    monkeypatch.delenv("RUSTOK_SERVE_WORKERS", raising=False)
    assert Settings.from_env().db_pool_size == default_pool_size(1)
    monkeypatch.setenv("RUSTOK_SERVE_WORKERS", "3")
    assert Settings.from_env().db_pool_size == default_pool_size(3)
    monkeypatch.setenv("RUSTOK_DB_POOL_SIZE", "7")   # explicit: as given, whatever the processes
    assert Settings.from_env().db_pool_size == 7
    for bad in ("0", "-2", "ten"):
        monkeypatch.setenv("RUSTOK_DB_POOL_SIZE", bad)
        with pytest.raises(ConfigError, match="RUSTOK_DB_POOL_SIZE"):
            Settings.from_env()


def test_serve_workers_share_the_default_pool(monkeypatch):
    """`rustok serve --workers N`: the processes (settings from the environment) see N, and the pool not set
    explicitly is each one's share; an explicit pool stays."""
    monkeypatch.setenv("RUSTOK_SERVE_WORKERS", "1")   # restored after the test
    monkeypatch.delenv("RUSTOK_DB_POOL_SIZE", raising=False)
    settings = cli._serve_settings(Settings.from_env(), 4)
    assert os.environ["RUSTOK_SERVE_WORKERS"] == "4"
    assert settings.serve_workers == 4 and settings.db_pool_size == default_pool_size(4)
    assert Settings.from_env().db_pool_size == settings.db_pool_size   # what each API process computes
    monkeypatch.setenv("RUSTOK_SERVE_WORKERS", "1")
    monkeypatch.setenv("RUSTOK_DB_POOL_SIZE", "9")
    assert cli._serve_settings(Settings.from_env(), 4).db_pool_size == 9
    monkeypatch.setenv("RUSTOK_SERVE_WORKERS", "2")
    same = Settings.from_env()
    assert cli._serve_settings(same, 2) is same   # --workers as the environment says: unchanged
