"""Run checkout vs reference with some triggers disabled (superuser), to bound what removing them gives."""
import os, re, subprocess, sys, time
import psycopg
sys.argv = [sys.argv[0], "1", "8"]
exec(open("/tmp/orders2/interleave.py").read().split("names = list(trees)")[0])
variants = {
  "all on": [],
  "no inventory events": ["commerce.inventory_levels _900_events_upd"],
  "no order events": ["commerce.orders _900_events_ins"],
  "neither": ["commerce.inventory_levels _900_events_upd", "commerce.orders _900_events_ins"],
}
for rnd in range(2):
  for name, trigs in (variants.items() if rnd == 0 else reversed(list(variants.items()))):
    for t in trigs:
        tab, tg = t.split()
        admin.execute(f"alter table {tab} disable trigger {tg}")
    admin.execute("delete from outbox.deliveries"); admin.execute("checkpoint")
    l0 = open("/proc/loadavg").read().split()[0]
    o, _ = pgbench("checkout.sql"); admin.execute("checkpoint"); ref, _ = pgbench("reference.sql")
    for t in trigs:
        tab, tg = t.split()
        admin.execute(f"alter table {tab} enable trigger {tg}")
    print(f"{time.strftime('%H:%M:%S')} {name:22s} orders {o:7.1f} ref {ref:7.1f} ratio {o/ref:.2f} load {l0}", flush=True)
