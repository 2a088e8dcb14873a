#!/bin/bash
# Run once by the postgres:18 image when it creates the primary's data directory
# (docker-entrypoint-initdb.d): let the replica connect for streaming replication.
set -euo pipefail
echo "host replication ${POSTGRES_USER} all scram-sha-256" >> "${PGDATA}/pg_hba.conf"
