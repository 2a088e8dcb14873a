"""Login hardening through the ASGI app over HTTP (issue 10 item 5): throttling per account and per client address
shared by every API process, no answer (nor its timing) that tells whether an email is registered, and
argon2id rehashing of older password hashes at login."""

from __future__ import annotations

import statistics
import time
import uuid

import pytest
from starlette.testclient import TestClient

from rustok.app import create_app
from rustok.auth import hash_password, needs_rehash
from rustok.config import LoginThrottle, Settings
from tests.core.test_auth import legacy_scrypt_hash
from tests.graphql.conftest import new_tenant, new_user

LOGIN = "mutation($e: String!, $p: String!) { login(email: $e, password: $p) { token user { email } } }"


def _address() -> tuple[str, int]:
    """A client address of its own per app, so one test's failures never count against another's."""
    n = uuid.uuid4().int
    return f"10.{n % 250}.{n // 250 % 250}.{n // 62500 % 250 + 1}", 50000


def _app(api_db, client=None, **policy) -> TestClient:
    settings = Settings(login_throttle=LoginThrottle(**policy))
    return TestClient(create_app(api_db, settings=settings), client=client or _address())


def _login(client: TestClient, slug: str, email: str, password: str) -> tuple[dict, float]:
    start = time.perf_counter()
    resp = client.post("/graphql", json={"query": LOGIN, "variables": {"e": email, "p": password}},
                       headers={"X-Tenant": slug})
    elapsed = time.perf_counter() - start
    body = resp.json()
    if _code(body) == "RATE_LIMITED":  # refused before any password work: 429, and when to come back
        assert resp.status_code == 429, resp.text
        assert resp.headers["retry-after"] == str(body["errors"][0]["extensions"]["retryAfter"])
    else:
        assert resp.status_code in (200, 400), resp.text  # Ariadne answers 400 when data is null
    return body, elapsed


def _code(body: dict) -> str | None:
    return body["errors"][0]["extensions"]["code"] if body.get("errors") else None


def _ok(client, slug, email, password="password123") -> dict:
    body, _ = _login(client, slug, email, password)
    assert not body.get("errors"), body
    return body["data"]["login"]


def _end_blocks(owner, slug: str) -> None:
    """Let the clock run: every current block of this tenant's accounts is over (the counts stay)."""
    owner.execute("update core.login_attempts set blocked_until = clock_timestamp() "
                  "where tenant_id = core.tenant_id_by_slug(%s) and blocked_until is not null", (slug,))


def test_unknown_email_takes_as_long_as_a_wrong_password(api_db, owner):
    """Before: a known email answered in ~55-170 ms, an unknown one in ~6-19 ms (no password check at all)."""
    slug = new_tenant(owner)
    new_user(owner, slug, "known@shop.example", "customer")
    new_user(owner, slug, "gone@shop.example", "customer")
    owner.execute("update core.users set status = 'inactive' where email = 'gone@shop.example'")
    runs = 7
    with _app(api_db, account_limit=1000, address_limit=1000) as client:
        for email in ("known@shop.example", "nobody@shop.example"):  # warm up: pool, dummy hash
            _login(client, slug, email, "wrong-password")
        known, unknown, inactive = [], [], []
        for i in range(runs):  # interleaved, so a busy spell of the machine hits all three alike
            for times, email in ((known, "known@shop.example"), (unknown, f"nobody-{i}@shop.example"),
                                 (inactive, "gone@shop.example")):
                body, elapsed = _login(client, slug, email, f"wrong-{i}")
                assert _code(body) == "UNAUTHENTICATED"
                times.append(elapsed)
                # the same answer, word for word
                assert body["errors"][0]["message"] == "wrong email or password, or the account is not active"
    for other in (unknown, inactive):
        ratio = statistics.median(other) / statistics.median(known)
        assert 0.5 <= ratio <= 2, (ratio, [round(t * 1000) for t in known], [round(t * 1000) for t in other])


def test_lockout_after_the_limit_and_a_success_resets_the_account(api_db, owner):
    """Before: 40 wrong passwords in a row, then the right one signed in."""
    slug = new_tenant(owner)
    new_user(owner, slug, "victim@shop.example", "customer")
    with _app(api_db) as client:  # the default policy: 5 failures per account, 1 s, doubling
        for i in range(5):
            body, _ = _login(client, slug, "victim@shop.example", f"guess-{i}")
            assert _code(body) == "UNAUTHENTICATED", body
        body, _ = _login(client, slug, "Victim@Shop.example", "password123")  # even the right password
        assert _code(body) == "RATE_LIMITED", body
        assert body["errors"][0]["extensions"]["retryAfter"] == 1
        assert body["data"] is None
        # an unknown email is throttled alike: the answer tells nothing about the account
        for i in range(5):
            _login(client, slug, "nobody@shop.example", f"guess-{i}")
        unknown, _ = _login(client, slug, "nobody@shop.example", "password123")
        assert unknown["errors"][0]["message"] == body["errors"][0]["message"]
        assert unknown["errors"][0]["extensions"] == body["errors"][0]["extensions"]

        time.sleep(1.2)  # the first wait is over, by the clock
        assert _ok(client, slug, "victim@shop.example")["user"]["email"] == "victim@shop.example"
        # the success forgot the account's failures: four more do not block it
        for i in range(4):
            assert _code(_login(client, slug, "victim@shop.example", f"again-{i}")[0]) == "UNAUTHENTICATED"
        _ok(client, slug, "victim@shop.example")


def test_the_wait_doubles_with_every_further_failure(api_db, owner):
    slug = new_tenant(owner)
    new_user(owner, slug, "bo@shop.example", "customer")
    with _app(api_db, account_limit=3, max_wait_seconds=6) as client:
        for i in range(3):
            _login(client, slug, "bo@shop.example", f"guess-{i}")
        waits = []
        for i in range(4):
            body, _ = _login(client, slug, "bo@shop.example", "password123")
            assert _code(body) == "RATE_LIMITED", body
            waits.append(body["errors"][0]["extensions"]["retryAfter"])
            _end_blocks(owner, slug)
            assert _code(_login(client, slug, "bo@shop.example", f"more-{i}")[0]) == "UNAUTHENTICATED"
        assert waits == [1, 2, 4, 6]  # up to max_wait_seconds


def test_a_client_address_is_throttled_over_all_emails_and_tenants(api_db, owner):
    shop, other_shop = new_tenant(owner), new_tenant(owner)
    new_user(owner, other_shop, "real@shop.example", "customer")
    address = _address()
    with _app(api_db, client=address, address_limit=4) as sprayer, _app(api_db) as bystander:
        for i in range(2):
            _login(sprayer, shop, f"user{i}@shop.example", "password1")
            _login(sprayer, other_shop, f"user{i}@shop.example", "password1")
        body, _ = _login(sprayer, other_shop, "real@shop.example", "password123")
        assert _code(body) == "RATE_LIMITED" and body["errors"][0]["extensions"]["retryAfter"] == 1
        # the accounts themselves are not blocked: from another address the right password works
        _ok(bystander, other_shop, "real@shop.example")
        # a success does not clear the address's count
        time.sleep(1.2)
        _ok(sprayer, other_shop, "real@shop.example")
        assert _code(_login(sprayer, shop, "user9@shop.example", "password1")[0]) == "UNAUTHENTICATED"
        assert _login(sprayer, shop, "user9@shop.example", "password1")[0]["errors"][0]["extensions"] == {
            "code": "RATE_LIMITED", "retryAfter": 2}


def test_two_api_processes_share_the_counts(api_db, owner):
    """Two apps, each with its own connection pool, against one database (two replicas of the API)."""
    slug = new_tenant(owner)
    new_user(owner, slug, "shared@shop.example", "customer")
    with _app(api_db) as first, _app(api_db) as second:
        for i in range(3):
            assert _code(_login(first, slug, "shared@shop.example", f"a-{i}")[0]) == "UNAUTHENTICATED"
        for i in range(2):
            assert _code(_login(second, slug, "shared@shop.example", f"b-{i}")[0]) == "UNAUTHENTICATED"
        for app in (first, second):
            assert _code(_login(app, slug, "shared@shop.example", "password123")[0]) == "RATE_LIMITED"


def test_another_tenants_same_email_is_not_affected(api_db, owner):
    shop, other_shop = new_tenant(owner), new_tenant(owner)
    for slug in (shop, other_shop):
        new_user(owner, slug, "same@shop.example", "customer")
    with _app(api_db) as client:
        for i in range(5):
            _login(client, shop, "same@shop.example", f"guess-{i}")
        assert _code(_login(client, shop, "same@shop.example", "password123")[0]) == "RATE_LIMITED"
        assert _ok(client, other_shop, "same@shop.example")["user"]["email"] == "same@shop.example"


def _stored_hash(owner, slug: str, email: str) -> str:
    return owner.execute("select password_hash from core.users where tenant_id = core.tenant_id_by_slug(%s) "
                         "and email = %s", (slug, email)).fetchone()[0]


@pytest.mark.parametrize("old_hash", [legacy_scrypt_hash, None], ids=["scrypt", "argon2-outdated"])
def test_older_hashes_are_rehashed_to_argon2id_at_the_next_login(api_db, owner, old_hash):
    from argon2 import PasswordHasher

    slug = new_tenant(owner)
    stored = (old_hash or PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1).hash)("old-password")
    owner.execute("insert into core.users (tenant_id, email, password_hash) values (core.tenant_id_by_slug(%s), "
                  "'old@shop.example', %s)", (slug, stored))
    with _app(api_db) as client:
        assert _code(_login(client, slug, "old@shop.example", "not-it")[0]) == "UNAUTHENTICATED"
        assert _stored_hash(owner, slug, "old@shop.example") == stored  # a wrong password changes nothing
        _ok(client, slug, "old@shop.example", "old-password")
        upgraded = _stored_hash(owner, slug, "old@shop.example")
        assert upgraded.startswith("$argon2id$v=19$m=19456,t=2,p=1$") and not needs_rehash(upgraded)
        _ok(client, slug, "old@shop.example", "old-password")
        assert _stored_hash(owner, slug, "old@shop.example") == upgraded  # current: not rehashed again


def test_register_stores_an_argon2id_hash(gql, owner):
    slug = new_tenant(owner)
    gql('mutation { register(email: "new@shop.example", password: "long enough") { token } }', tenant=slug)
    stored = _stored_hash(owner, slug, "new@shop.example")
    assert stored.startswith("$argon2id$") and not needs_rehash(stored)
    assert hash_password("long enough") != stored
