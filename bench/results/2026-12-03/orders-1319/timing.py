import re, psycopg, statistics, collections
TID = "01a23b80-ec83-fe84-2dce-af5cbe5d2b52"
ids = re.findall(r"'([0-9a-f-]{36})'", open('/work/lead/s4/checkout.sql').read())
acc = collections.defaultdict(list)
def on(n):
    if n.message_primary.startswith('T'):
        import json
        for k, v in json.loads(n.message_primary[1:]).items(): acc[k].append(v)
with psycopg.connect("postgresql://rustok_owner@127.0.0.1:55432/rustok", autocommit=True, options=f"-c role=rustok_app -c rustok.tenant_id={TID}") as c:
    c.add_notice_handler(on)
    for i in range(600):
        c.execute("select set_config('synchronous_commit', 'off', true), commerce.checkout('EUR', jsonb_build_array(jsonb_build_object('variant_id', %s::uuid, 'quantity', 1)))", (ids[i%10],), prepare=True)
    tot = 0
    for k, v in acc.items():
        m = statistics.median(v[100:]); tot += m
        print(f"{k:14s} {m:6.0f} µs")
    print("sum", tot)
