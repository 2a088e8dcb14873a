"""Backend CPU per statement (/proc/<pid>/stat of the backend), as rustok_app with the tenant set.

usage: cpu.py <owner url> <admin url> <mode: on|replica> <single|bulk> [n] [batches]
single: n single-row product updates (the event-path statement, autocommit, prepared); bulk: n statements of 1,000
prices (the bulk-update statement). Prints the CPU per statement of each batch (and the minimum)."""
import os, random, sys, time
import psycopg

owner, admin, mode, kind = sys.argv[1:5]
n = int(sys.argv[5]) if len(sys.argv) > 5 else (3000 if kind == "single" else 30)
batches = int(sys.argv[6]) if len(sys.argv) > 6 else 3
TICK = os.sysconf("SC_CLK_TCK")

with psycopg.connect(owner, autocommit=True) as c:
    tenant = c.execute("select id from core.tenants where slug = 'bench'").fetchone()[0]
    nprod = c.execute("select count(*) from commerce.products where tenant_id = %s", (tenant,)).fetchone()[0]
    ids = [r[0] for r in c.execute("select id from commerce.prices where tenant_id = %s order by id", (tenant,))]
chunks = [ids[i:i + 1000] for i in range(0, len(ids) - 999, 1000)]

opts = f"-c role=rustok_app -c rustok.tenant_id={tenant}" + (" -c session_replication_role=replica" if mode == "replica" else "")
conn = psycopg.connect(admin if mode == "replica" else owner, autocommit=True, options=opts, prepare_threshold=0)
pid = conn.execute("select pg_backend_pid()").fetchone()[0]

def cpu():
    f = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(f[11]) + int(f[12])) / TICK

SINGLE = ("update commerce.products set subtitle = 'Edition ' || %s::int || '-' || (random() * 1000000)::int "
          "where tenant_id = core.current_tenant_id() and handle = 'p-' || %s::int")
BULK = "update commerce.prices set amount = amount + 1 where tenant_id = core.current_tenant_id() and id = any(%s)"
pos = random.randrange(len(chunks))
res = []
for b in range(batches + 1):
    t0, w0 = cpu(), time.monotonic()
    for i in range(n if b else max(50, n // 10)):
        if kind == "single":
            k = random.randint(1, nprod)
            conn.execute(SINGLE, (k, k))
        else:
            conn.execute(BULK, (chunks[pos % len(chunks)],)); pos += 1
    t1, w1 = cpu(), time.monotonic()
    if b:  # batch 0 warms up
        res.append((t1 - t0) / n * 1e6)
    with psycopg.connect(owner, autocommit=True) as c:
        c.execute("delete from outbox.deliveries where consumer = 'index'")
unit = "us"
print(f"{mode} {kind}: cpu per statement {' / '.join(f'{x:.0f}' for x in res)} {unit} (min {min(res):.0f}); load {open('/proc/loadavg').read().split()[:3]}")
