"""WAL bytes per order (pg_walinspect, 1 client) and backend CPU per order, as rustok_app with the tenant set.

usage: measure.py LABEL [N]
"""
import os
import sys
import time

import psycopg

from rustok.bench import generate

OWNER = "postgresql://rustok_owner@127.0.0.1:55441/rustok"
ADMIN = "postgresql://postgres@127.0.0.1:55441/rustok"
label = sys.argv[1]
N = int(sys.argv[2]) if len(sys.argv) > 2 else 300

rows = [n for n in range(1, 10_000) if n % 20 != 0][:10]
ids = [str(generate.bench_id(generate.VARIANT, generate.variant_row(n))) for n in rows]

admin = psycopg.connect(ADMIN, autocommit=True)
tenant = admin.execute("select id from core.tenants where slug = 'bench'").fetchone()[0]
admin.execute("update commerce.inventory_levels il set stocked_quantity = 1000000000 from commerce.variant_inventory vi "
              "where vi.tenant_id = il.tenant_id and vi.inventory_item_id = il.inventory_item_id and vi.tenant_id = %s "
              "and vi.variant_id = any(%s::uuid[]) and il.stocked_quantity <> 1000000000", (tenant, ids))
app = psycopg.connect(OWNER, autocommit=True, options=f"-c role=rustok_app -c rustok.tenant_id={tenant}")
pid = app.execute("select pg_backend_pid()").fetchone()[0]
SQL = "select commerce.checkout('EUR', jsonb_build_array(jsonb_build_object('variant_id', %s::uuid, 'quantity', 1)))"
for i in range(30):  # warm up (plans, caches)
    app.execute(SQL, (ids[i % 10],), prepare=True)


def cpu():
    with open(f"/proc/{pid}/stat") as f:
        parts = f.read().rsplit(")", 1)[1].split()
    return (int(parts[11]) + int(parts[12])) / os.sysconf("SC_CLK_TCK")


# CPU: min of 4 batches
cpus = []
for b in range(4):
    c0 = cpu()
    for i in range(N):
        app.execute(SQL, (ids[i % 10],), prepare=True)
    cpus.append((cpu() - c0) / N * 1000)

# WAL over 200 orders
admin.execute("checkpoint")
time.sleep(0.2)
for i in range(20):   # FPIs after the checkpoint
    app.execute(SQL, (ids[i % 10],), prepare=True)
start = admin.execute("select pg_current_wal_insert_lsn()").fetchone()[0]
M = 200
for i in range(M):
    app.execute(SQL, (ids[i % 10],), prepare=True)
end = admin.execute("select pg_current_wal_insert_lsn()").fetchone()[0]
tot = admin.execute("""
    select count(*), sum(record_length - fpi_length), sum(fpi_length)
    from pg_get_wal_records_info(%s, %s)""", (start, end)).fetchone()
print(f"{label}: CPU per order ms (4 batches of {N}): {', '.join(f'{c:.2f}' for c in cpus)}  min {min(cpus):.2f}")
print(f"{label}: WAL per order: {tot[1] / M:.0f} bytes in {tot[0] / M:.1f} records (+ FPI {tot[2] / M:.0f})")
if os.environ.get("DETAIL"):
    for r in admin.execute("""
        with r as (select resource_manager, record_type, record_length - fpi_length as len,
                          (regexp_match(block_ref, 'rel \\d+/\\d+/(\\d+)'))[1]::oid as relfile
                   from pg_get_wal_records_info(%s, %s))
        select resource_manager, record_type, coalesce(c.relname::text, r.relfile::text, '-') as rel,
               round(count(*)::numeric / %s, 2) as n, round(sum(len)::numeric / %s) as bytes
        from r left join pg_class c on c.relfilenode = r.relfile
        group by 1, 2, 3 order by 5 desc""", (start, end, M, M)):
        print("   ", r)
