"""Consumer cost of placed orders: place N orders (1 client), then outbox.drain('index') on its own backend: CPU."""
import os, sys, time
import psycopg
from rustok.bench import generate
N = int(sys.argv[2]) if len(sys.argv) > 2 else 300
rows = [n for n in range(1, 10_000) if n % 20 != 0][:10]
ids = [str(generate.bench_id(generate.VARIANT, generate.variant_row(n))) for n in rows]
admin = psycopg.connect("postgresql://postgres@127.0.0.1:55441/rustok", autocommit=True)
t = admin.execute("select id from core.tenants where slug = 'bench'").fetchone()[0]
admin.execute("delete from outbox.deliveries")
app = psycopg.connect("postgresql://rustok_owner@127.0.0.1:55441/rustok", autocommit=True, options=f"-c role=rustok_app -c rustok.tenant_id={t}")
for i in range(N):
    app.execute("select commerce.checkout('EUR', jsonb_build_array(jsonb_build_object('variant_id', %s::uuid, 'quantity', 1)))", (ids[i % 10],), prepare=True)
q = admin.execute("select count(*) from outbox.deliveries where consumer = 'index'").fetchone()[0]
own = psycopg.connect("postgresql://rustok_owner@127.0.0.1:55441/rustok", autocommit=True)
pid = own.execute("select pg_backend_pid()").fetchone()[0]
def cpu():
    p = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(p[11]) + int(p[12])) / os.sysconf("SC_CLK_TCK")
c0, w0 = cpu(), time.time()
r = own.execute("select * from outbox.drain('index')").fetchall()
c1, w1 = cpu(), time.time()
print(f"{sys.argv[1]}: {N} orders -> {q} deliveries; drain CPU {(c1-c0)/N*1000:.2f} ms per order, wall {(w1-w0)/N*1000:.2f} ms per order; {r}")
