#!/bin/bash
# The read replica of docker-compose.scale.yml: on first start, clone the primary with pg_basebackup
# (-R writes standby.signal and primary_conninfo; -S a replication slot, created first, so the primary keeps the WAL
# the replica still needs), then run postgres as a hot standby.
set -euo pipefail
: "${PGDATA:=/var/lib/postgresql/18/docker}"
if [ ! -s "${PGDATA}/PG_VERSION" ]; then
    mkdir -p "${PGDATA}"
    chmod 700 "${PGDATA}"
    until pg_isready -h "${PRIMARY_HOST}" -U "${PGUSER}"; do sleep 1; done
    psql -h "${PRIMARY_HOST}" -U "${PGUSER}" -d postgres -v ON_ERROR_STOP=1 -c \
        "select pg_create_physical_replication_slot('${REPLICATION_SLOT}')
         where not exists (select from pg_replication_slots where slot_name = '${REPLICATION_SLOT}')"
    pg_basebackup -h "${PRIMARY_HOST}" -U "${PGUSER}" -D "${PGDATA}" -R -X stream -c fast -S "${REPLICATION_SLOT}"
fi
exec postgres -D "${PGDATA}" -c hot_standby=on -c hot_standby_feedback=on
