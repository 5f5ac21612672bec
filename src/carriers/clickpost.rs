//! クリックポスト 一括申込 CSV: 8 columns with a header row, CP932, CRLF, at most 40 rows per file
//! (so several files, suffixed `-1`, `-2`…).
//!
//! お届け先氏名 ≤40, 敬称 様, お届け先住所 1–4行目 ≤40 each (the address from the prefecture,
//! wrapped), 内容品 ≤30 (shortened by design); widths in half-width units. クリックポスト has no
//! COD, cool, date or time slot: a slip asking for one is a problem, not silently dropped.

use super::{header_line, slot_shown, temperature, Row, Slip, SlipFile, SlipFiles, SlipFormat, SlipProblem, Temperature};

pub const COLUMNS: [&str; 8] = [
    "お届け先郵便番号",
    "お届け先氏名",
    "お届け先敬称",
    "お届け先住所1行目",
    "お届け先住所2行目",
    "お届け先住所3行目",
    "お届け先住所4行目",
    "内容品",
];

/// クリックポスト takes at most this many rows per file.
pub const MAX_ROWS: usize = 40;

pub fn write(slips: &[Slip]) -> SlipFiles {
    let mut out = SlipFiles::default();
    let mut rows = Vec::new();
    for s in slips {
        match row(s) {
            Ok(line) => rows.push((s.key.clone(), line)),
            Err(p) => out.problems.extend(p),
        }
    }
    let chunks = rows.len().div_ceil(MAX_ROWS);
    for (i, chunk) in rows.chunks(MAX_ROWS).enumerate() {
        let mut bytes = header_line(&COLUMNS);
        for (_, line) in chunk {
            bytes.extend_from_slice(line);
        }
        let suffix = if chunks > 1 { format!("-{}", i + 1) } else { String::new() };
        out.files.push(SlipFile { suffix, bytes, keys: chunk.iter().map(|(k, _)| k.clone()).collect() });
    }
    out
}

fn row(slip: &Slip) -> Result<Vec<u8>, Vec<SlipProblem>> {
    let mut r = Row::new(slip, SlipFormat::ClickPost, &COLUMNS);
    let to = &slip.to;
    r.postal(1, &to.postal_code);
    r.text(2, &to.name, 40, true);
    r.set(3, "様");
    r.wrapped(4, &[40, 40, 40, 40], &to.full_address(), true);
    r.items(8, 30);

    match slip.service.trim() {
        "" | "クリックポスト" => {}
        other => r.problem_named("配送方法", bad(other, "クリックポスト")),
    }
    if slip.cod.is_some() {
        r.problem_named("代金引換", bad("代引", "クリックポストは代引なし / no cash on delivery"));
    }
    if temperature(&slip.temperature) != Some(Temperature::Normal) {
        r.problem_named("温度帯", bad(&slip.temperature, "常温のみ / ambient only"));
    }
    if let Some(d) = slip.desired_date {
        r.problem_named("お届け希望日", bad(&d.format("%Y/%m/%d").to_string(), "クリックポストは日付指定なし / no delivery date"));
    }
    if let Some(slot) = &slip.time_slot {
        r.problem_named("お届け時間帯", bad(&slot_shown(slot), "クリックポストは時間帯指定なし / no time slot"));
    }
    r.finish(false)
}

fn bad(value: &str, expected: &str) -> super::ProblemKind {
    super::ProblemKind::BadValue { value: value.into(), expected: expected.into() }
}

#[cfg(test)]
mod tests {
    use super::super::test_slips::{check_golden, columns, golden_slips, plain};
    use super::super::{Cod, ProblemKind};
    use super::*;

    #[test]
    fn clickpost_golden() {
        let out = write(&golden_slips(SlipFormat::ClickPost));
        assert_eq!(out.problems, vec![]);
        assert_eq!(out.files.len(), 1);
        assert_eq!(out.files[0].suffix, "");
        let bytes = &out.files[0].bytes;
        check_golden("clickpost.csv", include_bytes!("../../tests/fixtures/slips/golden/clickpost.csv"), bytes);
        let rows = columns(bytes);
        assert!(rows.iter().all(|r| r.len() == 8), "8 columns on every line");
        assert_eq!(rows[0], COLUMNS);
        assert_eq!(
            rows[4][3..8],
            ["神奈川県横浜市港北区新横浜二丁目", "１００番地４５", "新横浜ガーデン北棟３５０１号室", "", "国産はちみつ 500g 他2点"]
        );
        assert_eq!(rows[2][1], "高橋 花子");
    }

    #[test]
    fn clickpost_41_slips_make_two_files() {
        let slips: Vec<Slip> = (1..=41).map(|i| plain(&format!("J{i:03}"), "クリックポスト")).collect();
        let out = write(&slips);
        assert_eq!(out.files.iter().map(|f| f.keys.len()).collect::<Vec<_>>(), vec![40, 1]);
        assert_eq!(out.files.iter().map(|f| f.suffix.as_str()).collect::<Vec<_>>(), vec!["-1", "-2"]);
        assert_eq!(out.files[1].keys, vec!["J041"]);
        assert_eq!(columns(&out.files[1].bytes).len(), 2, "header and one row");
    }

    #[test]
    fn clickpost_cod_is_a_problem() {
        let mut s = plain("J1", "クリックポスト");
        s.cod = Some(Cod { amount: 1000, tax: 90 });
        let out = write(&[s, plain("J2", "")]);
        assert_eq!(out.files[0].keys, vec!["J2"]);
        assert_eq!(out.problems.len(), 1);
        assert_eq!(out.problems[0].column, "代金引換");
        assert!(matches!(out.problems[0].kind, ProblemKind::BadValue { .. }));
    }
}
