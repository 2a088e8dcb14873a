"""Login throttling in SQL (sql/code/core/login.sql), called as the application role: counts per account and per
client address, exponential backoff, reset on success, tenants apart, the table out of the API's reach, one
login per account at a time across connections, and the purge."""

from __future__ import annotations

import threading
import time

import psycopg
import pytest
from psycopg.rows import dict_row

from tests.conftest import act_as_app, make_tenant

FAILED = "select core.login_failed(%s, %s, 3, 5, '15 minutes', '1 second', '10 seconds') as wait"
CHECK = "select core.login_throttle_check(%s, %s) as wait"


def _wait(conn, sql, *params) -> int:
    return conn.execute(sql, params).fetchone()["wait"]


def _fails(conn, sql, params, sqlstate, contains):
    with pytest.raises(psycopg.Error) as info:
        with conn.transaction():
            conn.execute(sql, params)
    assert info.value.sqlstate == sqlstate, (info.value.sqlstate, str(info.value))
    assert contains in str(info.value)


def test_account_blocked_from_the_limit_on_with_a_doubling_wait(conn):
    t = make_tenant(conn)
    act_as_app(conn, t["id"])
    assert _wait(conn, CHECK, "ann@example.com", None) == 0
    waits = [_wait(conn, FAILED, "Ann@Example.com ", None) for _ in range(7)]
    assert waits == [0, 0, 1, 2, 4, 8, 10]  # limit 3: 1 s, doubling, at most 10 s
    assert _wait(conn, CHECK, "ann@example.com", None) == 10  # same account, whatever the case and spaces
    assert _wait(conn, CHECK, "bob@example.com", None) == 0
    conn.execute("reset role")
    row = conn.execute("select scope, subject, failures, blocked_until - last_failed_at as blocked_for, "
                       "expires_at - blocked_until as then_kept from core.login_attempts where tenant_id = %s",
                       (t["id"],)).fetchone()
    assert (row["scope"], row["subject"], row["failures"]) == ("account", "ann@example.com", 7)
    assert row["blocked_for"].total_seconds() == 10 and row["then_kept"].total_seconds() == 900


def test_success_clears_the_account_not_the_address(conn):
    t = make_tenant(conn)
    act_as_app(conn, t["id"])
    for _ in range(3):
        _wait(conn, FAILED, "cy@example.com", "198.51.100.1")
    assert _wait(conn, CHECK, "cy@example.com", None) == 1
    assert conn.execute("select core.login_succeeded('CY@example.com') as r").fetchone()["r"] is True
    assert conn.execute("select core.login_succeeded('cy@example.com') as r").fetchone()["r"] is False
    assert _wait(conn, CHECK, "cy@example.com", None) == 0
    assert _wait(conn, FAILED, "cy@example.com", None) == 0  # counting starts again at 1
    conn.execute("reset role")
    counts = conn.execute("select 'account' as scope, failures from core.login_attempts where subject = 'cy@example.com' "
                          "union all select 'address', failures from core.login_address_attempts "
                          "where address = '198.51.100.1' order by scope").fetchall()
    assert counts == [{"scope": "account", "failures": 1}, {"scope": "address", "failures": 3}]


def test_an_address_is_counted_over_all_tenants_and_an_account_per_tenant(conn):
    a, b = make_tenant(conn), make_tenant(conn)
    act_as_app(conn, a["id"])
    for i in range(3):
        _wait(conn, FAILED, f"user{i}@example.com", "203.0.113.9")
    conn.execute("select core.set_tenant(%s)", (b["id"],))
    assert _wait(conn, CHECK, "user0@example.com", None) == 0  # the same email in another tenant: not blocked
    assert _wait(conn, FAILED, "user0@example.com", "203.0.113.9") == 0
    assert _wait(conn, FAILED, "other@example.com", "203.0.113.9") == 1  # the address's 5th failure
    assert _wait(conn, CHECK, "new@example.com", "203.0.113.9") == 1      # any email, from that address
    assert _wait(conn, CHECK, "new@example.com", "203.0.113.10") == 0
    conn.execute("select core.set_tenant(%s)", (a["id"],))
    assert _wait(conn, CHECK, "new@example.com", "203.0.113.9") == 1      # in every tenant


def test_expired_counts_count_for_nothing(conn):
    t = make_tenant(conn)
    act_as_app(conn, t["id"])
    for _ in range(4):
        _wait(conn, FAILED, "dee@example.com", None)
    assert _wait(conn, CHECK, "dee@example.com", None) == 2
    conn.execute("reset role")
    conn.execute("update core.login_attempts set blocked_until = now() - interval '16 minutes', "
                 "expires_at = now() - interval '1 minute' where tenant_id = %s", (t["id"],))
    act_as_app(conn, t["id"])
    assert _wait(conn, CHECK, "dee@example.com", None) == 0
    assert _wait(conn, FAILED, "dee@example.com", None) == 0
    conn.execute("reset role")
    assert conn.execute("select failures from core.login_attempts where tenant_id = %s",
                        (t["id"],)).fetchone()["failures"] == 1


def test_the_api_role_reaches_the_counts_only_through_the_functions(conn):
    t = make_tenant(conn)
    act_as_app(conn, t["id"])
    _wait(conn, FAILED, "eve@example.com", "192.0.2.1")
    for sql in ("select * from core.login_attempts", "delete from core.login_attempts",
                "select * from core.login_address_attempts", "delete from core.login_address_attempts",
                "select core._login_count_failure(%s, 'account', 'x', now(), 1, '1 s', '1 s', '1 s')" % f"'{t['id']}'",
                "select core._login_count_address_failure('x', now(), 1, '1 s', '1 s', '1 s')",
                "select core.purge_login_attempts()"):
        _fails(conn, sql, (), "42501", "permission denied")
    conn.execute("select core.set_tenant(null)")
    _fails(conn, CHECK, ("eve@example.com", None), "22023", "no tenant")
    _fails(conn, FAILED, ("eve@example.com", None), "22023", "no tenant")
    _fails(conn, "select core.login_succeeded('eve@example.com')", (), "22023", "no tenant")
    conn.execute("select core.set_tenant(%s)", (t["id"],))
    _fails(conn, "select core.login_failed('e@x.io', null, 0, 5)", (), "22023", "at least 1")
    _fails(conn, "select core.login_failed('e@x.io', null, 5, 5, '15 min', '2 s', '1 s')", (), "22023", "p_first_wait")
    conn.execute("reset role")
    assert conn.execute("select count(*) as n from core.login_attempts where tenant_id = %s",
                        (t["id"],)).fetchone()["n"] == 1  # nothing written by the refused calls


def test_functions_are_pinned_security_definers_granted_to_the_app_only(conn):
    rows = conn.execute("""
        select p.oid::regprocedure::text as fn, p.prosecdef as definer, p.proconfig as config,
               has_function_privilege('rustok_app', p.oid, 'execute') as app,
               has_function_privilege('rustok_analyst', p.oid, 'execute') as analyst,
               obj_description(p.oid, 'pg_proc') is not null as commented
        from pg_proc p where p.pronamespace = 'core'::regnamespace and p.proname like any (
            array['login\\_%', '\\_login\\_%', 'purge\\_login\\_%']) order by 1""").fetchall()
    by_name = {r["fn"].split("(")[0]: r for r in rows}
    assert set(by_name) == {"core.login_throttle_check", "core.login_failed", "core.login_succeeded",
                            "core._login_next_failure", "core._login_count_failure", "core._login_account_key",
                            "core._login_count_address_failure", "core.purge_login_attempts"}
    assert all(r["commented"] and not r["analyst"] for r in rows), rows
    for name in ("core.login_throttle_check", "core.login_failed", "core.login_succeeded"):
        r = by_name[name]
        assert r["definer"] and r["config"] == ["search_path=pg_catalog, pg_temp"] and r["app"], r
    for name in ("core._login_next_failure", "core._login_count_failure", "core._login_account_key",
                 "core._login_count_address_failure", "core.purge_login_attempts"):
        assert not by_name[name]["definer"] and not by_name[name]["app"], by_name[name]


def test_one_login_per_account_at_a_time_across_connections(fresh_db):
    """Two API processes guessing one account at once: the second waits for the first's verdict (its
    failure, committed) instead of passing the check alongside it."""
    with psycopg.connect(fresh_db, autocommit=True) as owner:
        tenant = make_tenant(owner)["id"]
    first = psycopg.connect(fresh_db, row_factory=dict_row)
    second = psycopg.connect(fresh_db, row_factory=dict_row)
    try:
        act_as_app(first, tenant)
        act_as_app(second, tenant)
        for _ in range(2):
            _wait(first, FAILED, "fay@example.com", None)
        assert _wait(first, CHECK, "fay@example.com", None) == 0  # the 3rd attempt runs; it holds the lock

        result: dict = {}

        def attempt():
            result["wait"] = _wait(second, CHECK, "FAY@example.com", None)

        other = threading.Thread(target=attempt)
        other.start()
        time.sleep(0.5)
        assert other.is_alive()  # waiting for the first login to finish
        assert _wait(first, FAILED, "fay@example.com", None) == 1  # the 3rd failure blocks the account
        first.commit()
        other.join(10)
        assert result == {"wait": 1}
        second.rollback()
    finally:
        first.close()
        second.close()


def test_purge_deletes_only_what_expired_a_day_ago(conn):
    t = make_tenant(conn)
    act_as_app(conn, t["id"])
    for email in ("old@example.com", "recent@example.com", "live@example.com"):
        _wait(conn, FAILED, email, None)
    conn.execute("reset role")
    conn.execute("update core.login_attempts set expires_at = now() - interval '25 hours' "
                 "where subject = 'old@example.com'")
    conn.execute("update core.login_attempts set expires_at = now() - interval '1 hour' "
                 "where subject = 'recent@example.com'")
    assert conn.execute("select core.purge_login_attempts() as n").fetchone()["n"] == 1
    left = conn.execute("select subject from core.login_attempts where tenant_id = %s order by subject",
                        (t["id"],)).fetchall()
    assert [r["subject"] for r in left] == ["live@example.com", "recent@example.com"]
    _fails(conn, "select core.purge_login_attempts('-1 day')", (), "22023", "p_grace")
