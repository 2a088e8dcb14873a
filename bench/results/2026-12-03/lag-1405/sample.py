import psycopg, time, collections, sys
secs = float(sys.argv[1])
c = psycopg.connect("postgresql://postgres@127.0.0.1:55432/rustok", autocommit=True)
cnt = collections.Counter(); n = 0
t = time.time()
while time.time() - t < secs:
    for app, state, we, q in c.execute("""select application_name, state, coalesce(wait_event_type||':'||wait_event, 'CPU'),
                                             left(regexp_replace(query, '\\s+', ' ', 'g'), 60)
                                      from pg_stat_activity where backend_type = 'client backend' and pid <> pg_backend_pid()
                                        and datname = 'rustok'"""):
        key = (app[:20], state, we if state == 'active' else '-', q if state == 'active' else '')
        cnt[key] += 1
    n += 1
    time.sleep(0.005)
print("samples", n)
for k, v in cnt.most_common(30): print(v, k)
