//! Master data (マスタ) staff keep in a workbook, and the checks that tell them what to fix (S3).

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use chrono::{NaiveDate, Weekday};

use super::mall::MallKind;
use super::option_text::price_in_choice;
use super::order_status::RAKUTEN_RMS_STATUSES;
use super::prefecture::PREFECTURES;

/// Where a master row came from: a workbook sheet or a CSV file, and its 1-based row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    pub file: String,
    pub sheet: String,
    pub row: usize,
}

/// The sheet names staff see; also the CSV file names (`<sheet>.csv`).
pub mod sheet {
    pub const ORDER_STATUSES: &str = "受注ステータス";
    pub const PAYMENT_METHODS: &str = "決済方法";
    pub const PREFECTURES: &str = "都道府県";
    pub const CARRIERS: &str = "配送会社";
    pub const TIME_SLOTS: &str = "配送時間帯";
    pub const LOGISTICS_COMPANIES: &str = "物流会社";
    pub const DELIVERY_CONDITIONS: &str = "配送条件";
    pub const TRANSIT_DAYS: &str = "配送日数";
    pub const OPTION_ADDONS: &str = "オプション加算";
    pub const CUSTOMER_RANKS: &str = "顧客ランク";
    pub const SHOP_HOLIDAYS: &str = "休業日";
    pub const CLOSED_WEEKDAYS: &str = "定休日";
    /// Optional: a workbook without it has no delivery methods.
    pub const DELIVERY_METHODS: &str = "配送方法";
    /// Optional: each mall's own code for a carrier, for the write-back (one table per mall).
    pub const CARRIER_CODES: &str = "配送会社コード";
}

#[derive(Debug, Clone)]
pub struct OrderStatus {
    pub mall: String,
    pub code: String,
    pub name: String,
    /// 社内ステータス
    pub internal_status: String,
    pub origin: Origin,
}

#[derive(Debug, Clone)]
pub struct PaymentMethod {
    pub mall: String,
    /// The name (or code) the mall sends.
    pub mall_name: String,
    /// 社内決済方法
    pub internal: String,
    pub origin: Origin,
}

#[derive(Debug, Clone)]
pub struct PrefectureRow {
    pub jis_code: String,
    pub name: String,
    /// Carrier fee region (ヤマト 12 regions: 関東, 関西, …).
    pub region: String,
    pub origin: Origin,
}

#[derive(Debug, Clone)]
pub struct Carrier {
    /// 配送会社
    pub name: String,
    /// Rakuten deliveryCompany 1000-series code.
    pub rakuten_code: Option<String>,
    /// Offers cool (refrigerated/frozen) delivery.
    pub cool: bool,
    pub origin: Origin,
}

/// 配送会社コード: the code one mall's write call takes for a carrier (Rakuten `1001`, au PAY `1`,
/// Amazon `YAMATO`). The malls' tables differ beyond the majors, so each mall has its own rows.
#[derive(Debug, Clone)]
pub struct CarrierCode {
    pub mall: String,
    /// 配送会社, as the 配送会社 sheet names it.
    pub carrier: String,
    pub code: String,
    pub origin: Origin,
}

#[derive(Debug, Clone)]
pub struct TimeSlot {
    pub carrier: String,
    pub label: String,
    pub code: String,
    pub start_hour: Option<i64>,
    pub end_hour: Option<i64>,
    pub origin: Origin,
}

#[derive(Debug, Clone)]
pub struct LogisticsCompany {
    /// 物流会社
    pub name: String,
    pub origin_region: String,
    pub origin_prefecture: String,
    pub origin: Origin,
}

/// 配送条件: how one product is shipped.
#[derive(Debug, Clone)]
pub struct DeliveryCondition {
    /// 商品番号 of the master product.
    pub product_code: String,
    pub logistics_company: String,
    pub carrier: String,
    /// 準備日数
    pub preparation_days: i64,
    /// 配送可能時間帯: slot codes; empty = every slot of the carrier.
    pub time_slots: Vec<String>,
    /// 温度帯: 常温 / 冷蔵 / 冷凍
    pub temperature: String,
    pub origin: Origin,
}

#[derive(Debug, Clone)]
pub struct TransitDays {
    pub origin_region: String,
    pub prefecture: String,
    pub days: i64,
    pub origin: Origin,
}

/// 項目選択肢の加算額: choice `item_name:choice` of a product adds `amount` yen.
#[derive(Debug, Clone)]
pub struct OptionAddon {
    pub product_code: String,
    pub item_name: String,
    pub choice: String,
    pub amount: i64,
    pub origin: Origin,
}

#[derive(Debug, Clone)]
pub struct CustomerRank {
    pub rank: String,
    /// 累計購入金額 at least this (yen).
    pub min_total: i64,
    /// 購入回数 at least this.
    pub min_count: i64,
    /// Lower is checked first.
    pub priority: i64,
    pub origin: Origin,
}

#[derive(Debug, Clone)]
pub struct ShopHoliday {
    pub date: NaiveDate,
    pub reason: String,
    pub origin: Origin,
}

#[derive(Debug, Clone)]
pub struct ClosedWeekday {
    pub weekday: Weekday,
    pub origin: Origin,
}

/// 配送方法: how a mall names the way the customer asked to be shipped (Rakuten `deliveryName`,
/// Yahoo `ShipMethod`, Amazon `ShipmentServiceLevelCategory`, au PAY's delivery method), and the carrier
/// service it means. Optional sheet: without a row the mall's value is kept and shown, not mapped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryMethod {
    /// Mall kind (`rakuten`, `yahoo`, …) as in the other sheets.
    pub mall: String,
    /// The mall's value as it sends it: `メール便`, `postage1`, `Standard`.
    pub method: String,
    /// 配送会社 (one of the 配送会社 sheet); empty = any.
    pub carrier: String,
    /// 配送サービス: 宅急便, ネコポス, ゆうパケット, クール宅急便 …
    pub service: String,
    /// 温度帯 the service carries: 常温, 冷蔵 or 冷凍; empty = the method does not say (any).
    pub temperature: String,
    /// 時間帯指定: whether the service takes a delivery time slot (mail-bin services do not).
    pub time_slots: bool,
    pub origin: Origin,
}

/// Every master, as loaded.
#[derive(Debug, Clone, Default)]
pub struct Masters {
    pub order_statuses: Vec<OrderStatus>,
    pub payment_methods: Vec<PaymentMethod>,
    pub prefectures: Vec<PrefectureRow>,
    pub carriers: Vec<Carrier>,
    pub time_slots: Vec<TimeSlot>,
    pub logistics_companies: Vec<LogisticsCompany>,
    pub delivery_conditions: Vec<DeliveryCondition>,
    pub transit_days: Vec<TransitDays>,
    pub option_addons: Vec<OptionAddon>,
    pub customer_ranks: Vec<CustomerRank>,
    pub shop_holidays: Vec<ShopHoliday>,
    pub closed_weekdays: Vec<ClosedWeekday>,
    /// 配送方法 (optional sheet).
    pub delivery_methods: Vec<DeliveryMethod>,
    /// 配送会社コード (optional sheet).
    pub carrier_codes: Vec<CarrierCode>,
    /// Per sheet: the file it came from and its header row, to point findings at a cell.
    pub sheets: BTreeMap<String, SheetSource>,
}

impl Masters {
    /// Where every row came from.
    pub fn origins(&self) -> impl Iterator<Item = &Origin> {
        let o = self.order_statuses.iter().map(|r| &r.origin);
        let o = o.chain(self.payment_methods.iter().map(|r| &r.origin)).chain(self.prefectures.iter().map(|r| &r.origin));
        let o = o.chain(self.carriers.iter().map(|r| &r.origin)).chain(self.time_slots.iter().map(|r| &r.origin));
        let o = o.chain(self.logistics_companies.iter().map(|r| &r.origin)).chain(self.delivery_conditions.iter().map(|r| &r.origin));
        let o = o.chain(self.transit_days.iter().map(|r| &r.origin)).chain(self.option_addons.iter().map(|r| &r.origin));
        let o = o.chain(self.customer_ranks.iter().map(|r| &r.origin)).chain(self.shop_holidays.iter().map(|r| &r.origin));
        let o = o.chain(self.closed_weekdays.iter().map(|r| &r.origin)).chain(self.delivery_methods.iter().map(|r| &r.origin));
        o.chain(self.carrier_codes.iter().map(|r| &r.origin))
    }

    /// The last row (1-based) of `sheet` that holds a master row.
    pub fn last_row(&self, sheet: &str) -> Option<usize> {
        self.origins().filter(|o| o.sheet == sheet).map(|o| o.row).max()
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SheetSource {
    pub file: String,
    pub headers: Vec<String>,
}

/// A master product as the checks need it.
#[derive(Debug, Clone)]
pub struct MasterProduct {
    pub item_key: String,
    pub product_code: String,
    pub name: String,
    pub src_file: String,
    pub src_line: usize,
}

/// An option choice of a master product.
#[derive(Debug, Clone)]
pub struct ProductOptionChoice {
    pub product_code: String,
    pub item_name: String,
    pub choice: String,
    pub src_file: String,
    pub src_line: usize,
}

/// Where a finding points.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FindingPlace {
    /// A cell of a master sheet, by its row and column header.
    Cell { sheet: String, row: usize, column: String },
    /// A whole master sheet (something is missing from it).
    Sheet { sheet: String },
    /// A line of a product file.
    Line { file: String, line: usize },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// Stable code, `M001`….
    pub code: &'static str,
    pub error: bool,
    pub message: String,
    pub place: FindingPlace,
    pub help: String,
}

impl Finding {
    fn error(code: &'static str, message: String, place: FindingPlace, help: impl Into<String>) -> Self {
        Finding { code, error: true, message, place, help: help.into() }
    }
    fn warning(code: &'static str, message: String, place: FindingPlace, help: impl Into<String>) -> Self {
        Finding { code, error: false, message, place, help: help.into() }
    }
}

fn cell(o: &Origin, column: &str) -> FindingPlace {
    FindingPlace::Cell { sheet: o.sheet.clone(), row: o.row, column: column.to_string() }
}

fn whole(sheet: &str) -> FindingPlace {
    FindingPlace::Sheet { sheet: sheet.to_string() }
}

/// What validate_masters needs to know about the shop.
pub struct ShopView<'a> {
    /// Malls the shop has in its settings, by kind.
    pub malls: Vec<(&'a str, MallKind)>,
    pub origin_region: &'a str,
}

/// The master checks (S3): errors stop the run, warnings are listed.
///
/// A check runs only when the sheets it reads were read (`m.sheets`; an optional sheet left out is read
/// as empty): `juchu check` hands on what it could read of a workbook whose sheet lacks a column, and
/// that sheet's problem is its D006, not every row the other sheets then seem to lack.
pub fn validate(m: &Masters, shop: &ShopView<'_>, products: &[MasterProduct], options: &[ProductOptionChoice]) -> Vec<Finding> {
    let read = |sheets: &[&str]| sheets.iter().all(|s| m.sheets.contains_key(*s) || *s == sheet::DELIVERY_METHODS);
    let mut out = Vec::new();
    if read(&[sheet::ORDER_STATUSES]) {
        check_rakuten_statuses(m, shop, &mut out);
    }
    if read(&[sheet::PREFECTURES]) {
        check_prefectures(m, &mut out);
    }
    if read(&[sheet::DELIVERY_CONDITIONS, sheet::LOGISTICS_COMPANIES, sheet::CARRIERS, sheet::TIME_SLOTS]) {
        check_delivery(m, products, &mut out);
    }
    if read(&[sheet::CARRIERS, sheet::TIME_SLOTS]) {
        check_carrier_time_slots(m, &mut out);
    }
    if read(&[sheet::DELIVERY_METHODS, sheet::CARRIERS]) {
        check_delivery_methods(m, &mut out);
    }
    if read(&[sheet::CARRIERS]) {
        check_carrier_codes(m, &mut out);
    }
    if read(&[sheet::OPTION_ADDONS]) {
        check_option_addons(m, options, &mut out);
    }
    if read(&[sheet::PAYMENT_METHODS]) {
        check_payment_methods(m, shop, &mut out);
    }
    if read(&[sheet::TRANSIT_DAYS]) {
        check_transit_days(m, shop, &mut out);
    }
    out
}

fn check_rakuten_statuses(m: &Masters, shop: &ShopView<'_>, out: &mut Vec<Finding>) {
    let rows: Vec<&OrderStatus> = m.order_statuses.iter().filter(|s| s.mall == "rakuten").collect();
    let uses_rakuten = shop.malls.iter().any(|(_, kind)| *kind == MallKind::Rakuten);
    if rows.is_empty() {
        if uses_rakuten {
            out.push(Finding::error(
                "M001",
                "the order-status master has no rows for rakuten".into(),
                whole(sheet::ORDER_STATUSES),
                "add the nine RMS statuses (100 注文確認待ち … 900 キャンセル確定) with モール `rakuten`",
            ));
        }
        return;
    }
    let mut seen = HashSet::new();
    for s in &rows {
        let code: Option<u16> = s.code.trim().parse().ok();
        match code.and_then(|c| RAKUTEN_RMS_STATUSES.iter().find(|(rc, _)| *rc == c)) {
            None => out.push(Finding::error(
                "M001",
                format!("`{}` is not a Rakuten RMS status code", s.code),
                cell(&s.origin, "ステータスコード"),
                "RMS status codes are 100, 200, 300, 400, 500, 600, 700, 800, 900",
            )),
            Some((c, name)) => {
                seen.insert(*c);
                if s.name.trim() != *name {
                    out.push(Finding::error(
                        "M001",
                        format!("status {c} is named `{}` here but `{name}` in Rakuten RMS", s.name),
                        cell(&s.origin, "ステータス名"),
                        format!("write `{name}` exactly as RMS does; the internal name goes in 社内ステータス"),
                    ));
                }
            }
        }
    }
    for (c, name) in RAKUTEN_RMS_STATUSES {
        if !seen.contains(&c) {
            out.push(Finding::error(
                "M001",
                format!("Rakuten RMS status {c} {name} is missing from the order-status master"),
                whole(sheet::ORDER_STATUSES),
                format!("add a row: rakuten | {c} | {name} | <社内ステータス>"),
            ));
        }
    }
}

fn check_prefectures(m: &Masters, out: &mut Vec<Finding>) {
    if m.prefectures.is_empty() {
        out.push(Finding::error(
            "M002",
            "the prefecture master is empty".into(),
            whole(sheet::PREFECTURES),
            "list the 47 prefectures with their JIS codes (01 北海道 … 47 沖縄県)",
        ));
        return;
    }
    let mut seen = HashMap::new();
    // A misspelt row (`東京`) is the row of the prefecture it suggests: that one is not "lacking" too.
    let mut meant = HashSet::new();
    for p in &m.prefectures {
        match PREFECTURES.iter().position(|n| *n == p.name.trim()) {
            None => {
                let suggested = super::prefecture::Prefecture::suggest(&p.name);
                meant.extend(suggested.map(|s| s.name()));
                let hint = suggested.map(|s| format!("did you mean `{}`? ", s.name())).unwrap_or_default();
                out.push(Finding::error(
                    "M002",
                    format!("`{}` is not one of the 47 prefectures", p.name),
                    cell(&p.origin, "都道府県名"),
                    format!("{hint}write the full name with its suffix (都/道/府/県) exactly as the malls send it"),
                ));
            }
            Some(i) => {
                let jis = format!("{:02}", i + 1);
                if p.jis_code.trim() != jis {
                    out.push(Finding::error(
                        "M002",
                        format!("{} has JIS code `{}`, expected `{jis}`", p.name, p.jis_code),
                        cell(&p.origin, "JISコード"),
                        format!("JIS X 0401 code of {} is {jis} (write it as text so the leading zero stays)", p.name),
                    ));
                }
                if let Some(first) = seen.insert(i, p.origin.row) {
                    out.push(Finding::error(
                        "M002",
                        format!("{} is listed twice (rows {first} and {})", p.name, p.origin.row),
                        cell(&p.origin, "都道府県名"),
                        "keep one row per prefecture",
                    ));
                }
            }
        }
    }
    let missing: Vec<&str> =
        PREFECTURES.iter().enumerate().filter(|(i, n)| !seen.contains_key(i) && !meant.contains(*n)).map(|(_, n)| *n).collect();
    if !missing.is_empty() {
        out.push(Finding::error(
            "M002",
            format!("the prefecture master lacks {}", missing.join(", ")),
            whole(sheet::PREFECTURES),
            "the master must hold exactly the 47 prefectures",
        ));
    }
}

fn check_delivery(m: &Masters, products: &[MasterProduct], out: &mut Vec<Finding>) {
    let companies: HashSet<&str> = m.logistics_companies.iter().map(|c| c.name.as_str()).collect();
    let carriers: HashSet<&str> = m.carriers.iter().map(|c| c.name.as_str()).collect();
    let mut by_product: HashMap<&str, &DeliveryCondition> = HashMap::new();
    for dc in &m.delivery_conditions {
        by_product.insert(dc.product_code.as_str(), dc);
        if dc.logistics_company.trim().is_empty() {
            out.push(Finding::warning(
                "M003",
                format!("product {} has a delivery condition without a logistics company", dc.product_code),
                cell(&dc.origin, "物流会社"),
                "fill 物流会社, or check 1 (logistics company) stays empty for its orders",
            ));
        } else if !companies.contains(dc.logistics_company.as_str()) {
            out.push(Finding::error(
                "M004",
                format!("logistics company `{}` is not in the logistics-company master", dc.logistics_company),
                cell(&dc.origin, "物流会社"),
                format!("add it to the sheet {} or fix the name", sheet::LOGISTICS_COMPANIES),
            ));
        }
        if !dc.carrier.trim().is_empty() && !carriers.contains(dc.carrier.as_str()) {
            out.push(Finding::error(
                "M004",
                format!("carrier `{}` is not in the carrier master", dc.carrier),
                cell(&dc.origin, "配送会社"),
                format!("add it to the sheet {} or fix the name", sheet::CARRIERS),
            ));
        }
        for code in &dc.time_slots {
            if !m.time_slots.iter().any(|s| s.carrier == dc.carrier && &s.code == code) {
                out.push(Finding::error(
                    "M004",
                    format!("time slot `{code}` is not a slot of carrier `{}`", dc.carrier),
                    cell(&dc.origin, "配送可能時間帯"),
                    format!("use the codes of the sheet {} for this carrier", sheet::TIME_SLOTS),
                ));
            }
        }
    }
    for p in products {
        if !by_product.contains_key(p.product_code.as_str()) {
            out.push(Finding::warning(
                "M003",
                format!("master product {} ({}) has no delivery condition", p.product_code, p.name),
                FindingPlace::Line { file: p.src_file.clone(), line: p.src_line },
                format!(
                    "add a row for {} to the sheet {}; until then checks 1–3 (logistics company, carrier, shipping date) stay empty for its orders",
                    p.product_code,
                    sheet::DELIVERY_CONDITIONS
                ),
            ));
        }
    }
}

/// A carrier without a single 配送時間帯 row: every order asking it for a time slot fails check 4.
fn check_carrier_time_slots(m: &Masters, out: &mut Vec<Finding>) {
    let with_slots: HashSet<&str> = m.time_slots.iter().map(|s| s.carrier.as_str()).collect();
    for c in &m.carriers {
        if !with_slots.contains(c.name.as_str()) {
            out.push(Finding::warning(
                "M010",
                format!("carrier `{}` has no time slots in the sheet {}", c.name, sheet::TIME_SLOTS),
                cell(&c.origin, "配送会社"),
                format!(
                    "add its slots to the sheet {} (`{} | 午前中 | <時間帯コード> | 8 | 12` …); until then every order asking it for a time slot fails check 4",
                    sheet::TIME_SLOTS,
                    c.name
                ),
            ));
        }
    }
}

/// 配送会社コード rows against the 配送会社 sheet: a carrier named nowhere else is a typo, and the
/// shipments staff record under the real name would find no code.
fn check_carrier_codes(m: &Masters, out: &mut Vec<Finding>) {
    let carriers: HashSet<&str> = m.carriers.iter().map(|c| c.name.as_str()).collect();
    for cc in &m.carrier_codes {
        if !carriers.contains(cc.carrier.as_str()) {
            out.push(Finding::warning(
                "M012",
                super::lang::pick(
                    format!("配送会社コードの配送会社「{}」（モール {}）が配送会社シートにありません", cc.carrier, cc.mall),
                    format!(
                        "carrier `{}` (mall {}) of the sheet {} is not in the carrier master",
                        cc.carrier,
                        cc.mall,
                        sheet::CARRIER_CODES
                    ),
                ),
                cell(&cc.origin, "配送会社"),
                super::lang::pick(
                    format!("{} シートと同じ名前にしてください（書き戻しは配送会社シートの名前でコードを探します）", sheet::CARRIERS),
                    format!("write it as the sheet {} does (the write-back looks codes up by that name)", sheet::CARRIERS),
                ),
            ));
        }
    }
}

/// 配送方法 rows against the 配送会社 sheet: the carrier must be there, and a 冷蔵/冷凍 service needs one with クール便.
fn check_delivery_methods(m: &Masters, out: &mut Vec<Finding>) {
    let carriers: HashMap<&str, &Carrier> = m.carriers.iter().map(|c| (c.name.as_str(), c)).collect();
    for dm in &m.delivery_methods {
        if dm.carrier.trim().is_empty() {
            continue; // empty = any carrier
        }
        match carriers.get(dm.carrier.as_str()) {
            None => out.push(Finding::error(
                "M008",
                format!(
                    "delivery method `{}` of mall {} names carrier `{}`, which is not in the carrier master",
                    dm.method, dm.mall, dm.carrier
                ),
                cell(&dm.origin, "配送会社"),
                format!("add it to the sheet {} or fix the name", sheet::CARRIERS),
            )),
            Some(c) if !c.cool && matches!(dm.temperature.as_str(), "冷蔵" | "冷凍") => out.push(Finding::warning(
                "M009",
                format!(
                    "delivery method `{}` of mall {} is {} but carrier `{}` has クール便 非対応",
                    dm.method, dm.mall, dm.temperature, dm.carrier
                ),
                cell(&dm.origin, "温度帯"),
                format!(
                    "set クール便 to 対応 for {} in the sheet {} (row {}), or give this method a carrier that offers cool delivery",
                    c.name,
                    sheet::CARRIERS,
                    c.origin.row
                ),
            )),
            Some(_) => {}
        }
    }
}

fn check_option_addons(m: &Masters, options: &[ProductOptionChoice], out: &mut Vec<Finding>) {
    let addons: HashMap<(&str, &str, &str), &OptionAddon> =
        m.option_addons.iter().map(|a| ((a.product_code.as_str(), a.item_name.as_str(), a.choice.as_str()), a)).collect();
    for o in options {
        let Some(price) = price_in_choice(&o.choice) else {
            continue;
        };
        match addons.get(&(o.product_code.as_str(), o.item_name.as_str(), o.choice.as_str())) {
            None => out.push(Finding::warning(
                "M005",
                format!(
                    "option {}:{} of product {} announces {price:+}円 but has no add-on registered",
                    o.item_name, o.choice, o.product_code
                ),
                FindingPlace::Line { file: o.src_file.clone(), line: o.src_line },
                format!(
                    "add `{} | {} | {} | {price}` to the sheet {} (check 8 needs it)",
                    o.product_code,
                    o.item_name,
                    o.choice,
                    sheet::OPTION_ADDONS
                ),
            )),
            Some(a) if a.amount != price => out.push(Finding::warning(
                "M005",
                format!(
                    "option {}:{} of product {} says {price:+}円 but the add-on master has {}円",
                    o.item_name, o.choice, o.product_code, a.amount
                ),
                cell(&a.origin, "加算額"),
                "make the registered amount match the price shown to customers",
            )),
            Some(_) => {}
        }
    }
}

fn check_payment_methods(m: &Masters, shop: &ShopView<'_>, out: &mut Vec<Finding>) {
    let mapped: BTreeSet<&str> = m.payment_methods.iter().map(|p| p.mall.as_str()).collect();
    for (name, kind) in &shop.malls {
        if !mapped.contains(name) && !mapped.contains(kind.name()) {
            out.push(Finding::warning(
                "M006",
                format!("mall `{name}` has no payment-method mapping"),
                whole(sheet::PAYMENT_METHODS),
                format!("add rows `{name} | <mall payment name> | <社内決済方法>`; until then check 7 fails for its orders"),
            ));
        }
    }
    for p in &m.payment_methods {
        if p.internal.trim().is_empty() {
            out.push(Finding::warning(
                "M006",
                format!("payment method `{}` of mall {} maps to nothing", p.mall_name, p.mall),
                cell(&p.origin, "社内決済方法"),
                "fill 社内決済方法",
            ));
        }
    }
}

/// M007. A row naming no prefecture is load_masters' D023 (so `check` still hands it on): it counts
/// as the row of the prefecture it suggests, which is then not "missing" as well.
fn check_transit_days(m: &Masters, shop: &ShopView<'_>, out: &mut Vec<Finding>) {
    let covered: HashSet<&str> = m
        .transit_days
        .iter()
        .filter(|t| t.origin_region == shop.origin_region)
        .filter_map(|t| match super::prefecture::Prefecture::from_name(&t.prefecture) {
            Some(_) => Some(t.prefecture.as_str()),
            None => super::prefecture::Prefecture::suggest(&t.prefecture).map(|p| p.name()),
        })
        .collect();
    let missing: Vec<&str> = PREFECTURES.iter().copied().filter(|p| !covered.contains(p)).collect();
    if !missing.is_empty() {
        out.push(Finding::warning(
            "M007",
            format!("transit days from {} are missing for {}", shop.origin_region, missing.join(", ")),
            whole(sheet::TRANSIT_DAYS),
            format!("add rows `{} | <都道府県> | <日数>`; shipping dates for those prefectures cannot be planned", shop.origin_region),
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn origin(sheet: &str, row: usize) -> Origin {
        Origin { file: "masters.xlsx".into(), sheet: sheet.into(), row }
    }

    fn method(method: &str, carrier: &str, temperature: &str, row: usize) -> DeliveryMethod {
        DeliveryMethod {
            mall: "rakuten".into(),
            method: method.into(),
            carrier: carrier.into(),
            service: String::new(),
            temperature: temperature.into(),
            time_slots: true,
            origin: origin(sheet::DELIVERY_METHODS, row),
        }
    }

    #[test]
    fn delivery_methods_name_known_carriers_and_cool_services_need_cool_carriers() {
        let mut m = Masters::default();
        for (name, cool, row) in [("ヤマト運輸", true, 2), ("西濃運輸", false, 3)] {
            m.carriers.push(Carrier { name: name.into(), rakuten_code: None, cool, origin: origin(sheet::CARRIERS, row) });
        }
        m.time_slots.push(TimeSlot {
            carrier: "ヤマト運輸".into(),
            label: "午前中".into(),
            code: "0812".into(),
            start_hour: Some(8),
            end_hour: Some(12),
            origin: origin(sheet::TIME_SLOTS, 2),
        });
        m.delivery_methods = vec![
            method("宅配便", "ヤマト運輸", "冷凍", 2),
            method("メール便", "", "冷蔵", 3), // empty = any carrier: nothing to check
            method("クール便", "西濃運輸", "冷蔵", 4),
            method("路線便", "西濃運輸", "常温", 5),
            method("その他", "ヤマト", "常温", 6),
        ];
        let mut out = Vec::new();
        check_carrier_time_slots(&m, &mut out);
        check_delivery_methods(&m, &mut out);
        let got: Vec<(&str, bool, FindingPlace)> = out.iter().map(|f| (f.code, f.error, f.place.clone())).collect();
        let at = |sheet: &str, row, column: &str| FindingPlace::Cell { sheet: sheet.into(), row, column: column.into() };
        assert_eq!(
            got,
            vec![
                ("M010", false, at(sheet::CARRIERS, 3, "配送会社")),
                ("M009", false, at(sheet::DELIVERY_METHODS, 4, "温度帯")),
                ("M008", true, at(sheet::DELIVERY_METHODS, 6, "配送会社")),
            ]
        );
    }
}
