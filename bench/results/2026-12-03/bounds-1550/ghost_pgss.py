import psycopg, time, statistics, uuid
TID = "01a23b80-ec83-fe84-2dce-af5cbe5d2b52"
conn = psycopg.connect("postgresql://rustok_owner@127.0.0.1:55432/rustok", autocommit=True)
adm = psycopg.connect("postgresql://postgres@127.0.0.1:55432/rustok", autocommit=True)
def one():
    conn.execute("insert into outbox.events (tenant_id, event_type, aggregate_type, aggregate_id, payload) values (%s, 'ProductUpdated', 'product', %s, '{}')", (TID, uuid.uuid4()))
    t = time.perf_counter(); conn.execute("call outbox.run_batch('index', 100, 'floor-probe')"); return (time.perf_counter() - t) * 1000
for i in range(50): one()
adm.execute("select pg_stat_statements_reset()")
ts = [one() for i in range(300)]
print("run_batch of one event for a missing product: median ms", round(statistics.median(ts), 2))
for r in adm.execute("""select calls, round((total_exec_time/calls*1000)::numeric,0) us, left(regexp_replace(query,'\\s+',' ','g'),100) q
                        from pg_stat_statements where calls >= 250 order by total_exec_time desc limit 40"""):
    print(r)
