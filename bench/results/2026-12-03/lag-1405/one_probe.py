import psycopg, time, statistics
TID = "01a23b80-ec83-fe84-2dce-af5cbe5d2b52"
conn = psycopg.connect("postgresql://rustok_owner@127.0.0.1:55432/rustok", autocommit=True)
adm = psycopg.connect("postgresql://postgres@127.0.0.1:55432/rustok", autocommit=True)
ids = [r[0] for r in conn.execute("select id from commerce.products where tenant_id = %s and status = 'published' order by id limit 300 offset 40000", (TID,))]
for pid in ids[:30]:
    conn.execute("update commerce.products set title = title || ' z' where tenant_id = %s and id = %s", (TID, pid))
    conn.execute("select * from outbox.drain('index')").fetchall()
adm.execute("select pg_stat_statements_reset()")
ts = []
for pid in ids[30:230]:
    conn.execute("update commerce.products set title = title || ' z' where tenant_id = %s and id = %s", (TID, pid))
    t = time.perf_counter()
    conn.execute("select * from outbox.drain('index')").fetchall()
    ts.append((time.perf_counter() - t) * 1000)
print("drain of one event: median ms", round(statistics.median(ts), 2))
for r in adm.execute("""select calls, round((total_exec_time/calls)::numeric,3) ms, round((total_plan_time/calls)::numeric, 3) plan_ms, left(regexp_replace(query,'\\s+',' ','g'),90) q
                        from pg_stat_statements where calls >= 150 order by total_exec_time desc limit 28"""):
    print(r)
