"""`orders`: order placement under contention, orders/s (goal: ratio >= 0.5).

pgbench, 16 clients, one `commerce.checkout` per transaction (the API's function: commerce.place_order for
the tenant in the session) of one of 10 hot variants, quantity 1, as rustok_app with the tenant set. Every
order takes the tenant's display_id counter row and one of ten stock rows, so this measures placement
under lock contention. The hot variants' stock is raised first so no order fails for want of stock.

The figure runs what the API runs (rustok.graphql.db.tenant_write with early_release): the checkout committed with
synchronous_commit off (its locks go at the commit record), then the flush awaited before the order counts
(rustok.graphql.db.FLUSHED_LSN). Beside it, untimed for the ratio: the same checkout committed synchronously
(`checkout_synchronous`, one statement, as a psql caller runs it).

Reference, interleaved: the same work as plain SQL on plain tables (bench.ref_stock, bench.ref_counter,
bench.ref_orders): one stock row update + counter update + insert, in one statement, same clients and role,
committed synchronously (the issue's reference); beside it the same statement with the figure's early release and
flush (`reference_early_release`), so the gain of that trick alone can be read off.
"""

from __future__ import annotations

from rustok.bench import generate
from rustok.bench.report import Figure, Result
from rustok.bench.runner import Bench, loadavg, median, percentile
from rustok.graphql.db import FLUSHED_LSN

HOT = 10

CHECKOUT_CALL = ("commerce.checkout('EUR', jsonb_build_array(jsonb_build_object("
                 "'variant_id', (array[{ids}]::uuid[])[:v], 'quantity', 1)))")

# as the API places an order: early release, then the flush before the client hears of it
CHECKOUT_SCRIPT = ("\\set v random(1, {hot})\n"
                   f"select set_config('synchronous_commit', 'off', true), {CHECKOUT_CALL};\n"
                   f"{FLUSHED_LSN};\n")

CHECKOUT_SYNC_SCRIPT = f"\\set v random(1, {{hot}})\nselect {CHECKOUT_CALL};\n"

REFERENCE_SCRIPT = """\\set v random(1, {hot})
with s as (update bench.ref_stock set reserved = reserved + 1 where id = :v returning id),
     c as (update bench.ref_counter set last_id = last_id + 1 where id = 1 returning last_id)
insert into bench.ref_orders (display_id, variant, quantity) select c.last_id, s.id, 1 from s, c;
"""

REFERENCE_EARLY_SCRIPT = REFERENCE_SCRIPT.replace(
    "with s as", "with o as (select set_config('synchronous_commit', 'off', true)),\n     s as"
).replace("from s, c;", "from s, c, o;") + f"{FLUSHED_LSN};\n"


def hot_variants(bench: Bench) -> list:
    """Variant 1 of the first HOT published products (the generator makes every 20th product a draft)."""
    rows = [n for n in range(1, bench.size.products + 1) if n % 20 != 0][:HOT]
    return [generate.bench_id(generate.VARIANT, generate.variant_row(n)) for n in rows]


def run(bench: Bench, clients: int = 16) -> Result:
    bench.discard_queue()   # what earlier scenarios left (untimed)
    before = loadavg()
    ids = hot_variants(bench)
    with bench.owner() as conn:
        conn.execute(
            "update commerce.inventory_levels il set stocked_quantity = 1000000000 "
            "from commerce.variant_inventory vi where vi.tenant_id = il.tenant_id "
            "and vi.inventory_item_id = il.inventory_item_id and vi.tenant_id = %s and vi.variant_id = any(%s)",
            (bench.tenant_id, ids))
        conn.execute("insert into bench.ref_stock (id) select g from generate_series(1, %s) g on conflict do nothing",
                     (HOT,))
        conn.execute("insert into bench.ref_counter (id) values (1) on conflict do nothing")
        orders_before = conn.execute("select count(*) from commerce.orders where tenant_id = %s",
                                     (bench.tenant_id,)).fetchone()[0]
    quoted = ", ".join(f"'{i}'" for i in ids)
    scripts = {"checkout": CHECKOUT_SCRIPT.format(hot=len(ids), ids=quoted),
               "reference": REFERENCE_SCRIPT.format(hot=len(ids)),
               "checkout_synchronous": CHECKOUT_SYNC_SCRIPT.format(hot=len(ids), ids=quoted),
               "reference_early_release": REFERENCE_EARLY_SCRIPT.format(hot=len(ids))}
    rounds, lat = [], {mode: [] for mode in scripts}
    for r in range(bench.rounds):
        row = {"round": r + 1}
        order = list(scripts) if r % 2 == 0 else list(reversed(scripts))
        for mode in order:
            bench.checkpoint()
            run_ = bench.pgbench(f"orders-{mode}", scripts[mode], clients=clients)
            row[mode] = round(run_.tps, 1)
            row[f"{mode}_failed"] = run_.failed
            row[f"{mode}_p50_ms"] = round(percentile(run_.latencies_ms, 50), 3)
            row[f"{mode}_p99_ms"] = round(percentile(run_.latencies_ms, 99), 3)
            lat[mode].extend(run_.latencies_ms)
            bench.log(f"  orders round {r + 1} {mode:23s}: {run_.tps:,.0f} orders/s")
        rounds.append(row)
    with bench.owner() as conn:
        placed = conn.execute("select count(*) from commerce.orders where tenant_id = %s",
                              (bench.tenant_id,)).fetchone()[0] - orders_before
    discarded = bench.discard_queue()
    fig, ref = median([x["checkout"] for x in rounds]), median([x["reference"] for x in rounds])
    return Result(
        scenario="orders",
        figure=Figure(f"orders/s via commerce.checkout, {clients} clients, {len(ids)} hot variants (median)",
                      round(fig, 1), "orders/s"),
        reference=Figure("stock row update + counter + insert as plain SQL", round(ref, 1), "orders/s"),
        goal="ratio >= 0.5", goal_value=0.5, goal_on="ratio",
        rounds=rounds, load_before=before, load_after=loadavg(),
        settings={"clients": clients, "threads": 2, "hot_variants": len(ids), "seconds_per_run": bench.seconds,
                  "protocol": "prepared", "role": "rustok_app, tenant set (session)",
                  "call": "select set_config('synchronous_commit', 'off', true), commerce.checkout('EUR', "
                          "[{variant_id, quantity: 1}]); then " + FLUSHED_LSN + " (as the API: early release, "
                          "the flush awaited before the order counts)"},
        extra={"orders_placed": placed, "p50_checkout_ms": round(percentile(lat["checkout"], 50), 3),
               "p99_checkout_ms": round(percentile(lat["checkout"], 99), 3),
               "p50_reference_ms": round(percentile(lat["reference"], 50), 3),
               "checkout_synchronous_orders_per_s": median([x["checkout_synchronous"] for x in rounds]),
               "reference_early_release_orders_per_s": median([x["reference_early_release"] for x in rounds]),
               "deliveries_discarded_after": discarded},
        charts=[{"kind": "rounds", "title": "orders/s per round", "ylabel": "orders/s",
                 "series": {"commerce.checkout (API: early release + flush)": [x["checkout"] for x in rounds],
                            "plain SQL reference": [x["reference"] for x in rounds],
                            "commerce.checkout, synchronous commit": [x["checkout_synchronous"] for x in rounds],
                            "plain SQL, early release + flush": [x["reference_early_release"] for x in rounds]}},
                {"kind": "latency", "title": "transaction latency", "series": {"checkout": lat["checkout"],
                                                                               "reference": lat["reference"]}}],
    )
