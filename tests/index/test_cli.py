"""`rustok reindex` (chunked, progress on stderr) and the scheduled full reindex job."""

from __future__ import annotations

import asyncio
import logging

import psycopg
import pytest
from psycopg.rows import dict_row

from rustok.cli import main
from rustok.config import Settings
from rustok.errors import ConfigError
from rustok.index import schedule
from rustok.worker_runtime import periodic_jobs
from tests.conftest import make_tenant
from tests.index.conftest import Shop


def _seed(url, slug):
    with psycopg.connect(url, row_factory=dict_row, autocommit=True) as c:
        s = Shop(c, make_tenant(c, slug))
        for i in range(7):
            s.full_product(f"Thing {i}", amount=100 * (i + 1))
        s.node("post", "A post")
        c.execute("select * from outbox.drain('index')")
        # damage the read model behind the consumer's back
        c.execute("update index.products set title = 'broken' where tenant_id = %s", (s.t,))
        c.execute("delete from index.content where tenant_id = %s", (s.t,))
        assert len(c.execute("select * from index.verify(%s)", (s.t,)).fetchall()) == 8
        return s.t


def test_reindex_command_repairs_one_tenant_with_progress(fresh_db, monkeypatch, capsys):
    t1 = _seed(fresh_db, "shop-one")
    t2 = _seed(fresh_db, "shop-two")
    monkeypatch.setenv("DATABASE_URL", fresh_db)
    assert main(["reindex", "--tenant", "shop-one", "--chunk-size", "3", "--jobs", "2"]) == 0   # 3 chunks, 2 connections
    err = capsys.readouterr().err
    assert "100% 8/8 shop-one" in err and "8 rows, 8 succeeded, 0 failed" in err
    with psycopg.connect(fresh_db) as c:
        assert c.execute("select * from index.verify(%s)", (t1,)).fetchall() == []
        assert len(c.execute("select * from index.verify(%s)", (t2,)).fetchall()) == 8   # untouched
    assert main(["reindex", "--quiet"]) == 0                                            # every tenant
    assert "reindexed 2 tenant(s)" in capsys.readouterr().err
    with psycopg.connect(fresh_db) as c:
        assert c.execute("select * from index.verify(%s)", (t2,)).fetchall() == []


def test_reindex_command_errors(fresh_db, monkeypatch, capsys):
    monkeypatch.setenv("DATABASE_URL", fresh_db)
    assert main(["reindex", "--tenant", "nope"]) == 1
    assert "no tenant with slug 'nope'" in capsys.readouterr().err
    assert main(["reindex", "--chunk-size", "0"]) == 1
    assert "--chunk-size must be at least 1" in capsys.readouterr().err
    assert main(["reindex", "--jobs", "0"]) == 1
    assert "--jobs must be at least 1" in capsys.readouterr().err


@pytest.mark.parametrize("value, expected", [("03:00", "03:00"), ("4:5", "04:05"), ("off", None), ("OFF", None),
                                             ("23:59", "23:59")])
def test_schedule_setting(value, expected):
    assert schedule.parse_reindex_at(value) == expected


@pytest.mark.parametrize("value", ["24:00", "3", "noon", "12:60", ""])
def test_bad_schedule_setting_is_a_clear_error(value):
    with pytest.raises(ConfigError, match="RUSTOK_INDEX_FULL_REINDEX_AT"):
        schedule.parse_reindex_at(value)


def test_the_worker_gets_the_daily_job_from_settings():
    jobs = periodic_jobs(Settings(index_full_reindex_at="02:30"))
    job = next(j for j in jobs if j.name == schedule.JOB_NAME)
    assert job.daily_at == "02:30" and job.run is schedule.full_reindex
    assert schedule.job(Settings(index_full_reindex_at="off")) is None
    assert all(j.name != schedule.JOB_NAME for j in periodic_jobs(Settings(index_full_reindex_at="off")))


def test_the_scheduled_job_reindexes_every_tenant(fresh_db):
    t1 = _seed(fresh_db, "nightly-a")

    async def run():
        async with await psycopg.AsyncConnection.connect(fresh_db, autocommit=True) as conn:
            return await schedule.full_reindex(conn)

    results = asyncio.run(run())
    assert [(r["tenant"], r["total"], r["failed"]) for r in results] == [("nightly-a", 8, 0)]
    with psycopg.connect(fresh_db) as c:
        assert c.execute("select * from index.verify(%s)", (t1,)).fetchall() == []


def test_bad_schedule_setting_warns_once_and_the_other_jobs_still_run(monkeypatch, caplog, capsys):
    from rustok.cli import build_parser

    with caplog.at_level(logging.WARNING, logger="rustok.worker_runtime"):
        jobs = periodic_jobs(Settings(index_full_reindex_at="25:99"))
    warnings = [r.getMessage() for r in caplog.records]
    assert len(warnings) == 1
    assert "RUSTOK_INDEX_FULL_REINDEX_AT must be HH:MM" in warnings[0] and "scheduled full reindex is off" in warnings[0]
    assert [j.name for j in jobs] == ["ops.maintain"]
    # Other commands do not care: building the parser reads no schedule setting and says nothing.
    monkeypatch.setenv("RUSTOK_INDEX_FULL_REINDEX_AT", "25:99")
    monkeypatch.setenv("DATABASE_URL", "mysql://nope")
    build_parser()
    assert capsys.readouterr().err == ""
    monkeypatch.setenv("RUSTOK_INDEX_FULL_REINDEX_AT", "04:15")
    monkeypatch.delenv("DATABASE_URL")
    settings = Settings.from_env()
    assert next(j for j in periodic_jobs(settings) if j.name == schedule.JOB_NAME).daily_at == "04:15"
