"""Per-batch floor of the index consumer on this host: one-event batches as the worker runs them (call
outbox.run_batch, synchronous_commit off), alternating (a) a real title change of a product, (b) a ProductUpdated
for a product id that does not exist (the rebuild computes and writes no row: its statement's start-up and the
batch's other steps only). Medians of 250 of each after 100 warm-up batches."""
import psycopg, time, statistics, uuid
TID = "01a23b80-ec83-fe84-2dce-af5cbe5d2b52"
conn = psycopg.connect("postgresql://rustok_owner@127.0.0.1:55432/rustok", autocommit=True)
work = psycopg.connect("postgresql://rustok_owner@127.0.0.1:55432/rustok", autocommit=True, options="-c synchronous_commit=off")  # as the worker
ids = [r[0] for r in conn.execute("select id from commerce.products where tenant_id = %s and status = 'published' order by id limit 600 offset 50000", (TID,))]
conn.execute("call outbox.run_batch('index', 100, 'floor-probe')")
real, ghost = [], []
for i, pid in enumerate(ids):
    if i % 2 == 0:
        conn.execute("update commerce.products set title = title || ' f' where tenant_id = %s and id = %s", (TID, pid))
        bucket = real
    else:
        conn.execute("insert into outbox.events (tenant_id, event_type, aggregate_type, aggregate_id, payload) values (%s, 'ProductUpdated', 'product', %s, '{}')", (TID, uuid.uuid4()))
        bucket = ghost
    t = time.perf_counter()
    work.execute("call outbox.run_batch('index', 100, 'floor-probe')")
    if i >= 100:
        bucket.append((time.perf_counter() - t) * 1000)
print(f"one-event run_batch, ms median (p10-p90): real title change {statistics.median(real):.2f} "
      f"({statistics.quantiles(real, n=10)[0]:.2f}-{statistics.quantiles(real, n=10)[-1]:.2f}); "
      f"missing product {statistics.median(ghost):.2f} ({statistics.quantiles(ghost, n=10)[0]:.2f}-{statistics.quantiles(ghost, n=10)[-1]:.2f})")
