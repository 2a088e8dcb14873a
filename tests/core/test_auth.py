"""Password hashing (rustok.auth): argon2id with the documented parameters, legacy scrypt hashes still verify
and are rehashed, outdated argon2 parameters are rehashed, and nothing that is not a hash ever matches (after
the same work as a real check)."""

from __future__ import annotations

import base64
import hashlib
import secrets
import time

import pytest
from argon2 import PasswordHasher, Type

from rustok import auth


def legacy_scrypt_hash(password: str) -> str:
    """A hash exactly as rustok 0.1 made them (scrypt N=2^14, r=8, p=1, 16-byte salt, 32-byte digest)."""
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=2**14, r=8, p=1, dklen=32)
    return f"scrypt${2**14}$8$1${base64.b64encode(salt).decode()}${base64.b64encode(digest).decode()}"


def test_new_hashes_are_argon2id_with_the_documented_parameters():
    stored = auth.hash_password("correct horse")
    assert stored.startswith("$argon2id$v=19$m=19456,t=2,p=1$")
    assert stored != auth.hash_password("correct horse")  # salted
    assert auth.verify_password("correct horse", stored)
    assert not auth.verify_password("correct horsf", stored)
    assert not auth.needs_rehash(stored)
    assert auth.check_password("correct horse", stored) == (True, None)
    assert auth.check_password("wrong", stored) == (False, None)


def test_legacy_scrypt_hashes_verify_and_are_rehashed_to_argon2id():
    stored = legacy_scrypt_hash("old password")
    assert auth.verify_password("old password", stored)
    assert not auth.verify_password("old passwore", stored)
    assert auth.needs_rehash(stored)
    ok, new_hash = auth.check_password("old password", stored)
    assert ok and new_hash.startswith("$argon2id$v=19$m=19456,t=2,p=1$")
    assert auth.verify_password("old password", new_hash)
    assert auth.check_password("wrong", stored) == (False, None)  # no rehash without the right password


def test_argon2_hashes_with_outdated_parameters_are_rehashed():
    weaker = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1).hash("pw-123456")
    assert auth.verify_password("pw-123456", weaker)
    assert auth.needs_rehash(weaker)
    ok, new_hash = auth.check_password("pw-123456", weaker)
    assert ok and not auth.needs_rehash(new_hash)
    argon2i = PasswordHasher(type=Type.I).hash("pw-123456")
    assert auth.verify_password("pw-123456", argon2i) and auth.needs_rehash(argon2i)


@pytest.mark.parametrize("stored", ["!unset", "x" * 60, "", "scrypt$bad", "scrypt$16384$8$1$@@$@@",
                                    "scrypt$1000$8$1$AAAA$AAAA", "$argon2id$v=19$m=19456,t=2,p=1$garbage"])
def test_what_is_not_a_hash_never_matches(stored):
    assert not auth.verify_password("", stored)
    assert not auth.verify_password("x" * 60, stored)
    assert auth.check_password("x" * 60, stored) == (False, None)


def _fastest(fn, runs: int = 3) -> float:
    best = float("inf")
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def test_no_account_and_no_usable_hash_cost_a_real_check():
    real = auth.hash_password("secret-password")
    auth.dummy_hash()  # made once per process; not part of what is measured
    one_check = _fastest(lambda: auth.verify_password("guess", real))
    # the fastest of a few runs, compared with a wide margin: a busy machine only makes runs slower
    assert _fastest(lambda: auth.check_password("guess", None)) > one_check / 3
    assert _fastest(lambda: auth.verify_password("guess", "!unset")) > one_check / 3
    assert auth.check_password(auth.dummy_hash(), None) == (False, None)
