#!/usr/bin/env python3
"""Build masters.xlsx from the UTF-8 CSV sources in src/.

Staff edit src/<sheet name>.csv (easy to diff and review); this script turns them into
one workbook, one sheet per master, in a fixed order. Run:

    python3 build_masters.py            # writes masters.xlsx beside this script

Requires openpyxl (pip install openpyxl).

Cell types: the columns listed in NUMERIC are written as numbers; everything else is
written as text, so codes with leading zeros (JISコード "01", 時間帯コード "0812",
ステータスコード) and lists such as 配送可能時間帯 "0812,1416" survive unchanged.
Dates in 休業日 stay text in YYYY-MM-DD form.
"""
import csv
import os
import sys

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.join(HERE, "src")

# Sheet order and exact headers.
SHEETS = [
    ("受注ステータス", ["モール", "ステータスコード", "ステータス名", "社内ステータス"]),
    ("決済方法", ["モール", "モール決済方法名", "社内決済方法"]),
    ("都道府県", ["JISコード", "都道府県名", "地域"]),
    ("配送会社", ["配送会社", "楽天配送会社コード", "クール便"]),
    ("配送時間帯", ["配送会社", "時間帯", "時間帯コード", "開始時刻", "終了時刻"]),
    ("物流会社", ["物流会社", "出荷元地域", "出荷元都道府県"]),
    ("配送条件", ["商品番号", "物流会社", "配送会社", "準備日数", "配送可能時間帯", "温度帯"]),
    # Optional: juchu loads a workbook without it (no delivery methods).
    ("配送方法", ["モール", "配送方法", "配送会社", "配送サービス", "温度帯", "時間帯指定"]),
    ("配送日数", ["出荷元地域", "都道府県", "配送日数"]),
    ("オプション加算", ["商品番号", "項目名", "選択肢", "加算額"]),
    ("顧客ランク", ["ランク", "累計購入金額", "購入回数", "優先順位"]),
    ("休業日", ["日付", "理由"]),
    ("定休日", ["曜日"]),
    # Optional: each mall's own carrier code, for the write-back (one table per mall).
    ("配送会社コード", ["モール", "配送会社", "配送会社コード"]),
]

NUMERIC = {
    "楽天配送会社コード", "開始時刻", "終了時刻", "準備日数", "配送日数",
    "加算額", "累計購入金額", "購入回数", "優先順位",
}


def cell_value(column, text):
    if text == "":
        return None  # a truly empty cell
    if column in NUMERIC:
        try:
            return int(text)
        except ValueError:
            sys.exit(f"column {column}: {text!r} is not an integer")
    return text


def width_of(value):
    s = str(value)
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in s)


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "masters.xlsx")
    wb = Workbook()
    wb.remove(wb.active)
    bold = Font(bold=True)
    for name, header in SHEETS:
        path = os.path.join(SRC, f"{name}.csv")
        with open(path, encoding="utf-8", newline="") as f:
            rows = list(csv.reader(f))
        if not rows or rows[0] != header:
            sys.exit(f"{path}: header must be {','.join(header)}, found {rows[:1]}")
        ws = wb.create_sheet(name)
        ws.append(header)
        for cell in ws[1]:
            cell.font = bold
        for lineno, row in enumerate(rows[1:], start=2):
            if len(row) != len(header):
                sys.exit(f"{path}:{lineno}: {len(row)} fields, expected {len(header)}")
            ws.append([cell_value(h, v) for h, v in zip(header, row)])
            for cell in ws[ws.max_row]:
                if isinstance(cell.value, str):
                    cell.number_format = "@"  # text format, keeps leading zeros on edit
        ws.freeze_panes = "A2"
        for i, h in enumerate(header, start=1):
            widest = max([width_of(h)] + [width_of(r[i - 1]) for r in rows[1:]])
            ws.column_dimensions[get_column_letter(i)].width = min(60, max(8, widest + 2))
    wb.save(out)
    print(f"wrote {out}: " + ", ".join(f"{n}" for n, _ in SHEETS))


if __name__ == "__main__":
    main()
