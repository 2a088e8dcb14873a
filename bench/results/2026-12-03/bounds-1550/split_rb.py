import psycopg, time, statistics, uuid
TID = "01a23b80-ec83-fe84-2dce-af5cbe5d2b52"
conn = psycopg.connect("postgresql://rustok_owner@127.0.0.1:55432/rustok", autocommit=True)
w = psycopg.connect("postgresql://rustok_owner@127.0.0.1:55432/rustok", autocommit=True, options="-c synchronous_commit=off")
w.execute("select * from outbox.drain('index')").fetchall()
a, b, c = [], [], []
for i in range(400):
    conn.execute("insert into outbox.events (tenant_id, event_type, aggregate_type, aggregate_id, payload) values (%s, 'ProductUpdated', 'product', %s, '{}')", (TID, uuid.uuid4()))
    if i % 2:
        t0 = time.perf_counter(); w.execute("call outbox.run_batch('index', 100, 'split')"); c.append((time.perf_counter() - t0) * 1000)
    else:
        t0 = time.perf_counter(); n = w.execute("select outbox.claim('index', 'split', 100)").fetchone()[0]
        t1 = time.perf_counter(); w.execute("select * from outbox.process_batch('index', %s, 'split')", (n,), prepare=True).fetchall()
        t2 = time.perf_counter(); a.append((t1 - t0) * 1000); b.append((t2 - t1) * 1000)
m = lambda x: round(statistics.median(x[50:]), 2)
print("claim", m(a), "process_batch", m(b), "sum", round(m(a) + m(b), 2), "| run_batch", m(c))
