import sys, re, psycopg, time
TID = "01a23b80-ec83-fe84-2dce-af5cbe5d2b52"
ids = re.findall(r"'([0-9a-f-]{36})'", open('/work/lead/s4/checkout.sql').read())
secs = float(sys.argv[1])
with psycopg.connect("postgresql://rustok_owner@127.0.0.1:55432/rustok", autocommit=True,
                     options=f"-c role=rustok_app -c rustok.tenant_id={TID}") as c:
    print(c.info.backend_pid, flush=True)
    q = ("select set_config('synchronous_commit', 'off', true), commerce.checkout('EUR', "
         "jsonb_build_array(jsonb_build_object('variant_id', %s::uuid, 'quantity', 1)))")
    t = time.time(); i = 0
    while time.time() - t < secs:
        c.execute(q, (ids[i % 10],), prepare=True); c.execute("select pg_logical_emit_message(false, 'rustok.flush', '', true)::text", prepare=True); i += 1
    print(i, "orders", flush=True)
