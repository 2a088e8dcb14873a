"""Backend CPU per order: one connection (rustok_app, tenant set), batches of N checkouts, /proc/<pid>/stat of the backend.
usage: cpuorder.py [batches] [n]  -> min and median µs per order"""
import sys, re, psycopg, statistics, os
TID = "01a23b80-ec83-fe84-2dce-af5cbe5d2b52"
script = open('/work/lead/s4/checkout.sql').read()
ids = re.findall(r"'([0-9a-f-]{36})'", script)
batches = int(sys.argv[1]) if len(sys.argv) > 1 else 4
n = int(sys.argv[2]) if len(sys.argv) > 2 else 300
tick = os.sysconf('SC_CLK_TCK')
with psycopg.connect("postgresql://rustok_owner@127.0.0.1:55432/rustok", autocommit=True,
                     options=f"-c role=rustok_app -c rustok.tenant_id={TID}") as c:
    pid = c.info.backend_pid
    def cpu():
        f = open(f'/proc/{pid}/stat').read().rsplit(')', 1)[1].split()
        return (int(f[11]) + int(f[12])) / tick
    q = ("select set_config('synchronous_commit', 'off', true), commerce.checkout('EUR', "
         "jsonb_build_array(jsonb_build_object('variant_id', %s::uuid, 'quantity', 1)))")
    for i in range(50):
        c.execute(q, (ids[i % 10],), prepare=True); c.execute("select pg_logical_emit_message(false, 'rustok.flush', '', true)::text", prepare=True)
    res = []
    for b in range(batches):
        t0 = cpu()
        for i in range(n):
            c.execute(q, (ids[i % 10],), prepare=True)
            c.execute("select pg_logical_emit_message(false, 'rustok.flush', '', true)::text", prepare=True)
        res.append((cpu() - t0) / n * 1e6)
    print(f"backend µs/order: min {min(res):.0f} median {statistics.median(res):.0f} all {[round(x) for x in res]}")
