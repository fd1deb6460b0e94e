#!/usr/bin/env bash
# Measures what the README reports, on this machine: Greenroom under 64 concurrent
# clients on SQLite and on PostgreSQL (the realistic mix, then orders only), pgbench
# running the same SQL transaction as an order, and availability over HTTP with 500
# producers. Needs PostgreSQL on 127.0.0.1:5432 (user postgres, trust) and pgbench.
#   bash benches/load.sh [seconds per run, default 20]
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_PER_RUN="${1:-20}"
PG_ADMIN="${PG_ADMIN:-postgres://postgres@127.0.0.1:5432/postgres}"
PG_URL="${PG_ADMIN%/*}/greenroom_load"
cargo build --release -q
B="$PWD/target/release/greenroom"
WORK="$(mktemp -d)"
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$WORK"' EXIT

serve() { # url port
  # One client address sends every order here: the per-address and per-e-mail order
  # limits are turned off, as for a trusted front end.
  "$B" serve --database-url "$1" --bind "127.0.0.1:$2" --no-demo-roster --outbox-dir "$WORK/outbox-$2" \
    --orders-per-address-per-hour 0 --orders-per-email-per-day 0 >"$WORK/serve-$2.log" 2>&1 &
  SERVER=$!
  for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$2/readyz" >/dev/null && return; sleep 0.1; done
  echo "the server on port $2 did not start" >&2; cat "$WORK/serve-$2.log" >&2; exit 1
}

drive() { # label url port token mix producers
  echo; echo "### $1"
  "$PWD/target/release/greenroom-loadtest" --url "http://127.0.0.1:$3" --token "$4" --concurrency 64 --duration "$SECONDS_PER_RUN" \
    --producers "$6" --mix "$5" --server-pid "$SERVER" | sed -n '/^greenroom-loadtest/,$p'
}

echo "## machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB; $(date -u +%F)"

SQLITE="sqlite://$WORK/load.db"
TOKEN=$("$B" staff-token create --role admin --database-url "$SQLITE" | tail -n1)
serve "$SQLITE" 18080
drive "SQLite, realistic mix" "$SQLITE" 18080 "$TOKEN" default 100
drive "SQLite, orders only" "$SQLITE" 18080 "$TOKEN" orders 100
kill "$SERVER"; wait "$SERVER" 2>/dev/null || true

psql "$PG_ADMIN" -qc "DROP DATABASE IF EXISTS greenroom_load WITH (FORCE)" -c "CREATE DATABASE greenroom_load"
TOKEN=$("$B" staff-token create --role admin --database-url "$PG_URL" | tail -n1)
serve "$PG_URL" 18081
drive "PostgreSQL, realistic mix" "$PG_URL" 18081 "$TOKEN" default 100
drive "PostgreSQL, orders only" "$PG_URL" 18081 "$TOKEN" orders 100
kill "$SERVER"; wait "$SERVER" 2>/dev/null || true

for clients in 16 64; do
  echo; echo "### pgbench, an order's transaction (benches/order.pgbench.sql), $clients clients"
  pgbench -n -c "$clients" -j 2 -T "$SECONDS_PER_RUN" -f benches/order.pgbench.sql "$PG_URL" 2>&1 | grep -E "^tps|latency average|failed"
done

psql "$PG_ADMIN" -qc "DROP DATABASE IF EXISTS greenroom_load WITH (FORCE)" -c "CREATE DATABASE greenroom_load"
TOKEN=$("$B" staff-token create --role admin --database-url "$PG_URL" | tail -n1)
serve "$PG_URL" 18082
drive "PostgreSQL, availability only, 500 producers" "$PG_URL" 18082 "$TOKEN" availability 500
kill "$SERVER"; wait "$SERVER" 2>/dev/null || true
