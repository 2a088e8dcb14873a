#!/bin/bash
# usage: ab_cpu.sh N  -- alternate main / branch code trees, CPU and WAL per order each
cd /work/wt/orders2
for i in 1 2; do
  for t in main branch; do
    if [ $t = main ]; then root=/tmp/orders2/main-code; else root=/work/wt/orders2/sql/code; fi
    .venv/bin/python -c "from rustok import migrate; from pathlib import Path; migrate.apply('postgresql://rustok_owner@127.0.0.1:55441/rustok', code_root=Path('$root'))"
    echo "$(date -u +%H:%M:%S) load $(cut -d' ' -f1 /proc/loadavg)"; .venv/bin/python /tmp/orders2/measure.py $t ${1:-200}
  done
done
