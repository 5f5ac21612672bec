#!/usr/bin/env bash
# Benchmark: orders/s through the full Rakuten path against the mock mall on loopback
# (searchOrder pages + getOrder by 100 + normalise + upsert), and the wall time of a polling run
# with nothing new, as cron starts it (process start to exit, store open, every mall asked).
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/juchu/target}"
# JUCHU_BIN=path benchmarks another build (an earlier commit, say) on the same inputs.
BIN="${JUCHU_BIN:-}"
if [ -z "$BIN" ]; then cargo build --release --quiet; BIN="$CARGO_TARGET_DIR/release/juchu"; fi
DATA=bench/data/orders
rm -rf "$DATA" && mkdir -p "$DATA"
cat > "$DATA/busy.yaml" <<YAML
seed: 11
minutes_between_orders: 1
YAML
DAYS="${DAYS:-3}"
cat > "$DATA/first.yaml" <<YAML
settings: ../../../shop.yaml
stages:
  - id: orders
    type: fetch_orders
    with: { malls: [rakuten], initial_days: $DAYS }
YAML
cat > "$DATA/poll.yaml" <<YAML
settings: ../../../shop.yaml
stages:
  - id: orders
    type: fetch_orders
    with: { malls: [rakuten, yahoo, amazon, aupay, futureshop, yamada, ponpare] }
YAML
NOW=2026-11-28T10:00:00+09:00
export JUCHU_MOCK_SCENARIO="$DATA/busy.yaml"
# The lines this script reads are the English ones (staff see Japanese by default).
export JUCHU_LANG=en
for run in 1 2 3; do
  rm -f "$DATA/store.duckdb"*
  OUT=$("$BIN" -vv --now "$NOW" --store "$DATA/store.duckdb" run "$DATA/first.yaml" 2>&1)
  N=$(echo "$OUT" | grep -oE 'rakuten: [0-9]+ new' | grep -oE '[0-9]+')
  MS=$(echo "$OUT" | grep -oE 'saved at [0-9]+ ms' | grep -oE '[0-9]+')
  FETCH=$(echo "$OUT" | grep -oE 'fetched [0-9]+ orders in [0-9]+ ms' | grep -oE '[0-9]+ ms' | grep -oE '[0-9]+')
  awk -v n="$N" -v ms="$MS" -v f="$FETCH" -v r="$run" 'BEGIN { printf "rakuten path, run %d: %d orders in %d ms (fetch+normalise %d ms, upsert %d ms) = %.0f orders/s\n", r, n, ms, f, ms-f, n/(ms/1000) }'
done
# Polls with nothing new (a quiet shop: an order every 12 hours), after a first poll filled the store.
cat > "$DATA/quiet.yaml" <<YAML
seed: 11
minutes_between_orders: 720
YAML
export JUCHU_MOCK_SCENARIO="$DATA/quiet.yaml"
rm -f "$DATA/poll.duckdb"*
"$BIN" -q --now "$NOW" --store "$DATA/poll.duckdb" run "$DATA/poll.yaml"
for i in 1 2 3 4 5; do
  T=$(printf "2026-11-28T10:%02d:00+09:00" $((3 * i)))
  /usr/bin/time -f "%e" -o "$DATA/t" "$BIN" -q --now "$T" --store "$DATA/poll.duckdb" run "$DATA/poll.yaml" || true
  echo "poll $i at $T, nothing new, all seven malls asked: $(cat "$DATA/t") s wall (process start to exit)"
done
