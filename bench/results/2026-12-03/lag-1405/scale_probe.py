import psycopg, time, statistics
TID = "01a23b80-ec83-fe84-2dce-af5cbe5d2b52"
conn = psycopg.connect("postgresql://rustok_owner@127.0.0.1:55432/rustok", autocommit=True)
ids = [r[0] for r in conn.execute("select id from commerce.products where tenant_id = %s and status = 'published' order by id limit 3000 offset 50000", (TID,))]
pos = 0
for n in (1, 6, 25, 100, 1, 6, 25, 100):
    ts = []
    for k in range(6):
        batch = ids[pos:pos+n]; pos += n
        with conn.transaction():
            conn.execute("update commerce.products set title = title || ' y' where tenant_id = %s and id = any(%s)", (TID, batch))
        t = time.perf_counter()
        conn.execute("select * from outbox.drain('index')").fetchall()
        ts.append((time.perf_counter() - t) * 1000)
    print(f"n={n:4d} drain ms median {statistics.median(ts):6.1f}  per product {statistics.median(ts)/n:6.2f}  all {[round(x,1) for x in ts]}")
