#!/usr/bin/env python3
"""Generate syukujitsu.csv (Japanese national holidays, 1955-2027) in the
Cabinet Office format, UTF-8, LF.

The rules follow 国民の祝日に関する法律 and its amendments; one-off holidays and
the 2019-2021 special cases are listed explicitly. Names are written exactly as
the Cabinet Office file writes them: every substitute holiday (振替休日) and every
"sandwiched" day (国民の休日) is named 「休日」 there, so it is here too.

Usage: python3 generate.py [output-path]   (default: syukujitsu.csv beside this file)
"""
import datetime as dt
import os
import sys

FIRST_YEAR, LAST_YEAR = 1955, 2027
D = dt.date


def nth_monday(y, m, n):
    d = D(y, m, 1)
    offset = (7 - d.weekday()) % 7  # weekday(): Monday == 0
    return d + dt.timedelta(days=offset + 7 * (n - 1))


def vernal_equinox(y):
    # Standard approximation, valid 1900-2099.
    if y <= 1979:
        return int(20.8357 + 0.242194 * (y - 1980) - int((y - 1983) / 4))
    return int(20.8431 + 0.242194 * (y - 1980) - int((y - 1980) / 4))


def autumnal_equinox(y):
    if y <= 1979:
        return int(23.2588 + 0.242194 * (y - 1980) - int((y - 1983) / 4))
    return int(23.2488 + 0.242194 * (y - 1980) - int((y - 1980) / 4))


# One-off holidays (special laws), with the Cabinet Office names.
ONE_OFF = {
    D(1959, 4, 10): "結婚の儀",          # 皇太子明仁親王の結婚の儀
    D(1989, 2, 24): "大喪の礼",          # 昭和天皇の大喪の礼
    D(1990, 11, 12): "即位礼正殿の儀",
    D(1993, 6, 9): "結婚の儀",           # 皇太子徳仁親王の結婚の儀
    D(2019, 5, 1): "休日（祝日扱い）",     # 天皇の即位の日
    D(2019, 10, 22): "休日（祝日扱い）",   # 即位礼正殿の儀の行われる日
}


def statutory(y):
    """The 祝日 proper (no substitute / sandwiched days) of year y."""
    h = {}
    h[D(y, 1, 1)] = "元日"
    h[nth_monday(y, 1, 2) if y >= 2000 else D(y, 1, 15)] = "成人の日"
    if y >= 1967:
        h[D(y, 2, 11)] = "建国記念の日"
    if y >= 2020:
        h[D(y, 2, 23)] = "天皇誕生日"
    h[D(y, 3, vernal_equinox(y))] = "春分の日"
    if y <= 1988:
        h[D(y, 4, 29)] = "天皇誕生日"
    elif y <= 2006:
        h[D(y, 4, 29)] = "みどりの日"
    else:
        h[D(y, 4, 29)] = "昭和の日"
    h[D(y, 5, 3)] = "憲法記念日"
    if y >= 2007:
        h[D(y, 5, 4)] = "みどりの日"
    h[D(y, 5, 5)] = "こどもの日"
    # 海の日: 1996-2002 7/20, 2003- 3rd Monday of July; Olympic moves 2020/2021.
    if y == 2020:
        h[D(2020, 7, 23)] = "海の日"
    elif y == 2021:
        h[D(2021, 7, 22)] = "海の日"
    elif y >= 2003:
        h[nth_monday(y, 7, 3)] = "海の日"
    elif y >= 1996:
        h[D(y, 7, 20)] = "海の日"
    # 山の日: from 2016 on 8/11; Olympic moves 2020/2021.
    if y == 2020:
        h[D(2020, 8, 10)] = "山の日"
    elif y == 2021:
        h[D(2021, 8, 8)] = "山の日"
    elif y >= 2016:
        h[D(y, 8, 11)] = "山の日"
    if y >= 2003:
        h[nth_monday(y, 9, 3)] = "敬老の日"
    elif y >= 1966:
        h[D(y, 9, 15)] = "敬老の日"
    h[D(y, 9, autumnal_equinox(y))] = "秋分の日"
    # 体育の日 (1966-) -> スポーツの日 (2020-); Olympic moves 2020/2021.
    if y == 2020:
        h[D(2020, 7, 24)] = "スポーツの日"
    elif y == 2021:
        h[D(2021, 7, 23)] = "スポーツの日"
    elif y >= 2020:
        h[nth_monday(y, 10, 2)] = "スポーツの日"
    elif y == 2019:
        h[nth_monday(y, 10, 2)] = "体育の日（スポーツの日）"  # as in the official file
    elif y >= 2000:
        h[nth_monday(y, 10, 2)] = "体育の日"
    elif y >= 1966:
        h[D(y, 10, 10)] = "体育の日"
    h[D(y, 11, 3)] = "文化の日"
    h[D(y, 11, 23)] = "勤労感謝の日"
    if 1989 <= y <= 2018:
        h[D(y, 12, 23)] = "天皇誕生日"
    for d, name in ONE_OFF.items():
        if d.year == y:
            h[d] = name
    return h


def holidays():
    base = {}
    for y in range(FIRST_YEAR - 1, LAST_YEAR + 2):
        base.update(statutory(y))
    result = dict(base)
    one_day = dt.timedelta(days=1)
    # 国民の休日: a weekday sandwiched between two 祝日 (law of 1985-12-27).
    # Also covers 2019/4/30 and 2019/5/2.
    for d in sorted(base):
        c = d + one_day
        if (c >= D(1985, 12, 27) and c not in base and c.weekday() != 6
                and (c + one_day) in base):
            result[c] = "休日"
    # 振替休日 (from 1973-04-12): a 祝日 on a Sunday moves to the next day; from
    # 2007 to the next day that is not a 祝日.
    for d in sorted(base):
        if d.weekday() == 6 and d >= D(1973, 4, 12):
            c = d + one_day
            if d.year >= 2007:
                while c in base:
                    c += one_day
            if c not in result:
                result[c] = "休日"
    return {d: n for d, n in result.items() if FIRST_YEAR <= d.year <= LAST_YEAR}


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "syukujitsu.csv")
    rows = ["国民の祝日・休日月日,国民の祝日・休日名称"]
    for d, name in sorted(holidays().items()):
        rows.append(f"{d.year}/{d.month}/{d.day},{name}")
    with open(out, "w", encoding="utf-8", newline="\n") as f:
        f.write("\n".join(rows) + "\n")
    print(f"wrote {len(rows) - 1} holidays to {out}")


if __name__ == "__main__":
    main()
