#!/usr/bin/env bash
# Benchmark: the shipping day at 10,000 orders. A copy of the sample shop fetches its orders, copies
# them until the store holds N_ORDERS (default 26,000: about 12,000 of them are ready to ship, 10,000 of them by ヤマト; the
# rest are held, failed a check or shipped already), and enriches them. Then, each timed from
# process start to exit:
#   juchu slips export   one file per carrier (B2クラウド, e飛伝, ゆうプリR), the slips recorded
#   juchu tracking import  B2's 発行済データ made from the B2 file: every number on its order,
#                          the orders 出荷済, a shipping write-back queued each
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/juchu/target}"
cargo build --release --quiet
JUCHU="$CARGO_TARGET_DIR/release/juchu"
N_ORDERS="${N_ORDERS:-26000}"
export JUCHU_LANG=en JUCHU_NO_PROGRESS=1
dir=$(mktemp -d)
[ -n "${KEEP:-}" ] || trap 'rm -rf "$dir"' EXIT; echo "$dir" >&2
cp -r shop.yaml pipelines sample-data rules mail-templates "$dir"/
cd "$dir"
# Copies share their recipients: no 同梱 proposals in this benchmark (they would hold the copies).
sed -i 's#../rules/holds.yaml\] }#../rules/holds.yaml], merge_window_hours: 0 }#' pipelines/demo.yaml
"$JUCHU" --quiet --now 2026-11-28T10:00:00+09:00 run pipelines/demo.yaml >/dev/null 2>&1 || true
"$JUCHU" gen orders --count "$N_ORDERS" --store state/juchu.duckdb >/dev/null
"$JUCHU" --quiet --now 2026-11-28T10:00:00+09:00 run pipelines/demo.yaml --replay >/dev/null 2>&1 || true
time_it() { local t0 t1; t0=$(date +%s.%N); "$@" >/dev/null 2>&1 || true; t1=$(date +%s.%N); awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }'; }
t_export=$(time_it "$JUCHU" --now 2026-12-31T14:00:00+09:00 slips export pipelines/shipping.yaml)
slips=$("$JUCHU" query --format csv "select count(*) from slips" | tail -1)
shipments=$("$JUCHU" query --format csv "select count(*) from slip_orders" | tail -1)
b2=$(ls out/slips/b2-*.csv)
python3 - "$b2" in/issued.csv <<'PY'
import csv, io, sys
rows = list(csv.reader(io.StringIO(open(sys.argv[1], encoding="cp932", newline="").read())))
out = io.StringIO(); w = csv.writer(out, lineterminator="\r\n"); w.writerow(rows[0])
for i, r in enumerate(rows[1:]):
    r[3] = "%012d" % (490700000000 + i); w.writerow(r)
import os; os.makedirs("in", exist_ok=True)
open(sys.argv[2], "w", encoding="cp932", newline="").write(out.getvalue())
PY
numbers=$(($(wc -l < in/issued.csv) - 1))
t_import=$(time_it "$JUCHU" --now 2026-12-31T16:00:00+09:00 tracking import in/issued.csv)
tracked=$("$JUCHU" query --format csv "select count(*) from slips where tracking_number is not null" | tail -1)
queued=$("$JUCHU" query --format csv "select count(*) from write_back_outbox where action = 'shipping'" | tail -1)
t_again=$(time_it "$JUCHU" --now 2026-12-31T16:05:00+09:00 tracking import in/issued.csv)
printf 'shipping day, %s orders in the store (2-core figures in the README)\n' "$N_ORDERS"
printf '  slips export     %6d slips (%d shipments) in %s s, process start to exit\n' "$slips" "$shipments" "$t_export"
printf '  tracking import  %6d numbers (%d slips tracked, %d write-backs queued) in %s s\n' "$numbers" "$tracked" "$queued" "$t_import"
printf '  the same file again: %s s (imported once, by its hash)\n' "$t_again"
