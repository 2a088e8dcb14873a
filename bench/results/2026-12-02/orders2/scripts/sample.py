"""During a 16-client checkout run: sample what the backend at the head of the queue (the one most others wait on) is doing."""
import collections, os, subprocess, sys, threading, time
import psycopg
sys.argv = [sys.argv[0], "1", "8"]
exec(open("/tmp/orders2/interleave.py").read().split("names = list(trees)")[0])
res = {}
def run():
    res["tps"] = pgbench(sys_script)
sys_script = os.environ.get("SCRIPT", "checkout.sql")
w0 = admin.execute("select wal_records, wal_fpi, wal_bytes, (select sum(writes) from pg_stat_io where object='wal'), (select sum(fsyncs) from pg_stat_io where object='wal'), (select sum(fsync_time) from pg_stat_io where object='wal'), (select sum(write_time) from pg_stat_io where object='wal') from pg_stat_wal").fetchone()
th = threading.Thread(target=run); th.start()
time.sleep(1.0)
c = psycopg.connect(ADMIN, autocommit=True)
states = collections.Counter(); n = 0
t_end = time.time() + 6
while time.time() < t_end:
    rows = c.execute("""
      with a as (select pid, state, wait_event_type, wait_event, pg_blocking_pids(pid) b, query from pg_stat_activity where usename = 'rustok_owner' and backend_type = 'client backend' and pid <> pg_backend_pid())
      select h.pid, coalesce(h.wait_event_type || ':' || h.wait_event, case when h.state = 'active' then 'CPU' else h.state end), count(*)
      from a w cross join unnest(w.b) bp join a h on h.pid = bp
      group by 1, 2 order by 3 desc limit 1""").fetchall()
    if rows:
        states[rows[0][1]] += 1
    else:
        states["(no waiters)"] += 1
    n += 1
    time.sleep(0.003)
th.join()
w1 = admin.execute("select wal_records, wal_fpi, wal_bytes, (select sum(writes) from pg_stat_io where object='wal'), (select sum(fsyncs) from pg_stat_io where object='wal'), (select sum(fsync_time) from pg_stat_io where object='wal'), (select sum(write_time) from pg_stat_io where object='wal') from pg_stat_wal").fetchone()
tx = res["tps"][0] * seconds
d = [float(b) - float(a) for a, b in zip(w0, w1)]
print("per transaction: records %.1f fpi %.2f bytes %.0f wal writes %.2f fsyncs %.2f" % tuple(x / tx for x in d[:5]), "| per fsync %.3f ms, per write %.3f ms" % (d[5] / d[4], d[6] / d[3]))
print("tps", res["tps"], "samples", n)
for k, v in states.most_common(12): print(f"  {v:5d} {k}")
