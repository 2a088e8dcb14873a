import psycopg, time, statistics
w = psycopg.connect("postgresql://rustok_owner@127.0.0.1:55432/rustok", autocommit=True, options="-c synchronous_commit=off")
w.execute("select * from outbox.drain('index')").fetchall()
def t(q):
    ts = []
    for i in range(400):
        a = time.perf_counter(); w.execute(q); ts.append((time.perf_counter() - a) * 1000)
    return statistics.median(ts[100:])
for i in range(2):
    print("empty run_batch", round(t("call outbox.run_batch('index', 100, 'floor-probe')"), 3),
          "| select 1", round(t("select 1"), 3),
          "| ready_consumers", round(t("select * from outbox.ready_consumers()"), 3))
