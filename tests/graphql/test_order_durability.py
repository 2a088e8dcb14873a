"""Order placement over HTTP releases the tenant's counter at the commit record and answers only once the commit is
on disk (rustok.graphql.db.tenant_write, early_release; docs/commerce.md "Placing orders: locks and the flush").

A commit made with synchronous_commit off is not flushed when it returns: without the flush the API then awaits, the
WAL flushed on the server would usually still be behind the position a response carries (the WAL writer flushes
such commits only every 200 ms), and these checks would fail."""

from __future__ import annotations

from uuid import UUID

from rustok.replicas import position_lsn
from tests.graphql.test_cart_api import ADD, CHECKOUT, _product
from tests.graphql.test_commerce_api import PLACE
from tests.graphql.test_guest_checkout import ADDRESS, GUEST


def _pg_lsn(value: int) -> str:
    return f"{value >> 32:X}/{value & 0xFFFFFFFF:X}"


def _assert_on_disk(owner, position: str) -> None:
    lsn = position_lsn(UUID(position))
    assert lsn > 0, position
    flushed, after_commit = owner.execute(
        "select pg_current_wal_flush_lsn()::text, pg_current_wal_flush_lsn() >= %s::pg_lsn", (_pg_lsn(lsn),)).fetchone()
    assert after_commit, f"the answer came before its commit was flushed: position at {_pg_lsn(lsn)}, flushed {flushed}"


def test_place_order_answers_after_the_flush_every_time(gql, shop, owner):
    slug, staff, buyer = shop
    variant = _product(gql, slug, staff, "flushed-tee", stock=100)
    numbers = []
    for _ in range(25):
        placed = gql(PLACE, {"input": {"currencyCode": "EUR", "items": [{"variantId": variant, "quantity": 1}]}},
                     tenant=slug, token=buyer)["data"]["placeOrder"]
        _assert_on_disk(owner, placed["position"])
        numbers.append(placed["order"]["displayId"])
    # the numbers are the shop's next ones, without gaps
    assert numbers == list(range(numbers[0], numbers[0] + 25))


def test_cart_checkouts_answer_after_the_flush(gql, shop, owner):
    slug, staff, customer = shop
    variant = _product(gql, slug, staff, "flushed-mug", stock=100)
    for _ in range(10):
        # a signed-in customer's cart
        token = gql(ADD, {"v": variant, "q": 1, "c": "EUR"}, tenant=slug, token=customer)["data"]["addToCart"]["token"]
        placed = gql(CHECKOUT, {"t": token}, tenant=slug, token=customer)["data"]["checkoutCart"]
        assert placed["userErrors"] == [], placed
        _assert_on_disk(owner, placed["position"])
        # a guest's cart
        token = gql(ADD, {"v": variant, "q": 1, "c": "EUR"}, tenant=slug)["data"]["addToCart"]["token"]
        guest = gql(GUEST, {"t": token, "e": "guest@example.com", "a": ADDRESS}, tenant=slug)["data"]["checkoutCart"]
        assert guest["userErrors"] == [], guest
        _assert_on_disk(owner, guest["position"])


def test_a_refused_order_still_answers_cleanly_and_writes_nothing(gql, shop, owner):
    slug, staff, buyer = shop
    variant = _product(gql, slug, staff, "flushed-last", stock=1)
    refused = gql(PLACE.replace("position order { id displayId", "position userErrors { code } order { id displayId"),
                  {"input": {"currencyCode": "EUR", "items": [{"variantId": variant, "quantity": 2}]}},
                  tenant=slug, token=buyer)["data"]["placeOrder"]
    assert refused["order"] is None and refused["position"] is None
    assert [e["code"] for e in refused["userErrors"]] == ["OUT_OF_STOCK"]
    assert owner.execute("select count(*) from commerce.orders o join core.tenants t on t.id = o.tenant_id "
                         "where t.slug = %s", (slug,)).fetchone()[0] == 0
