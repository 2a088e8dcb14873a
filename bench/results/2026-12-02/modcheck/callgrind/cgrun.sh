#!/bin/bash
# usage: cgrun.sh label kind n [sql file to apply as owner first | main]
cd /work/wt/modcheck
L=$1; K=$2; N=$3; F=$4
if [ -n "$F" ]; then
  .venv/bin/python -c "from rustok.embedded import EmbeddedCluster; EmbeddedCluster('/work/benchdb/copy-modcheck', 55462).start()"
  if [ "$F" = main ]; then
    /work/main/.venv/bin/python -c "from rustok import migrate; migrate.apply('postgresql://rustok_owner@127.0.0.1:55462/rustok')"
  elif [ "$F" = branch ]; then
    .venv/bin/python -c "from rustok import migrate; migrate.apply('postgresql://rustok_owner@127.0.0.1:55462/rustok')"
  else
    psql postgresql://rustok_owner@127.0.0.1:55462/rustok -q -v ON_ERROR_STOP=1 -f $F || exit 1
  fi
  psql postgresql://postgres@127.0.0.1:55462/rustok -q -c "delete from outbox.deliveries where consumer='index'" -c "vacuum commerce.prices, commerce.products, commerce.variants, outbox.deliveries" -c checkpoint
  .venv/bin/python -c "from rustok.embedded import EmbeddedCluster; EmbeddedCluster('/work/benchdb/copy-modcheck', 55462).stop()"
fi
/tmp/modcheck-cg.sh $L $K $N
