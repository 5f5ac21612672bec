#!/usr/bin/env bash
# Benchmark: import a generated 200,000-row Rakuten item.csv (CP932, full header) into the store.
# Prints MB/s, rows/s and peak memory; and the wall time of `juchu check` on the sample shop.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/juchu/target}"
ROWS="${ROWS:-200000}"
# JUCHU_BIN=path benchmarks another build (an earlier commit, say) on the same inputs.
BIN="${JUCHU_BIN:-}"
if [ -z "$BIN" ]; then cargo build --release --quiet; BIN="$CARGO_TARGET_DIR/release/juchu"; fi
DATA=bench/data
mkdir -p "$DATA"
[ -f "$DATA/item.csv" ] || "$BIN" gen rakuten-items --rows "$ROWS" --out "$DATA/item.csv"
cat > "$DATA/bench.yaml" <<YAML
settings: ../../shop.yaml
stages:
  - id: items
    type: import_products
    with: { mall: rakuten, items: item.csv }
YAML
BYTES=$(stat -c %s "$DATA/item.csv")
for run in 1 2 3; do
  rm -f "$DATA/bench.duckdb" "$DATA/bench.duckdb.wal"
  /usr/bin/time -f "%e %M" -o "$DATA/time.txt" "$BIN" -q --store "$DATA/bench.duckdb" run "$DATA/bench.yaml"
  read -r SECS KB < "$DATA/time.txt"
  awk -v b="$BYTES" -v s="$SECS" -v r="$ROWS" -v kb="$KB" -v n="$run" 'BEGIN {
    printf "import run %d: %d rows, %.1f MB in %.2f s = %.1f MB/s, %.0f rows/s, peak RSS %.0f MiB (process start to exit)\n", n, r, b/1e6, s, b/1e6/s, r/s, kb/1024 }'
done
/usr/bin/time -f "%e %M" -o "$DATA/time.txt" "$BIN" -q --store "$DATA/bench.duckdb" run "$DATA/bench.yaml"
read -r SECS KB < "$DATA/time.txt"
echo "re-import of the same file (all unchanged): ${SECS} s, peak RSS $((KB/1024)) MiB"
for i in 1 2 3; do
  /usr/bin/time -f "%e" -o "$DATA/time.txt" "$BIN" -q check pipelines/demo.yaml
  echo "juchu check pipelines/demo.yaml: $(cat "$DATA/time.txt") s wall"
done
