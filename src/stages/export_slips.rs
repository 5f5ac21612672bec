//! Stage `export_slips` (送り状データ): one file per carrier of the shipments ready to ship today, in
//! the layout the carrier's own software imports (B2クラウド, e飛伝, ゆうプリR, クリックポスト), and the
//! slips recorded in the store in the same transaction. `juchu slips export PIPELINE` runs it alone.
//!
//! Ready: not cancelled or shipped, checks passed or accepted (出荷OK), not held (保留), not waiting
//! for a 同梱 decision, ship date today or earlier, not on a slip yet (`--again`: on one without a
//! tracking number). An accepted 同梱 group is one slip. Each file is written to a temporary name;
//! the slips are recorded, the file renamed, then the transaction commits: a crash after the rename
//! leaves a file the store does not know only if the commit failed, and a crash before it leaves the
//! temporary file, which the next export renames once the store says its slips were recorded.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use anyhow::Context;
use serde::Deserialize;

use super::{CheckContext, Preview, Resource, RunContext, Stage, StageError, StageOutcome};
use crate::carriers::{self, Address, Cod, Slip, SlipFormat, SlipSettings, TimeSlot};
use crate::config::diagnostic::Diagnostic;
use crate::config::yaml::Spanned;
use crate::domain::lang::pick;
use crate::store::shipping::{self as ship, ReadyShipment, SlipRecord};

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExportSlipsConfig {
    /// Where the slip files go, relative to the pipeline.
    pub folder: Spanned<String>,
    /// Per 配送会社 (as the masters name it): the slip layout and the contract values it needs.
    pub carriers: BTreeMap<String, CarrierSlip>,
    /// 配送サービス shipped as クリックポスト whatever the carrier (default: クリックポスト).
    #[serde(default = "default_click_post")]
    pub click_post: Vec<String>,
}

fn default_click_post() -> Vec<String> {
    vec!["クリックポスト".into()]
}

/// One carrier's slip layout and contract values.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CarrierSlip {
    /// b2 (ヤマト B2クラウド), ehiden (佐川 e飛伝), yupri (日本郵便 ゆうプリR).
    pub format: Spanned<String>,
    /// B2: 請求先顧客コード (10–12 digits); e飛伝: お客様コード.
    #[serde(default)]
    pub customer_code: String,
    /// B2: 請求先分類コード (may be empty).
    #[serde(default)]
    pub class_code: String,
    /// B2: 運賃管理番号 (2 characters).
    #[serde(default)]
    pub freight_number: String,
    /// ゆうプリR: 送り状種別 (the form code), default 1100780.
    #[serde(default)]
    pub form_code: Option<String>,
    /// ゆうプリR: the registered layout's column count, default 100.
    #[serde(default)]
    pub columns: Option<usize>,
}

impl ExportSlipsConfig {
    fn settings(&self) -> SlipSettings {
        let mut s = SlipSettings::default();
        for c in self.carriers.values() {
            match SlipFormat::parse(&c.format.value) {
                Some(SlipFormat::B2) => {
                    s.b2.customer_code = c.customer_code.clone();
                    s.b2.class_code = c.class_code.clone();
                    s.b2.freight_number = c.freight_number.clone();
                }
                Some(SlipFormat::Ehiden) => s.ehiden.customer_code = c.customer_code.clone(),
                Some(SlipFormat::YuPrint) => {
                    if let Some(f) = &c.form_code {
                        s.yupri.form_code = f.clone();
                    }
                    if let Some(n) = c.columns {
                        s.yupri.columns = n;
                    }
                }
                _ => {}
            }
        }
        s
    }

    /// The layout a shipment's slip goes in: クリックポスト by service, else its carrier's.
    fn format_for(&self, r: &ReadyShipment) -> Option<SlipFormat> {
        if self.click_post.contains(&r.service) {
            return Some(SlipFormat::ClickPost);
        }
        self.carriers.get(&r.carrier).and_then(|c| SlipFormat::parse(&c.format.value))
    }
}

impl Stage for ExportSlipsConfig {
    fn needs(&self) -> &'static [Resource] {
        &[Resource::Enrichment]
    }

    fn check(&self, cx: &mut CheckContext<'_>) -> Vec<Diagnostic> {
        let mut out = Vec::new();
        for (carrier, c) in &self.carriers {
            let at = cx.env.file.place_at(&c.format.referenced);
            match SlipFormat::parse(&c.format.value) {
                None | Some(SlipFormat::ClickPost) => out.push(
                    Diagnostic::error(
                        "C080",
                        pick(
                            format!("{carrier} の送り状の形式 `{}` は使えません", c.format.value),
                            format!("{carrier}: `{}` is not a slip layout juchu writes", c.format.value),
                        ),
                    )
                    .at(at)
                    .help(pick(
                        "format: に b2（ヤマト B2クラウド）、ehiden（佐川 e飛伝）、yupri（日本郵便 ゆうプリR）のどれかを書いてください（クリックポストは click_post: に配送サービス名で）",
                        "write format: b2 (Yamato B2 Cloud), ehiden (Sagawa e-Hiden) or yupri (Japan Post Yu-Print R); Click Post goes by service name under click_post:",
                    )),
                ),
                Some(SlipFormat::B2) if c.customer_code.trim().is_empty() || c.freight_number.trim().is_empty() => out.push(
                    Diagnostic::error(
                        "C080",
                        pick(
                            format!("{carrier}（B2クラウド）に請求先顧客コードと運賃管理番号がありません"),
                            format!("{carrier} (B2 Cloud) needs its customer code and freight number"),
                        ),
                    )
                    .at(at)
                    .help(pick(
                        "customer_code:（請求先顧客コード 10〜12 桁）と freight_number:（運賃管理番号 2 桁）を、ヤマト運輸との契約のとおりに書いてください",
                        "add customer_code: (請求先顧客コード, 10–12 digits) and freight_number: (運賃管理番号, 2 digits) from the Yamato contract",
                    )),
                ),
                _ => {}
            }
        }
        out
    }

    fn run(&self, cx: &RunContext<'_>) -> Result<StageOutcome, StageError> {
        let folder = cx.resolve(&self.folder.value);
        std::fs::create_dir_all(&folder).with_context(|| format!("creating {}", folder.display()))?;
        let started = std::time::Instant::now();
        let recovered = finish_renames(&cx.store.conn, &folder)?;
        let today = cx.now.with_timezone(&crate::domain::time::jst()).date_naive();
        let ready = ship::whole_groups(&cx.store.conn, ship::ready_shipments(&cx.store.conn, today, cx.again)?)?;
        let mut out = StageOutcome { rows_in: ready.len() as u64, ..Default::default() };
        if ready.is_empty() {
            out.message = pick(
                "出荷できる受注はありません（保留・同梱の判断待ち・出荷予定日が先の受注は出しません）",
                "no shipment is ready (held orders, 同梱 proposals and later ship dates wait)",
            );
            return Ok(out);
        }
        log::debug!("export_slips: {} shipments ready at {} ms", ready.len(), started.elapsed().as_millis());
        let masters = cx.store.read_masters()?;
        let parcels = parcels(ready);
        // Per layout, the parcels and their slips.
        let mut by_format: BTreeMap<&'static str, (SlipFormat, Vec<Parcel>)> = BTreeMap::new();
        let mut no_format: BTreeMap<String, usize> = BTreeMap::new();
        let keys = ship::next_slip_keys(&cx.store.conn, parcels.len())?;
        let sender = &cx.settings.shop.sender;
        let from = Address {
            name: sender.name.clone(),
            name_kana: String::new(),
            postal_code: sender.postal_code.value.clone(),
            prefecture: sender.prefecture.value.clone(),
            address: sender.address.clone(),
            phone: sender.phone.clone(),
            email: String::new(),
        };
        for (parcel, key) in parcels.into_iter().zip(keys) {
            let Some(format) = self.format_for(&parcel[0]) else {
                *no_format.entry(parcel[0].carrier.clone()).or_default() += parcel.len();
                continue;
            };
            let mut slip = slip_of(&parcel, key, &from, &masters.time_slots);
            if !slip.service.is_empty() && !own_services(format).contains(&slip.service.as_str()) {
                // ネコポス on a 日本郵便 slip: the rule that moved the carrier wins; said, not silent.
                out.warnings.push(Diagnostic::warning(
                    "D044",
                    pick(
                        format!(
                            "{}（受注 {}）: 配送サービス「{}」は{}にないため、{}の通常の便で送り状を出しました",
                            slip.key,
                            slip.orders.join(", "),
                            slip.service,
                            format.label(),
                            parcel[0].carrier
                        ),
                        format!(
                            "{} (order {}): {} has no service `{}`: the slip is {}'s standard parcel",
                            slip.key,
                            slip.orders.join(", "),
                            format.label(),
                            slip.service,
                            parcel[0].carrier
                        ),
                    ),
                ));
                slip.service = String::new();
            }
            by_format.entry(format.name()).or_insert_with(|| (format, Vec::new())).1.push((parcel, slip));
        }
        let settings = self.settings();
        let stamp = cx.now.with_timezone(&crate::domain::time::jst()).format("%Y%m%d-%H%M%S").to_string();
        let lang = crate::domain::lang::current();
        let mut written: Vec<(PathBuf, PathBuf)> = Vec::new();
        let mut records: Vec<SlipRecord> = Vec::new();
        let mut parts = Vec::new();
        for (name, (format, slips)) in &by_format {
            let only: Vec<Slip> = slips.iter().map(|(_, s)| s.clone()).collect();
            let files = carriers::write_slips(*format, &only, &settings);
            for p in &files.problems {
                out.warnings.push(Diagnostic::error("D040", p.message(lang)));
                out.rows_rejected += 1;
                out.failed += 1;
            }
            let by_key: HashMap<&str, &Vec<ReadyShipment>> = slips.iter().map(|(p, s)| (s.key.as_str(), p)).collect();
            for f in &files.files {
                let file = folder.join(format!("{name}-{stamp}{}.csv", f.suffix));
                let tmp = temp_name(&file);
                write_synced(&tmp, &f.bytes)?;
                written.push((tmp, file.clone()));
                for k in &f.keys {
                    let parcel = by_key[k.as_str()];
                    records.push(SlipRecord {
                        slip_key: k.clone(),
                        carrier: parcel[0].carrier.clone(),
                        format: name.to_string(),
                        file: file.display().to_string(),
                        shipments: parcel.iter().map(|r| (r.key.clone(), r.shipment_no)).collect(),
                    });
                }
                parts.push(format!(
                    "{} {}: {}",
                    format.label(),
                    pick(format!("{}件", f.keys.len()), format!("{} slip(s)", f.keys.len())),
                    crate::config::diagnostic::display_path(&file)
                ));
            }
            if *format == SlipFormat::YuPrint && !files.files.is_empty() {
                // The layout staff register once in ゆうプリR (外部データ取込 → レイアウト登録).
                let layout = folder.join("yupri-layout.csv");
                let bytes = crate::io::text::encode_cp932(&carriers::yupri::layout_file(&settings.yupri)).unwrap_or_default();
                if std::fs::read(&layout).ok().as_deref() != Some(bytes.as_slice()) {
                    write_synced(&layout, &bytes)?;
                }
            }
        }
        for (carrier, n) in &no_format {
            out.warnings.push(
                Diagnostic::warning(
                    "C081",
                    pick(
                        format!("配送会社「{carrier}」の送り状の形式が export_slips にないため、{n} 件を出していません"),
                        format!("{n} shipment(s) of carrier `{carrier}` are not exported: export_slips has no slip layout for it"),
                    ),
                )
                .at(cx.env.stage_place())
                .help(pick(
                    format!("carriers: に「{carrier}: {{ format: b2 }}」のように形式を書いてください"),
                    format!("add `{carrier}: {{ format: b2 }}` (or ehiden, yupri) under carriers:"),
                )),
            );
        }
        log::debug!("export_slips: files written at {} ms", started.elapsed().as_millis());
        let command = if cx.again { "slips export --again" } else { "slips export" };
        let tx = cx.store.conn.unchecked_transaction().map_err(anyhow::Error::from)?;
        ship::record_slips(&tx, &records, Some(cx.run_id), cx.now, command)?;
        super::crash_point("export_slips.before_rename");
        for (tmp, file) in &written {
            std::fs::rename(tmp, file).with_context(|| format!("renaming {} to {}", tmp.display(), file.display()))?;
        }
        tx.commit().map_err(anyhow::Error::from)?;
        log::debug!("export_slips: recorded and committed at {} ms", started.elapsed().as_millis());
        out.rows_out = records.iter().map(|r| r.shipments.len() as u64).sum();
        out.rows_new = records.len() as u64;
        if recovered > 0 {
            parts.push(pick(
                format!("前回の書き出しのファイル {recovered} 個を仕上げました"),
                format!("finished {recovered} file(s) of the last export"),
            ));
        }
        out.message = if parts.is_empty() {
            pick("書き出せる送り状はありません（エラー参照）", "no slip could be written (see the errors)")
        } else {
            parts.join("; ")
        };
        Ok(out)
    }

    fn preview(&self, cx: &RunContext<'_>, limit: usize) -> Result<Preview, StageError> {
        let today = cx.now.with_timezone(&crate::domain::time::jst()).date_naive();
        let ready = ship::whole_groups(&cx.store.conn, ship::ready_shipments(&cx.store.conn, today, cx.again)?)?;
        let columns = ["mall", "order_number", "shipment_no", "carrier", "layout", "ship_date", "merge_group"];
        let rows = ready
            .iter()
            .take(limit)
            .map(|r| {
                vec![
                    r.key.mall.clone(),
                    r.key.order_number.clone(),
                    r.shipment_no.to_string(),
                    r.carrier.clone(),
                    self.format_for(r).map(|f| f.name().to_string()).unwrap_or_default(),
                    r.ship_date.to_string(),
                    r.merge_group.clone().unwrap_or_default(),
                ]
            })
            .collect();
        Ok(Preview { table: "slips".into(), columns: columns.iter().map(|c| c.to_string()).collect(), rows, total: ready.len() })
    }
}

/// A parcel's shipments and its slip.
type Parcel = (Vec<ReadyShipment>, Slip);

/// Shipments as parcels: an accepted 同梱 group is one parcel, every other shipment its own.
fn parcels(ready: Vec<ReadyShipment>) -> Vec<Vec<ReadyShipment>> {
    let mut out: Vec<Vec<ReadyShipment>> = Vec::new();
    let mut group_at: HashMap<String, usize> = HashMap::new();
    for r in ready {
        match r.merge_group.clone() {
            Some(g) => match group_at.get(&g) {
                Some(&i) => out[i].push(r),
                None => {
                    group_at.insert(g, out.len());
                    out.push(vec![r]);
                }
            },
            None => out.push(vec![r]),
        }
    }
    out
}

/// The slip of one parcel: the first order's recipient and delivery, every order's items, and the
/// amount to collect (代金引換) summed over the orders that pay so, on each order's first shipment.
fn slip_of(parcel: &[ReadyShipment], key: String, from: &Address, slots: &[crate::domain::masters::TimeSlot]) -> Slip {
    let first = &parcel[0];
    let cod: Vec<&ReadyShipment> = parcel.iter().filter(|r| r.payment_method == "代金引換" && r.shipment_no == 1).collect();
    let cod = (!cod.is_empty())
        .then(|| Cod { amount: cod.iter().map(|r| r.billing_total.unwrap_or(0)).sum(), tax: cod.iter().map(|r| r.tax).sum() });
    let time_slot = first.time_slot.as_ref().map(|slot| {
        let hours = crate::rules::enrich::slot_hours(slot);
        let found = slots
            .iter()
            .filter(|t| t.carrier == first.carrier)
            .find(|t| t.label == *slot || (hours.is_some() && hours == t.start_hour.zip(t.end_hour)));
        match found {
            Some(t) => TimeSlot {
                label: t.label.clone(),
                code: t.code.clone(),
                start_hour: t.start_hour.unwrap_or(0) as u8,
                end_hour: t.end_hour.unwrap_or(0) as u8,
            },
            None => {
                let (a, b) = hours.unwrap_or((0, 0));
                TimeSlot { label: slot.clone(), code: String::new(), start_hour: a as u8, end_hour: b as u8 }
            }
        }
    });
    let mut orders: Vec<String> = Vec::new();
    for r in parcel {
        if !orders.contains(&r.key.order_number) {
            orders.push(r.key.order_number.clone());
        }
    }
    Slip {
        key,
        orders,
        ship_date: parcel.iter().map(|r| r.ship_date).max().unwrap_or(first.ship_date),
        desired_date: first.desired_date,
        time_slot,
        service: own_service(&first.service),
        temperature: first.temperature.clone(),
        cod,
        to: Address {
            name: first.name.clone(),
            name_kana: first.name_kana.clone(),
            postal_code: first.postal_code.clone(),
            prefecture: first.prefecture.clone(),
            address: first.address.clone(),
            phone: first.phone.clone(),
            email: String::new(),
        },
        from: from.clone(),
        item_names: parcel.iter().flat_map(|r| r.items.iter().cloned()).collect(),
        note: String::new(),
    }
}

/// The special services each layout writes (the rest are the carrier's standard parcel).
fn own_services(format: SlipFormat) -> &'static [&'static str] {
    match format {
        SlipFormat::B2 => &["ネコポス", "宅急便コンパクト", "クロネコゆうパケット", "クロネコゆうメール"],
        SlipFormat::YuPrint => &["ゆうパケット"],
        SlipFormat::Ehiden => &[],
        SlipFormat::ClickPost => &["クリックポスト"],
    }
}

/// The carrier's standard parcel for a standard-parcel service named by another carrier (a rule that
/// moves an order from ヤマト to 日本郵便 leaves the 配送方法 master's 宅急便): the layout's own
/// standard. Special services (ネコポス, コンパクト, ゆうパケット, クリックポスト) stay and are checked
/// by the layout.
fn own_service(service: &str) -> String {
    match service {
        "宅急便" | "宅配便" | "クール宅急便" | "飛脚宅配便" | "飛脚クール便" | "ゆうパック" | "チルドゆうパック" => {
            String::new()
        }
        other => other.to_string(),
    }
}

fn temp_name(file: &Path) -> PathBuf {
    let name = file.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    file.with_file_name(format!(".{name}.tmp"))
}

fn write_synced(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    use std::io::Write;
    let mut f = std::fs::File::create(path).with_context(|| format!("writing {}", path.display()))?;
    f.write_all(bytes)?;
    f.sync_all()?;
    Ok(())
}

/// A crash between recording the slips and renaming their file: the store knows the file, the
/// folder has only its temporary copy. Rename it now; a temporary file the store does not know is
/// one whose export rolled back, and goes.
fn finish_renames(conn: &duckdb::Connection, folder: &Path) -> anyhow::Result<usize> {
    let Ok(entries) = std::fs::read_dir(folder) else { return Ok(0) };
    let mut done = 0;
    for e in entries.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        let Some(real) = name.strip_prefix('.').and_then(|n| n.strip_suffix(".tmp")) else { continue };
        let file = folder.join(real);
        let known: i64 =
            conn.query_row("SELECT count(*) FROM slips WHERE file = ?", duckdb::params![file.display().to_string()], |r| r.get(0))?;
        if known > 0 && !file.exists() {
            std::fs::rename(e.path(), &file)?;
            done += 1;
        } else {
            std::fs::remove_file(e.path())?;
        }
    }
    Ok(done)
}
