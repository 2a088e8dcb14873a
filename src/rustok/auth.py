"""Passwords (argon2id; older scrypt hashes still verify) and session tokens (only their hash is stored).

Password hashes are argon2id in the PHC string format (`$argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>`),
made by argon2-cffi with these parameters:

    memory_cost  19456 KiB (19 MiB)   time_cost  2 passes   parallelism  1 lane
    hash_len     32 bytes             salt_len   16 bytes (random per hash)

That is the first argon2id configuration of the OWASP Password Storage Cheat Sheet. It costs about the
same CPU time per check as the scrypt (N=2^14, r=8, p=1) it replaces, 50-70 ms on a small 2-core server;
RFC 9106's 64 MiB profile costs 5 times that there, and every login holds a pooled connection while
its password is checked. To raise the cost, change the constants below: `needs_rehash` then reports every
older hash, and login rehashes it the next time its owner signs in.

Hashes written before argon2id (`scrypt$N$r$p$salt$digest`, rustok 0.1) still verify, and are rehashed
to argon2id at their owner's next successful login. Anything else stored as a password hash (e.g. the
demo's `!unset`) never matches, after the same work as a real check (`verify_password` below), so that
an account without a usable password answers as slowly as any other.

Hashing and checking are CPU-bound (tens of milliseconds): call them through `asyncio.to_thread`.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import secrets

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

ARGON2_TIME_COST = 2
ARGON2_MEMORY_COST = 19456  # KiB
ARGON2_PARALLELISM = 1
ARGON2_HASH_LEN = 32
ARGON2_SALT_LEN = 16

_hasher = PasswordHasher(time_cost=ARGON2_TIME_COST, memory_cost=ARGON2_MEMORY_COST,
                         parallelism=ARGON2_PARALLELISM, hash_len=ARGON2_HASH_LEN,
                         salt_len=ARGON2_SALT_LEN, type=Type.ID)

STAFF_ROLES = frozenset({"admin", "manager", "editor", "author"})


def hash_password(password: str) -> str:
    """An argon2id hash of `password` with the current parameters (CPU-bound: run it off the event loop)."""
    return _hasher.hash(password)


@functools.cache
def dummy_hash() -> str:
    """An argon2id hash (current parameters) of a random password nobody knows: login checks a password
    against it when there is no account, so an unknown email costs the same time as a known one."""
    return hash_password(secrets.token_urlsafe(32))


def _verify_scrypt(password: str, stored: str) -> bool | None:
    """Check a legacy `scrypt$N$r$p$salt$digest` hash; None when `stored` is not one."""
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return None
        expected = base64.b64decode(digest, validate=True)
        params = dict(salt=base64.b64decode(salt, validate=True), n=int(n), r=int(r), p=int(p))
    except ValueError:  # includes binascii.Error
        return None
    try:
        actual = hashlib.scrypt(password.encode(), **params, dklen=len(expected) or 32)
    except ValueError:  # parameters scrypt refuses (e.g. N not a power of 2)
        return None
    return hmac.compare_digest(actual, expected)


def verify_password(password: str, stored: str) -> bool:
    """True when `password` matches the stored hash (argon2id, or legacy scrypt). A value that is no
    hash at all never matches, after checking `password` against the dummy hash (the same work)."""
    if stored.startswith("$argon2"):
        try:
            return _hasher.verify(stored, password)
        except VerifyMismatchError:
            return False
        except (VerificationError, InvalidHashError):
            pass  # a corrupt argon2 string: no match, after the same work as below
    else:
        legacy = _verify_scrypt(password, stored)
        if legacy is not None:
            return legacy
    check_dummy(password)
    return False


def check_dummy(password: str) -> bool:
    """The work of one password check against `dummy_hash()`; always False. For logins that have no
    account (unknown email, inactive user): they take as long as a wrong password for a real account."""
    try:
        _hasher.verify(dummy_hash(), password)
    except VerificationError:
        pass
    return False


def needs_rehash(stored: str) -> bool:
    """True when a hash that just verified should be replaced by `hash_password`: it is not argon2id
    (legacy scrypt) or its argon2 parameters differ from the current ones."""
    if not stored.startswith("$argon2id$"):
        return True
    try:
        return _hasher.check_needs_rehash(stored)
    except (InvalidHashError, ValueError):
        return True


def check_password(password: str, stored: str | None) -> tuple[bool, str | None]:
    """One login's password work, to run in a thread: (matches, new hash to store or None).

    `stored` None (no such account, or one that may not sign in) costs the same check against the dummy
    hash and never matches. A match on an outdated hash (scrypt, or argon2 with other parameters) also
    returns its argon2id replacement, made with the current parameters."""
    dummy_hash()  # made by the first login of the process, whichever path it takes (not only an unknown email)
    if stored is None:
        return check_dummy(password), None
    if not verify_password(password, stored):
        return False, None
    return True, hash_password(password) if needs_rehash(stored) else None


def new_token() -> str:
    return secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
