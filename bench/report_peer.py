"""The peer of bench/report.sh: the same rows juchu's workbook holds (受注チェック and 明細, read from
CSV exports of the same store before the clock starts), written with XlsxWriter (constant_memory)
and with openpyxl (write_only). Prints cells/s and the file size of each."""
import csv, os, sys, time

checks_csv, items_csv, reasons_csv, out = sys.argv[1:5]
reasons = {int(r[0]): r[1] for r in csv.reader(open(reasons_csv, encoding="utf-8")) if r and r[0].isdigit()}
checks = []
for r in list(csv.reader(open(checks_csv, encoding="utf-8")))[1:]:
    mall, number, dest, at, orderer, pref, total, letters, ids = r
    row = [mall, number, dest, at, orderer, pref, int(total) if total else None]
    ids = [int(i) for i in ids.split(",") if i.strip()]
    for k, letter in enumerate(letters[:10]):
        row += [{"P": "✓", "F": "✗"}.get(letter, "−"), reasons.get(ids[k], "") if k < len(ids) else ""]
    checks.append(row)
items = [[int(v) if v.lstrip("-").isdigit() else v for v in r] for r in list(csv.reader(open(items_csv, encoding="utf-8")))[1:]]
cells = sum(len(r) for r in checks) + sum(len(r) for r in items)

def xlsxwriter_run(path):
    import xlsxwriter
    wb = xlsxwriter.Workbook(path, {"constant_memory": True})
    for name, rows in (("受注チェック", checks), ("明細", items)):
        ws = wb.add_worksheet(name)
        for i, row in enumerate(rows):
            for j, v in enumerate(row):
                if v is None or v == "":
                    continue
                if isinstance(v, int):
                    ws.write_number(i, j, v)
                else:
                    ws.write_string(i, j, v)
    wb.close()

def openpyxl_run(path):
    import openpyxl
    wb = openpyxl.Workbook(write_only=True)
    for name, rows in (("受注チェック", checks), ("明細", items)):
        ws = wb.create_sheet(name)
        for row in rows:
            ws.append([None if v == "" else v for v in row])
    wb.save(path)

for name, fn in (("XlsxWriter constant_memory", xlsxwriter_run), ("openpyxl write_only", openpyxl_run)):
    path = os.path.join(out, name.split()[0] + ".xlsx")
    t = time.perf_counter()
    fn(path)
    secs = time.perf_counter() - t
    print(f"peer {name}: {cells} cells in {secs:.2f} s = {cells / secs:,.0f} cells/s, {os.path.getsize(path) / 1e6:.1f} MB")
