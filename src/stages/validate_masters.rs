//! Stage `validate_masters` (S3): findings with stable codes, each at its cell or line, each saying
//! how to fix it. Errors stop the run (exit 78); warnings are listed and the run goes on.

use std::path::PathBuf;

use serde::Deserialize;

use super::{CheckContext, Preview, RejectedCells, Resource, RunContext, Stage, StageError, StageOutcome};
use crate::config::diagnostic::{cell_name, Diagnostic, Place};
use crate::config::settings::Settings;
use crate::domain::masters::{validate, Finding, FindingPlace, MasterProduct, Masters, ProductOptionChoice, ShopView};

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ValidateMastersConfig {
    /// Treat warnings as errors.
    #[serde(default)]
    pub deny_warnings: bool,
}

/// The master checks as diagnostics at their cells (warnings as errors with `deny_warnings`). Used
/// here and by load_masters, which writes no masters these reject.
pub(crate) fn findings(
    m: &Masters,
    settings: &Settings,
    products: &[MasterProduct],
    options: &[ProductOptionChoice],
    deny_warnings: bool,
) -> Vec<Diagnostic> {
    findings_except(m, settings, products, options, deny_warnings, &RejectedCells::new())
}

/// The same, leaving out the cells load_masters already reported an error at (`juchu check`, which
/// hands on masters with bad cells): one problem, one message.
fn findings_except(
    m: &Masters,
    settings: &Settings,
    products: &[MasterProduct],
    options: &[ProductOptionChoice],
    deny_warnings: bool,
    rejected: &RejectedCells,
) -> Vec<Diagnostic> {
    let shop = ShopView {
        malls: settings.malls.iter().map(|(n, s)| (n.as_str(), s.mall_kind)).collect(),
        origin_region: &settings.shop.origin_region.value,
    };
    validate(m, &shop, products, options)
        .into_iter()
        // Without an origin region (reported in the settings) every prefecture would look uncovered.
        .filter(|f| f.code != "M007" || !settings.is_broken("shop.origin_region"))
        .filter(|f| match &f.place {
            FindingPlace::Cell { sheet, row, column } => !rejected.contains(&(sheet.clone(), *row, column.clone())),
            _ => true,
        })
        .map(|f| {
            let mut d = to_diagnostic(m, f);
            if deny_warnings {
                d.severity = crate::config::diagnostic::Severity::Error;
            }
            d
        })
        .collect()
}

/// Ship dates within this many days of a year the official holiday list does not cover yet are warned of.
const PROVISIONAL_WARNING_DAYS: i64 = 90;

/// M011: the national holidays run out soon; the years after are computed, not official.
fn provisional_holidays(now: chrono::DateTime<chrono::FixedOffset>) -> Option<Diagnostic> {
    let today = now.with_timezone(&crate::domain::time::jst()).date_naive();
    let from = crate::domain::holidays::provisional_from(today, PROVISIONAL_WARNING_DAYS)?;
    Some(
        Diagnostic::warning(
            "M011",
            format!("the bundled national holidays end before {from}: from then on they are computed by the Holiday Act (春分・秋分 by formula), not official"),
        )
        .help("update juchu, or data/holidays/syukujitsu.csv from the Cabinet Office's list (published each February), when the next year is out"),
    )
}

impl Stage for ValidateMastersConfig {
    /// The masters, and the master mall's products (M003 and M005 look at them).
    fn needs(&self) -> &'static [Resource] {
        &[Resource::Masters, Resource::Products]
    }

    fn check(&self, cx: &mut CheckContext<'_>) -> Vec<Diagnostic> {
        let (Some(masters), Some(settings)) = (&cx.masters, cx.settings) else {
            return Vec::new(); // load_masters or the settings already reported why.
        };
        let mut out =
            findings_except(masters, settings, &cx.master_products, &cx.master_options, self.deny_warnings, &cx.rejected_master_cells);
        out.extend(provisional_holidays(cx.now));
        out
    }

    fn run(&self, cx: &RunContext<'_>) -> Result<StageOutcome, StageError> {
        let masters = cx.store.loaded_masters(cx.env.stage_place(), &cx.env.spec.kind)??;
        let (products, options) = cx.store.master_products()?;
        let mut diags = findings(&masters, cx.settings, &products, &options, self.deny_warnings);
        diags.extend(provisional_holidays(cx.now));
        let errors: Vec<Diagnostic> = diags.iter().filter(|d| d.is_error()).cloned().collect();
        if !errors.is_empty() {
            return Err(StageError::Input(diags));
        }
        Ok(StageOutcome {
            rows_in: products.len() as u64,
            rows_out: 0,
            message: crate::domain::checks::say!(
                crate::domain::lang::current(),
                "マスタを確認しました：警告{}件",
                "masters checked: {} warning(s)",
                diags.len()
            ),
            warnings: diags,
            ..Default::default()
        })
    }

    fn preview(&self, cx: &RunContext<'_>, limit: usize) -> Result<Preview, StageError> {
        let masters = cx.store.read_masters()?;
        let (products, options) = cx.store.master_products()?;
        let diags = findings(&masters, cx.settings, &products, &options, self.deny_warnings);
        Ok(Preview {
            table: "findings".into(),
            columns: vec!["code".into(), "severity".into(), "place".into(), "message".into()],
            rows: diags
                .iter()
                .take(limit)
                .map(|d| vec![d.code.to_string(), format!("{:?}", d.severity), d.place_text(), d.message.clone()])
                .collect(),
            total: diags.len(),
        })
    }
}

fn to_diagnostic(m: &Masters, f: Finding) -> Diagnostic {
    let d = if f.error { Diagnostic::error(f.code, f.message) } else { Diagnostic::warning(f.code, f.message) };
    let place = match f.place {
        FindingPlace::Cell { sheet, row, column } => {
            let src = m.sheets.get(&sheet).cloned().unwrap_or_default();
            let col = src.headers.iter().position(|h| *h == column).unwrap_or(0);
            if src.file.ends_with(".csv") {
                Place::Line { path: PathBuf::from(&src.file), line: row, column: None, text: None }
            } else {
                Place::Cell { book: PathBuf::from(&src.file), sheet, cell: cell_name(row - 1, col), text: None }
            }
        }
        // Something is missing from the sheet: point at the first empty row, where it goes.
        FindingPlace::Sheet { sheet } => {
            let src = m.sheets.get(&sheet).cloned().unwrap_or_default();
            let below = m.last_row(&sheet).unwrap_or(1);
            if src.file.ends_with(".csv") {
                Place::Line { path: PathBuf::from(&src.file), line: below + 1, column: None, text: None }
            } else {
                let col = src.headers.iter().position(|h| !h.is_empty()).unwrap_or(0);
                Place::Cell { book: PathBuf::from(&src.file), sheet, cell: cell_name(below, col), text: None }
            }
        }
        FindingPlace::Line { file, line } => Place::Line { path: PathBuf::from(file), line, column: None, text: None },
    };
    d.at(place).help(f.help)
}
