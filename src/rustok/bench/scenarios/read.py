"""`read`: the storefront read side against PostGraphile v4 on the same read table (issue 13; goal >= 1.5x).

Three HTTP servers on loopback, one process each, measured in interleaved rounds with `wrk` (16 connections,
2 threads; a Python keep-alive client when wrk is missing, said in the JSON):

- ours: `rustok serve` (one process, compiled reads on: rustok.graphql.compiled), as production runs it;
- ours, ordinary execution (RUSTOK_COMPILED_READS=off), to show what the compiler buys;
- the same compiled SQL run directly through asyncpg (16 connections as rustok_app): the database's share;
- the peer: PostGraphile v4 (bench/postgraphile, `npm ci` on first use; node 20) over security-invoker views of
  index.products in schema bench_pg, as rustok_app with the same tenant setting, so row-level security applies
  to it as to us. Its search is our own index.search_products through a stable wrapper (bench_pg.search).

Requests: a 20-row products page (cards: id, handle, title, subtitle, stock, price range in EUR, cursors,
pageInfo), a search with facets (`velvet coat`, total, cards, category/tag/price/stock facets) and a product
by handle. The figure is our page's requests/s; the reference PostGraphile's; the ratio the goal's (>= 1.5).
Without node or PostGraphile the peer is skipped (noted) and there is no ratio.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import threading
import time
import http.client
from pathlib import Path

from rustok.bench.report import Figure, Result
from rustok.config import default_pool_size
from rustok.bench.runner import Bench, loadavg, median
from rustok.embedded import free_port

PEER_DIR = Path(__file__).resolve().parents[4] / "bench" / "postgraphile"
CONNECTIONS = 16

CARD = "id handle title subtitle inStock priceRange { min { amount currencyCode } max { amount currencyCode } }"
OURS = {
    "page": "query Page { products(first: 20, currency: \"EUR\") { edges { cursor node { %s } } "
            "pageInfo { hasNextPage endCursor } } }" % CARD,
    "search": "query Search { products(search: \"velvet coat\", currency: \"EUR\", first: 20) { totalCount "
              "edges { cursor node { %s } } pageInfo { hasNextPage endCursor } facets { categories { count category "
              "{ id name handle } } tags { count tag { slug name } } priceBuckets { count min { amount } max { amount } } "
              "inStock { inStock count } } } }" % CARD,
    "product": "query Product { product(handle: \"HANDLE\") { " + CARD + " } }",
}
PEER = {
    "page": "query Page { allProducts(first: 20, orderBy: [CREATED_AT_DESC, PRODUCT_ID_DESC], "
            "condition: {status: \"published\"}) { edges { cursor node { productId handle title subtitle hasStock "
            "prices } } pageInfo { hasNextPage endCursor } } }",
    "search": "query Search { search(q: \"velvet coat\", currency: \"EUR\") }",
    "product": "query Product { allProducts(first: 1, condition: {handle: \"HANDLE\", status: \"published\"}) "
               "{ nodes { productId handle title subtitle hasStock prices } } }",
}

PEER_SCHEMA = """
create schema if not exists bench_pg;
comment on schema bench_pg is 'rustok bench read: what PostGraphile (the same-run peer) sees; not part of the platform';
create or replace view bench_pg.products with (security_invoker = true) as
    select p.product_id, p.handle, p.title, p.subtitle, p.status, p.has_stock, p.prices, p.created_at
    from index.products p;
-- @primaryKey: PostGraphile pages a view with a key by keyset (without one it numbers every row for cursors)
comment on view bench_pg.products is E'@primaryKey product_id\nrustok bench read: the read table as PostGraphile serves it (RLS of the caller)';
create or replace function bench_pg.search(q text, currency text) returns jsonb
    language sql stable
as $$ select index.search_products(core.current_tenant_id(), q, '{}', null, 20, 0, currency, false) $$;
comment on function bench_pg.search(text, text) is 'rustok bench read: our search function for PostGraphile';
grant usage on schema bench_pg to rustok_app;
grant select on bench_pg.products to rustok_app;
grant execute on function bench_pg.search(text, text) to rustok_app;
"""


def _wait_http(port: int, proc: subprocess.Popen, path: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server on {port} exited ({proc.returncode})")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"server on {port} did not start within {timeout:.0f} s")


def _post(port: int, path: str, body: bytes, headers: dict) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request("POST", path, body, {"Content-Type": "application/json", **headers})
        resp = conn.getresponse()
        return resp.status, resp.read()
    finally:
        conn.close()


class Target:
    def __init__(self, name: str, port: int, path: str, headers: dict, queries: dict):
        self.name, self.port, self.path, self.headers, self.queries = name, port, path, headers, queries

    def body(self, case: str) -> bytes:
        return json.dumps({"query": self.queries[case]}).encode()

    def check(self, case: str) -> int:
        status, raw = _post(self.port, self.path, self.body(case), self.headers)
        doc = json.loads(raw)
        if status != 200 or doc.get("errors") or not doc.get("data"):
            raise RuntimeError(f"{self.name} {case}: HTTP {status} {raw[:300]!r}")
        return len(raw)


def _wrk(target: Target, case: str, seconds: float, work: Path) -> dict:
    script = work / f"wrk-{target.name}-{case}.lua"
    headers = "".join(f'wrk.headers["{k}"] = "{v}"\n' for k, v in target.headers.items())
    body = target.body(case).decode().replace("\\", "\\\\").replace('"', '\\"')
    script.write_text(f'wrk.method = "POST"\nwrk.headers["Content-Type"] = "application/json"\n{headers}'
                      f'wrk.body = "{body}"\n')
    out = subprocess.run(["wrk", "-t2", f"-c{CONNECTIONS}", f"-d{max(1, round(seconds))}s", "--latency", "-s", str(script),
                          f"http://127.0.0.1:{target.port}{target.path}"], capture_output=True, text=True, timeout=seconds + 60)
    text = out.stdout

    def ms(label: str) -> float:
        m = re.search(rf"{label}%\s+([0-9.]+)(us|ms|s)", text)
        if not m:
            return float("nan")
        value, unit = float(m.group(1)), m.group(2)
        return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value

    rps = re.search(r"Requests/sec:\s+([0-9.]+)", text)
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
    errors = re.search(r"Socket errors: (.*)", text)
    return {"rps": float(rps.group(1)) if rps else 0.0, "p50_ms": ms("50"), "p99_ms": ms("99"),
            "non_2xx": int(bad.group(1)) if bad else 0, "socket_errors": errors.group(1) if errors else None}


def _python_load(target: Target, case: str, seconds: float) -> dict:
    """A keep-alive HTTP client per thread (when wrk is missing); the client shares the cores, so rates are low."""
    body = target.body(case)
    lat: list[float] = []
    bad = [0]
    end = time.monotonic() + seconds
    lock = threading.Lock()

    def worker():
        conn = http.client.HTTPConnection("127.0.0.1", target.port, timeout=30)
        mine = []
        while time.monotonic() < end:
            t0 = time.perf_counter()
            conn.request("POST", target.path, body, {"Content-Type": "application/json", **target.headers})
            resp = conn.getresponse()
            resp.read()
            mine.append((time.perf_counter() - t0) * 1000)
            if resp.status != 200:
                bad[0] += 1
        conn.close()
        with lock:
            lat.extend(mine)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    lat.sort()
    return {"rps": len(lat) / seconds, "p50_ms": median(lat) if lat else float("nan"),
            "p99_ms": lat[int(len(lat) * 0.99)] if lat else float("nan"), "non_2xx": bad[0], "socket_errors": None}


def _start_ours(bench: Bench, compiled: bool) -> tuple[subprocess.Popen, int]:
    port = free_port()
    # the pool as production sizes it (RUSTOK_DB_POOL_SIZE unset: 2 per core, rustok.config.default_pool_size),
    # unless the environment sets it; until 2026-12-02 15:00 the bench gave it CONNECTIONS (16)
    env = dict(os.environ, DATABASE_URL=bench.url, RUSTOK_COMPILED_READS="on" if compiled else "off")
    proc = subprocess.Popen([sys.executable, "-m", "rustok.cli", "serve", "--port", str(port)], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _wait_http(port, proc, "/healthz")
    return proc, port


def _start_peer(bench: Bench, notes: list[str]) -> tuple[subprocess.Popen | None, int]:
    node = shutil.which("node")
    if node is None:
        notes.append("PostGraphile skipped: node is not installed")
        return None, 0
    if not (PEER_DIR / "node_modules" / "postgraphile").is_dir():
        npm = shutil.which("npm")
        if npm is None or bench.size.name == "smoke":
            notes.append("PostGraphile skipped: not installed (cd bench/postgraphile && npm ci)")
            return None, 0
        bench.log("read: installing PostGraphile v4 (npm ci in bench/postgraphile)")
        done = subprocess.run([npm, "ci", "--silent", "--no-audit", "--no-fund"], cwd=PEER_DIR, capture_output=True,
                              text=True, timeout=600)
        if done.returncode != 0:
            notes.append(f"PostGraphile skipped: npm ci failed: {done.stderr.strip()[-300:]}")
            return None, 0
    with bench.owner() as conn:
        conn.execute(PEER_SCHEMA)
    port = free_port()
    proc = subprocess.Popen([node, str(PEER_DIR / "server.js"), bench.url, str(port), str(bench.tenant_id)],
                            env=dict(os.environ, NODE_ENV="production"),   # PostGraphile's fast mode
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _wait_http(port, proc, "/graphql")
    return proc, port


# The landing page with its total and facets: from the read model (the compiled path's function) and by joins
# over the write tables, both as rustok_app with the tenant set (issue 13: the read model >= 20x faster).
READ_MODEL_PAGE = ("select count(*) from index.read_products_page(%s, null, '{}', null, 'EUR', null, null, 20, false, "
                   "true, true)")
JOINS_PAGE = """
with prod as materialized (
    select p.id, p.handle, p.title, p.subtitle, p.created_at,
           (select min(pr.amount) from commerce.variants v
            join commerce.prices pr on pr.tenant_id = v.tenant_id and pr.variant_id = v.id
            where v.tenant_id = p.tenant_id and v.product_id = p.id and pr.currency_code = 'EUR'
              and pr.price_list_id is null) as min_eur,
           (select max(pr.amount) from commerce.variants v
            join commerce.prices pr on pr.tenant_id = v.tenant_id and pr.variant_id = v.id
            where v.tenant_id = p.tenant_id and v.product_id = p.id and pr.currency_code = 'EUR'
              and pr.price_list_id is null) as max_eur
    from commerce.products p
    where p.tenant_id = core.current_tenant_id() and p.status = 'published'),
page as (select * from prod order by created_at desc, id desc limit 21),
cats as (select pc.category_id, count(*) as n from commerce.product_categories pc join prod on prod.id = pc.product_id
         where pc.tenant_id = core.current_tenant_id() group by 1 order by 2 desc limit 50),
tags as (select t.slug, count(*) as n from content.taggables tg join prod on prod.id = tg.target_id
         join content.tags t on t.tenant_id = tg.tenant_id and t.id = tg.tag_id
         where tg.tenant_id = core.current_tenant_id() and tg.target_type = 'product' group by 1 order by 2 desc limit 50),
buckets as (select width_bucket(min_eur, array[0, 1000, 2500, 5000, 10000, 25000, 50000, 100000]::bigint[]) as b,
                   count(*) as n from prod where min_eur is not null group by 1)
select (select count(*) from prod), (select json_agg(page) from page), (select json_agg(cats) from cats),
       (select json_agg(tags) from tags), (select json_agg(buckets) from buckets)
"""


def _read_model_vs_joins(bench: Bench, slug: str, repeat: int) -> dict:
    out = {}
    with bench.app() as conn:
        for name, sql, params in (("read_model_page_ms", READ_MODEL_PAGE, (slug,)), ("joins_page_ms", JOINS_PAGE, ())):
            conn.execute(sql, params).fetchall()   # warm
            times = []
            for _ in range(repeat):
                t0 = time.perf_counter()
                conn.execute(sql, params).fetchall()
                times.append((time.perf_counter() - t0) * 1000)
            out[name] = round(median(times), 3)
    out["read_model_vs_joins"] = round(out["joins_page_ms"] / out["read_model_page_ms"], 1) if out["read_model_page_ms"] else None
    return out


def _compiled_statements(queries: dict, slug: str) -> dict:
    """Our compiled SQL per case (the statement /graphql runs), as asyncpg text and arguments."""
    import json as _json

    from graphql import parse
    from psycopg.types.json import Jsonb

    from rustok.graphql import build_schema
    from rustok.graphql.compiled import CompiledReads
    from rustok.graphql.limits import Limits

    schema = build_schema()
    reads = CompiledReads(schema, Limits())
    out = {}
    for case, text in queries.items():
        plan = reads.plan(parse(text), None)
        params = plan.parameters(schema, {}, slug) if plan else None
        if params is None:
            continue
        # the statement as the API sends it ($n placeholders, converted once per plan)
        args = [_json.dumps(params[n].obj) if isinstance(params[n], Jsonb) else params[n] for n in plan.native_names]
        out[case] = (plan.native_sql.decode("utf-8"), args)
    return out


def _asyncpg_load(bench: Bench, sql: str, args: list, seconds: float) -> dict:
    """The same statement run directly: asyncpg, CONNECTIONS connections as rustok_app, for `seconds`."""
    import asyncio

    import asyncpg

    async def main():
        pool = await asyncpg.create_pool(bench.url, min_size=CONNECTIONS, max_size=CONNECTIONS,
                                         server_settings={"role": "rustok_app"})
        lat: list[float] = []
        try:
            async with pool.acquire() as c:
                await c.fetchval(sql, *args)
            end = time.monotonic() + seconds

            async def worker():
                async with pool.acquire() as c:
                    while time.monotonic() < end:
                        t0 = time.perf_counter()
                        await c.fetchval(sql, *args)
                        lat.append((time.perf_counter() - t0) * 1000)
            await asyncio.gather(*(worker() for _ in range(CONNECTIONS)))
        finally:
            await pool.close()
        lat.sort()
        return {"rps": len(lat) / seconds, "p50_ms": median(lat) if lat else float("nan"),
                "p99_ms": lat[int(len(lat) * 0.99)] if lat else float("nan"), "non_2xx": 0, "socket_errors": None}

    return asyncio.run(main())


def run(bench: Bench) -> Result:
    notes: list[str] = []
    with bench.owner() as conn:
        handle = conn.execute("select handle from index.products where tenant_id = %s and status = 'published' "
                              "order by product_id offset (select count(*) / 2 from index.products where tenant_id = %s) "
                              "limit 1", (bench.tenant_id, bench.tenant_id)).fetchone()[0]
        slug = conn.execute("select slug from core.tenants where id = %s", (bench.tenant_id,)).fetchone()[0]
    ours_q = {k: v.replace("HANDLE", handle) for k, v in OURS.items()}
    peer_q = {k: v.replace("HANDLE", handle) for k, v in PEER.items()}
    procs: list[subprocess.Popen] = []
    load = _wrk if shutil.which("wrk") else None
    if load is None:
        notes.append("wrk is not installed: a Python keep-alive client generated the load (it shares the cores)")
    notes.append(f"our API's pool: {os.environ.get('RUSTOK_DB_POOL_SIZE') or default_pool_size()} connections "
                 f"({'RUSTOK_DB_POOL_SIZE' if os.environ.get('RUSTOK_DB_POOL_SIZE') else 'the default, 2 per core'}); "
                 f"PostGraphile's: pg's default, 10")
    before = loadavg()
    rounds: list[dict] = []
    try:
        p, port = _start_ours(bench, compiled=True)
        procs.append(p)
        ours = Target("ours", port, "/graphql", {"X-Tenant": slug}, ours_q)
        p, port = _start_ours(bench, compiled=False)
        procs.append(p)
        ordinary = Target("ordinary", port, "/graphql", {"X-Tenant": slug}, ours_q)
        targets = [ours, ordinary]
        peer_proc, peer_port = _start_peer(bench, notes)
        if peer_proc is not None:
            procs.append(peer_proc)
            targets.append(Target("postgraphile", peer_port, "/graphql", {}, peer_q))
        sizes = {t.name: {case: t.check(case) for case in OURS} for t in targets}   # also warms every server
        direct = _compiled_statements(ours_q, slug)
        for _ in range(max(1, bench.rounds)):
            row: dict = {}
            for case in OURS:
                for t in targets:
                    stats = load(t, case, bench.seconds, bench.work) if load else _python_load(t, case, bench.seconds)
                    row[f"{t.name}_{case}"] = stats
                    bench.log(f"read: {t.name} {case}: {stats['rps']:,.0f} req/s, p50 {stats['p50_ms']:.1f} ms")
                if case in direct:   # the same SQL without HTTP, GraphQL or Python around it: the database's share
                    stats = _asyncpg_load(bench, *direct[case], bench.seconds)
                    row[f"sql_{case}"] = stats
                    bench.log(f"read: direct SQL (asyncpg) {case}: {stats['rps']:,.0f} statements/s, "
                              f"p50 {stats['p50_ms']:.1f} ms")
            rounds.append(row)
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                p.kill()
    after = loadavg()

    def med(key: str, field: str = "rps") -> float:
        values = [r[key][field] for r in rounds if key in r]
        return median(values) if values else 0.0

    bench.log("read: the landing page from the read model vs by joins over the write tables (as rustok_app)")
    joins = _read_model_vs_joins(bench, slug, 3 if bench.size.name == "smoke" else 7)
    has_peer = any("postgraphile_page" in r for r in rounds)
    extra = {"page_response_bytes": sizes["ours"]["page"], "search_response_bytes": sizes["ours"]["search"],
             "load_generator": "wrk" if load else "python", "connections": CONNECTIONS, **joins}
    for case in OURS:
        extra[f"ours_{case}_per_s"] = round(med(f"ours_{case}"), 1)
        extra[f"ours_{case}_p50_ms"] = round(med(f"ours_{case}", "p50_ms"), 2)
        extra[f"ours_{case}_p99_ms"] = round(med(f"ours_{case}", "p99_ms"), 2)
        extra[f"ordinary_{case}_per_s"] = round(med(f"ordinary_{case}"), 1)
        if has_peer:
            extra[f"postgraphile_{case}_per_s"] = round(med(f"postgraphile_{case}"), 1)
            extra[f"postgraphile_{case}_p50_ms"] = round(med(f"postgraphile_{case}", "p50_ms"), 2)
            peer = med(f"postgraphile_{case}")
            extra[f"ratio_{case}"] = round(med(f"ours_{case}") / peer, 2) if peer else None
        if any(f"sql_{case}" in r for r in rounds):
            extra[f"direct_sql_{case}_per_s"] = round(med(f"sql_{case}"), 1)
        extra[f"compiled_vs_ordinary_{case}"] = (round(med(f"ours_{case}") / med(f"ordinary_{case}"), 2)
                                                 if med(f"ordinary_{case}") else None)
    search_ok = ((not has_peer) or (extra.get("ratio_search") or 0) >= 1.5) and (joins["read_model_vs_joins"] or 0) >= 20
    return Result(
        scenario="read",
        figure=Figure("20-row products page, ours (compiled reads)", round(med("ours_page"), 1), "req/s"),
        reference=Figure("PostGraphile v4 on the same read table", round(med("postgraphile_page"), 1), "req/s")
        if has_peer else None,
        goal="ratio >= 1.5 for the page and for search with facets; read model >= 20x the joins", goal_value=1.5,
        goal_on="ratio",
        rounds=[{k: v["rps"] for k, v in r.items()} for r in rounds],
        load_before=before, load_after=after,
        settings={"connections": CONNECTIONS, "seconds": bench.seconds, "handle": handle},
        extra=extra, notes=notes, also_met=search_ok,
        charts=[{"kind": "rounds", "title": f"{case}: requests/s per round", "ylabel": "req/s",
                 "series": {t: [r[f"{t}_{case}"]["rps"] for r in rounds if f"{t}_{case}" in r]
                            for t in ("ours", "ordinary", "postgraphile", "sql") if f"{t}_{case}" in rounds[0]}}
                for case in OURS],
    )
