"""WAL per order in a 16-client checkout run, grouped by resource manager / record type and relation."""
import os, sys
sys.argv = [sys.argv[0], "1", os.environ.get("SECS", "4")]
exec(open("/tmp/orders2/interleave.py").read().split("names = list(trees)")[0])
admin.execute("checkpoint")
a = admin.execute("select pg_current_wal_insert_lsn()").fetchone()[0]
tps, _ = pgbench(os.environ.get("SCRIPT", "checkout.sql"))
b = admin.execute("select pg_current_wal_insert_lsn()").fetchone()[0]
n = round(tps * seconds)
tot = admin.execute("select count(*), sum(record_length - fpi_length), sum(fpi_length) from pg_get_wal_records_info(%s, %s)", (a, b)).fetchone()
print(f"tps {tps:.0f}: per order {tot[1]/n:.0f} bytes in {tot[0]/n:.1f} records, FPI {tot[2]/n:.0f}")
for r in admin.execute("""
    with r as (select resource_manager, record_type, record_length - fpi_length as len,
                      (regexp_match(block_ref, 'rel \\d+/\\d+/(\\d+)'))[1]::oid as relfile
               from pg_get_wal_records_info(%s, %s))
    select resource_manager, record_type, coalesce(c.relname::text, r.relfile::text, '-') as rel,
           round(count(*)::numeric / %s, 2) as n, round(sum(len)::numeric / %s) as bytes
    from r left join pg_class c on c.relfilenode = r.relfile
    group by 1, 2, 3 having sum(len) / %s >= 10 order by 5 desc""", (a, b, n, n, n)):
    print("   ", r)
