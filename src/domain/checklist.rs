//! The first-setup checklist (初期設定確認チェックシート, S1–S9, S15): every item OK or NG, with what
//! was found and what to fix. Pure: the settings and the store are read into [`Facts`] first
//! (`store::checklist`), so the report stage and `juchu check --checklist` judge the same way.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::{NaiveDate, NaiveDateTime};

use super::lang::pick;
use super::mall::MallKind;
use super::masters::{MasterProduct, Masters, ProductOptionChoice};
use super::option_text::price_in_choice;

/// One line of the checklist.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChecklistItem {
    /// The seed's requirement id (`S1` … `S9`); the store settings have one item per mall.
    pub id: &'static str,
    pub title: String,
    pub ok: bool,
    /// What was found.
    pub detail: String,
    /// What to do; None when OK.
    pub fix: Option<String>,
}

/// One mall of the settings, as the checklist needs it.
#[derive(Debug, Clone)]
pub struct MallSetup {
    pub name: String,
    pub kind: MallKind,
    pub shop_id: bool,
    pub endpoint: bool,
    /// The credential keys written under `credentials:`.
    pub credentials: BTreeSet<String>,
    pub order_files: bool,
    pub order_import: bool,
    pub linkage: bool,
    pub stock_return_on_cancel: bool,
    pub sender_address_auto_edit: bool,
    pub auto_credit_authorization: bool,
    /// 受注連動の開始日時, JST: `juchu linkage enable`'s (the store's history), else the settings'.
    pub linkage_starts_at: Option<NaiveDateTime>,
    /// Linkage is on by the store's history (`juchu linkage enable`).
    pub linkage_recorded: bool,
}

/// The last fetch_orders stage recorded in `run_stages`.
#[derive(Debug, Clone)]
pub struct FetchStage {
    pub run_id: i64,
    /// The run's clock, JST.
    pub at: NaiveDateTime,
    /// ok, warnings, failed, skipped.
    pub status: String,
}

/// Orders of one mall in one status, fetched at one time.
#[derive(Debug, Clone)]
pub struct OrderGroup {
    pub mall: String,
    pub mall_status: String,
    pub cancelled: bool,
    /// JST.
    pub fetched_at: NaiveDateTime,
    pub count: i64,
    /// 社内ステータス juchu gave them (`juchu orders move-status`), which wins over the mall's.
    pub house_status: Option<String>,
}

/// What the store holds, for the store-based items.
#[derive(Debug, Clone, Default)]
pub struct StoreFacts {
    pub master_mall: Option<String>,
    pub products: Vec<MasterProduct>,
    pub options: Vec<ProductOptionChoice>,
    /// Products of every mall, and of those the ones linked to no master product.
    pub products_per_mall: BTreeMap<String, (i64, i64)>,
    pub masters: Masters,
    pub national_holidays: i64,
    /// The last fetch_orders stage that finished ok (or with warnings), and the last one at all.
    pub last_ok_fetch: Option<FetchStage>,
    pub last_fetch: Option<FetchStage>,
    pub orders: Vec<OrderGroup>,
}

/// Why the store-based items cannot be judged.
#[derive(Debug, Clone)]
pub enum NoStore {
    /// A new shop: the pipeline has not run yet.
    NotYet,
    /// The store is there but a read failed (the reason).
    Unreadable(String),
}

pub struct Facts {
    pub malls: Vec<MallSetup>,
    pub store: Result<StoreFacts, NoStore>,
    /// The first day whose national holidays are computed, when it is near (holidays::provisional_from).
    pub holidays_provisional_from: Option<NaiveDate>,
}

/// The credential keys each mall's adapter logs in with (src/malls); order-file malls have none.
pub fn credential_keys(kind: MallKind) -> &'static [&'static str] {
    match kind {
        MallKind::Rakuten => &["service_secret", "license_key"],
        MallKind::Yahoo => &["client_id", "client_secret", "refresh_token"],
        MallKind::Amazon => &["lwa_client_id", "lwa_client_secret", "refresh_token"],
        MallKind::AuPay => &["api_key"],
        MallKind::FutureShop => &["ftp_user", "ftp_password"],
        MallKind::Yamada | MallKind::Ponpare => &[],
    }
}

/// A 社内ステータス (or, for a status the master lacks, the mall's own) that means nobody has
/// processed the order yet: 新規受付, 新規 (S9).
pub fn is_unprocessed_status(status: &str) -> bool {
    status.starts_with("新規")
}

/// How many names a finding lists before it counts the rest.
const SHOWN: usize = 5;

fn listed(names: &[String]) -> String {
    let mut s = names.iter().take(SHOWN).cloned().collect::<Vec<_>>().join(", ");
    if names.len() > SHOWN {
        s.push_str(&pick(format!(" ほか{}件", names.len() - SHOWN), format!(" and {} more", names.len() - SHOWN)));
    }
    s
}

fn ok(id: &'static str, title: String, detail: String) -> ChecklistItem {
    ChecklistItem { id, title, ok: true, detail, fix: None }
}

fn ng(id: &'static str, title: String, detail: String, fix: String) -> ChecklistItem {
    ChecklistItem { id, title, ok: false, detail, fix: Some(fix) }
}

/// Every item of the checklist, in the seed's order.
pub fn assess(f: &Facts) -> Vec<ChecklistItem> {
    let mut out: Vec<ChecklistItem> = f.malls.iter().map(store_settings).collect();
    if f.malls.is_empty() {
        out.push(ng(
            "S1",
            pick("店舗設定", "Store settings"),
            pick("設定にモールがありません", "the settings have no malls"),
            pick("shop.yaml の malls: にモールを書いてください", "add your malls under `malls:` in shop.yaml"),
        ));
    }
    let titles: [(&'static str, String); 8] = [
        ("S2", pick("カレンダー設定（休業日・祝日）", "Business calendar (shop holidays, national holidays)")),
        ("S3", pick("マスタがモールと合っている（受注ステータス・決済方法）", "Masters match the malls (order statuses, payment methods)")),
        ("S4", pick("商品インポート（マスタ商品）", "Product import (master products)")),
        ("S5", pick("商品ごとの物流会社・配送条件", "Logistics company and delivery condition per product")),
        ("S6", pick("価格つき項目選択肢のオプション加算", "Add-ons of option choices with prices")),
        ("S7", pick("顧客ランク設定", "Customer ranks")),
        ("S8", pick("受注取込テスト", "Order import test")),
        ("S9", pick("テスト受注を処理済ステータスへ移動", "Test orders moved to a processed status")),
    ];
    match &f.store {
        Err(why) => {
            let (detail, fix) = match why {
                NoStore::NotYet => (
                    pick("ストアがまだありません（パイプライン未実行）", "there is no store yet (the pipeline has not run)"),
                    pick(
                        "パイプラインを一度実行してください（juchu run PIPELINE）。商品・マスタ・受注がストアに入ってから確かめられます",
                        "run the pipeline once (`juchu run PIPELINE`): this is checked on the products, masters and orders in the store",
                    ),
                ),
                NoStore::Unreadable(e) => (
                    pick(format!("ストアを読めません: {e}"), format!("the store cannot be read: {e}")),
                    pick(
                        "パイプラインを一度実行してストアを最新の形にしてください。直らなければ juchu を更新してください",
                        "run the pipeline once to bring the store up to date; if that does not help, update juchu",
                    ),
                ),
            };
            for (id, title) in titles {
                out.push(ng(id, title, detail.clone(), fix.clone()));
            }
        }
        Ok(s) => {
            for (id, title) in titles {
                out.push(match id {
                    "S2" => calendar(id, title, s, f.holidays_provisional_from),
                    "S3" => masters_match(id, title, s, &f.malls),
                    "S4" => product_import(id, title, s),
                    "S5" => delivery_conditions(id, title, s),
                    "S6" => option_addons(id, title, s),
                    "S7" => customer_ranks(id, title, s),
                    "S8" => import_test(id, title, s, &f.malls),
                    _ => test_orders_processed(id, title, s, &f.malls),
                });
            }
        }
    }
    out
}

/// S1 (and S15): connection data complete; linkage, stock return and automatic authorization OFF.
fn store_settings(m: &MallSetup) -> ChecklistItem {
    let title = pick(format!("店舗設定（{}）", m.name), format!("Store settings ({})", m.name));
    let mut missing: Vec<String> = Vec::new();
    if !m.shop_id {
        missing.push("shop_id".into());
    }
    match m.kind {
        MallKind::Yamada | MallKind::Ponpare => {
            if !m.order_files {
                missing.push("order_files".into());
            }
        }
        _ => {
            if !m.endpoint {
                missing.push("endpoint".into());
            }
            for key in credential_keys(m.kind) {
                if !m.credentials.contains(*key) {
                    missing.push(format!("credentials.{key}"));
                }
            }
        }
    }
    let on_off = |b: bool| if b { "ON" } else { "OFF" };
    let mut wrong: Vec<String> = Vec::new();
    if m.linkage {
        wrong.push(pick("受注連動（linkage）", "linkage"));
    }
    if m.stock_return_on_cancel {
        wrong.push(pick("注文キャンセル時在庫戻し（stock_return_on_cancel）", "stock_return_on_cancel"));
    }
    if m.auto_credit_authorization {
        wrong.push(pick("自動オーソリ（auto_credit_authorization）", "auto_credit_authorization"));
    }
    let switches = pick(
        format!(
            "受注取込 {}、受注連動 {}、キャンセル時在庫戻し {}、送付元住所自動編集 {}、自動オーソリ {}",
            on_off(m.order_import),
            on_off(m.linkage),
            on_off(m.stock_return_on_cancel),
            if m.sender_address_auto_edit { "許可" } else { "許可しない" },
            on_off(m.auto_credit_authorization)
        ),
        format!(
            "order_import {}, linkage {}, stock_return_on_cancel {}, sender_address_auto_edit {}, auto_credit_authorization {}",
            on_off(m.order_import),
            on_off(m.linkage),
            on_off(m.stock_return_on_cancel),
            on_off(m.sender_address_auto_edit),
            on_off(m.auto_credit_authorization)
        ),
    );
    if missing.is_empty() && wrong.is_empty() {
        return ok("S1", title, pick(format!("接続設定あり。{switches}"), format!("connection data complete; {switches}")));
    }
    let mut detail = Vec::new();
    let mut fix = Vec::new();
    if !missing.is_empty() {
        let keys = missing.join(", ");
        detail.push(pick(format!("接続設定が足りません: {keys}"), format!("connection data missing: {keys}")));
        fix.push(pick(
            format!("shop.yaml の malls.{} に {keys} を書いてください（認証情報は ${{環境変数}} で）", m.name),
            format!("write {keys} under malls.{} in shop.yaml (credentials as ${{ENV}} references)", m.name),
        ));
    }
    if !wrong.is_empty() {
        let names = wrong.join(", ");
        detail.push(pick(format!("初期設定ではOFFのはずのスイッチがONです: {names}"), format!("ON, but OFF at first setup: {names}")));
        fix.push(pick(
            format!(
                "malls.{}.switches の {names} を false にしてください。受注連動はチェックシートがすべてOKになってから、自動オーソリは金額を確かめてからONにします（S12, S15）",
                m.name
            ),
            format!(
                "set {names} to false under malls.{}.switches; turn linkage on only when this checklist is all OK, and automatic authorization only after the amounts are checked (S12, S15)",
                m.name
            ),
        ));
    }
    detail.push(switches);
    ng("S1", title, detail.join(pick("。", "; ").as_str()), fix.join(pick("。", "; ").as_str()))
}

/// S2: shop holidays or closed weekdays, and national holidays that do not run out soon.
fn calendar(id: &'static str, title: String, s: &StoreFacts, provisional: Option<NaiveDate>) -> ChecklistItem {
    let (h, w) = (s.masters.shop_holidays.len(), s.masters.closed_weekdays.len());
    let names = pick("月火水木金土日", "MonTueWedThuFriSatSun");
    let per_day = if names.is_ascii() { 3 } else { 1 };
    let weekdays: Vec<String> = s
        .masters
        .closed_weekdays
        .iter()
        .map(|d| names.chars().skip(d.weekday.num_days_from_monday() as usize * per_day).take(per_day).collect())
        .collect();
    let detail = pick(
        format!("休業日 {h} 日、定休日 {}、祝日 {} 日", if w == 0 { "なし".into() } else { weekdays.join("・") }, s.national_holidays),
        format!(
            "{h} shop holiday(s), closed on {}, {} national holiday(s)",
            if w == 0 { "no weekday".into() } else { weekdays.join("/") },
            s.national_holidays
        ),
    );
    let mut fix = Vec::new();
    if h == 0 && w == 0 {
        fix.push(pick(
            "マスタの休業日シート（日付・理由）か定休日シート（曜日）に店の休みを書いてください。出荷予定日はこれで決まります",
            "write the shop's days off in the masters' 休業日 (date, reason) or 定休日 (weekday) sheet: the shipping date is computed from them",
        ));
    }
    if s.national_holidays == 0 {
        fix.push(pick(
            "祝日がストアにありません。load_masters のステージを実行してください",
            "the store has no national holidays: run the pipeline's load_masters stage",
        ));
    }
    let mut detail = detail;
    if let Some(from) = provisional {
        detail.push_str(&pick(
            format!("。{from} 以降の祝日は内閣府の発表前の計算値です"),
            format!("; from {from} the holidays are computed, not official"),
        ));
        fix.push(pick(
            "juchu を更新するか、内閣府の祝日一覧（毎年2月公表）で data/holidays/syukujitsu.csv を更新してください（M011）",
            "update juchu, or data/holidays/syukujitsu.csv from the Cabinet Office's list published each February (M011)",
        ));
    }
    if fix.is_empty() {
        ok(id, title, detail)
    } else {
        ng(id, title, detail, fix.join(pick("。", "; ").as_str()))
    }
}

/// S3: order statuses and payment methods for every mall whose import is switched on; Rakuten's
/// statuses exactly the RMS set.
fn masters_match(id: &'static str, title: String, s: &StoreFacts, malls: &[MallSetup]) -> ChecklistItem {
    let m = &s.masters;
    let mut found = Vec::new();
    let mut fix = Vec::new();
    let on: Vec<&MallSetup> = malls.iter().filter(|m| m.order_import).collect();
    for mall in &on {
        let statuses = m.order_statuses.iter().filter(|r| r.mall == mall.name || r.mall == mall.kind.name()).count();
        let payments = m.payment_methods.iter().any(|r| r.mall == mall.name || r.mall == mall.kind.name());
        if statuses == 0 {
            found.push(pick(format!("{}: 受注ステータスなし", mall.name), format!("{}: no order statuses", mall.name)));
            fix.push(pick(
                format!("受注ステータスシートに {} のステータス（モールの値そのまま）を書いてください", mall.name),
                format!("add {}'s statuses, as the mall writes them, to the 受注ステータス sheet", mall.name),
            ));
        }
        if !payments {
            found.push(pick(format!("{}: 決済方法なし", mall.name), format!("{}: no payment methods", mall.name)));
            fix.push(pick(
                format!("決済方法シートに {} の決済方法名を書いてください（チェック7）", mall.name),
                format!("add {}'s payment-method names to the 決済方法 sheet (check 7)", mall.name),
            ));
        }
        if mall.kind == MallKind::Rakuten && statuses > 0 {
            let rows: BTreeSet<(String, String)> = m
                .order_statuses
                .iter()
                .filter(|r| r.mall == mall.name || r.mall == mall.kind.name())
                .map(|r| (r.code.clone(), r.name.clone()))
                .collect();
            let rms: BTreeSet<(String, String)> =
                super::order_status::RAKUTEN_RMS_STATUSES.iter().map(|(c, n)| (c.to_string(), n.to_string())).collect();
            if rows != rms {
                found.push(pick(
                    format!("{}: 受注ステータスが楽天RMSと一致しません", mall.name),
                    format!("{}: statuses differ from Rakuten RMS", mall.name),
                ));
                fix.push(pick(
                    "受注ステータスシートの楽天の行を RMS の 100 注文確認待ち … 900 キャンセル確定 と同じにしてください（M001）",
                    "make the Rakuten rows of 受注ステータス exactly RMS's 100 注文確認待ち … 900 キャンセル確定 (M001)",
                ));
            }
        }
    }
    let names: Vec<&str> = on.iter().map(|m| m.name.as_str()).collect();
    if on.is_empty() {
        return ng(
            id,
            title,
            pick("受注取込がONのモールがありません", "no mall has order_import ON"),
            pick("取込テストをするモールの order_import を true にしてください（S8）", "switch order_import on for the malls to test (S8)"),
        );
    }
    if fix.is_empty() {
        ok(
            id,
            title,
            pick(
                format!("受注取込ONの {} モール（{}）すべてに受注ステータスと決済方法があります", on.len(), names.join(", ")),
                format!("order statuses and payment methods for all {} malls with order_import ON ({})", on.len(), names.join(", ")),
            ),
        )
    } else {
        ng(id, title, found.join(pick("。", "; ").as_str()), fix.join(pick("。", "; ").as_str()))
    }
}

/// S4: the first mall imported is the master mall, with products.
fn product_import(id: &'static str, title: String, s: &StoreFacts) -> ChecklistItem {
    let Some(master) = s.master_mall.as_ref().filter(|_| !s.products.is_empty()) else {
        return ng(
            id,
            title,
            pick("商品がインポートされていません（マスタモールなし）", "no products imported (no master mall)"),
            pick(
                "パイプラインの最初に import_products ステージ（マスタにするモールの商品CSV）を置いて実行してください",
                "put an import_products stage (the master mall's product CSV) first in the pipeline and run it",
            ),
        );
    };
    let others: Vec<String> = s
        .products_per_mall
        .iter()
        .filter(|(m, _)| *m != master)
        .map(|(m, (n, unlinked))| {
            if *unlinked == 0 {
                pick(format!("{m} {n} 件"), format!("{m} {n}"))
            } else {
                pick(format!("{m} {n} 件（うち紐付けなし {unlinked} 件）"), format!("{m} {n} ({unlinked} not linked)"))
            }
        })
        .collect();
    let rest = if others.is_empty() {
        String::new()
    } else {
        pick(format!("。他モール: {}", others.join(", ")), format!("; other malls: {}", others.join(", ")))
    };
    ok(
        id,
        title,
        pick(
            format!("マスタモール {master}、マスタ商品 {} 件{rest}", s.products.len()),
            format!("master mall {master}, {} master products{rest}", s.products.len()),
        ),
    )
}

/// S5: every master product has a 配送条件 row naming a known 物流会社 and a 配送会社.
fn delivery_conditions(id: &'static str, title: String, s: &StoreFacts) -> ChecklistItem {
    let conditions: HashMap<&str, _> = s.masters.delivery_conditions.iter().map(|d| (d.product_code.as_str(), d)).collect();
    let companies: BTreeSet<&str> = s.masters.logistics_companies.iter().map(|c| c.name.as_str()).collect();
    let (mut no_condition, mut no_company) = (Vec::new(), Vec::new());
    for p in &s.products {
        match conditions.get(p.product_code.as_str()) {
            None => no_condition.push(p.product_code.clone()),
            Some(d) if d.carrier.is_empty() => no_condition.push(p.product_code.clone()),
            Some(d) if d.logistics_company.is_empty() || !companies.contains(d.logistics_company.as_str()) => {
                no_company.push(p.product_code.clone())
            }
            Some(_) => {}
        }
    }
    if s.products.is_empty() {
        return ng(
            id,
            title,
            pick("マスタ商品がありません", "no master products"),
            pick("先に商品をインポートしてください（S4）", "import the products first (S4)"),
        );
    }
    if no_condition.is_empty() && no_company.is_empty() {
        return ok(
            id,
            title,
            pick(
                format!("マスタ商品 {} 件すべてに物流会社と配送条件があります", s.products.len()),
                format!("all {} master products have a logistics company and a delivery condition", s.products.len()),
            ),
        );
    }
    let mut detail = Vec::new();
    if !no_condition.is_empty() {
        detail.push(pick(
            format!("配送条件のない商品 {} 件: {}", no_condition.len(), listed(&no_condition)),
            format!("{} product(s) without a delivery condition: {}", no_condition.len(), listed(&no_condition)),
        ));
    }
    if !no_company.is_empty() {
        detail.push(pick(
            format!("物流会社のない商品 {} 件: {}", no_company.len(), listed(&no_company)),
            format!("{} product(s) without a known logistics company: {}", no_company.len(), listed(&no_company)),
        ));
    }
    ng(
        id,
        title,
        detail.join(pick("。", "; ").as_str()),
        pick(
            "配送条件シートにその商品番号の行（物流会社は物流会社シートにあるもの、配送会社）を書いてください。空のままだと取込チェック1〜3が空になります（M003）",
            "add a row per product number to the 配送条件 sheet (a 物流会社 of the 物流会社 sheet, and a 配送会社); without it import checks 1–3 are empty (M003)",
        ),
    )
}

/// S6: every option choice of a master product that announces a price has that add-on registered.
fn option_addons(id: &'static str, title: String, s: &StoreFacts) -> ChecklistItem {
    let addons: HashMap<(&str, &str, &str), i64> =
        s.masters.option_addons.iter().map(|a| ((a.product_code.as_str(), a.item_name.as_str(), a.choice.as_str()), a.amount)).collect();
    let mut priced = 0;
    let mut missing = Vec::new();
    for o in &s.options {
        let Some(price) = price_in_choice(&o.choice) else {
            continue;
        };
        priced += 1;
        if addons.get(&(o.product_code.as_str(), o.item_name.as_str(), o.choice.as_str())) != Some(&price) {
            missing.push(format!("{} {}:{}", o.product_code, o.item_name, o.choice));
        }
    }
    if missing.is_empty() {
        return ok(
            id,
            title,
            if priced == 0 {
                pick("価格つきの選択肢はありません", "no option choice carries a price")
            } else {
                pick(
                    format!("価格つきの選択肢 {priced} 件すべてに加算額があります"),
                    format!("all {priced} option choices with a price have their add-on"),
                )
            },
        );
    }
    ng(
        id,
        title,
        pick(
            format!("加算額がないか金額が違う選択肢 {} 件: {}", missing.len(), listed(&missing)),
            format!("{} priced choice(s) with no add-on or another amount: {}", missing.len(), listed(&missing)),
        ),
        pick(
            "オプション加算シートに 商品番号・項目名・選択肢・加算額 を、選択肢の表示価格と同じ金額で書いてください（チェック8、M005）",
            "add 商品番号, 項目名, 選択肢, 加算額 rows to the オプション加算 sheet, at the price the choice shows (check 8, M005)",
        ),
    )
}

/// S7: at least one rank rule.
fn customer_ranks(id: &'static str, title: String, s: &StoreFacts) -> ChecklistItem {
    let ranks: Vec<String> = s.masters.customer_ranks.iter().map(|r| r.rank.clone()).collect();
    if ranks.is_empty() {
        return ng(
            id,
            title,
            pick("顧客ランクがありません", "no customer ranks"),
            pick(
                "顧客ランクシートに ランク・累計購入金額・購入回数・優先順位 を書いてください",
                "add rank rules (ランク, 累計購入金額, 購入回数, 優先順位) to the 顧客ランク sheet",
            ),
        );
    }
    ok(
        id,
        title,
        pick(format!("顧客ランク {} 件: {}", ranks.len(), listed(&ranks)), format!("{} rank(s): {}", ranks.len(), listed(&ranks))),
    )
}

/// S8: a fetch_orders stage finished (ok, or with warnings only) with order import ON, and orders came in.
fn import_test(id: &'static str, title: String, s: &StoreFacts, malls: &[MallSetup]) -> ChecklistItem {
    let orders: i64 = s.orders.iter().map(|g| g.count).sum();
    if !malls.iter().any(|m| m.order_import) {
        return ng(
            id,
            title,
            pick("受注取込がONのモールがありません", "no mall has order_import ON"),
            pick(
                "テストするモールだけ order_import を true にして（他のスイッチはOFFのまま）パイプラインを実行してください",
                "switch on only order_import for the malls to test (the other switches stay OFF) and run the pipeline",
            ),
        );
    }
    let Some(fetch) = &s.last_ok_fetch else {
        let detail = match &s.last_fetch {
            Some(f) => pick(
                format!("最後の受注取込（実行 {}）は {} でした", f.run_id, f.status),
                format!("the last fetch_orders (run {}) ended {}", f.run_id, f.status),
            ),
            None => pick("受注取込（fetch_orders）が実行されていません", "no fetch_orders stage has run"),
        };
        return ng(
            id,
            title,
            detail,
            pick(
                "パイプラインに fetch_orders ステージを置いて実行し、エラーがあれば直してもう一度実行してください",
                "put a fetch_orders stage in the pipeline and run it; fix what it reports and run again",
            ),
        );
    };
    let at = fetch.at.format("%Y-%m-%d %H:%M");
    if orders == 0 {
        return ng(
            id,
            title,
            pick(
                format!("受注取込は {at}（実行 {}）に終わりましたが、受注が1件もありません", fetch.run_id),
                format!("fetch_orders finished at {at} (run {}) but no orders came in", fetch.run_id),
            ),
            pick("モールにテスト注文を入れて、もう一度実行してください", "place test orders at the mall and run again"),
        );
    }
    ok(
        id,
        title,
        pick(
            format!("{at}（実行 {}）に取込済み、受注 {orders} 件。取込チェック（S10）を確かめてください", fetch.run_id),
            format!("fetched at {at} (run {}), {orders} orders; look at their import checks (S10)", fetch.run_id),
        ),
    )
}

/// S9: no order imported before linkage started (every order of a mall whose linkage is not on)
/// is still in a new status. The status is read through the 受注ステータス master (by code or name,
/// the mall's settings name or kind); a status the master lacks is judged by its own text.
/// Cancelled orders count as processed.
fn test_orders_processed(id: &'static str, title: String, s: &StoreFacts, malls: &[MallSetup]) -> ChecklistItem {
    let setup: HashMap<&str, &MallSetup> = malls.iter().map(|m| (m.name.as_str(), m)).collect();
    let mut internal: HashMap<(&str, &str), &str> = HashMap::new();
    for r in &s.masters.order_statuses {
        internal.insert((r.mall.as_str(), r.code.as_str()), r.internal_status.as_str());
        internal.insert((r.mall.as_str(), r.name.as_str()), r.internal_status.as_str());
    }
    let mut before = 0;
    let mut waiting: BTreeMap<(String, String), i64> = BTreeMap::new();
    for g in &s.orders {
        let mall = setup.get(g.mall.as_str());
        let start = mall.filter(|m| m.linkage || m.linkage_recorded).and_then(|m| m.linkage_starts_at);
        if start.is_some_and(|t| g.fetched_at >= t) {
            continue;
        }
        before += g.count;
        if g.cancelled {
            continue;
        }
        let kind = mall.map_or(g.mall.as_str(), |m| m.kind.name());
        let status = g
            .house_status
            .as_deref()
            .or_else(|| internal.get(&(g.mall.as_str(), g.mall_status.as_str())).copied())
            .or_else(|| internal.get(&(kind, g.mall_status.as_str())).copied())
            .unwrap_or(g.mall_status.as_str());
        if is_unprocessed_status(status) {
            *waiting.entry((g.mall.clone(), g.mall_status.clone())).or_default() += g.count;
        }
    }
    if before == 0 {
        return ng(
            id,
            title,
            pick(
                "受注連動前に取り込んだ受注がありません（取込テストがまだです）",
                "no orders imported before linkage (the import test has not run)",
            ),
            pick("先に受注取込テストをしてください（S8）", "run the order import test first (S8)"),
        );
    }
    if waiting.is_empty() {
        return ok(
            id,
            title,
            pick(
                format!("受注連動前に取り込んだ受注 {before} 件はすべて処理済みです"),
                format!("all {before} orders imported before linkage are past their new status"),
            ),
        );
    }
    let total: i64 = waiting.values().sum();
    let groups: Vec<String> = waiting.iter().map(|((m, st), n)| pick(format!("{m} {st} {n} 件"), format!("{m} {st}: {n}"))).collect();
    ng(
        id,
        title,
        pick(
            format!("受注連動前に取り込んだ受注 {before} 件のうち {total} 件が新規のままです: {}", listed(&groups)),
            format!("{total} of the {before} orders imported before linkage are still new: {}", listed(&groups)),
        ),
        pick(
            "テスト受注をモールの画面で処理済（発送済・キャンセルなど）にしてからパイプラインを実行し、ストアの状態を更新してください。受注連動の開始5分前からはモールの画面で処理しないでください（S9, S14）",
            "move the test orders to a processed status (shipped, cancelled …) in the mall's screen, then run the pipeline so the store sees it; do no processing in the mall's screen in the 5 minutes before linkage starts (S9, S14)",
        ),
    )
}

#[cfg(test)]
mod tests {
    // Unit tests run in the default language, Japanese.
    use super::*;
    use crate::domain::masters::{DeliveryCondition, LogisticsCompany, OrderStatus, Origin};

    fn mall(name: &str, kind: MallKind) -> MallSetup {
        MallSetup {
            name: name.into(),
            kind,
            shop_id: true,
            endpoint: true,
            credentials: credential_keys(kind).iter().map(|k| k.to_string()).collect(),
            order_files: false,
            order_import: true,
            linkage: false,
            stock_return_on_cancel: false,
            sender_address_auto_edit: true,
            auto_credit_authorization: false,
            linkage_starts_at: None,
            linkage_recorded: false,
        }
    }

    fn origin() -> Origin {
        Origin { file: String::new(), sheet: String::new(), row: 2 }
    }

    fn at(s: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap()
    }

    #[test]
    fn without_a_store_every_store_item_is_ng_and_says_run_the_pipeline() {
        let f = Facts { malls: vec![mall("rakuten", MallKind::Rakuten)], store: Err(NoStore::NotYet), holidays_provisional_from: None };
        let items = assess(&f);
        assert_eq!(items.len(), 9);
        assert!(items[0].ok, "{:?}", items[0]);
        assert!(items[1..].iter().all(|i| !i.ok && i.fix.as_deref().unwrap().contains("パイプラインを一度実行してください")));
    }

    #[test]
    fn linkage_on_and_missing_credentials_are_ng_with_the_switch_and_key_named() {
        let mut m = mall("rakuten", MallKind::Rakuten);
        m.linkage = true;
        m.credentials.remove("license_key");
        let i = store_settings(&m);
        assert!(!i.ok);
        let fix = i.fix.unwrap();
        assert!(fix.contains("credentials.license_key") && fix.contains("受注連動（linkage） を false"), "{fix}");
    }

    #[test]
    fn a_product_without_a_delivery_condition_and_one_with_an_unknown_company() {
        let product = |code: &str| MasterProduct {
            item_key: code.into(),
            product_code: code.into(),
            name: String::new(),
            src_file: String::new(),
            src_line: 1,
        };
        let cond = |code: &str, company: &str| DeliveryCondition {
            product_code: code.into(),
            logistics_company: company.into(),
            carrier: "ヤマト運輸".into(),
            preparation_days: 1,
            time_slots: vec![],
            temperature: "常温".into(),
            origin: origin(),
        };
        let mut s = StoreFacts { products: vec![product("A"), product("B"), product("C")], ..Default::default() };
        s.masters.delivery_conditions = vec![cond("A", "自社倉庫"), cond("C", "どこか")];
        s.masters.logistics_companies = vec![LogisticsCompany {
            name: "自社倉庫".into(),
            origin_region: "関東".into(),
            origin_prefecture: "東京都".into(),
            origin: origin(),
        }];
        let i = delivery_conditions("S5", "t".into(), &s);
        assert!(!i.ok);
        assert_eq!(i.detail, "配送条件のない商品 1 件: B。物流会社のない商品 1 件: C");
    }

    #[test]
    fn test_orders_in_a_new_status_before_linkage_are_ng_and_after_linkage_do_not_count() {
        let mut m = mall("rakuten", MallKind::Rakuten);
        let mut s = StoreFacts::default();
        s.masters.order_statuses = vec![
            OrderStatus {
                mall: "rakuten".into(),
                code: "100".into(),
                name: "注文確認待ち".into(),
                internal_status: "新規受付".into(),
                origin: origin(),
            },
            OrderStatus {
                mall: "rakuten".into(),
                code: "500".into(),
                name: "発送済".into(),
                internal_status: "出荷済".into(),
                origin: origin(),
            },
        ];
        let group = |status: &str, fetched: &str, cancelled: bool| OrderGroup {
            mall: "rakuten".into(),
            mall_status: status.into(),
            cancelled,
            fetched_at: at(fetched),
            count: 2,
            house_status: None,
        };
        s.orders = vec![group("500", "2026-11-28 10:00", false), group("100", "2026-11-28 10:00", true)];
        assert!(test_orders_processed("S9", "t".into(), &s, std::slice::from_ref(&m)).ok);
        s.orders.push(group("100", "2026-12-01 10:00", false));
        let i = test_orders_processed("S9", "t".into(), &s, std::slice::from_ref(&m));
        assert_eq!(i.detail, "受注連動前に取り込んだ受注 6 件のうち 2 件が新規のままです: rakuten 100 2 件");
        // Linkage from 12-01 09:00: the order fetched after it is no test order.
        m.linkage = true;
        m.linkage_starts_at = Some(at("2026-12-01 09:00"));
        assert!(test_orders_processed("S9", "t".into(), &s, &[m]).ok);
    }

    #[test]
    fn a_calendar_without_days_off_and_a_fetch_that_failed_are_ng() {
        let mut s = StoreFacts { national_holidays: 1602, ..Default::default() };
        let c = calendar("S2", "t".into(), &s, NaiveDate::from_ymd_opt(2028, 1, 1));
        assert!(!c.ok);
        assert!(c.fix.as_deref().unwrap().contains("休業日") && c.fix.as_deref().unwrap().contains("M011"), "{c:?}");
        s.last_fetch = Some(FetchStage { run_id: 3, at: at("2026-11-28 10:00"), status: "failed".into() });
        let i = import_test("S8", "t".into(), &s, &[mall("rakuten", MallKind::Rakuten)]);
        assert_eq!((i.ok, i.detail.as_str()), (false, "最後の受注取込（実行 3）は failed でした"));
    }
}
