//! `juchu apply BOOK.xlsx`: the decisions staff chose in the verification workbook (判断 on
//! 受注チェック, 保留 and 同梱候補) into the store, in one transaction. Every decision cell is
//! logged in `workbook_decisions`; an order that changed since the workbook was written is refused,
//! never overwritten; applying the same workbook again changes nothing.

use std::collections::HashMap;
use std::path::Path;

use crate::domain::lang::pick;
use crate::io::decisions::{self, Decision, DecisionCell, ReadError};
use crate::pipeline::runner::RunOptions;
use crate::store::shipping::{self, OrderKey, WorkbookDecision};
use crate::ExitStatus;

/// The reason a hold from the workbook carries (order_holds.reason).
pub const HOLD_REASON: &str = "確認用ブックで保留";

/// What became of one decision cell.
enum Outcome {
    Applied(String),
    Unchanged(String),
    /// Not used: what is wrong, and how to fix it.
    Refused {
        what: String,
        help: String,
    },
}

impl Outcome {
    fn word(&self) -> &'static str {
        match self {
            Outcome::Applied(_) => "applied",
            Outcome::Unchanged(_) => "unchanged",
            Outcome::Refused { .. } => "refused",
        }
    }
}

fn refused(what: String, help: String) -> Outcome {
    Outcome::Refused { what, help }
}

pub fn apply(path: &Path, opts: &RunOptions) -> ExitStatus {
    let shown = crate::config::diagnostic::display_path(path);
    if !path.is_file() {
        eprintln!("error: {}", pick(format!("ブック {shown} がありません"), format!("no workbook at {shown}")));
        eprintln!(
            "  help: {}",
            pick(
                "確認用ブックのパスを書いてください（例: out/verification-2026-12-02.xlsx）",
                "name the verification workbook, e.g. out/verification-2026-12-02.xlsx"
            )
        );
        return ExitStatus::Usage;
    }
    let book = match decisions::read(path) {
        Ok(b) => b,
        Err(ReadError::Io(e)) => {
            eprintln!("error: {shown}: {e}");
            return ExitStatus::Usage;
        }
        Err(ReadError::NotJuchu(why)) => {
            eprintln!("error: {shown}: {why}");
            eprintln!(
                "  help: {}",
                pick(
                    "report ステージが書いた確認用ブック（受注チェックのシートに「判断」の列があるもの）を指定してください",
                    "give a verification workbook written by the report stage (an Order checks sheet with a Decision column)"
                )
            );
            return ExitStatus::Config;
        }
    };
    let file_name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| shown.clone());
    let command = format!("apply {shown}");
    let (_lock, store) = match super::query::open_for_writing(opts, &command) {
        Ok(opened) => opened,
        Err(status) => return status,
    };
    let internal = |e: anyhow::Error| {
        eprintln!("error: {e:#}");
        ExitStatus::Internal
    };
    let by = crate::io::login_name("unknown");
    let now = opts.clock.now();
    let tx = match store.conn.unchecked_transaction() {
        Ok(tx) => tx,
        Err(e) => return internal(e.into()),
    };
    // Cells this workbook (by its bytes) already had applied: the same again changes nothing, even
    // where the order moved on since (another workbook released what this one held).
    let done: HashMap<String, String> = match shipping::recorded_decisions(&tx, &book.file_hash) {
        Ok(r) => r.into_iter().filter(|(_, _, o)| o != "refused").map(|(cell, d, _)| (cell, d)).collect(),
        Err(e) => return internal(e),
    };
    let open_groups = match shipping::merge_groups_open(&tx) {
        Ok(g) => g,
        Err(e) => return internal(e),
    };
    // Holds first, then 出荷OK, then 同梱: a 保留解除 and a 出荷OK of one order in one workbook both apply.
    let mut cells: Vec<(usize, &DecisionCell)> = book.cells.iter().enumerate().collect();
    let phase = |c: &DecisionCell| match Decision::parse(&c.text) {
        Some(Decision::Hold | Decision::Release) => 0,
        Some(Decision::ShipOk) => 1,
        _ => 2,
    };
    cells.sort_by_key(|(_, c)| phase(c));
    let mut group_decided: HashMap<String, Decision> = HashMap::new();
    let mut results: Vec<(usize, &DecisionCell, String, Outcome)> = Vec::new();
    for (index, cell) in cells {
        let address = format!("{file_name}!{}", cell.sheet_cell());
        let (key, outcome) = match decide(&tx, cell, &address, &done, &open_groups, &mut group_decided, &by, now) {
            Ok(r) => r,
            Err(e) => return internal(e),
        };
        let decision = Decision::parse(&cell.text).map(|d| d.ja().to_string()).unwrap_or_else(|| cell.text.clone());
        let detail = match &outcome {
            Outcome::Applied(d) | Outcome::Unchanged(d) => d.clone(),
            Outcome::Refused { what, .. } => what.clone(),
        };
        let row = WorkbookDecision {
            file: &shown,
            file_hash: &book.file_hash,
            cell: &address,
            key: key.as_ref(),
            decision: &decision,
            outcome: outcome.word(),
            detail: Some(&detail),
        };
        if let Err(e) = shipping::record_decision(&tx, &row, &by, now) {
            return internal(e);
        }
        results.push((index, cell, address, outcome));
    }
    if let Err(e) = tx.commit() {
        return internal(e.into());
    }
    // Reported in the workbook's order.
    results.sort_by_key(|r| r.0);
    let count = |w: &str| results.iter().filter(|(_, _, _, o)| o.word() == w).count();
    let (applied, unchanged, refused_n) = (count("applied"), count("unchanged"), count("refused"));
    for (_, cell, _, o) in &results {
        if let Outcome::Applied(d) = o {
            println!("  {} {} {}: {d}", cell.mall, cell.order_number, Decision::parse(&cell.text).map(|d| d.label()).unwrap_or_default());
        }
    }
    for (_, _, address, o) in &results {
        if let Outcome::Refused { what, help } = o {
            eprintln!("error: {address}: {what}");
            eprintln!("  help: {help}");
        }
    }
    if results.is_empty() {
        println!(
            "{}",
            pick(
                format!("{shown}: 判断の入ったセルがありません（何も変えていません）"),
                format!("{shown}: no decision cell is filled in; nothing changed")
            )
        );
        return ExitStatus::Success;
    }
    println!(
        "{}",
        pick(
            format!("{shown}: 適用 {applied} 件、変更なし {unchanged} 件、見送り {refused_n} 件"),
            format!("{shown}: {applied} applied, {unchanged} unchanged, {refused_n} refused")
        )
    );
    if applied == 0 && refused_n == 0 {
        println!(
            "{}",
            pick(
                "このブックの判断はすべて反映済みです。何も変えていません",
                "every decision in this workbook is in the store already; nothing changed"
            )
        );
    }
    if refused_n > 0 {
        println!(
            "{}",
            pick(
                "見送ったセルは上に書いた場所を直して、もう一度 juchu apply してください（ほかの判断は反映しました）",
                "fix the refused cells listed above and run juchu apply again (the other decisions are applied)"
            )
        );
        return ExitStatus::RecordsFailed;
    }
    ExitStatus::Success
}

/// One decision cell: the order it names, and what applying it did.
#[allow(clippy::too_many_arguments)]
fn decide(
    c: &duckdb::Connection,
    cell: &DecisionCell,
    address: &str,
    done: &HashMap<String, String>,
    open_groups: &[shipping::MergeGroup],
    group_decided: &mut HashMap<String, Decision>,
    by: &str,
    now: chrono::DateTime<chrono::FixedOffset>,
) -> anyhow::Result<(Option<OrderKey>, Outcome)> {
    let choices = cell.kind.choice_labels().join(pick("・", ", ").as_str());
    let sheet = cell.kind.name();
    let Some(decision) = Decision::parse(&cell.text) else {
        return Ok((
            None,
            refused(
                pick(format!("`{}` は判断として使えません", cell.text), format!("`{}` is not a decision", cell.text)),
                pick(
                    format!("{sheet}の判断は {choices} のどれかを一覧から選んでください"),
                    format!("choose one of {choices} from the list on {sheet}"),
                ),
            ),
        ));
    };
    if !cell.kind.choices().contains(&decision) {
        let other = match decision {
            Decision::MergeOk | Decision::NoMerge => {
                pick("同梱の判断は同梱候補のシートで選びます", "merge decisions go on the Merge proposals sheet")
            }
            Decision::Hold => pick("保留は受注チェックのシートで選びます", "hold an order on the Order checks sheet"),
            _ => pick("受注の判断は受注チェックか保留のシートで選びます", "order decisions go on the Order checks or Holds sheet"),
        };
        return Ok((
            None,
            refused(
                pick(
                    format!("「{}」は{sheet}では選べません（{other}）", decision.ja()),
                    format!("`{}` cannot be chosen on {sheet} ({other})", decision.en()),
                ),
                pick(
                    format!("このセルは {choices} から選ぶか、空にしてください"),
                    format!("choose one of {choices} here, or clear the cell"),
                ),
            ),
        ));
    }
    if cell.order_number.is_empty() {
        return Ok((
            None,
            refused(
                pick("この行に受注番号がありません", "the row has no order number"),
                pick(
                    "受注番号の入った行で判断を選んでください（行を足したり、受注番号を消したりしないでください）",
                    "choose the decision on a row with its order number (do not add rows or clear the number)",
                ),
            ),
        ));
    }
    let mall = Some(cell.mall.as_str()).filter(|m| !m.is_empty());
    let found = crate::store::write_back::find_orders(c, &cell.order_number, mall)?;
    let key = match found.as_slice() {
        [] => {
            return Ok((
                None,
                refused(
                    pick(
                        format!("受注 {} {} はストアにありません", cell.mall, cell.order_number),
                        format!("order {} {} is not in the store", cell.mall, cell.order_number),
                    ),
                    pick(
                        "モールと受注番号を確かめてください（ブックの行を書き換えていないか、別の店のストアではないか）",
                        "check the mall and order number (an edited row, or another shop's store?)",
                    ),
                ),
            ))
        }
        [(k, _, _)] => k.clone(),
        several => {
            let shops: Vec<&str> = several.iter().map(|(k, _, _)| k.shop.as_str()).collect();
            return Ok((
                None,
                refused(
                    pick(
                        format!("受注番号 {} は複数の店にあります（{}）", cell.order_number, shops.join(", ")),
                        format!("order {} is in several shops ({})", cell.order_number, shops.join(", ")),
                    ),
                    pick("モール・店ごとに管理画面で判断してください", "decide it in each shop's own screen"),
                ),
            ));
        }
    };
    if done.get(&cell.sheet_cell()).is_some_and(|d| d == decision.ja()) {
        return Ok((Some(key), Outcome::Unchanged(pick("このブックから反映済み", "applied from this workbook before"))));
    }
    // 確認キー: the order as the workbook showed it. A changed order needs a new look.
    let now_fp = shipping::enrichment_fingerprint(c, &key)?;
    let book_fp = cell.check_key.trim().parse::<i64>().ok();
    if book_fp.is_none() || book_fp != now_fp {
        let what = if cell.check_key.trim().is_empty() {
            pick(
                "この行に確認キーがないため、ブックを書いた後に受注が変わったか確かめられません",
                "the row has no check key, so whether the order changed since cannot be told",
            )
        } else {
            pick(
                "この受注はブックを書いた後に変わりました（取り込み直し・ルールの変更など）。判断は反映していません",
                "the order changed since the workbook was written (fetched again, or the rules changed); the decision is not applied",
            )
        };
        return Ok((
            Some(key),
            refused(
                what,
                pick(
                    "新しい確認用ブックで受注を見直して、そちらで判断してください",
                    "look at the order in the new workbook and decide there",
                ),
            ),
        ));
    }
    let via = format!("apply {address}");
    let outcome = match decision {
        Decision::Hold => {
            if shipping::hold(c, &key, HOLD_REASON, &format!("{by} ({address})"), now)? {
                Outcome::Applied(pick("保留にしました", "held"))
            } else {
                Outcome::Unchanged(pick("確認用ブックで保留済み", "held from a workbook already"))
            }
        }
        Decision::Release => {
            match shipping::release(c, &key, Some(&pick("確認用ブックで保留解除", "released in the workbook")), by, now, &via)? {
                0 => Outcome::Unchanged(pick("保留されていません", "not held")),
                n => Outcome::Applied(pick(format!("保留を解除しました（理由 {n} 件）"), format!("released ({n} reason(s))"))),
            }
        }
        Decision::ShipOk => {
            if shipping::is_held(c, &key)? {
                return Ok((
                    Some(key),
                    refused(
                        pick("保留中の受注は出荷OKにできません", "a held order cannot be accepted to ship"),
                        pick(
                            "保留を解くなら「保留解除」を選んでください（保留のシートでも選べます）",
                            "choose 保留解除 (release) to lift the hold first; the Holds sheet has it too",
                        ),
                    ),
                ));
            }
            if shipping::accept(c, &key, by, &via, now)? {
                Outcome::Applied(pick("出荷OKにしました", "accepted to ship"))
            } else {
                Outcome::Unchanged(pick("出荷OK済み", "accepted already"))
            }
        }
        Decision::MergeOk | Decision::NoMerge => {
            let group = cell.group.trim();
            let open = open_groups.iter().find(|g| g.group_key == group);
            let Some(g) = open.filter(|g| g.members.contains(&key)) else {
                return Ok((
                    Some(key),
                    refused(
                        pick(
                            format!(
                                "同梱グループ {group} はもうないか、この受注が入っていません（組み合わせが変わったか、送り状を出しました）"
                            ),
                            format!(
                                "merge group {group} is gone or no longer holds this order (its orders changed, or a slip was exported)"
                            ),
                        ),
                        pick("新しい確認用ブックの同梱候補で判断してください", "decide on the Merge proposals sheet of the new workbook"),
                    ),
                ));
            };
            if let Some(before) = group_decided.get(&g.group_key) {
                if *before != decision {
                    return Ok((
                        Some(key),
                        refused(
                            pick(
                                format!("同じ同梱グループの別の行は「{}」です", before.ja()),
                                format!("another row of the group says `{}`", before.en()),
                            ),
                            pick(
                                "グループの判断はひとつにしてください（どの行で選んでもグループ全体に効きます）",
                                "give the group one decision (any row decides the whole group)",
                            ),
                        ),
                    ));
                }
            }
            group_decided.insert(g.group_key.clone(), decision);
            match shipping::decide_merge(c, &g.group_key, decision == Decision::MergeOk, by, &via, now)? {
                0 => Outcome::Unchanged(pick("グループは決まっています", "the group is decided so already")),
                n => Outcome::Applied(pick(format!("同梱グループを決めました（{n} 件）"), format!("group decided ({n} order(s))"))),
            }
        }
    };
    Ok((Some(key), outcome))
}
