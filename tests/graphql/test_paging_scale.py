"""Keyset paging over 10,000+ products while other sessions insert and update products: in every sort,
forwards and backwards, each product that exists throughout the walk is returned exactly once."""

from __future__ import annotations

import threading

import psycopg
import pytest

from tests.graphql.conftest import new_tenant

pytestmark = pytest.mark.slow

N = 10_050
WALK = """query($s: ProductSort, $q: String, $first: Int, $after: String, $last: Int, $before: String) {
  products(search: $q, sort: $s, currency: "EUR", first: $first, after: $after, last: $last, before: $before) {
    edges { node { id } } pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } }"""


@pytest.fixture(scope="module")
def big_shop(owner, api_db):
    slug = new_tenant(owner)
    # titles and prices repeat (ties broken by id); every product is created in one statement, so created_at
    # ties too; a tenth has no EUR price (sorted last by price)
    owner.execute("""
        with p as (
            insert into commerce.products (tenant_id, title, handle, status)
            select core.tenant_id_by_slug(%s), 'gadget ' || (array['alpha', 'beta', 'gamma', 'delta'])[1 + i %% 4]
                   || ' ' || (i %% 97), 'gadget-' || i, 'published'
            from generate_series(1, %s) i
            returning tenant_id, id, handle),
        v as (insert into commerce.variants (tenant_id, product_id, title, sku)
              select tenant_id, id, 'Default', handle from p returning tenant_id, id, sku)
        insert into commerce.prices (tenant_id, variant_id, amount, currency_code)
        select tenant_id, id, 100 + (split_part(sku, '-', 2)::int %% 50) * 10, 'EUR' from v
        where split_part(sku, '-', 2)::int %% 10 <> 0""", (slug, N))
    with psycopg.connect(api_db, autocommit=True) as conn:
        conn.execute("select outbox.drain('index')")
        ids = {r[0] for r in conn.execute(
            "select product_id::text from index.products where tenant_id = core.tenant_id_by_slug(%s)", (slug,))}
    assert len(ids) == N
    return slug, ids


class Writer(threading.Thread):
    """Inserts new matching products and updates existing ones (not their sort keys), projecting as it goes."""

    def __init__(self, api_db, slug):
        super().__init__(daemon=True)
        self.api_db, self.slug = api_db, slug
        self.stop = threading.Event()
        self.rounds = 0
        self.error = None

    def run(self):
        try:
            with psycopg.connect(self.api_db, autocommit=True) as conn:
                while not self.stop.is_set():
                    conn.execute("""
                        insert into commerce.products (tenant_id, title, handle, status)
                        select core.tenant_id_by_slug(%s), 'gadget ' || md5(random()::text), 'new-' || core.new_id(),
                               'published' from generate_series(1, 5)""", (self.slug,))
                    conn.execute("""
                        update commerce.products set metadata = jsonb_build_object('touched', %s)
                        where tenant_id = core.tenant_id_by_slug(%s)
                          and id in (select id from commerce.products where tenant_id = core.tenant_id_by_slug(%s)
                                     order by random() limit 20)""", (self.rounds, self.slug, self.slug))
                    conn.execute("select outbox.drain('index')")
                    self.rounds += 1
                    self.stop.wait(0.2)
        except Exception as exc:  # reported by the test
            self.error = exc


def walk(gql, slug, sort, search, backwards):
    seen, cursor = [], None
    while True:
        args = {"s": sort, "q": search}
        args.update({"last": 100, "before": cursor} if backwards else {"first": 100, "after": cursor})
        page = gql(WALK, args, tenant=slug)["data"]["products"]
        seen.extend(e["node"]["id"] for e in page["edges"])
        info = page["pageInfo"]
        if not (info["hasPreviousPage"] if backwards else info["hasNextPage"]):
            return seen
        cursor = info["startCursor"] if backwards else info["endCursor"]


@pytest.mark.parametrize("backwards", [False, True], ids=["forwards", "backwards"])
@pytest.mark.parametrize("sort,search", [("newest", None), ("relevance", "gadget"), ("title_asc", None),
                                         ("title_desc", None), ("price_asc", None), ("price_desc", None)])
def test_every_product_exactly_once_while_others_write(gql, api_db, big_shop, sort, search, backwards):
    slug, ids = big_shop
    writer = Writer(api_db, slug)
    writer.start()
    try:
        seen = walk(gql, slug, sort, search, backwards)
    finally:
        writer.stop.set()
        writer.join(30)
    assert writer.error is None, writer.error
    assert writer.rounds > 0, "the writer did not write during the walk"
    assert len(seen) == len(set(seen)), "a product came twice"
    missing = ids - set(seen)
    assert not missing, f"{len(missing)} products never came"


def test_total_count_is_capped(gql, big_shop):
    slug, _ = big_shop
    page = gql("{ products(first: 1) { totalCount totalCountCapped } }", tenant=slug)["data"]["products"]
    assert page == {"totalCount": 10_000, "totalCountCapped": True}
    few = gql('{ products(first: 1, search: "alpha 7") { totalCount totalCountCapped } }', tenant=slug)["data"]["products"]
    assert few["totalCountCapped"] is False and 0 < few["totalCount"] < 10_000
