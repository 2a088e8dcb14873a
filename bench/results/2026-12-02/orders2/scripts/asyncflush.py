"""Experiment: checkout committed with synchronous_commit = off (row locks released at the commit record, before
its flush) followed by an explicit flush wait (pg_logical_emit_message(..., flush => true)) before the client counts
the order: durable when the client hears of it, and orders can share one fsync."""
import os, sys, time
sys.argv = [sys.argv[0], "1", "8"]
exec(open("/tmp/orders2/interleave.py").read().split("names = list(trees)")[0])
ck = (work / "checkout.sql").read_text().splitlines()
ref = (work / "reference.sql").read_text().splitlines()
def wrap(lines):
    return "\n".join([lines[0], "begin;", "set local synchronous_commit = off;"] + lines[1:] +
                     ["commit;", "select pg_logical_emit_message(false, 'rustok', '', true);"]) + "\n"
(work / "checkout-af.sql").write_text(wrap(ck))
(work / "reference-af.sql").write_text(wrap(ref))
for r in range(int(os.environ.get("ROUNDS", "3"))):
    res = {}
    for script in (["checkout.sql", "checkout-af.sql", "reference.sql", "reference-af.sql"][:: (1 if r % 2 == 0 else -1)]):
        admin.execute("delete from outbox.deliveries"); admin.execute("checkpoint")
        res[script] = pgbench(script)[0]
    print(f"{time.strftime('%H:%M:%S')} round {r + 1}: checkout {res['checkout.sql']:.0f} / ref {res['reference.sql']:.0f} = "
          f"{res['checkout.sql'] / res['reference.sql']:.2f} | async+flush: checkout {res['checkout-af.sql']:.0f}, "
          f"ref {res['reference-af.sql']:.0f}; checkout-af / ref = {res['checkout-af.sql'] / res['reference.sql']:.2f} | load {open('/proc/loadavg').read().split()[0]}", flush=True)
