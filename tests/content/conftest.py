"""Fixtures for the content / blog / community tests."""

from __future__ import annotations

import pytest

from content_helpers import make_tenant, make_user


@pytest.fixture
def t1(conn):
    return make_tenant(conn)


@pytest.fixture
def t2(conn):
    return make_tenant(conn)


@pytest.fixture
def author(conn, t1):
    return make_user(conn, t1["id"], role="author", display_name="Ann Author")
