#!/usr/bin/env bash
# Benchmark: enriching stored orders with the sample rules (store read and write included), and the
# cost of a large rule table. Fills a store with the demo's orders, copies them to N (default
# 1,000,000), then times `juchu run --replay` of an enrich-only pipeline (process start to exit).
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/juchu/target}"
# JUCHU_BIN=path benchmarks another build (an earlier commit, say) on the same inputs.
BIN="${JUCHU_BIN:-}"
if [ -z "$BIN" ]; then cargo build --release --quiet; BIN="$CARGO_TARGET_DIR/release/juchu"; fi
N="${N:-1000000}"
DATA=bench/data/enrich
rm -rf "$DATA" && mkdir -p "$DATA"
NOW=2026-11-28T10:00:00+09:00
"$BIN" -q --now "$NOW" --store "$DATA/store.duckdb" run pipelines/demo.yaml
"$BIN" gen orders --count "$N" --store "$DATA/store.duckdb"
ORDERS=$("$BIN" query --store "$DATA/store.duckdb" --format csv "select count(*) from orders" | tail -1)
# A 1,000-row table in front of the sample rules: rows for other prefectures and regions, none matching
# before the sample ones do, so every order passes through it.
{
  echo "name: big"
  echo "inputs: [ship_to.prefecture, goods]"
  echo "outputs: [hold]"
  echo "rows:"
  for i in $(seq 1 1000); do echo "  - [\"どこか$i県\", \">= $i\", \"確認 $i\"]"; done
} > "$DATA/big.yaml"
# A 10-row table, the same shape.
head -n 14 "$DATA/big.yaml" > "$DATA/small.yaml"
for table in small big; do
  cat > "$DATA/$table-pipeline.yaml" <<YAML
settings: ../../../shop.yaml
stages:
  - id: enrich
    type: enrich
    with: { rules: [$table.yaml, ../../../rules/remote_islands.yaml, ../../../rules/split.yaml, ../../../rules/carrier.yaml, ../../../rules/shipping_fee.yaml, ../../../rules/cod_fee.yaml, ../../../rules/payment_fee.xlsx] }
YAML
done
ITEMS=$("$BIN" query --store "$DATA/store.duckdb" --format csv "select round(count(*) / (select count(*) from orders), 2) from order_items" | tail -1)
echo "$ORDERS orders, $ITEMS items each on average"
# Each replay twice per table; the last two with DuckDB's memory capped (JUCHU_MEMORY_LIMIT).
for run in "small -" "big -" "small -" "big -" "small 1GB" "big 1GB"; do
  read -r table limit <<< "$run"
  [ "$limit" = "-" ] && limit=""
  JUCHU_MEMORY_LIMIT="$limit" /usr/bin/time -f "%e %M" -o "$DATA/t" \
    "$BIN" -q --now "$NOW" --store "$DATA/store.duckdb" run --replay "$DATA/$table-pipeline.yaml"
  read -r SECS KB < "$DATA/t"
  awk -v n="$ORDERS" -v s="$SECS" -v kb="$KB" -v t="$table" -v l="${limit:-none}" \
    'BEGIN { printf "enrich --replay, %s table in front, memory limit %s: %d orders in %.2f s = %.0f orders/s, peak RSS %d MiB\n", t, l, n, s, n/s, kb/1024 }'
done
