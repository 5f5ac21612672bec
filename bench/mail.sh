#!/usr/bin/env bash
# Benchmark: rendering N (default 100,000) order mails from mail-templates/order_confirmation.txt,
# juchu's minijinja against Python's jinja2 (same template, same filters, same contexts), in one run
# on one machine. Prints mails/s of each and the ratio; also juchu's time to build each as a message.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/juchu/target}"
N="${N:-100000}"
TEMPLATE=mail-templates/order_confirmation.txt
cargo build --release --quiet --example mail_render
RUST=$("$CARGO_TARGET_DIR/release/examples/mail_render" "$TEMPLATE" "$N")
PY=$(python3 - "$TEMPLATE" "$N" <<'PYEOF'
import sys, time, datetime, jinja2
from types import SimpleNamespace as NS  # `order.items` on a dict would be its method
template, n = sys.argv[1], int(sys.argv[2])
def yen(v): return "¥" + ("-" if v < 0 else "") + f"{abs(v):,}"
def jdate(s):
    d = datetime.date.fromisoformat(s[:10]); return f"{d.year}年{d.month}月{d.day}日({'月火水木金土日'[d.weekday()]})"
def time_slot(s):
    a, _, b = s.partition("-"); return f"{int(a)}時〜{int(b)}時" if b else s
env = jinja2.Environment(undefined=jinja2.StrictUndefined, keep_trailing_newline=True)
env.filters.update(yen=yen, jdate=jdate, time_slot=time_slot)
t = env.from_string(open(template, encoding="utf-8").read())
shop = {"name": "和み雑貨店", "signature": "──\n和み雑貨店\nTEL 03-1234-5678", "phone": "03-1234-5678"}
def order(i):
    return NS(**{"mall": "rakuten", "number": f"123456-20261201-{i:010d}", "ordered_on": "2026-12-01", "orderer_name": "山田 太郎",
        "email": "taro@example.jp", "ship_to_name": "山田 花子", "ship_to_address": "〒150-0001 東京都渋谷区神宮前1-2-3",
        "payment_method": "クレジットカード", "billing_total": 1000 + i % 50000, "shipping": 0, "ship_date": "2026-12-02",
        "carrier": "ヤマト運輸", "desired_date": "2026-12-04", "desired_time_slot": "14-16", "tracking_number": "1234-5678-9012",
        "items": [NS(name="美濃焼 マグカップ", options="カラー:藍", quantity=2, unit_price=1990)]})
shop = NS(**shop)
contexts = [{"shop": shop, "order": order(i)} for i in range(n)]
start = time.perf_counter()
size = 0
for c in contexts:
    text = t.render(**c)
    size += len(text.split("\n", 1)[1].encode())
print(f"py_render_s={time.perf_counter() - start:.3f} jinja2={jinja2.__version__}")
PYEOF
)
eval "$RUST $PY"
awk -v n="$N" -v r="$rust_render_s" -v b="$rust_build_s" -v p="$py_render_s" -v jv="$jinja2" 'BEGIN {
  printf "rendering %d mails (mail-templates/order_confirmation.txt)\n", n
  printf "  juchu (minijinja):  %10.0f mails/s  (%.3f s)\n", n / r, r
  printf "  python jinja2 %s: %10.0f mails/s  (%.3f s)\n", jv, n / p, p
  printf "  ratio: juchu renders %.1fx as many mails per second\n", p / r
  printf "  juchu building each as an RFC 5322 message as well: %.0f mails/s (%.3f s)\n", n / b, b
}'
