"""`import`: products loaded through the write model by the generator, products/s (goal >= 5,000/s).

The generator loads in chunks (one transaction each, every trigger on); each chunk is a round in the chart.
The figure is all products over the time of the products phase (products with their options, variants,
prices in three currencies, inventory items, stock levels, a category and a tag)."""

from __future__ import annotations

from rustok.bench.report import Figure, Result
from rustok.bench.runner import Bench


def run(bench: Bench) -> Result:
    load = bench.load
    if load is None:
        raise RuntimeError("import: the data was not generated in this run (the bench tenant already had data)")
    products = load.phases["products"]
    rates = [c["rate"] for c in products.chunks]
    others = {name: {"rows": p.rows, "seconds": round(p.seconds, 2), "rows_per_s": round(p.rate, 1)}
              for name, p in load.phases.items()}
    return Result(
        scenario="import",
        figure=Figure("products loaded through the write model", round(products.rate, 1), "products/s"),
        reference=None,
        goal=">= 5,000 products/s", goal_value=5000, goal_on="figure",
        rounds=[{"chunk": i + 1, **c} for i, c in enumerate(products.chunks)],
        load_before=load.load_before, load_after=load.load_after,
        settings={"chunk_products": load.size.product_chunk, "triggers": "on (events written)"},
        extra={"phases": others, "events_written": load.events, "index_queue_after_load": load.queued,
               "total_load_s": round(load.seconds, 1),
               "rows_per_product": "1 product, 1 option, 1-3 option values, 1-3 variants with their variant_options, "
                                   "3 prices per variant (EUR, USD, GBP), 1 inventory item + variant_inventory + "
                                   "stock level per variant, 1 category link, 1 tag link"},
        notes=["Orders are imported set-based (insert into commerce.orders / order_items), not through "
               "commerce.place_order; the orders scenario measures order placement."],
        charts=[{"kind": "rounds", "title": "products/s per chunk (one transaction each)", "ylabel": "products/s",
                 "series": {"products/s": rates}},
                {"kind": "rounds", "title": "rows/s per chunk, other phases", "ylabel": "rows/s",
                 "series": {name: [c["rate"] for c in p.chunks] for name, p in load.phases.items() if name != "products"}}],
    )
