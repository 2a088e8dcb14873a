"""Read replicas (issue 16.1, 16.2): a real primary and a real streaming replica made by `rustok db replica`.

The API runs under uvicorn on a loopback port with DATABASE_REPLICA_URLS pointing at the replica.
Replay on the replica is paused (pg_wal_replay_pause) to make it visibly stale: a query without a
position then shows the replica's old data, a query after a mutation's position must not.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import tempfile
import time
import uuid
from pathlib import Path

import httpx
import psycopg
import pytest

from rustok import cli, migrate
from rustok.app import create_app
from rustok.auth import hash_password
from rustok.config import Settings
from rustok.embedded import SUPERUSER, EmbeddedCluster, free_port, replica_for
from rustok.graphql import build_schema
from rustok.ids import parse_id
from rustok.replicas import lsn_to_int, position_lsn, stamp_position
from tests.servers import UvicornServer
from tests.outbox.helpers import wait_for


@pytest.fixture(scope="module")
def clusters():
    """A primary and its replica 1, both our own (the session's shared cluster has no replica)."""
    tmp = Path(tempfile.mkdtemp(prefix="rustok-replica-"))
    primary = EmbeddedCluster(tmp, free_port())
    while any(_busy(primary.port + n) for n in (1, 2)):
        primary = EmbeddedCluster(tmp, free_port())
    primary.start()
    replica = replica_for(primary, 1)
    try:
        migrate.apply(primary.url())
        replica.start()
        yield primary, replica
    finally:
        replica.stop()
        primary.stop()
        shutil.rmtree(tmp, ignore_errors=True)


def _busy(port: int) -> bool:
    from rustok.embedded import port_in_use

    return port_in_use(port)


def _su(cluster) -> psycopg.Connection:
    return psycopg.connect(cluster.url(SUPERUSER, "rustok"), autocommit=True)


def caught_up(primary, replica) -> bool:
    with _su(primary) as p, _su(replica) as r:
        target = p.execute("select pg_current_wal_lsn()").fetchone()[0]
        return r.execute("select pg_last_wal_replay_lsn() >= %s", (target,)).fetchone()[0]


def replay(replica, action: str) -> None:
    with _su(replica) as r:
        r.execute(f"select pg_wal_replay_{action}()")  # action: pause | resume


class Server(UvicornServer):
    """The app under uvicorn in a thread, on a free loopback port."""

    @property
    def router(self):
        return self.app.state.router


def settings_for(primary, replica, **overrides) -> Settings:
    values = dict(database_url=primary.url(), replica_urls=(replica.url(),), replica_check_interval=0.1,
                  replica_max_lag=60.0, replica_wait=0.3)
    values.update(overrides)
    return Settings(**values)


@pytest.fixture
def shop(clusters):
    """A tenant with a staff user, replicated before the test starts."""
    primary, replica = clusters
    slug = f"t-{uuid.uuid4().hex[:8]}"
    with psycopg.connect(primary.url(), autocommit=True) as owner:
        owner.execute("insert into core.tenants (name, slug) values ('Before', %s)", (slug,))
        owner.execute("insert into core.users (tenant_id, email, password_hash, display_name, role) "
                      "values (core.tenant_id_by_slug(%s), 'staff@example.com', %s, 'Staff', 'admin')",
                      (slug, hash_password("password123")))
        # also a platform operator, so that every root query field answers (platformTenants)
        owner.execute("select ops.grant_platform_admin(%s, 'staff@example.com')", (slug,))
    wait_for(lambda: caught_up(primary, replica), timeout=30, what="replica caught up")
    return slug


async def gql(http, slug, query, variables=None, token=None, after=None) -> dict:
    headers = {"X-Tenant": slug}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    if after:
        headers["X-Read-After"] = after
    resp = await http.post("/graphql", json={"query": query, "variables": variables or {}}, headers=headers)
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert not body.get("errors"), body["errors"]
    return body["data"]


TENANT = "{ tenant { name } }"
CREATE = """mutation($input: CreateProductInput!) { createProduct(input: $input) { position product { id } } }"""


def test_positions_carry_the_commit_lsn():
    position = parse_id("01JDKZ00000000000000000000")
    stamped = stamp_position(position, "16/B374D848")
    assert position_lsn(stamped) == lsn_to_int("16/B374D848") == (0x16 << 32) | 0xB374D848
    assert stamped.bytes[:6] == position.bytes[:6]  # the time part, which orders it against event ids, is kept
    assert position_lsn(position) == 0 and position_lsn(None) == 0


def test_replica_cli_start_status_url_stop(clusters, capsys, monkeypatch):
    primary, replica = clusters
    monkeypatch.setenv("RUSTOK_DATA_DIR", str(primary.data_dir))
    monkeypatch.setenv("RUSTOK_DB_PORT", str(primary.port))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    assert cli.main(["db", "replica", "url"]) == 0
    assert capsys.readouterr().out.strip() == replica.url()
    assert cli.main(["db", "replica", "status"]) == 0
    out = capsys.readouterr().out
    assert "running" in out and "replayed to" in out and "bytes" in out
    assert cli.main(["db", "replica", "start"]) == 0
    assert "already running" in capsys.readouterr().err
    # a second replica: created by pg_basebackup, streaming, then removed with its slot
    assert cli.main(["db", "replica", "start", "-n", "2"]) == 0
    try:
        second = replica_for(primary, 2)
        assert second.running() and (second.pgdata / "standby.signal").exists()
        with _su(second) as conn:
            assert conn.execute("select pg_is_in_recovery()").fetchone()[0]
        with _su(primary) as conn:
            wait_for(lambda: conn.execute("select count(*) from pg_stat_replication where state = 'streaming'")
                     .fetchone()[0] == 2, timeout=30, what="two streaming replicas")
    finally:
        assert cli.main(["db", "replica", "remove", "-n", "2"]) == 0
    assert not replica_for(primary, 2).data_dir.exists()
    with _su(primary) as conn:
        assert conn.execute("select count(*) from pg_replication_slots where slot_name = 'rustok_replica_2'"
                            ).fetchone()[0] == 0
    assert cli.main(["db", "replica", "status", "-n", "3"]) == 3
    assert "not created yet" in capsys.readouterr().out


async def test_reads_go_to_the_replica_and_honour_positions(clusters, shop):
    primary, replica = clusters
    slug = shop
    app = create_app(primary.url(), settings=settings_for(primary, replica))
    with Server(app) as server:
        router = server.router
        await asyncio.wait_for(router.wait_checked(), 30)
        assert router.state()[0]["in_rotation"], router.state()
        async with httpx.AsyncClient(base_url=server.base_url, timeout=30) as http:
            token = (await http.post("/graphql", headers={"X-Tenant": slug}, json={
                "query": 'mutation { login(email: "staff@example.com", password: "password123") { token } }'}
            )).json()["data"]["login"]["token"]
            assert (await gql(http, slug, TENANT))["tenant"]["name"] == "Before"
            served = router.replicas[0].served
            assert served >= 1, "queries are served by the replica"

            replay(replica, "pause")
            try:
                # A write the replica cannot see (replay paused), made as an operator in psql would.
                with psycopg.connect(primary.url(), autocommit=True) as owner:
                    owner.execute("update core.tenants set name = 'After' where slug = %s", (slug,))
                    lsn = owner.execute("select pg_current_wal_insert_lsn()::text").fetchone()[0]
                # Without a position: the replica answers, with what it has.
                assert (await gql(http, slug, TENANT))["tenant"]["name"] == "Before"
                # A mutation's position carries its commit LSN: a read after it must not come from the stale replica.
                created = (await gql(http, slug, CREATE, {"input": {"title": "Tee", "handle": f"tee-{uuid.uuid4().hex[:6]}"}},
                                     token=token))["createProduct"]
                position = created["position"]
                assert position_lsn(parse_id(position)) >= lsn_to_int(lsn)
                fallbacks = router.stats.position_fallbacks
                started = time.monotonic()
                assert (await gql(http, slug, TENANT, token=token, after=position))["tenant"]["name"] == "After"
                assert time.monotonic() - started >= router.wait * 0.9, "it waited for the replica first"
                assert router.stats.position_fallbacks == fallbacks + 1, "then the primary answered"
                # indexCaughtUp reads the queue: a stale replica would say "caught up" (it has no delivery row yet)
                assert (await gql(http, slug, "query($p: ID!) { indexCaughtUp(position: $p) }",
                                  {"p": position}, token=token))["indexCaughtUp"] is False
                assert router.stats.position_fallbacks == fallbacks + 2
            finally:
                replay(replica, "resume")
            # Replay resumed: the replica has the write, and serves the read after the position itself.
            served = router.replicas[0].served
            waits = len(router.stats.position_waits)
            assert (await gql(http, slug, TENANT, token=token, after=position))["tenant"]["name"] == "After"
            # (served counts connections: the caller's and the query's; the position is checked once per request)
            assert router.replicas[0].served > served and len(router.stats.position_waits) == waits + 1
            resp = await http.post("/graphql", json={"query": TENANT},
                                   headers={"X-Tenant": slug, "X-Read-After": "not-a-position"})
            assert resp.status_code == 400 and resp.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_lagging_replica_leaves_the_rotation_and_comes_back(clusters, shop):
    primary, replica = clusters
    slug = shop
    app = create_app(primary.url(), settings=settings_for(primary, replica, replica_max_lag=1.0))
    with Server(app) as server:
        router = server.router
        await asyncio.wait_for(router.wait_checked(), 30)
        async with httpx.AsyncClient(base_url=server.base_url, timeout=30) as http:
            replay(replica, "pause")
            try:
                with psycopg.connect(primary.url(), autocommit=True) as owner:
                    owner.execute("update core.tenants set name = 'Lagging' where slug = %s", (slug,))
                await asyncio.to_thread(wait_for, lambda: not router.state()[0]["in_rotation"], 30, 0.05,
                                        "replica out of rotation")
                assert "lagging" in router.state()[0]["reason"]
                served, primary_reads = router.replicas[0].served, router.stats.primary_reads
                # Out of rotation: the primary answers, with fresh data.
                assert (await gql(http, slug, TENANT))["tenant"]["name"] == "Lagging"
                assert router.replicas[0].served == served and router.stats.primary_reads > primary_reads
            finally:
                replay(replica, "resume")
            await asyncio.to_thread(wait_for, lambda: router.state()[0]["in_rotation"], 30, 0.05, "back in rotation")
            served = router.replicas[0].served
            assert (await gql(http, slug, TENANT))["tenant"]["name"] == "Lagging"
            assert router.replicas[0].served > served


def _kill(cluster) -> None:
    pid = cluster.pid()
    assert pid and os.getpgid(pid) != os.getpgid(0)
    os.killpg(os.getpgid(pid), signal.SIGKILL)
    wait_for(lambda: not cluster.running(), timeout=30, what="replica gone")


async def test_replica_killed_and_restarted_under_load_fails_no_request(clusters, shop):
    primary, replica = clusters
    slug = shop
    app = create_app(primary.url(), settings=settings_for(primary, replica, replica_max_lag=5.0))
    failures: list[str] = []
    answers = {"reads": 0, "writes": 0}
    stop = asyncio.Event()
    with Server(app) as server:
        router = server.router
        await asyncio.wait_for(router.wait_checked(), 30)

        async def reader(http):
            while not stop.is_set():
                resp = await http.post("/graphql", json={"query": TENANT}, headers={"X-Tenant": slug})
                if resp.status_code != 200 or resp.json().get("errors"):
                    failures.append(f"read {resp.status_code} {resp.text[:200]}")
                answers["reads"] += 1

        async def writer(http, token):
            while not stop.is_set():
                resp = await http.post("/graphql", headers={"X-Tenant": slug, "Authorization": f"Bearer {token}"},
                                       json={"query": CREATE, "variables": {"input": {
                                           "title": "Load", "handle": f"load-{uuid.uuid4().hex[:8]}"}}})
                body = resp.json()
                if resp.status_code != 200 or body.get("errors"):
                    failures.append(f"write {resp.status_code} {resp.text[:200]}")
                    continue
                position = body["data"]["createProduct"]["position"]
                resp = await http.post("/graphql", json={"query": "query($p: ID!) { indexCaughtUp(position: $p) }",
                                                         "variables": {"p": position}},
                                       headers={"X-Tenant": slug, "Authorization": f"Bearer {token}",
                                                "X-Read-After": position})
                if resp.status_code != 200 or resp.json().get("errors"):
                    failures.append(f"read-after {resp.status_code} {resp.text[:200]}")
                answers["writes"] += 1

        async with httpx.AsyncClient(base_url=server.base_url, timeout=30) as http:
            token = (await http.post("/graphql", headers={"X-Tenant": slug}, json={
                "query": 'mutation { login(email: "staff@example.com", password: "password123") { token } }'}
            )).json()["data"]["login"]["token"]
            tasks = [asyncio.create_task(reader(http)) for _ in range(4)] + [asyncio.create_task(writer(http, token))]
            try:
                await asyncio.to_thread(wait_for, lambda: router.replicas[0].served >= 20, 60, 0.05, "replica serving")
                await asyncio.to_thread(_kill, replica)
                before_restart = answers["reads"]
                await asyncio.to_thread(wait_for, lambda: answers["reads"] >= before_restart + 20, 60, 0.05,
                                        "reads served while the replica is down")
                assert not router.state()[0]["in_rotation"]
                down_served = router.replicas[0].served
                await asyncio.to_thread(replica.start)
                await asyncio.to_thread(wait_for, lambda: router.replicas[0].served >= down_served + 20, 60, 0.05,
                                        "replica back in rotation and serving")
            finally:
                stop.set()
                await asyncio.gather(*tasks)
    assert not failures, failures[:5]
    assert answers["reads"] > 40 and answers["writes"] > 0
    print(f"replica kill under load: {answers['reads']} reads, {answers['writes']} writes + reads after them, "
          f"{router.stats.retried_on_primary} retried on the primary, 0 failed")


def test_replica_lag_in_ops_health(clusters, shop):
    primary, replica = clusters
    with psycopg.connect(primary.url(), autocommit=True) as owner:
        wait_for(lambda: owner.execute("select count(*) from pg_stat_replication where state = 'streaming'"
                                       ).fetchone()[0] == 1, timeout=30, what="the replica streaming")
        status, figure = owner.execute(
            "select status, figure from ops.health() where check_name = 'replica lag'").fetchone()
        assert status == "ok" and figure.startswith("1 replicas, largest lag"), figure
        replica.stop()
        try:
            status, figure = owner.execute(
                "select status, figure from ops.health() where check_name = 'replication slots'").fetchone()
            assert status == "warn" and "rustok_replica_1" in figure, figure
        finally:
            replica.start()


NO_SUCH_ID = "01J0000000000000000000000Z"   # a well-formed id of nothing: the lookup still runs on the standby

QUERIES = {
    "version": "{ version }",
    "tenant": "{ tenant { name slug } }",
    "me": "{ me { email role permissions } }",
    "node": '{ node(id: "%s") { id } }' % NO_SUCH_ID,
    "nodes": '{ nodes(ids: ["%s"]) { id } }' % NO_SUCH_ID,
    "products": '{ products(first: 5, currency: "EUR") { totalCount nodes { title } '
                'facets { categories { count } tags { count } priceBuckets { count } inStock { inStock count } } } }',
    "products (search)": '{ products(search: "replica tee", currency: "EUR") { totalCount nodes { title } } }',
    "product": '{ product(handle: "replica-tee") { title variants { sku prices { amount currencyCode } } } }',
    "categories": "{ categories { name children { name } } }",
    "category": '{ category(handle: "no-such-category") { name } }',
    "contents": "{ contents(first: 5) { totalCount nodes { title } } }",
    "content": '{ content(kind: page, slug: "about") { title } }',
    "contentCategories": "{ contentCategories { name } }",
    "orders": "{ orders(first: 5) { totalCount nodes { displayId } } }",
    "order": '{ order(id: "%s") { id } }' % NO_SUCH_ID,
    "search": '{ search(query: "replica tee", first: 5) { totalCount nodes { __typename } } }',
    "author": '{ author(id: "%s") { name } }' % NO_SUCH_ID,
    "cart": '{ cart(token: "no-such-cart-token") { id } }',
    "tenantDomains": "{ tenantDomains { host } }",
    "viewerPendingComments": '{ viewerPendingComments(contentId: "%s") { totalCount nodes { id } } }' % NO_SUCH_ID,
    "users": "{ users(first: 5) { totalCount nodes { email } } }",
    "modules": "{ modules { module enabled } }",
    "staffOrders": '{ staffOrders(first: 5, filter: {email: "x"}) { totalCount nodes { displayId } } }',
    "priceLists": "{ priceLists { totalCount nodes { id title prices(first: 5) { nodes { amount } } } } }",
    "opsStatus": "{ opsStatus { consumer pending dead lagSeconds } }",
    "deadLetters": "{ deadLetters { totalCount nodes { eventId } } }",
    "verifyIndex": "{ verifyIndex { totalCount nodes { problem } } }",
    "opsHealth": "{ opsHealth { checkName status } }",
    "allCategories": "{ allCategories(first: 5) { totalCount nodes { id name productCount } } }",
    "stockLocations": "{ stockLocations(first: 5) { totalCount nodes { id name } } }",
    "inventoryAdjustments": "{ inventoryAdjustments(first: 5) { totalCount nodes { delta reason } } }",
    "mediaLibrary": "{ mediaLibrary(first: 5) { nodes { id url } totalCount } }",
    "retired": '{ retired(kind: product, key: "no-such-handle") { key reason } }',
    "guestOrder": '{ guestOrder(token: "no-such-order-token") { id } }',
    "staffTags": '{ staffTags(first: 5, search: "x") { totalCount nodes { name productCount contentCount } } }',
    "platformTenants": "{ platformTenants { totalCount nodes { slug isActive domains userCount } } }",
}


async def test_every_query_field_runs_on_a_standby(clusters, shop):
    """A hot standby refuses writes (25006): every root query field must run there as it is (the facet cache,
    for one, fills only in a writable transaction). A query that writes would still be answered, by the
    primary after a retry, so the test asserts that none needed one."""
    primary, replica = clusters
    slug = shop
    app = create_app(primary.url(), settings=settings_for(primary, replica))
    with Server(app) as server:
        router = server.router
        await asyncio.wait_for(router.wait_checked(), 30)
        async with httpx.AsyncClient(base_url=server.base_url, timeout=30) as http:
            token = (await http.post("/graphql", headers={"X-Tenant": slug}, json={
                "query": 'mutation { login(email: "staff@example.com", password: "password123") { token } }'}
            )).json()["data"]["login"]["token"]
            await gql(http, slug, CREATE, {"input": {"title": "Replica tee", "handle": "replica-tee", "status": "published",
                                                     "variants": [{"sku": f"rt-{slug}", "stock": 3, "prices": [
                                                         {"amount": 1500, "currencyCode": "EUR"}]}]}}, token=token)
            with psycopg.connect(primary.url(), autocommit=True) as owner:
                owner.execute("select * from outbox.drain('index')")
            await asyncio.to_thread(wait_for, lambda: caught_up(primary, replica), 30, 0.05, "replica caught up")
            with psycopg.connect(primary.url(), autocommit=True) as owner:
                owner.execute("delete from index.facet_cache")  # a miss: the browse query would fill it if it could
            await asyncio.to_thread(wait_for, lambda: caught_up(primary, replica), 30, 0.05, "replica caught up")
            schema_fields = set(build_schema().query_type.fields)
            covered = {name.split(" ")[0] for name in QUERIES}
            assert schema_fields - {"indexCaughtUp"} <= covered, \
                f"add the new query fields to QUERIES: {sorted(schema_fields - covered - {'indexCaughtUp'})}"
            retried, fallbacks = router.stats.retried_on_primary, router.stats.position_fallbacks
            served = router.replicas[0].served
            for name, query in QUERIES.items():
                data = await gql(http, slug, query, token=token)
                assert data, name
                if name == "products":
                    assert data["products"]["totalCount"] == 1 and data["products"]["nodes"][0]["title"] == "Replica tee"
            assert router.replicas[0].served >= served + len(QUERIES) - 1  # version needs no database
            assert router.stats.retried_on_primary == retried, "a query tried to write on the standby (see the log)"
            assert router.stats.position_fallbacks == fallbacks


async def test_a_write_on_the_standby_marks_the_read_for_a_retry_on_the_primary(clusters):
    """The router's side of the retry (the HTTP handler runs the operation again on the primary when
    `replica_failed` is set, as the kill test shows end to end): a statement refused by the standby because it
    writes (25006) marks the view, without taking the healthy replica out of rotation."""
    from rustok.replicas import DatabaseRouter

    primary, replica = clusters
    router = DatabaseRouter(primary.url(), settings_for(primary, replica))
    await router.open()
    try:
        await router.wait_checked()
        view = router.view(read_only=True)
        with pytest.raises(psycopg.errors.ReadOnlySqlTransaction):
            async with view.connection() as conn:
                assert view.on_replica
                await conn.execute("update core.tenants set name = name where false")
        assert view.replica_failed and router.state()[0]["in_rotation"]
        retry = router.view(read_only=True, force_primary=True)
        async with retry.connection() as conn:
            assert not retry.on_replica
            assert (await (await conn.execute("select pg_is_in_recovery()")).fetchone())[0] is False
    finally:
        await router.close()
