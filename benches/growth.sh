#!/usr/bin/env bash
# How an answer's cost grows with the roster and the schedule: availability and orders
# over HTTP (SQLite, release build, 64 clients, N seconds each) for 50, 500 and 5,000
# producers and 20,000, 200,000 and 2,000,000 assignments over two years, and a month of
# free start times over the whole roster (one client). Each roster's
# schedule is grown in place (20k, then to 200k, then to 2M). A cell whose schedule
# cannot fit without overlaps (2M over 50 producers is more than one producer can hold
# in two years) is left empty. Takes about 25 minutes with the default 5 s.
#   bash benches/growth.sh [seconds per run, default 5]
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_PER_RUN="${1:-5}"
cargo build --release -q --bins
B="$PWD/target/release/greenroom"
LOAD="$PWD/target/release/greenroom-loadtest"
WORK="$(mktemp -d)"
# E-mails are written to a memory file system: the disk's inode allocation after many
# deleted files was seen to take a third of the server's time, which is not Greenroom's.
OUTBOX="$(mktemp -d -p /dev/shm 2>/dev/null || mktemp -d)"
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$WORK" "$OUTBOX"' EXIT
PORT=18095
ROWS=()

for producers in 50 500 5000; do
  DB="sqlite://$WORK/growth-$producers.db"
  TOKEN=$("$B" staff-token create --role admin --database-url "$DB" | tail -n1)
  "$B" serve --database-url "$DB" --bind "127.0.0.1:$PORT" --no-demo-roster --outbox-dir "$OUTBOX/$producers" \
    --orders-per-address-per-hour 0 --orders-per-email-per-day 0 >"$WORK/serve.log" 2>&1 &
  SERVER=$!
  for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$PORT/readyz" >/dev/null && break; sleep 0.1; done
  # The roster, and a few orders to copy.
  "$LOAD" --url "http://127.0.0.1:$PORT" --token "$TOKEN" --concurrency 8 --duration 1 \
    --producers "$producers" --mix orders >/dev/null
  have=0
  for assignments in 20000 200000 2000000; do
    if ! seeded=$("$LOAD" --seed $((assignments - have)) --seed-url "$DB" 2>&1); then
      echo "$producers producers, $assignments assignments: $seeded"
      ROWS+=("| $producers | $assignments | (does not fit) | | |")
      continue
    fi
    have=$assignments
    echo "$producers producers, $assignments assignments: $seeded"
    row="| $producers | $assignments |"
    for mix in availability orders; do
      "$LOAD" --url "http://127.0.0.1:$PORT" --token "$TOKEN" --concurrency 64 \
        --duration "$SECONDS_PER_RUN" --producers "$producers" --mix "$mix" >"$WORK/$mix.out"
      op=$([ "$mix" = orders ] && echo order || echo availability)
      figures=$(awk -v op="$op" '$1 == op {printf "%s/s, p50 %s ms, p99 %s ms", $3, $4, $6}' "$WORK/$mix.out")
      echo "  $mix: $figures"
      row="$row $figures |"
    done
    slots=$("$LOAD" --url "http://127.0.0.1:$PORT" --token "$TOKEN" --concurrency 1 \
      --duration "$SECONDS_PER_RUN" --producers "$producers" --mix slots | awk '$1 == "slots" {print "p50 " $4 " ms"}')
    echo "  a month of free starts, every producer: $slots"
    ROWS+=("$row $slots |")
  done
  kill "$SERVER"; wait "$SERVER" 2>/dev/null || true
done

echo
echo "## Growth ($(nproc) cores, $(date -u +%F), SQLite, 64 clients, $SECONDS_PER_RUN s each)"
echo
echo "| producers | assignments | availability | orders | a month of free starts over the whole roster (1 client) |"
echo "|---|---|---|---|---|"
printf '%s\n' "${ROWS[@]}"
