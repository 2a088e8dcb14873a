#!/bin/bash
# usage: benchrun.sh label  (cluster running, code already applied)
cd /work/wt/modcheck
O=postgresql://rustok_owner@127.0.0.1:55462/rustok; A=postgresql://postgres@127.0.0.1:55462/rustok
psql $A -q -c "delete from outbox.deliveries where consumer = 'index'" -c "vacuum (analyze) commerce.prices, commerce.products, commerce.variants, outbox.deliveries"
echo "== $1 $(date -u +%H:%M:%S) load $(cut -d' ' -f1-3 /proc/loadavg)"
.venv/bin/python bench/results/2026-12-02/modcheck/cpu.py $O $A on single 2000 3
.venv/bin/python bench/results/2026-12-02/modcheck/cpu.py $O $A replica single 2000 3
${RUSTOK:-.venv/bin/rustok} bench --out bench/results/2026-12-02/modcheck/bench-$1 --url $O --admin-url $A --scenario event-path --scenario bulk-update --rounds 3 --seconds 8 2>&1 | grep -E "round|ratio" | grep -v summary
echo "== end $1 $(date -u +%H:%M:%S) load $(cut -d' ' -f1-3 /proc/loadavg)"
