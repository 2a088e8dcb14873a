"""`import`: products loaded through the write model, products/s (goal >= 5,000/s).

The figure is the set-based bulk import (`rustok import products`, rustok.imports: JSON Lines COPYed into a staging
table, one `commerce.import_products` call per chunk, one ProductCreated event per product), loading the same
products as the generator's products phase into a second tenant (`bench-import`) with the same reference data, one
transaction per chunk, once on one connection like the generator (`one_connection_products_per_s`) and once with
`--jobs` = the cores (at most 4) into a third tenant. The figure is the parallel one, as `rustok import products --jobs`
runs on the machine's cores (the issue: "in parallel where the cores allow"); on a one-core machine it is the
one-connection run. The same-run reference is the generator's products phase: the same rows through the ordinary
write path (one insert ... select per table and chunk, every trigger on, ~13 events per product). Each chunk of the
one-connection run is a round in the chart."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from rustok import imports
from rustok.bench import generate
from rustok.bench.report import Figure, Result
from rustok.bench.runner import Bench, loadavg

IMPORT_TENANT = "bench-import"
PARALLEL_TENANT = "bench-import-jobs"


def _import_tenant(bench: Bench, slug: str = IMPORT_TENANT) -> object:
    blocks = generate.load_blocks()
    with bench.owner() as conn:
        with conn.transaction():
            tenant = conn.execute("insert into core.tenants (name, slug) values (%s, %s) returning id",
                                  (slug.replace("-", " ").title(), slug)).fetchone()[0]
            params = {"t": tenant, "users": 0, "products": bench.size.products, "base": 1, "count": 1}
            for sql in generate.statements(blocks["reference_data"]):
                conn.execute(sql, params)
    return tenant


def run(bench: Bench) -> Result:
    load = bench.load
    if load is None:
        raise RuntimeError("import: the data was not generated in this run (the bench tenant already had data)")
    size = bench.size
    old = load.phases["products"]
    load_before = loadavg()
    tenant = _import_tenant(bench)
    with tempfile.TemporaryDirectory(prefix="rustok-bench-import-") as tmp:
        path = Path(tmp) / "products.jsonl"
        generate.write_import_file(path, 1, size.products)
        file_bytes = path.stat().st_size
        lines = path.read_text(encoding="utf-8").splitlines()
        bench.log(f"   importing {size.products:,} products ({file_bytes / 1e6:,.1f} MB of JSON Lines) into "
                  f"{IMPORT_TENANT}, chunks of {size.product_chunk:,}, one transaction each")
        with bench.owner() as conn:
            result = imports.import_products(conn, lines, tenant_id=tenant, chunk_size=size.product_chunk,
                                             source=path.name, commit_every_chunk=True, total=size.products)
        # the same file once more on several connections (rustok import --jobs), into a third tenant
        jobs = min(os.cpu_count() or 1, 4)
        parallel = None
        if jobs > 1:
            second = _import_tenant(bench, PARALLEL_TENANT)
            bench.log(f"   and again on {jobs} connections (--jobs {jobs}) into {PARALLEL_TENANT}")
            with bench.owner() as conn:
                parallel = imports.import_products(conn, lines, tenant_id=second, chunk_size=size.product_chunk,
                                                   source=path.name, commit_every_chunk=True, total=size.products,
                                                   jobs=jobs, connect=bench.owner)
    with bench.owner() as conn:
        events = conn.execute("select count(*) from outbox.events where tenant_id = %s and aggregate_type = 'product'",
                              (tenant,)).fetchone()[0]
        # the projector scenario measures the generator's backlog: the import tenants' queues are not part of it
        discarded = conn.execute("delete from outbox.deliveries d using outbox.events e, core.tenants t "
                                 "where e.id = d.event_id and e.tenant_id = t.id and t.slug = any(%s)",
                                 ([IMPORT_TENANT, PARALLEL_TENANT],)).rowcount
    others = {name: {"rows": p.rows, "seconds": round(p.seconds, 2), "rows_per_s": round(p.rate, 1)}
              for name, p in load.phases.items()}
    best = parallel if parallel is not None else result
    how = f"--jobs {jobs}" if parallel is not None else "one connection"
    return Result(
        scenario="import",
        figure=Figure(f"products imported (rustok import products {how}, set-based)", round(best.rate, 1),
                      "products/s"),
        reference=Figure("the same products through the ordinary write path (generator)", round(old.rate, 1),
                         "products/s"),
        goal=">= 5,000 products/s", goal_value=5000, goal_on="figure",
        rounds=[{"chunk": i + 1, "import_products_per_s": rate,
                 "generator_products_per_s": old.chunks[i]["rate"] if i < len(old.chunks) else None}
                for i, rate in enumerate(result.chunk_rates)],
        load_before=load_before, load_after=loadavg(),
        settings={"chunk_products": size.product_chunk, "transactions": "one per chunk (both paths)",
                  "import": "JSON Lines -> COPY into a temporary staging table -> commerce.import_products per chunk, "
                            "as rustok_app with the tenant set",
                  "reference": "the generator's products phase (every trigger on)"},
        extra={"one_connection_products_per_s": round(result.rate, 1),
               "one_connection_ratio_to_generator": round(result.rate / old.rate, 2) if old.rate else None,
               "import_seconds": round(result.seconds, 1),
               "parallel_jobs": jobs, "parallel_products_per_s": round(parallel.rate, 1) if parallel else None,
               "parallel_ratio_to_generator": round(parallel.rate / old.rate, 2) if parallel and old.rate else None, "import_products": result.products,
               "import_variants": result.variants, "import_prices": result.prices,
               "import_events": events, "import_deliveries_discarded": discarded, "file_mb": round(file_bytes / 1e6, 1),
               "generator_load_before": load.load_before, "phases": others,
               "events_written": load.events, "index_queue_after_load": load.queued,
               "total_load_s": round(load.seconds, 1),
               "rows_per_product": "1 product, 1 option, 1-3 option values, 1-3 variants with their variant_options, "
                                   "3 prices per variant (EUR, USD, GBP), 1 inventory item + variant_inventory + "
                                   "stock level per variant, 1 category link, 1 tag link"},
        notes=["Both paths write the same rows with every constraint and foreign key checked row by row (PostgreSQL "
               "has no set-based foreign key check); the import skips the ~13 events per product (and their "
               "deliveries) of the tables' event triggers and writes one ProductCreated per product instead.",
               "Orders are imported set-based by the generator (insert into commerce.orders / order_items), not "
               "through commerce.place_order; the orders scenario measures order placement."],
        charts=[{"kind": "rounds", "title": "products/s per chunk (one transaction each)", "ylabel": "products/s",
                 "series": {"import (set-based)": result.chunk_rates,
                            "ordinary write path (generator)": [c["rate"] for c in old.chunks]}},
                {"kind": "rounds", "title": "rows/s per chunk, other phases of the generator", "ylabel": "rows/s",
                 "series": {name: [c["rate"] for c in p.chunks] for name, p in load.phases.items() if name != "products"}}],
    )
