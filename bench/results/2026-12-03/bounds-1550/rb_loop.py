import psycopg, time, statistics, sys
TID = "01a23b80-ec83-fe84-2dce-af5cbe5d2b52"
w = psycopg.connect("postgresql://rustok_owner@127.0.0.1:55432/rustok", autocommit=True)
print(w.info.backend_pid, flush=True)
w.execute("set plan_cache_mode = force_generic_plan")
secs = float(sys.argv[1]); ts = []
t = time.time()
while time.time() - t < secs:
    a = time.perf_counter()
    w.execute("select index._rebuild_products(%s, array[gen_random_uuid()], '{}')", (TID,), prepare=True)
    ts.append((time.perf_counter() - a) * 1000)
print("ms median", round(statistics.median(ts[100:]), 3), "n", len(ts), flush=True)
