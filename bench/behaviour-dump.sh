#!/usr/bin/env bash
# Dumps what must not change across a refactor: the demo's store (every table, ordered, as CSV) and
# the output of `check`, `test` and `explain` on three orders, at a fixed clock.
# Usage: bench/behaviour-dump.sh OUT_DIR [BIN]   then `diff -r` two dumps.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/juchu/target}"
OUT="$1"
BIN="${2:-$CARGO_TARGET_DIR/release/juchu}"
rm -rf "$OUT" && mkdir -p "$OUT"
NOW=2026-11-28T10:00:00+09:00
STORE="$OUT/store.duckdb"
LANG_OPT=()
"$BIN" --help | grep -q -- '--lang' && LANG_OPT=(--lang en)
export JUCHU_LANG=en
"$BIN" -q --now "$NOW" --store "$STORE" run pipelines/demo.yaml > "$OUT/run.txt" 2>&1 || echo "exit $?" >> "$OUT/run.txt"
q() { "$BIN" "${LANG_OPT[@]}" query --store "$STORE" --format csv "$1"; }
for t in products product_skus product_options orders order_items order_enrichment order_checks; do
  q "select * exclude (fetched_at) from $t order by all" > "$OUT/$t.csv" 2>/dev/null || q "select * from $t order by all" > "$OUT/$t.csv"
done
for t in $(q "select table_name from information_schema.tables where table_name like 'm\_%' escape '\\' or table_name = 'master_sheets' order by 1" | tail -n +2); do
  q "select * from $t order by all" > "$OUT/$t.csv"
done
"$BIN" "${LANG_OPT[@]}" --now "$NOW" check pipelines/demo.yaml > "$OUT/check.txt" 2>&1 || echo "exit $?" >> "$OUT/check.txt"
"$BIN" "${LANG_OPT[@]}" test > "$OUT/test.txt" 2>&1 || echo "exit $?" >> "$OUT/test.txt"
for n in $(q "select order_number from order_enrichment order by checks_failed desc, order_number limit 3" | tail -n +2); do
  "$BIN" "${LANG_OPT[@]}" explain --store "$STORE" "$n" > "$OUT/explain-$n.txt" 2>&1 || echo "exit $?" >> "$OUT/explain-$n.txt"
done
rm -f "$STORE" "$STORE.wal"
ls "$OUT"
