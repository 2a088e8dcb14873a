"""`rustok bench --size smoke`: every scenario produces its figures and files (not timings).

One real run as a user starts it (a subprocess with its own throwaway embedded cluster), about a minute;
plus checks of the generator's pieces against the migrated template database."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from rustok.bench import generate
from rustok.bench.scenarios import SCENARIOS

RATIO_SCENARIOS = {"event-path", "bulk-update", "projector", "orders", "lag"}


@pytest.fixture(scope="module")
def smoke(tmp_path_factory):
    out = tmp_path_factory.mktemp("bench-results")
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    proc = subprocess.run([sys.executable, "-m", "rustok.cli", "bench", "--size", "smoke", "--rounds", "1",
                           "--seconds", "1", "--out", str(out)],
                          env=env, capture_output=True, text=True, timeout=300)
    return proc, out


@pytest.mark.slow
def test_smoke_run_succeeds_and_prints_every_scenario(smoke):
    proc, _ = smoke
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "Traceback" not in proc.stderr
    summary = proc.stdout.split("rustok bench summary", 1)[1]
    for name in SCENARIOS:
        assert f"  {name}: " in summary, summary
    # the generator's progress lines and load rate go to stderr
    assert "products  [" in proc.stderr and "products/s" in proc.stderr


@pytest.mark.slow
@pytest.mark.parametrize("scenario", list(SCENARIOS))
def test_smoke_scenario_writes_json_and_png(smoke, scenario):
    proc, out = smoke
    assert proc.returncode == 0, proc.stderr[-3000:]
    [path] = list(out.glob(f"*-{scenario}.json"))
    doc = json.loads(path.read_text())
    assert doc["scenario"] == scenario
    assert doc["figure"]["value"] > 0 and doc["figure"]["unit"]
    assert doc["goal"] and isinstance(doc["goal_met"], bool)
    assert doc["rounds"] >= 1 and len(doc["round_values"]) == doc["rounds"] or scenario == "import"
    assert doc["date"][:4].isdigit()
    assert len(doc["load_average"]["before"]) == 3 and len(doc["load_average"]["after"]) == 3
    assert doc["machine"]["cores"] >= 1 and doc["machine"]["postgres"].startswith("18")
    assert doc["size"]["name"] == "smoke" and doc["size"]["products"] == generate.SIZES["smoke"].products
    if scenario in RATIO_SCENARIOS:
        assert doc["reference"]["value"] > 0
        assert doc["ratio"] > 0
    png = path.with_suffix(".png")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 10_000


@pytest.mark.slow
def test_smoke_data_is_consistent(smoke):
    proc, out = smoke
    assert proc.returncode == 0, proc.stderr[-3000:]
    imp = json.loads(next(out.glob("*-import.json")).read_text())
    phases = imp["extra"]["phases"]
    size = generate.SIZES["smoke"]
    assert phases["products"]["rows"] == size.products
    assert phases["nodes"]["rows"] + phases["comments"]["rows"] == size.content_nodes
    assert phases["orders"]["rows"] == size.orders
    assert imp["extra"]["events_written"] > size.products  # triggers were on
    # the figure is the set-based import of the same products, next to the generator's rate
    assert imp["extra"]["import_products"] == size.products and imp["extra"]["import_events"] == size.products
    assert imp["reference"]["value"] > 0 and imp["ratio"] > 0
    orders = json.loads(next(out.glob("*-orders.json")).read_text())
    assert orders["extra"]["orders_placed"] > 0             # the hot variants exist and have stock
    lag = json.loads(next(out.glob("*-lag.json")).read_text())
    assert lag["extra"]["samples"] > 0


def test_bench_id_matches_sql(conn):
    generate.setup(conn)
    for kind, n in [(1, 1), (4, 4 * 99_999 + 3), (11, 1_000_000), (9, 123_456)]:
        assert conn.execute("select bench.id(%s, %s) as id", (kind, n)).fetchone()["id"] == generate.bench_id(kind, n)


def test_import_lines_are_the_generators_products(conn):
    """product_doc(n) (the import scenario's input) describes the rows the generator's products block writes."""
    generate.setup(conn)
    for key, mod in [(1, 10), (17, 3), (99_999 * 4 + 3, 20000), (123_456 + 11, 100)]:
        assert conn.execute("select bench.r(%s, %s) as r", (key, mod)).fetchone()["r"] == generate.r(key, mod)
    tenant = conn.execute(generate.load_blocks()["tenant"]).fetchone()["id"]
    params = {"t": tenant, "users": 1, "products": 40, "base": 1, "count": 1, "a": 1, "b": 40}
    for block in ("reference_data", "products"):
        for sql in generate.statements(generate.load_blocks()[block]):
            conn.execute(sql, params)
    for n in (1, 20, 37):
        doc = generate.product_doc(n)
        row = conn.execute("""select p.title, p.description, p.status,
                                     (select array_agg(v.sku order by v.position) from commerce.variants v
                                      where v.tenant_id = p.tenant_id and v.product_id = p.id) as skus,
                                     (select array_agg(x.amount order by v.position, x.currency_code) from commerce.prices x
                                      join commerce.variants v on v.tenant_id = x.tenant_id and v.id = x.variant_id
                                      where v.tenant_id = p.tenant_id and v.product_id = p.id) as amounts,
                                     (select array_agg(l.stocked_quantity order by v.position) from commerce.inventory_levels l
                                      join commerce.variant_inventory vi on vi.tenant_id = l.tenant_id
                                       and vi.inventory_item_id = l.inventory_item_id
                                      join commerce.variants v on v.tenant_id = vi.tenant_id and v.id = vi.variant_id
                                      where v.tenant_id = p.tenant_id and v.product_id = p.id) as stock,
                                     (select c.handle from commerce.product_categories pc join commerce.categories c
                                      on c.tenant_id = pc.tenant_id and c.id = pc.category_id
                                      where pc.tenant_id = p.tenant_id and pc.product_id = p.id) as category,
                                     (select t.name from content.taggables x join content.tags t
                                      on t.tenant_id = x.tenant_id and t.id = x.tag_id
                                      where x.tenant_id = p.tenant_id and x.target_id = p.id) as tag
                              from commerce.products p where p.tenant_id = %s and p.handle = %s""",
                           (tenant, doc["handle"])).fetchone()
        assert row["title"] == doc["title"] and row["description"] == doc["description"]
        assert row["status"] == doc["status"]
        assert row["skus"] == [v["sku"] for v in doc["variants"]]
        by_currency = [sorted((p["currencyCode"], p["amount"]) for p in v["prices"]) for v in doc["variants"]]
        assert row["amounts"] == [amount for prices in by_currency for _, amount in prices]
        assert row["stock"] == [v["stock"]["Main warehouse"] for v in doc["variants"]]
        assert [row["category"]] == doc["categories"] and [row["tag"]] == doc["tags"]


def test_parameterised_blocks_split_into_statements():
    blocks = generate.load_blocks()
    assert set(blocks) >= {"setup", "tenant", "reference_data", "products", "nodes", "comments", "orders"}
    counts = {name: len(generate.statements(blocks[name])) for name in ("products", "nodes", "comments", "orders")}
    assert counts == {"products": 11, "nodes": 3, "comments": 2, "orders": 2}
    for name in ("products", "nodes", "comments", "orders"):
        for sql in generate.statements(blocks[name]):
            assert sql.lstrip().lower().startswith(("insert", "with")), sql[:80]
