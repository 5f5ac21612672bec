#!/usr/bin/env bash
# Benchmark: the verification workbook (`report`) for N orders (default 100,000): cells/s, peak
# memory and file size, process start to exit; and in the same run the peer, Python writing the same
# rows with XlsxWriter (constant_memory) and openpyxl (write_only), with the ratios.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/juchu/target}"
export JUCHU_LANG=en
BIN="${JUCHU_BIN:-}"
if [ -z "$BIN" ]; then cargo build --release --quiet; BIN="$CARGO_TARGET_DIR/release/juchu"; fi
N="${N:-100000}"
DATA=bench/data/report
rm -rf "$DATA" && mkdir -p "$DATA"
NOW=2026-11-28T10:00:00+09:00
S="$DATA/store.duckdb"
"$BIN" -q --now "$NOW" --store "$S" run pipelines/demo.yaml
"$BIN" gen orders --count "$N" --store "$S" > /dev/null
cat > "$DATA/enrich.yaml" <<YAML
settings: ../../../shop.yaml
stages:
  - id: enrich
    type: enrich
    with: { rules: [../../../rules/remote_islands.yaml, ../../../rules/split.yaml, ../../../rules/carrier.yaml, ../../../rules/shipping_fee.yaml, ../../../rules/postage_included.yaml, ../../../rules/cod_fee.yaml, ../../../rules/payment_fee.xlsx] }
YAML
"$BIN" -q --now "$NOW" --store "$S" run --replay "$DATA/enrich.yaml"
cat > "$DATA/report.yaml" <<YAML
settings: ../../../shop.yaml
stages:
  - id: book
    type: report
    with: { path: book.xlsx, from: 2000-01-01, to: 2100-12-31 }
YAML
for run in 1 2; do
  /usr/bin/time -f "%e %M" -o "$DATA/t" "$BIN" --now "$NOW" --store "$S" run "$DATA/report.yaml" > "$DATA/out.txt"
  read -r SECS KB < "$DATA/t"
  ROWS=$(grep -oE '[0-9]+ order rows, [0-9]+ item rows' "$DATA/out.txt")
  O=$(echo "$ROWS" | grep -oE '^[0-9]+'); I=$(echo "$ROWS" | grep -oE '[0-9]+ item' | grep -oE '[0-9]+')
  SIZE=$(stat -c %s "$DATA/book.xlsx")
  # 27 columns on each sheet, blank cells included, as the peer counts them.
  awk -v o="$O" -v i="$I" -v s="$SECS" -v kb="$KB" -v b="$SIZE" -v r="$run" 'BEGIN {
    c = (o + i) * 27; printf "juchu report, run %d: %d order rows + %d item rows = %d cells in %.2f s = %.0f cells/s, peak RSS %d MiB, %.1f MB\n", r, o, i, c, s, c/s, kb/1024, b/1e6 }' | tee "$DATA/juchu.txt"
done
# The same rows for the peer, exported before its clock starts.
"$BIN" query --store "$S" --format csv --raw "select id, reason from check_reasons" > "$DATA/reasons.csv"
"$BIN" query --store "$S" --format csv --raw "select o.mall, o.order_number, case when o.shipment_count > 1 then e.shipment_no::varchar || '/' || o.shipment_count else '' end,
  strftime(o.ordered_at, '%Y-%m-%d %H:%M:%S'), coalesce(o.orderer_name, ''), coalesce(o.ship_to_prefecture, ''), o.billing_total, e.checks,
  array_to_string(e.check_reason_ids, ',') from order_enrichment e join orders o using (mall, shop, order_number) order by o.mall, o.ordered_at, o.order_number, e.shipment_no" > "$DATA/checks.csv"
"$BIN" query --store "$S" --format csv --raw "select o.mall, o.order_number, i.line_no, i.shipment_no, i.product_code, i.name, coalesce(i.options_text, ''), i.option_price,
  i.unit_price, i.quantity, i.tax_rate, e.logistics_company, e.logistics_company_source, e.carrier, e.carrier_source, e.ship_date::varchar, e.ship_date_source,
  e.desired_date::varchar, e.desired_date_source, e.desired_time_slot, e.desired_time_slot_source, o.shipping, e.shipping_fee, e.shipping_fee_source, o.cod_fee, e.cod_fee, e.cod_fee_source
  from order_items i join orders o using (mall, shop, order_number) left join order_enrichment e on e.mall = i.mall and e.shop = i.shop and e.order_number = i.order_number and e.shipment_no = i.shipment_no
  order by o.mall, o.ordered_at, o.order_number, i.shipment_no, i.line_no" > "$DATA/items.csv"
python3 bench/report_peer.py "$DATA/checks.csv" "$DATA/items.csv" "$DATA/reasons.csv" "$DATA" | tee "$DATA/peer.txt"
J=$(grep -oE '= [0-9]+ cells/s' "$DATA/juchu.txt" | grep -oE '[0-9]+')
while read -r line; do
  P=$(echo "$line" | grep -oE '= [0-9,]+ cells/s' | tr -d ',' | grep -oE '[0-9]+')
  NAME=$(echo "$line" | sed -E 's/^peer ([^:]+):.*/\1/')
  awk -v j="$J" -v p="$P" -v n="$NAME" 'BEGIN { printf "ratio juchu / %s: %.1f×\n", n, j/p }'
done < "$DATA/peer.txt"
