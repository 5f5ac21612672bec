#!/usr/bin/env bash
# Benchmark: outbox throughput against the mock mall on loopback, per mall. For each mall with a
# write API, a copy of the sample shop imports two days of orders, links only that mall, ships every
# order of it (one `orders ship` for all: one transaction), and times `juchu write-back` sending them:
# per change a committed `sending` row, the read at the mall, the write, the settled row.
# Prints changes per second per mall. N_HOURS (default 48) sets how many hours of orders the mock makes.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/juchu/target}"
cargo build --release --quiet
JUCHU="$CARGO_TARGET_DIR/release/juchu"
N_HOURS="${N_HOURS:-48}"
START="2026-11-28T10:00:00+09:00"
LATER=$(date -d "2026-11-28 10:00 +0900 + $N_HOURS hours" '+%Y-%m-%dT%H:%M:%S+09:00')
SEND=$(date -d "2026-11-28 10:00 +0900 + $N_HOURS hours + 3 minutes" '+%Y-%m-%dT%H:%M:%S+09:00')
export JUCHU_LANG=en
printf 'outbox throughput, mock mall on loopback (%s hours of orders; one change per order)\n' "$N_HOURS"
for mall in rakuten yahoo amazon aupay futureshop; do
  dir=$(mktemp -d)
  cp -r shop.yaml pipelines sample-data rules mail-templates "$dir"/
  (
    cd "$dir"
    "$JUCHU" --quiet --now "$START" run pipelines/demo.yaml >/dev/null 2>&1 || true
    "$JUCHU" --now "$START" orders move-status --to 処理済 --imported-before 2026-11-28T10:01 --yes >/dev/null
    "$JUCHU" --now "$START" linkage enable pipelines/demo.yaml --mall "$mall" --start 2026-11-28T10:30 >/dev/null 2>&1
    "$JUCHU" --quiet --now "$LATER" run pipelines/demo.yaml >/dev/null 2>&1 || true
    mapfile -t orders < <("$JUCHU" query --format csv "select order_number from orders where mall = '$mall' and ordered_at >= timestamp '2026-11-28 10:30:00' and not coalesce(cancelled, false) and mall_status not in ('Pending') order by 1" | tail -n +2)
    "$JUCHU" --now "$LATER" orders ship "${orders[@]}" --mall "$mall" --carrier ヤマト運輸 --tracking 4000-1111-0001 >/dev/null
    t0=$(date +%s.%N)
    "$JUCHU" --quiet --now "$SEND" write-back pipelines/demo.yaml >/dev/null 2>&1 || true
    t1=$(date +%s.%N)
    sent=$("$JUCHU" query --format csv "select count(*) from write_back_log where result = 'changed'" | tail -1)
    awk -v m="$mall" -v n="$sent" -v a="$t0" -v b="$t1" 'BEGIN { printf "  %-11s %5d changes in %6.2f s: %7.1f changes/s (process start to exit)\n", m, n, b - a, n / (b - a) }'
  )
  rm -rf "$dir"
done
