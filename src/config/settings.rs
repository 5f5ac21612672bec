//! Shop settings (S1): the shop, its sender address, and per mall the connection data and switches.
//!
//! Each section is parsed on its own so `juchu check` lists every problem of the file.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use chrono::{DateTime, FixedOffset, NaiveDate};
use serde::de::IgnoredAny;
use serde::Deserialize;

use super::diagnostic::{Diagnostic, Diagnostics};
use super::yaml::{did_you_mean, Spanned, YamlFile};
use crate::domain::mall::MallKind;
use crate::domain::prefecture::Prefecture;

#[derive(Debug, Clone)]
pub struct Settings {
    pub file: YamlFile,
    pub shop: Shop,
    /// The DuckDB store; `state/juchu.duckdb` next to the settings file unless set.
    pub store: PathBuf,
    /// The malls whose kind is known (one with an unknown kind is reported, C020, and left out).
    pub malls: BTreeMap<String, MallSettings>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Shop {
    /// Shop code, used as the `shop` key of orders.
    pub code: String,
    pub name: String,
    /// The shop's own address, used as 送付元住所 when sender auto-edit is allowed.
    pub sender: Address,
    /// 出荷元地域: the region the shop ships from, the origin of the transit-days table.
    pub origin_region: Spanned<String>,
    /// 当日出荷締め時刻, `HH:MM` JST; orders after it count from the next business day.
    #[serde(default)]
    pub same_day_cutoff: Option<Spanned<String>>,
    /// 消費税の端数処理 as set at the malls: 切り捨て (the default), 四捨五入 or 切り上げ.
    #[serde(default)]
    pub tax_rounding: Option<Spanned<String>>,
    /// The language staff read: `ja` (日本語, the default) or `en`.
    #[serde(default)]
    pub language: Option<Spanned<String>>,
}

impl Shop {
    /// The language set here, if any (checked by `juchu check`).
    pub fn language(&self) -> Option<crate::domain::lang::Lang> {
        self.language.as_ref().and_then(|l| crate::domain::lang::Lang::parse(&l.value))
    }

    /// The rounding of consumption tax (checked by `juchu check`; 切り捨て unless set).
    pub fn tax_rounding(&self) -> crate::domain::tax::Rounding {
        self.tax_rounding.as_ref().and_then(|r| crate::domain::tax::Rounding::parse(&r.value)).unwrap_or_default()
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Address {
    pub name: String,
    pub postal_code: Spanned<String>,
    pub prefecture: Spanned<String>,
    pub address: String,
    pub phone: String,
}

/// One mall's connection data and switches.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MallSettings {
    #[serde(default)]
    pub kind: Option<Spanned<String>>,
    /// The shop's id at the mall (楽天 shop URL, Yahoo seller id, …).
    #[serde(default)]
    pub shop_id: Option<String>,
    /// `mock` (the in-process mock mall), or the API base URL / FTP host.
    #[serde(default)]
    pub endpoint: Option<Spanned<String>>,
    /// Lets an `http://` endpoint on another host through (`juchu check` refuses it: the
    /// credentials would cross the network in clear text). Loopback `http://` needs no switch.
    #[serde(default)]
    pub allow_insecure_http: bool,
    /// Secrets, only as `${ENV_NAME}` references.
    #[serde(default)]
    pub credentials: BTreeMap<String, Spanned<String>>,
    /// When the API key / FTP password expires (S16), `YYYY-MM-DD`.
    #[serde(default)]
    pub credentials_expire_on: Option<Spanned<String>>,
    #[serde(default)]
    pub switches: Switches,
    /// 受注連動開始日時 (S12), RFC 3339 with offset; must not be in the past when set.
    #[serde(default)]
    pub linkage_starts_at: Option<Spanned<String>>,
    /// Overlap of the polling window in minutes (S14).
    #[serde(default)]
    pub poll_overlap_minutes: Option<u32>,
    /// FutureShop2: the FTP folder the order exports are put in (default `/orders`).
    #[serde(default)]
    pub ftp_folder: Option<String>,
    /// FutureShop2: where imported exports are moved, so none is read twice (default `<ftp_folder>/archive`).
    #[serde(default)]
    pub ftp_archive_folder: Option<String>,
    /// Malls without an order API here (Yamada, Ponpare): order CSVs in a folder, columns mapped.
    #[serde(default)]
    pub order_files: Option<OrderFiles>,
    /// The resolved kind: `kind:`, else the entry's name (filled after parsing; see `Settings::malls`).
    #[serde(skip, default = "kind_not_resolved")]
    pub mall_kind: MallKind,
}

/// Only until `check_mall` resolves the kind: an entry whose kind is unknown is not kept.
fn kind_not_resolved() -> MallKind {
    MallKind::Rakuten
}

/// Order files: one row per order line; rows of one order share its order number.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OrderFiles {
    /// The folder the mall's order CSVs are put in, relative to the settings file.
    pub folder: Spanned<String>,
    /// `cp932` or `utf-8`; detected when absent.
    #[serde(default)]
    pub encoding: Option<crate::io::text::Encoding>,
    /// Order field → the CSV column that holds it (see ORDER_FILE_FIELDS).
    pub columns: BTreeMap<String, Spanned<String>>,
    /// The folder, resolved (filled after parsing).
    #[serde(skip)]
    pub folder_path: PathBuf,
}

/// Fields an order file can map; the first five are required.
pub const ORDER_FILE_FIELDS: &[&str] = &[
    "order_number",
    "ordered_at",
    "product_code",
    "unit_price",
    "quantity",
    "status",
    "item_name",
    "options_text",
    "orderer_name",
    "ship_to_name",
    "ship_to_postal_code",
    "ship_to_prefecture",
    "ship_to_address",
    "ship_to_phone",
    "payment_method",
    "desired_date",
    "desired_time_slot",
    "remarks",
    "shipping",
    "cod_fee",
    "billing_total",
];

/// The automatic switches. Defaults are the seed's safe first-setup values (S1, S15).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Switches {
    /// 受注取込: OFF until the import test (S8).
    #[serde(default)]
    pub order_import: bool,
    /// 受注連動: OFF until the checks are done (S12).
    #[serde(default)]
    pub linkage: bool,
    /// 注文キャンセル時在庫戻し: OFF.
    #[serde(default)]
    pub stock_return_on_cancel: bool,
    /// 送付元住所自動編集: ALLOWED.
    #[serde(default = "yes")]
    pub sender_address_auto_edit: bool,
    /// 自動オーソリ: OFF at first linkage (S15).
    #[serde(default)]
    pub auto_credit_authorization: bool,
}

fn yes() -> bool {
    true
}

impl Default for Switches {
    fn default() -> Self {
        Switches {
            order_import: false,
            linkage: false,
            stock_return_on_cancel: false,
            sender_address_auto_edit: true,
            auto_credit_authorization: false,
        }
    }
}

/// A reference to a secret held in an environment variable. The value is read only when used
/// and never stored, logged or shown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecretRef {
    pub env: String,
}

impl SecretRef {
    /// `${NAME}` → `NAME`.
    pub fn parse(text: &str) -> Option<SecretRef> {
        let name = text.trim().strip_prefix("${")?.strip_suffix('}')?;
        let ok = !name.is_empty() && name.chars().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_');
        ok.then(|| SecretRef { env: name.to_string() })
    }

    pub fn resolve(&self) -> Option<String> {
        std::env::var(&self.env).ok().filter(|v| !v.is_empty())
    }
}

impl std::fmt::Display for SecretRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "${{{}}} (redacted)", self.env)
    }
}

impl MallSettings {
    pub fn secret(&self, key: &str) -> Option<SecretRef> {
        self.credentials.get(key).and_then(|s| SecretRef::parse(&s.value))
    }
}

#[derive(Deserialize)]
struct TopLevel {
    #[serde(default)]
    shop: Option<Spanned<IgnoredAny>>,
    #[serde(default)]
    store: Option<Spanned<String>>,
    #[serde(default)]
    malls: Option<BTreeMap<String, Spanned<IgnoredAny>>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct TopKeys {
    #[serde(default)]
    shop: IgnoredAny,
    #[serde(default)]
    store: IgnoredAny,
    #[serde(default)]
    malls: IgnoredAny,
}

impl Settings {
    /// Loads and checks the settings file. `today` is the JST business date (for expiry checks).
    pub fn load(path: &Path, now: DateTime<FixedOffset>, diags: &mut Diagnostics) -> Option<Settings> {
        let file = match YamlFile::read(path) {
            Ok(f) => f,
            Err(d) => {
                diags.push(d);
                return None;
            }
        };
        if let Err(d) = file.parse::<TopKeys>() {
            diags.push(d);
        }
        let top: TopLevel = match file.parse() {
            Ok(t) => t,
            Err(d) => {
                diags.push(d);
                return None;
            }
        };
        let shop = match &top.shop {
            None => {
                diags.push(
                    Diagnostic::error("C010", "the settings have no `shop:` section")
                        .in_file(path)
                        .help("add `shop:` with code, name, sender and origin_region (see shop.yaml in the sample)"),
                );
                None
            }
            Some(s) => match file.parse_text::<Shop>(&file.sub_document(&s.referenced)) {
                Ok(shop) => Some(shop),
                Err(d) => {
                    diags.push(d);
                    None
                }
            },
        };
        if let Some(shop) = &shop {
            check_shop(&file, shop, diags);
        }
        let store = match &top.store {
            Some(s) => path.parent().unwrap_or(Path::new(".")).join(&s.value),
            None => path.parent().unwrap_or(Path::new(".")).join("state/juchu.duckdb"),
        };
        let mut malls = BTreeMap::new();
        for (name, node) in top.malls.iter().flatten() {
            match file.parse_text::<MallSettings>(&file.sub_document(&node.referenced)) {
                Ok(mut m) => {
                    if let Some(kind) = check_mall(&file, name, &mut m, now, diags) {
                        m.mall_kind = kind;
                        malls.insert(name.clone(), m);
                    }
                }
                Err(d) => diags.push(d),
            }
        }
        Some(Settings { file, shop: shop?, store, malls })
    }

    pub fn path(&self) -> &Path {
        &self.file.path
    }
}

fn check_shop(file: &YamlFile, shop: &Shop, diags: &mut Diagnostics) {
    if let Some(l) = shop.language.as_ref().filter(|_| shop.language().is_none()) {
        diags.push(
            Diagnostic::error("C018", format!("`{}` is not a language juchu speaks", l.value))
                .at(file.place_at(&l.referenced))
                .help("write `language: ja` (日本語, the default) or `language: en` (English)"),
        );
    }
    let pref = &shop.sender.prefecture;
    if Prefecture::from_name(&pref.value).is_none() {
        let mut d = Diagnostic::error("C011", format!("unknown prefecture `{}`", pref.value))
            .at(file.place_at(&pref.referenced))
            .label("not one of the 47 prefectures");
        d = match Prefecture::suggest(&pref.value) {
            Some(p) => d.help(format!("did you mean `{}`? write the full name with its suffix (都/道/府/県)", p.name())),
            None => d.help("write the full name with its suffix, e.g. 東京都, 北海道, 大阪府, 沖縄県"),
        };
        diags.push(d);
    }
    let postal = &shop.sender.postal_code;
    if !crate::domain::is_postal_code(&postal.value) {
        diags.push(
            Diagnostic::error("C012", format!("postal code `{}` is not 7 digits", postal.value))
                .at(file.place_at(&postal.referenced))
                .help("write it as \"150-0001\" (in quotes, so a leading zero is kept)"),
        );
    }
    if let Some(cut) = &shop.same_day_cutoff {
        if chrono::NaiveTime::parse_from_str(&cut.value, "%H:%M").is_err() {
            diags.push(
                Diagnostic::error("C013", format!("`{}` is not a time of day", cut.value))
                    .at(file.place_at(&cut.referenced))
                    .help("write the cutoff as HH:MM in JST, e.g. \"12:00\""),
            );
        }
    }
    if let Some(r) = &shop.tax_rounding {
        if crate::domain::tax::Rounding::parse(&r.value).is_none() {
            diags.push(
                Diagnostic::error("C014", format!("`{}` is not a way of rounding tax", r.value))
                    .at(file.place_at(&r.referenced))
                    .help("write 切り捨て, 四捨五入 or 切り上げ, as the shop set it at its malls"),
            );
        }
    }
}

/// The host of an `http://` URL when it is not this machine (loopback: localhost, 127.0.0.0/8, ::1).
fn insecure_http_host(url: &str) -> Option<String> {
    let rest = url.strip_prefix("http://")?;
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let host = match host_port.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or(""),
        None => host_port.split(':').next().unwrap_or(""),
    };
    let loopback = host.eq_ignore_ascii_case("localhost")
        || host.parse::<std::net::Ipv4Addr>().is_ok_and(|ip| ip.is_loopback())
        || host.parse::<std::net::Ipv6Addr>().is_ok_and(|ip| ip.is_loopback());
    (!loopback).then(|| host.to_string())
}

/// Checks one mall's entry; returns its kind, or None when the kind is unknown (reported).
fn check_mall(file: &YamlFile, name: &str, m: &mut MallSettings, now: DateTime<FixedOffset>, diags: &mut Diagnostics) -> Option<MallKind> {
    let kind_name = m.kind.as_ref().map(|k| k.value.clone()).unwrap_or_else(|| name.to_string());
    let kind = MallKind::parse(&kind_name);
    if kind.is_none() {
        let place = match &m.kind {
            Some(k) => file.place_at(&k.referenced),
            None => super::diagnostic::Place::File(file.path.clone()),
        };
        let names = MallKind::names();
        let hint = did_you_mean(&kind_name, &names).map(|s| format!("did you mean `{s}`? ")).unwrap_or_default();
        diags.push(
            Diagnostic::error("C020", format!("mall `{name}` has unknown kind `{kind_name}`"))
                .at(place)
                .help(format!("{hint}set `kind:` to one of {}", names.join(", "))),
        );
    }
    if let (Some(kind), Some(ep)) = (kind, &m.endpoint) {
        // FutureShop2 is fetched over FTP; the API malls over HTTPS; any of them may use the mock.
        let ftp = match kind {
            MallKind::FutureShop => true,
            MallKind::Rakuten | MallKind::Yahoo | MallKind::Amazon | MallKind::AuPay | MallKind::Yamada | MallKind::Ponpare => false,
        };
        let ok = if ep.value == "mock" {
            true
        } else if ftp {
            ep.value.starts_with("ftp://") || ep.value.starts_with("ftps://")
        } else {
            ep.value.starts_with("https://") || ep.value.starts_with("http://")
        };
        if !ok {
            let want = if ftp { "ftp://host[:port] or ftps://host[:port] (TLS)" } else { "https://… (the API base)" };
            diags.push(
                Diagnostic::error("C028", format!("malls.{name}.endpoint `{}` cannot be used for {kind}", ep.value))
                    .at(file.place_at(&ep.referenced))
                    .help(format!("write `mock` (the mock mall) or {want}")),
            );
        } else if !ftp && !m.allow_insecure_http {
            if let Some(host) = insecure_http_host(&ep.value) {
                diags.push(
                    Diagnostic::error(
                        "C019",
                        format!("malls.{name}.endpoint `{}` is plain http:// to `{host}`: the mall's credentials would cross the network unencrypted", ep.value),
                    )
                    .at(file.place_at(&ep.referenced))
                    .help(format!(
                        "write https://{}; plain http:// is only for this machine (localhost, 127.0.0.1, ::1), or set `allow_insecure_http: true` under malls.{name} if the network is yours",
                        ep.value["http://".len()..].trim_start_matches('/')
                    )),
                );
            }
        }
    }
    if let Some(of) = &mut m.order_files {
        of.folder_path = file.path.parent().unwrap_or(Path::new(".")).join(&of.folder.value);
        // A mall switched off reads no files: its folder may not exist yet.
        if m.switches.order_import && !of.folder_path.is_dir() {
            diags.push(
                Diagnostic::error("C015", format!("order-file folder `{}` not found", of.folder.value))
                    .at(file.place_at(&of.folder.referenced))
                    .help("the folder is relative to the settings file; create it or fix the path"),
            );
        }
        for (field, col) in &of.columns {
            if !ORDER_FILE_FIELDS.contains(&field.as_str()) {
                let hint = did_you_mean(field, ORDER_FILE_FIELDS).map(|s| format!("did you mean `{s}`? ")).unwrap_or_default();
                diags.push(
                    Diagnostic::error("C016", format!("`{field}` is not an order field"))
                        .at(file.place_at(&col.referenced))
                        .help(format!("{hint}order fields: {}", ORDER_FILE_FIELDS.join(", "))),
                );
            }
        }
        for field in &ORDER_FILE_FIELDS[..5] {
            if !of.columns.contains_key(*field) {
                diags.push(
                    Diagnostic::error("C017", format!("malls.{name}.order_files.columns needs `{field}`"))
                        .at(file.place_at(&of.folder.referenced))
                        .help("map order_number, ordered_at, product_code, unit_price and quantity to the file's column names"),
                );
            }
        }
    }
    let uses_real_mall = m.switches.order_import && m.endpoint.as_ref().is_none_or(|e| e.value != "mock");
    for (key, value) in &m.credentials {
        if let Some(secret) = SecretRef::parse(&value.value).filter(|s| uses_real_mall && s.resolve().is_none()) {
            // The reference is safe to show; its value is what is missing.
            diags.push(
                Diagnostic::warning("C029", format!("`{}` is not set in this environment: mall `{name}` cannot log in", value.value))
                    .at(file.place_at(&value.referenced))
                    .help(format!(
                        "export {} in the environment the cron job runs in (not in this file); `juchu check` sees only its own environment",
                        secret.env
                    )),
            );
        }
        if SecretRef::parse(&value.value).is_none() {
            // Never echo the value: it may be the secret itself.
            let env = format!("{}_{}", name, key).to_uppercase();
            diags.push(
                Diagnostic::error("C021", format!("credential `malls.{name}.credentials.{key}` is not an ${{ENV}} reference"))
                    // No snippet: the line holds the secret.
                    .at(super::diagnostic::Place::Line {
                        path: file.path.clone(),
                        line: value.referenced.line() as usize,
                        column: Some(value.referenced.column() as usize),
                        text: None,
                    })
                    .label("secret written into the file (value hidden)")
                    .help(format!(
                        "secrets never sit in YAML: write `{key}: ${{{env}}}` and export {env} in the environment of the cron job"
                    )),
            );
        }
    }
    if let Some(exp) = &m.credentials_expire_on {
        match NaiveDate::parse_from_str(&exp.value, "%Y-%m-%d") {
            Err(_) => diags.push(
                Diagnostic::error("C022", format!("`{}` is not a date", exp.value))
                    .at(file.place_at(&exp.referenced))
                    .help("write the expiry date as YYYY-MM-DD"),
            ),
            Ok(date) => {
                let today = now.date_naive();
                let days = (date - today).num_days();
                if days < 0 {
                    diags.push(
                        Diagnostic::warning("C023", format!("the credentials of mall `{name}` expired on {date}"))
                            .at(file.place_at(&exp.referenced))
                            .help("renew the key or password at the mall, update the environment variable and this date (S16)"),
                    );
                } else if days <= 14 {
                    diags.push(
                        Diagnostic::warning("C024", format!("the credentials of mall `{name}` expire in {days} days ({date})"))
                            .at(file.place_at(&exp.referenced))
                            .help("renew them before they expire, then update this date (S16)"),
                    );
                }
            }
        }
    }
    if let Some(start) = &m.linkage_starts_at {
        match DateTime::parse_from_rfc3339(&start.value) {
            Err(_) => diags.push(
                Diagnostic::error("C025", format!("`{}` is not a date-time", start.value))
                    .at(file.place_at(&start.referenced))
                    .help("write it in RFC 3339 with the JST offset, e.g. 2026-12-01T09:00:00+09:00"),
            ),
            Ok(t) if m.switches.linkage && t < now => diags.push(
                Diagnostic::warning("C026", format!("linkage of mall `{name}` started at {t}, which is in the past"))
                    .at(file.place_at(&start.referenced))
                    .help("the start is kept as a record (S13); a new start must not be in the past (S12)"),
            ),
            Ok(_) => {}
        }
    }
    if m.switches.linkage && m.linkage_starts_at.is_none() {
        diags.push(
            Diagnostic::error("C027", format!("mall `{name}` has linkage ON but no `linkage_starts_at`"))
                .in_file(&file.path)
                .help("set linkage_starts_at to a date-time that is not in the past (S12)"),
        );
    }
    kind
}

#[cfg(test)]
mod tests {
    use super::insecure_http_host;

    #[test]
    fn plain_http_is_insecure_except_to_this_machine() {
        for url in [
            "http://localhost:8080",
            "http://LOCALHOST/api",
            "http://127.0.0.1:8080",
            "http://127.10.0.3/es/2.0",
            "http://[::1]:8080/",
            "http://user@127.0.0.1:8080",
            "https://api.rms.rakuten.co.jp",
            "mock",
        ] {
            assert_eq!(insecure_http_host(url), None, "{url}");
        }
        for (url, host) in [
            ("http://api.rms.rakuten.co.jp/es/2.0", "api.rms.rakuten.co.jp"),
            ("http://192.168.1.20:8080", "192.168.1.20"),
            ("http://[2001:db8::1]:80/", "2001:db8::1"),
            ("http://localhost.example.com", "localhost.example.com"),
            ("http://128.0.0.1", "128.0.0.1"),
        ] {
            assert_eq!(insecure_http_host(url).as_deref(), Some(host), "{url}");
        }
    }
}
