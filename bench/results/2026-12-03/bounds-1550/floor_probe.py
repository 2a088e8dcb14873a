"""Per-batch floor of the index consumer on this host: one-event batches, alternating (a) a real title change of a
product and (b) a ProductUpdated for a product id that does not exist (the rebuild computes and writes no row: its
statement's start-up and the batch's other steps only). Medians (p10-p90) of 250 of each after 100 warm-up batches.
usage: floor_probe.py run_batch|drain [sync_off]
  run_batch: `call outbox.run_batch('index', 100, ...)`, as the worker runs a batch; drain: `outbox.drain('index')`,
  as from psql; sync_off: the batch's connection with synchronous_commit off, as the worker's."""
import sys, psycopg, time, statistics, uuid
TID = "01a23b80-ec83-fe84-2dce-af5cbe5d2b52"
URL = "postgresql://rustok_owner@127.0.0.1:55432/rustok"
mode = sys.argv[1] if len(sys.argv) > 1 else "run_batch"
batch = {"run_batch": "call outbox.run_batch('index', 100, 'floor-probe')",
         "drain": "select * from outbox.drain('index')"}[mode]
conn = psycopg.connect(URL, autocommit=True)
work = psycopg.connect(URL, autocommit=True, options="-c synchronous_commit=off" if "sync_off" in sys.argv else "")
ids = [r[0] for r in conn.execute("select id from commerce.products where tenant_id = %s and status = 'published' "
                                  "order by id limit 600 offset 50000", (TID,))]
work.execute("select * from outbox.drain('index')").fetchall()
real, ghost = [], []
for i, pid in enumerate(ids):
    if i % 2 == 0:
        conn.execute("update commerce.products set title = title || ' f' where tenant_id = %s and id = %s", (TID, pid))
        bucket = real
    else:
        conn.execute("insert into outbox.events (tenant_id, event_type, aggregate_type, aggregate_id, payload) "
                     "values (%s, 'ProductUpdated', 'product', %s, '{}')", (TID, uuid.uuid4()))
        bucket = ghost
    t = time.perf_counter()
    work.execute(batch)
    if i >= 100:
        bucket.append((time.perf_counter() - t) * 1000)
q = lambda x: f"{statistics.median(x):.2f} ({statistics.quantiles(x, n=10)[0]:.2f}-{statistics.quantiles(x, n=10)[-1]:.2f})"
print(f"one-event {mode}, ms median (p10-p90): real title change {q(real)}; missing product {q(ghost)}")
