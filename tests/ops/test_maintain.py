"""ops.maintain(): every module's upkeep in one call (issue 9 item 3)."""

from __future__ import annotations

import datetime as dt

import psycopg
from psycopg.rows import dict_row

from tests.conftest import make_tenant, make_user


def _quarter_start(d: dt.datetime) -> dt.datetime:
    return dt.datetime(d.year, 3 * ((d.month - 1) // 3) + 1, 1, tzinfo=dt.timezone.utc)


def _add_quarters(d: dt.datetime, n: int) -> dt.datetime:
    m = d.month - 1 + 3 * n
    return d.replace(year=d.year + m // 12, month=m % 12 + 1)


def test_maintain_creates_order_partitions_ahead_and_is_then_quiet(fresh_db):
    with psycopg.connect(fresh_db, autocommit=True, row_factory=dict_row) as c:
        # A database installed long ago: no partition beyond the current quarter.
        now = c.execute("select now() as n").fetchone()["n"]
        this_q = _quarter_start(now)
        for p in c.execute("select partition_name, range_from from commerce.order_partitions() "
                           "where not is_default and range_from > %s", (this_q,)).fetchall():
            c.execute(f"alter table commerce.orders detach partition commerce.{p['partition_name']}")
            c.execute(f"drop table commerce.{p['partition_name']}")
        assert c.execute("select max(range_to) as t from commerce.order_partitions()").fetchone()["t"] <= _add_quarters(this_q, 1)

        done = c.execute("select * from ops.maintain()").fetchall()
        created = [r for r in done if r["module"] == "commerce"]
        assert len(created) == 4, done
        covered = c.execute("select max(range_to) as t from commerce.order_partitions()").fetchone()["t"]
        assert covered >= _add_quarters(this_q, 3)  # at least two quarters ahead of the current one
        # an order placed two quarters from now does not land in the default partition
        assert c.execute("select count(*) as n from commerce.order_partitions() where is_default and row_count > 0"
                         ).fetchone()["n"] == 0
        # nothing left to do
        assert [r for r in c.execute("select * from ops.maintain()").fetchall() if r["module"] == "commerce"] == []


def test_maintain_publishes_due_content_and_purges_old_sessions(fresh_db):
    with psycopg.connect(fresh_db, autocommit=True, row_factory=dict_row) as c:
        t = make_tenant(c)["id"]
        u = make_user(c, t)["id"]
        node = c.execute("insert into content.nodes (tenant_id, kind, title) values (%s, 'post', 'Soon') returning id",
                         (t,)).fetchone()["id"]
        c.execute("select content.schedule_nodes(array[%s]::uuid[], now() + interval '1 second')", (node,))
        c.execute("insert into core.sessions (tenant_id, user_id, token_hash, created_at, expires_at) values "
                  "(%s, %s, repeat('a', 64), now() - interval '40 days', now() - interval '8 days'), "
                  "(%s, %s, repeat('b', 64), now() - interval '10 days', now() - interval '1 day'), "
                  "(%s, %s, repeat('c', 64), now(), now() + interval '1 day')", (t, u, t, u, t, u))
        c.execute("select pg_sleep(1.1)")
        done = c.execute("select module, action, detail from ops.maintain()").fetchall()
        assert {"module": "content", "action": "published", "detail": "1 scheduled nodes"} in done
        assert {"module": "core", "action": "purged", "detail": "1 expired sessions"} in done
        assert c.execute("select status from content.nodes where id = %s", (node,)).fetchone()["status"] == "published"
        # the session expired only a day ago and the live one stay
        assert c.execute("select count(*) as n from core.sessions").fetchone()["n"] == 2


def test_maintain_is_for_operators_only(fresh_db):
    with psycopg.connect(fresh_db, autocommit=True) as c:
        for role in ("rustok_app", "rustok_analyst"):
            assert c.execute("select has_function_privilege(%s, 'ops.maintain(integer)', 'execute')",
                             (role,)).fetchone()[0] is False


def test_maintain_purges_login_throttling_rows_a_day_after_they_expired(fresh_db):
    with psycopg.connect(fresh_db, autocommit=True, row_factory=dict_row) as c:
        t = make_tenant(c)["id"]
        c.execute("insert into core.login_attempts (tenant_id, scope, subject, failures, first_failed_at, "
                  "last_failed_at, expires_at) values "
                  "(%s, 'account', 'old@example.com', 3, now() - interval '2 days', now() - interval '2 days', "
                  " now() - interval '25 hours'), "
                  "(%s, 'account', 'now@example.com', 1, now(), now(), now() + interval '15 minutes')", (t, t))
        c.execute("insert into core.login_address_attempts (address, failures, first_failed_at, last_failed_at, "
                  "expires_at) values "
                  "('192.0.2.7', 9, now() - interval '1 hour', now() - interval '1 hour', now() - interval '45 minutes'), "
                  "('192.0.2.8', 20, now() - interval '3 days', now() - interval '3 days', now() - interval '2 days')")
        done = c.execute("select module, action, detail from ops.maintain()").fetchall()
        assert {"module": "core", "action": "purged", "detail": "2 expired login throttling rows"} in done
        left = c.execute("select subject from core.login_attempts union all "
                         "select address from core.login_address_attempts order by 1").fetchall()
        assert [r["subject"] for r in left] == ["192.0.2.7", "now@example.com"]
        assert not [r for r in c.execute("select * from ops.maintain()").fetchall() if r["module"] == "core"]
