//! `juchu check PIPELINE`

use std::path::Path;
use std::time::Instant;

use crate::domain::lang::pick;
use crate::pipeline::check_pipeline;
use crate::pipeline::runner::{print_diagnostics, RunOptions};
use crate::ExitStatus;

pub fn check(pipeline: &Path, deny_warnings: bool, opts: &RunOptions) -> ExitStatus {
    let started = Instant::now();
    let checked = check_pipeline(pipeline, opts.clock.now());
    let d = &checked.diagnostics;
    print_diagnostics(d, opts);
    let (errors, warnings) = (d.errors(), d.warnings());
    let stages = checked.stages.len();
    let ms = started.elapsed().as_millis();
    let path = pipeline.display();
    if errors > 0 || (deny_warnings && warnings > 0) {
        eprintln!(
            "{}",
            pick(
                format!("juchu check: {path} にエラー {errors} 件、警告 {warnings} 件（{stages} ステージ、{ms} ms）"),
                format!("juchu check: {errors} error(s), {warnings} warning(s) in {path} ({stages} stages, {ms} ms)")
            )
        );
        ExitStatus::Config
    } else {
        if !opts.quiet {
            println!(
                "{}",
                pick(
                    if warnings == 0 {
                        format!("juchu check: {path} は問題ありません（{stages} ステージ、{ms} ms）")
                    } else {
                        format!(
                            "juchu check: {path} にエラーはありません。警告 {warnings} 件を確かめてください（{stages} ステージ、{ms} ms）"
                        )
                    },
                    if warnings == 0 {
                        format!("juchu check: {path} is ok: {stages} stages ({ms} ms)")
                    } else {
                        format!("juchu check: {path} has no errors; look at the {warnings} warning(s) ({stages} stages, {ms} ms)")
                    }
                )
            );
        }
        ExitStatus::Success
    }
}

/// `juchu check PIPELINE --checklist`: the first-setup checklist (初期設定確認チェックシート), every
/// item OK or NG with what to fix. Reads the store read-only; a shop without one yet gets its
/// store items NG, not an error. Exit 0 all OK, 1 while one is NG, 78 when the settings do not load.
pub fn checklist(pipeline: &Path, opts: &RunOptions) -> ExitStatus {
    let now = opts.clock.now();
    let loaded = crate::pipeline::check::load(pipeline, now);
    let Some(settings) = loaded.settings.as_ref().filter(|_| loaded.diagnostics.errors() == 0) else {
        print_diagnostics(&loaded.diagnostics, opts);
        eprintln!(
            "{}",
            pick(
                format!("juchu check --checklist: {} の設定を読めません。上の問題を直してください", pipeline.display()),
                format!("juchu check --checklist: the settings of {} do not load; fix the problems above", pipeline.display())
            )
        );
        return ExitStatus::Config;
    };
    let path = opts.store.clone().unwrap_or_else(|| settings.store.clone());
    let store = if path.exists() {
        match crate::cli::query::open_read_only_at(path) {
            Ok((s, _)) => Some(s),
            Err(status) => return status,
        }
    } else {
        None
    };
    let items = crate::store::checklist::evaluate(settings, store.as_ref(), now);
    print!("{}", render_checklist(&items));
    let ng = items.iter().filter(|i| !i.ok).count();
    let ok = items.len() - ng;
    println!(
        "{}",
        if ng == 0 {
            pick(format!("初期設定確認チェックシート: {ok} 項目すべてOKです"), format!("first-setup checklist: all {ok} items OK"))
        } else {
            pick(
                format!("初期設定確認チェックシート: OK {ok} 項目、NG {ng} 項目。NGの項目を直してから受注連動をONにしてください"),
                format!("first-setup checklist: {ok} OK, {ng} NG; fix the NG items before switching linkage on"),
            )
        }
    );
    if ng == 0 {
        ExitStatus::Success
    } else {
        ExitStatus::RecordsFailed
    }
}

/// One item a block: `OK  S1 title`, then what was found and, for NG, what to fix.
pub fn render_checklist(items: &[crate::domain::checklist::ChecklistItem]) -> String {
    let mut out = String::new();
    for i in items {
        out.push_str(&format!("{}  {} {}\n", if i.ok { "OK" } else { "NG" }, i.id, i.title));
        out.push_str(&format!("    {}\n", i.detail));
        if let Some(fix) = &i.fix {
            out.push_str(&format!("    {}{fix}\n", pick("直すこと: ", "fix: ")));
        }
    }
    out
}
