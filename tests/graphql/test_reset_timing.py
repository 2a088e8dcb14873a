"""requestPasswordReset answers an unknown email as it answers a registered one: the same text, and the same time
(issue 12: no account enumeration by timing). The API does the same statement either way and pads its answer to a
fixed floor (RUSTOK_PASSWORD_RESET_FLOOR_MS, 250 ms by default); these tests time both branches over HTTP."""

from __future__ import annotations

import statistics
import time
import uuid

from rustok.auth import hash_password
from rustok.config import Settings
from tests.graphql.conftest import new_tenant

RESET = "mutation($e: String!) { requestPasswordReset(email: $e) { message userErrors { field code message } } }"
SAMPLES = 25
TOLERANCE = 0.010   # seconds between the medians (~0.5 ms seen); hashing a password alone takes 20-25 ms here (checked below)


def _timed(gql, slug, email):
    started = time.perf_counter()
    body = gql(RESET, {"e": email}, tenant=slug)
    return time.perf_counter() - started, body["data"]["requestPasswordReset"]


def test_known_and_unknown_emails_answer_alike_in_the_same_time(gql, owner):
    slug = new_tenant(owner)
    # one account per sample, so that every known request really records a reset (no per-account limit kicks in)
    owner.execute("insert into core.users (tenant_id, email, password_hash, role) select core.tenant_id_by_slug(%s), "
                  "'known' || i || '@timing.example', '!', 'customer' from generate_series(1, %s) i", (slug, SAMPLES))
    _timed(gql, slug, "warm-up@timing.example")   # first statement of the connection, plans, caches
    known, unknown, answers = [], [], set()
    for i in range(1, SAMPLES + 1):   # interleaved, so that a slow moment of the machine hits both alike
        took, answer = _timed(gql, slug, f"known{i}@timing.example")
        known.append(took)
        answers.add(repr(answer))
        took, answer = _timed(gql, slug, f"nobody-{uuid.uuid4().hex[:8]}@timing.example")
        unknown.append(took)
        answers.add(repr(answer))
    assert len(answers) == 1   # the same answer
    recorded = owner.execute("select count(*) from core.account_tokens t join core.users u on u.tenant_id = t.tenant_id "
                             "and u.id = t.user_id where u.email like 'known%%@timing.example'").fetchone()[0]
    assert recorded == SAMPLES   # the known branch did its work: one reset each
    floor = Settings().password_reset_floor_ms / 1000
    known_median, unknown_median = statistics.median(known), statistics.median(unknown)
    assert known_median >= floor and unknown_median >= floor, (known_median, unknown_median)
    print(f"medians: known {known_median:.4f} s, unknown {unknown_median:.4f} s")
    assert abs(known_median - unknown_median) < TOLERANCE, (known_median, unknown_median)


def test_the_tolerance_would_catch_a_branch_that_hashes():
    """The tolerance is tighter than the work a careless known-account branch would add (hashing a password),
    so the timing test above can fail."""
    took = []
    for _ in range(5):
        started = time.perf_counter()
        hash_password("a password to hash")
        took.append(time.perf_counter() - started)
    assert statistics.median(took) > TOLERANCE
