"""A/B on the kept bench cluster: the generator's first product chunk re-queued (its read rows deleted first), then
drained with outbox.drain('index', 5) in a loop: events/s and backend CPU per event. Variant via argv[1]:
'skip' (code as is) or 'noskip' (index._products_up_to_date replaced by one returning '{}' for the run)."""
import sys, time, psycopg
URL = "postgresql://rustok_owner@127.0.0.1:55432/rustok"
ADMIN = "postgresql://postgres@127.0.0.1:55432/rustok"
variant = sys.argv[1]; chunk = int(sys.argv[2]) if len(sys.argv) > 2 else 1
def cpu(pid):
    f = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(f[11]) + int(f[12])) * 10.0   # ms (100 Hz)
with psycopg.connect(ADMIN, autocommit=True) as a:
    t = a.execute("select id from core.tenants where slug='bench'").fetchone()[0]
    ats = [r[0] for r in a.execute("select distinct occurred_at from outbox.events where tenant_id=%s and aggregate_type='product' and event_type='ProductCreated' order by 1 limit %s", (t, chunk))]
    at = ats[-1]
    a.execute("delete from outbox.deliveries where consumer='index'")
    ids = a.execute("select array_agg(aggregate_id) from outbox.events where tenant_id=%s and occurred_at=%s and event_type='ProductCreated'", (t, at)).fetchone()[0]
    a.execute("delete from index.products where tenant_id=%s and product_id = any(%s)", (t, ids))
    n = a.execute("select ops.replay_events('index', %s, %s + interval '1 microsecond')", (at, at)).fetchone()[0]
    a.execute("vacuum analyze outbox.deliveries")
    src = a.execute("select pg_get_functiondef('index._products_up_to_date(uuid, outbox.events[])'::regprocedure)").fetchone()[0]
    if variant == "noskip":
        a.execute("create or replace function index._products_up_to_date(p_tenant_id uuid, p_events outbox.events[]) returns uuid[] language sql stable as $$ select '{}'::uuid[] $$")
    try:
        with psycopg.connect(URL, autocommit=True) as c:
            pid = c.execute("select pg_backend_pid()").fetchone()[0]
            c0, t0, done = cpu(pid), time.monotonic(), 0
            while time.monotonic() - t0 < 10:
                r = c.execute("select succeeded, claimed from outbox.drain('index', 5)").fetchone()
                done += r[0]
                if r[1] == 0: break
            took = time.monotonic() - t0; c1 = cpu(pid)
        print(f"{variant} chunk {chunk}: queued {n}, drained {done} in {took:.1f}s = {done/took:,.0f}/s, cpu {1000*(c1-c0)/max(done,1):.0f} us/event", flush=True)
    finally:
        a.execute(src)
