#!/usr/bin/env bash
# Measures what the README's "Speed and scale" reports, in one run on this machine, each
# figure beside its floor: the same server's /healthz (what HTTP and this load client
# can do at all) and the database's own limit for an order's writes (SQLite: the same
# statements in a loop in one process; PostgreSQL: pgbench running them). Ends with a
# table of every figure, its target and its ratio to the floor.
# Needs PostgreSQL on 127.0.0.1:5432 (user postgres, trust auth) and pgbench.
#   bash benches/load.sh [seconds per run, default 10]
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_PER_RUN="${1:-10}"
CLIENTS=64
PG_ADMIN="${PG_ADMIN:-postgres://postgres@127.0.0.1:5432/postgres}"
PG_URL="${PG_ADMIN%/*}/greenroom_load"
cargo build --release -q --bins
B="$PWD/target/release/greenroom"
LOAD="$PWD/target/release/greenroom-loadtest"
WORK="$(mktemp -d)"
# E-mails go to a memory file system: on this disk, creating files where many were just
# deleted (ext4 looking for an inode not recently freed) was seen to take a third of the
# server's time, which is not Greenroom's.
OUTBOX="$(mktemp -d -p /dev/shm 2>/dev/null || mktemp -d)"
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$WORK" "$OUTBOX"' EXIT
PEAK_RSS=0

serve() { # url port
  # One client address sends every order here: the per-address and per-e-mail order
  # limits are turned off, as for a trusted front end.
  "$B" serve --database-url "$1" --bind "127.0.0.1:$2" --no-demo-roster --outbox-dir "$OUTBOX/outbox-$2" \
    --orders-per-address-per-hour 0 --orders-per-email-per-day 0 >"$WORK/serve-$2.log" 2>&1 &
  SERVER=$!
  PORT=$2
  for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$2/readyz" >/dev/null && return; sleep 0.1; done
  echo "the server on port $2 did not start" >&2; cat "$WORK/serve-$2.log" >&2; exit 1
}

stop() {
  kill "$SERVER"; wait "$SERVER" 2>/dev/null || true
}

# drive KEY LABEL MIX PRODUCERS [CLIENTS]: run the load tool, keep its report in
# $WORK/KEY.out, and note its operation's rate, p50 and p99.
drive() {
  local key=$1 label=$2 mix=$3 producers=$4 clients=${5:-$CLIENTS}
  echo; echo "### $label ($clients clients, $SECONDS_PER_RUN s)"
  "$LOAD" --url "http://127.0.0.1:$PORT" --token "$TOKEN" --concurrency "$clients" \
    --duration "$SECONDS_PER_RUN" --producers "$producers" --mix "$mix" --server-pid "$SERVER" \
    >"$WORK/$key.out"
  sed -n '/^operation/,$p' "$WORK/$key.out"
  local rss
  rss=$(awk '/peak RSS/ {print $(NF-1)}' "$WORK/$key.out")
  PEAK_RSS=$(awk -v a="$PEAK_RSS" -v b="${rss:-0}" 'BEGIN {print (b > a) ? b : a}')
}

# seed PREFIX URL: 500 producers, a few orders (a booking to copy), then the schedule
# filled to $ASSIGNMENTS assignments over two years.
ASSIGNMENTS="${ASSIGNMENTS:-200000}"
seed() {
  "$LOAD" --url "http://127.0.0.1:$PORT" --token "$TOKEN" --concurrency 8 --duration 1 \
    --producers 500 --mix orders >"$WORK/$1_warm.out"
  echo; echo "### the schedule: $("$LOAD" --seed "$ASSIGNMENTS" --seed-url "$2")"
}

# rate KEY OP / p50 KEY OP / p99 KEY OP: a figure of a run's report.
rate() { awk -v op="$2" '$1 == op {print $3}' "$WORK/$1.out"; }
p50() { awk -v op="$2" '$1 == op {print $4}' "$WORK/$1.out"; }
p99() { awk -v op="$2" '$1 == op {print $6}' "$WORK/$1.out"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.0f %%", (b > 0) ? 100 * a / b : 0}'; }

echo "## machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB; $(date -u +%F); $CLIENTS clients unless said;"
echo "## availability and orders with 500 producers and $ASSIGNMENTS assignments"

echo; echo "## SQLite"
SQLITE="sqlite://$WORK/load.db"
TOKEN=$("$B" staff-token create --role admin --database-url "$SQLITE" | tail -n1)
serve "$SQLITE" 18080
drive s_healthz "SQLite server, GET /healthz (the floor)" healthz 0
drive s_packages "SQLite server, GET /api/v1/packages" packages 0
drive s_openapi "SQLite server, GET /api/v1/openapi.json" openapi 0
drive s_slots "SQLite, a month of free start times, 50 producers" slots 50 1
seed s "$SQLITE"
drive s_avail "SQLite, availability, 500 producers" availability 500
drive s_orders "SQLite, orders, 500 producers" orders 500
stop
cp "$WORK/load.db" "$WORK/limit.db"
echo; echo "### SQLite's limit: an order's writes in a loop, one process"
"$LOAD" --db-limit "sqlite://$WORK/limit.db" --duration "$SECONDS_PER_RUN" | tee "$WORK/s_limit.out"
S_LIMIT=$(awk '{for (i = 1; i < NF; i++) if ($(i+1) == "per") print $i}' "$WORK/s_limit.out" | tail -n1)

echo; echo "## PostgreSQL"
psql "$PG_ADMIN" -qc "DROP DATABASE IF EXISTS greenroom_load WITH (FORCE)" -c "CREATE DATABASE greenroom_load"
TOKEN=$("$B" staff-token create --role admin --database-url "$PG_URL" | tail -n1)
serve "$PG_URL" 18081
drive p_healthz "PostgreSQL server, GET /healthz (the floor)" healthz 0
seed p "$PG_URL"
drive p_avail "PostgreSQL, availability, 500 producers" availability 500
drive p_orders "PostgreSQL, orders, 500 producers" orders 500
stop
echo; echo "### PostgreSQL's limit: pgbench, an order's writes alone (benches/order-writes.pgbench.sql)"
PG_LIMIT=0
psql "$PG_URL" -qc "CREATE SEQUENCE IF NOT EXISTS pgbench_orders"
for clients in 16 64; do
  tps=$(pgbench -n -c "$clients" -j 2 -T "$SECONDS_PER_RUN" -f benches/order-writes.pgbench.sql "$PG_URL" 2>&1 |
    awk '/^tps/ {print $3}')
  echo "pgbench, $clients clients: $tps transactions/s"
  PG_LIMIT=$(awk -v a="$PG_LIMIT" -v b="$tps" 'BEGIN {print (b > a) ? b : a}')
done

S_FLOOR=$(rate s_healthz healthz)
P_FLOOR=$(rate p_healthz healthz)
echo
echo "## Summary (ratios against the same run's floor)"
echo
echo "| what | measured | target | ratio |"
echo "|---|---|---|---|"
echo "| SQLite: GET /healthz | $S_FLOOR/s | (the floor) | |"
echo "| SQLite: GET /api/v1/packages | $(rate s_packages packages)/s | ≥ 50 % of /healthz | $(ratio "$(rate s_packages packages)" "$S_FLOOR") of /healthz |"
echo "| SQLite: GET /api/v1/openapi.json | $(rate s_openapi openapi)/s | ≥ 50 % of /healthz | $(ratio "$(rate s_openapi openapi)" "$S_FLOOR") of /healthz |"
echo "| SQLite: availability, 500 producers | $(rate s_avail availability)/s, p99 $(p99 s_avail availability) ms | ≥ 10,000/s, p99 ≤ 20 ms | $(ratio "$(rate s_avail availability)" "$S_FLOOR") of /healthz |"
echo "| SQLite: a month of free starts, 50 producers, 1 client | p50 $(p50 s_slots slots) ms | p50 ≤ 10 ms | |"
echo "| SQLite: orders | $(rate s_orders order)/s, p99 $(p99 s_orders order) ms | ≥ 2,000/s | $(ratio "$(rate s_orders order)" "$S_LIMIT") of the writes' loop, grouped as the writer does ($S_LIMIT/s) |"
echo "| PostgreSQL: GET /healthz | $P_FLOOR/s | (the floor) | |"
echo "| PostgreSQL: availability, 500 producers | $(rate p_avail availability)/s, p99 $(p99 p_avail availability) ms | ≥ 5,000/s, p99 ≤ 20 ms | $(ratio "$(rate p_avail availability)" "$P_FLOOR") of /healthz |"
echo "| PostgreSQL: orders | $(rate p_orders order)/s, p99 $(p99 p_orders order) ms | ≥ 70 % of pgbench | $(ratio "$(rate p_orders order)" "$PG_LIMIT") of pgbench ($PG_LIMIT tps) |"
echo "| server peak RSS, all runs | $PEAK_RSS MiB | ≤ 50 MiB | |"
echo
echo "Overlapping assignments after each run: $(grep -h 'overlapping' "$WORK"/*.out | awk '{s += $NF} END {print s + 0}')"
# Each run that placed orders waits for the outbox to empty, then compares the messages
# marked sent with the server's own count of sends.
echo "E-mails after the runs: $(grep -h '^e-mails sent' "$WORK"/*.out | awk -F'[:;] *' '{sent += $2; twice += $4; failed += $6; pending += $8} END {printf "%d sent, %d sent twice, %d failed, %d still pending", sent, twice, failed, pending}')"
