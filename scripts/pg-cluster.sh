#!/usr/bin/env bash
# A private PostgreSQL cluster for tests and the demo (hub/pgcluster.py, docs/hub.md):
#   scripts/pg-cluster.sh start [DIR]   # initdb once, start on a free loopback port; prints the DSN
#   scripts/pg-cluster.sh stop [DIR]
#   scripts/pg-cluster.sh status|dsn [DIR]
# As root the server runs as the system user cccd-pg (PostgreSQL refuses root). DIR defaults to build/pg.
set -euo pipefail
cd "$(dirname "$0")/.."
PY="${PYTHON:-.venv/bin/python}"
[ -x "$PY" ] || PY=python3
exec "$PY" -m hub.pgcluster "${1:-start}" "${2:-build/pg}"
