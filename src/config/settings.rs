//! Shop settings (S1): the shop, its sender address, and per mall the connection data and switches.
//!
//! Each section is parsed on its own so `juchu check` lists every problem of the file.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use chrono::{DateTime, FixedOffset, NaiveDate};
use serde::de::IgnoredAny;
use serde::Deserialize;

use super::diagnostic::{Diagnostic, Diagnostics};
use super::yaml::{did_you_mean, did_you_mean_hint, Location, Spanned, YamlFile};
use crate::domain::lang::pick;
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
    /// What `juchu check` reported as wrong here, by dotted path (`shop.origin_region`,
    /// `malls.rakuten.switches.order_import`, `malls.rakuten` for a mall left out): such a value is
    /// missing or at its default, and checks that would only repeat the problem skip it.
    pub broken: BTreeSet<String>,
    /// Order mails (`mail:`); None when the section is not written.
    pub mail: Option<MailSettings>,
}

/// The `mail:` section: who order mails come from, and how they leave.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MailSettings {
    /// The sender address (From and the SMTP envelope).
    pub from: Spanned<String>,
    #[serde(default)]
    pub from_name: String,
    /// The shop's signature, `{{ shop.signature }}` in templates.
    #[serde(default)]
    pub signature: String,
    /// Without `smtp:`, mails are `.eml` files in this folder (default `out/outbox/` beside the settings).
    #[serde(default)]
    pub outbox: Option<String>,
    #[serde(default)]
    pub smtp: Option<SmtpSettings>,
    /// `utf-8` (the default) or `iso-2022-jp` (7-bit; a character it cannot say is an error).
    #[serde(default)]
    pub charset: crate::mail::message::Charset,
    /// Rakuten: the sender addresses registered in RMS (店舗連絡先, 注文確認メール送り先, …). The
    /// あんしんメルアド relay rejects mail from any other (C072).
    #[serde(default)]
    pub rms_senders: Vec<String>,
    /// Filled after parsing: `outbox` resolved against the settings file.
    #[serde(skip)]
    pub outbox_path: PathBuf,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SmtpSettings {
    pub host: String,
    pub port: u16,
    #[serde(default)]
    pub tls: SmtpTls,
    /// `${ENV}` references only.
    #[serde(default, deserialize_with = "secret_ref")]
    pub user: Option<SecretRef>,
    #[serde(default, deserialize_with = "secret_ref")]
    pub password: Option<SecretRef>,
}

fn secret_ref<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<SecretRef>, D::Error> {
    let text = String::deserialize(d)?;
    SecretRef::parse(&text).map(Some).ok_or_else(|| {
        serde::de::Error::custom(pick(
            "秘密の値は ${ENV} の参照で書いてください（例 ${SMTP_PASSWORD}）",
            "write the secret as an ${ENV} reference, e.g. ${SMTP_PASSWORD}",
        ))
    })
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SmtpTls {
    /// Port 587, STARTTLS required (the Rakuten relay sub.fw.rakuten.ne.jp).
    #[default]
    Starttls,
    /// Port 465.
    Implicit,
    /// Clear text: only for a relay on this machine.
    None,
}

/// The shop (S1). Read key by key: a key missing or written wrong is reported and left empty here,
/// and the other keys are still read and checked.
#[derive(Debug, Clone)]
pub struct Shop {
    /// Shop code, used as the `shop` key of orders.
    pub code: String,
    pub name: String,
    /// The shop's own address, used as 送付元住所 when sender auto-edit is allowed.
    pub sender: Address,
    /// 出荷元地域: the region the shop ships from, the origin of the transit-days table.
    pub origin_region: Spanned<String>,
    /// 当日出荷締め時刻, `HH:MM` JST; orders after it count from the next business day.
    pub same_day_cutoff: Option<Spanned<String>>,
    /// 消費税の端数処理 as set at the malls: 切り捨て (the default), 四捨五入 or 切り上げ.
    pub tax_rounding: Option<Spanned<String>>,
    /// The language staff read: `ja` (日本語, the default) or `en`.
    pub language: Option<Spanned<String>>,
}

/// A value that is not in the file (missing, or left out because it was written wrong).
fn absent() -> Spanned<String> {
    Spanned::new(String::new(), Location::UNKNOWN, Location::UNKNOWN)
}

/// The `shop:` section as written: every key optional here, so a missing one is named by us (and
/// one left out after an error is not named twice).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
struct ShopFile {
    code: Option<Spanned<String>>,
    name: Option<Spanned<String>>,
    sender: Option<Spanned<AddressFile>>,
    origin_region: Option<Spanned<String>>,
    same_day_cutoff: Option<Spanned<String>>,
    tax_rounding: Option<Spanned<String>>,
    language: Option<Spanned<String>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
struct AddressFile {
    name: Option<Spanned<String>>,
    postal_code: Option<Spanned<String>>,
    prefecture: Option<Spanned<String>>,
    address: Option<Spanned<String>>,
    phone: Option<Spanned<String>>,
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

#[derive(Debug, Clone)]
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
    /// How many days before `credentials_expire_on` every run warns (C024); 14 if not given.
    #[serde(default)]
    pub credentials_warn_days: Option<u32>,
    #[serde(default)]
    pub switches: Switches,
    /// The order mails the mall sends itself (`order_confirmation`, …): send_mail leaves them out.
    #[serde(default)]
    pub mall_sends_own_mail: Vec<String>,
    /// 保留 at the mall too (Yahoo 3 保留, au PAY 保留): a held order's status is written back as
    /// 保留 through the outbox, and its status before once released.
    #[serde(default)]
    pub hold_at_mall: bool,
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
    /// FutureShop2: the FTP folder juchu puts its write-back upload files in (受注ステータス・出荷
    /// 情報の一括更新; default `/upload`, the FTP root's `upload`). The mall moves what it has read
    /// to `<folder>/done`, what it refused to `<folder>/error`.
    #[serde(default)]
    pub ftp_upload_folder: Option<String>,
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
    /// The folder the mall's order CSVs are put in, relative to the settings file (empty: not
    /// written, reported by `check_mall`).
    #[serde(default = "absent")]
    pub folder: Spanned<String>,
    /// `cp932` or `utf-8`; detected when absent.
    #[serde(default)]
    pub encoding: Option<crate::io::text::Encoding>,
    /// Order field → the CSV column that holds it (see ORDER_FILE_FIELDS; empty: not written).
    #[serde(default)]
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

    /// The secret's value. It is remembered for the log, which hides every value resolved (see `redact`).
    pub fn resolve(&self) -> Option<String> {
        let value = std::env::var(&self.env).ok().filter(|v| !v.is_empty())?;
        remember_secret(&value);
        Some(value)
    }
}

/// Every secret value resolved in this process: libraries log what they send (suppaftp logs the FTP
/// user at debug), so the logger replaces these wherever they appear.
static RESOLVED_SECRETS: std::sync::RwLock<Vec<String>> = std::sync::RwLock::new(Vec::new());

fn remember_secret(value: &str) {
    let mut secrets = RESOLVED_SECRETS.write().unwrap_or_else(|e| e.into_inner());
    if !secrets.iter().any(|s| s == value) {
        secrets.push(value.to_string());
        // Longest first, so a secret that contains another is hidden whole.
        secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
    }
}

/// `text` with every secret resolved so far replaced by `***`.
pub fn redact(text: &str) -> std::borrow::Cow<'_, str> {
    let secrets = RESOLVED_SECRETS.read().unwrap_or_else(|e| e.into_inner());
    if !secrets.iter().any(|s| text.contains(s.as_str())) {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = text.to_string();
    for s in secrets.iter() {
        out = out.replace(s.as_str(), "***");
    }
    std::borrow::Cow::Owned(out)
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
#[serde(deny_unknown_fields)]
struct TopLevel {
    #[serde(default)]
    shop: Option<Spanned<IgnoredAny>>,
    #[serde(default)]
    store: Option<Spanned<String>>,
    #[serde(default)]
    malls: Option<BTreeMap<String, Spanned<IgnoredAny>>>,
    #[serde(default)]
    mail: Option<Spanned<IgnoredAny>>,
}

impl Settings {
    /// Loads and checks the settings file, reporting every problem. A value written wrong is
    /// reported once and left out (`broken`), and the rest is still read, so `juchu check` goes on to
    /// the masters and products; None only when the file cannot be read or parsed at all.
    /// `now` is the run's clock (for expiry checks).
    pub fn load(path: &Path, now: DateTime<FixedOffset>, diags: &mut Diagnostics) -> Option<Settings> {
        let file = match YamlFile::read(path) {
            Ok(f) => f,
            Err(d) => {
                diags.push(d);
                return None;
            }
        };
        // The sections are cut from the text as the top level left it, so what it reported (a key
        // written twice, say) is not reported again by a section.
        let (top, left_out, text) = file.parse_recovering_text::<TopLevel>(&file.text, diags);
        let top = top?;
        let mut broken: BTreeSet<String> = left_out.into_iter().collect();
        let shop = match &top.shop {
            None => {
                diags.push(
                    Diagnostic::error("C010", pick("設定ファイルに `shop:` の項目がありません", "the settings have no `shop:` section"))
                        .in_file(path)
                        .help(pick(
                            "shop: に code, name, sender, origin_region を書いてください（見本の shop.yaml 参照）",
                            "add `shop:` with code, name, sender and origin_region (see shop.yaml in the sample)",
                        )),
                );
                broken.insert("shop".into());
                Shop::from_file(&file, None, &mut broken, diags)
            }
            Some(s) => {
                let (parsed, left_out) = file.parse_recovering::<ShopFile>(&file.sub_document_of(&text, &s.referenced), diags);
                broken.extend(left_out);
                if parsed.is_none() {
                    broken.insert("shop".into());
                }
                Shop::from_file(&file, parsed.map(|p| (p, s.referenced)), &mut broken, diags)
            }
        };
        check_shop(&file, &shop, diags);
        let store = match &top.store {
            Some(s) => path.parent().unwrap_or(Path::new(".")).join(&s.value),
            None => path.parent().unwrap_or(Path::new(".")).join("state/juchu.duckdb"),
        };
        let mut malls = BTreeMap::new();
        for (name, node) in top.malls.iter().flatten() {
            let (parsed, left_out) = file.parse_recovering::<MallSettings>(&file.sub_document_of(&text, &node.referenced), diags);
            broken.extend(left_out);
            match parsed {
                Some(mut m) => {
                    let prefix = format!("malls.{name}.");
                    let mall_broken: BTreeSet<&str> = broken.iter().filter_map(|b| b.strip_prefix(&prefix)).collect();
                    match check_mall(&file, name, &node.referenced, &mut m, &mall_broken, now, diags) {
                        Some(kind) => {
                            m.mall_kind = kind;
                            malls.insert(name.clone(), m);
                        }
                        None => {
                            broken.insert(format!("malls.{name}"));
                        }
                    }
                }
                None => {
                    broken.insert(format!("malls.{name}"));
                }
            }
        }
        let mail = top.mail.as_ref().and_then(|node| {
            let (parsed, left_out) = file.parse_recovering::<MailSettings>(&file.sub_document_of(&text, &node.referenced), diags);
            broken.extend(left_out);
            parsed.map(|mut m| {
                let base = path.parent().unwrap_or(Path::new("."));
                m.outbox_path = base.join(m.outbox.as_deref().unwrap_or("out/outbox"));
                m
            })
        });
        Some(Settings { file, shop, store, malls, broken, mail })
    }

    /// Whether `key` (a dotted path) was reported as wrong, itself or a section it is in.
    pub fn is_broken(&self, key: &str) -> bool {
        self.broken.iter().any(|b| key == b || key.strip_prefix(b.as_str()).is_some_and(|rest| rest.starts_with('.')))
    }

    /// Whether a mall name the pipeline uses is already explained by a problem reported in the
    /// settings: its entry was left out (an unknown kind, not a mapping), or an entry left out had a
    /// name `check` already suggested it be (`rakuen:` for `rakuten`). Another "not in the settings"
    /// would repeat that problem, pointing at the right name.
    pub fn mall_reported(&self, name: &str) -> bool {
        if self.is_broken(&format!("malls.{name}")) {
            return true;
        }
        let kinds = MallKind::names();
        self.broken
            .iter()
            .filter_map(|b| b.strip_prefix("malls."))
            .filter(|m| !m.contains('.'))
            .any(|left_out| did_you_mean(left_out, &kinds) == Some(name))
    }

    pub fn path(&self) -> &Path {
        &self.file.path
    }
}

impl Shop {
    /// The shop from its section as parsed (None: missing or unreadable, already reported), naming
    /// every required key that is not written, unless it was left out after an error.
    fn from_file(file: &YamlFile, parsed: Option<(ShopFile, Location)>, broken: &mut BTreeSet<String>, diags: &mut Diagnostics) -> Shop {
        let whole = broken.contains("shop");
        let (f, at) = parsed.unwrap_or((ShopFile::default(), Location::UNKNOWN));
        // `example`: how the key is written, for the help (in the staff's language).
        let mut require = |value: Option<Spanned<String>>, key: &str, at: Location, example: &str| -> Spanned<String> {
            match value {
                Some(v) if !v.value.trim().is_empty() => v,
                _ => {
                    if !whole && !broken.iter().any(|b| b == key || b.starts_with(&format!("{key}."))) {
                        let (parent, name) = key.rsplit_once('.').unwrap_or(("", key));
                        diags.push(
                            Diagnostic::error(
                                "C001",
                                pick(
                                    format!("`{parent}` の下にキー `{name}` がありません"),
                                    format!("missing key `{name}` under `{parent}`"),
                                ),
                            )
                            .at(if at == Location::UNKNOWN {
                                super::diagnostic::Place::File(file.path.clone())
                            } else {
                                file.parent_key_place(&at)
                            })
                            .help(pick(
                                format!("`{parent}:` の下に `{name}:` を書いてください。{example}"),
                                format!("add `{name}:` under `{parent}:`, {example}"),
                            )),
                        );
                    }
                    broken.insert(key.to_string());
                    absent()
                }
            }
        };
        let code = require(
            f.code,
            "shop.code",
            at,
            &pick("例 `code: nagomi`（ストアでの店舗コード）", "e.g. `code: nagomi` (the shop's code in the store)"),
        )
        .value;
        let name = require(f.name, "shop.name", at, &pick("例 `name: 和み雑貨店`", "e.g. `name: 和み雑貨店`")).value;
        let origin_region = require(
            f.origin_region,
            "shop.origin_region",
            at,
            &pick("例 `origin_region: 関東`（配送日数シートの出荷元地域）", "e.g. `origin_region: 関東` (the 地域 of the 配送日数 sheet)"),
        );
        let sender = match f.sender {
            Some(s) => {
                let a = s.value;
                let at = s.referenced;
                Address {
                    name: require(
                        a.name,
                        "shop.sender.name",
                        at,
                        &pick("例 `name: 和み雑貨店 出荷センター`", "e.g. `name: 和み雑貨店 出荷センター`"),
                    )
                    .value,
                    postal_code: require(
                        a.postal_code,
                        "shop.sender.postal_code",
                        at,
                        &pick("例 `postal_code: \"150-0001\"`", "e.g. `postal_code: \"150-0001\"`"),
                    ),
                    prefecture: require(
                        a.prefecture,
                        "shop.sender.prefecture",
                        at,
                        &pick("例 `prefecture: 東京都`", "e.g. `prefecture: 東京都`"),
                    ),
                    address: require(
                        a.address,
                        "shop.sender.address",
                        at,
                        &pick("例 `address: 渋谷区神宮前1-2-3`", "e.g. `address: 渋谷区神宮前1-2-3`"),
                    )
                    .value,
                    phone: require(a.phone, "shop.sender.phone", at, &pick("例 `phone: 03-1234-5678`", "e.g. `phone: 03-1234-5678`")).value,
                }
            }
            None => {
                require(
                    None,
                    "shop.sender",
                    at,
                    &pick(
                        "その下に name, postal_code, prefecture, address, phone を書きます（送付元の住所）",
                        "with name, postal_code, prefecture, address and phone under it (the 送付元 address)",
                    ),
                );
                Address { name: String::new(), postal_code: absent(), prefecture: absent(), address: String::new(), phone: String::new() }
            }
        };
        Shop { code, name, sender, origin_region, same_day_cutoff: f.same_day_cutoff, tax_rounding: f.tax_rounding, language: f.language }
    }
}

fn check_shop(file: &YamlFile, shop: &Shop, diags: &mut Diagnostics) {
    if let Some(l) = shop.language.as_ref().filter(|_| shop.language().is_none()) {
        diags.push(
            Diagnostic::error(
                "C018",
                pick(format!("`{}` は juchu が使える言語ではありません", l.value), format!("`{}` is not a language juchu speaks", l.value)),
            )
            .at(file.place_at(&l.referenced))
            .help(pick(
                "language: ja（日本語、既定）か language: en（英語）と書いてください",
                "write `language: ja` (日本語, the default) or `language: en` (English)",
            )),
        );
    }
    // A value left out (missing, or written wrong) was reported already.
    let pref = &shop.sender.prefecture;
    if pref.referenced != Location::UNKNOWN && Prefecture::from_name(&pref.value).is_none() {
        let mut d = Diagnostic::error(
            "C011",
            pick(format!("`{}` という都道府県はありません", pref.value), format!("unknown prefecture `{}`", pref.value)),
        )
        .at(file.place_at(&pref.referenced))
        .label(pick("47都道府県のどれでもありません", "not one of the 47 prefectures"));
        d = match Prefecture::suggest(&pref.value) {
            Some(p) => d.help(pick(
                format!("`{}` のことですか？ 都・道・府・県まで正式に書いてください", p.name()),
                format!("did you mean `{}`? write the full name with its suffix (都/道/府/県)", p.name()),
            )),
            None => d.help(pick(
                "東京都、北海道、大阪府、沖縄県のように、都・道・府・県まで正式に書いてください",
                "write the full name with its suffix, e.g. 東京都, 北海道, 大阪府, 沖縄県",
            )),
        };
        diags.push(d);
    }
    let postal = &shop.sender.postal_code;
    if postal.referenced != Location::UNKNOWN && !crate::domain::is_postal_code(&postal.value) {
        diags.push(
            Diagnostic::error(
                "C012",
                pick(format!("郵便番号 `{}` が7桁ではありません", postal.value), format!("postal code `{}` is not 7 digits", postal.value)),
            )
            .at(file.place_at(&postal.referenced))
            .help(pick(
                "\"150-0001\" のように引用符で囲んで書いてください（先頭の0が消えないように）",
                "write it as \"150-0001\" (in quotes, so a leading zero is kept)",
            )),
        );
    }
    if let Some(cut) = &shop.same_day_cutoff {
        if chrono::NaiveTime::parse_from_str(&cut.value, "%H:%M").is_err() {
            diags.push(
                Diagnostic::error(
                    "C013",
                    pick(format!("`{}` は時刻として読めません", cut.value), format!("`{}` is not a time of day", cut.value)),
                )
                .at(file.place_at(&cut.referenced))
                .help(pick("日本時間の HH:MM で書いてください（例 \"12:00\"）", "write the cutoff as HH:MM in JST, e.g. \"12:00\"")),
            );
        }
    }
    if let Some(r) = &shop.tax_rounding {
        if crate::domain::tax::Rounding::parse(&r.value).is_none() {
            diags.push(
                Diagnostic::error(
                    "C014",
                    pick(
                        format!("`{}` は消費税の端数処理の書き方ではありません", r.value),
                        format!("`{}` is not a way of rounding tax", r.value),
                    ),
                )
                .at(file.place_at(&r.referenced))
                .help(pick(
                    "モールの設定と同じく 切り捨て・四捨五入・切り上げ のどれかを書いてください",
                    "write 切り捨て, 四捨五入 or 切り上げ, as the shop set it at its malls",
                )),
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

/// Checks one mall's entry; returns its kind, or None when the kind is unknown (reported). `broken`
/// are its keys already reported as written wrong (left at their defaults): what follows only from
/// them is not reported again.
fn check_mall(
    file: &YamlFile,
    name: &str,
    at: &Location,
    m: &mut MallSettings,
    broken: &BTreeSet<&str>,
    now: DateTime<FixedOffset>,
    diags: &mut Diagnostics,
) -> Option<MallKind> {
    if broken.contains("kind") {
        return None;
    }
    let kind_name = m.kind.as_ref().map(|k| k.value.clone()).unwrap_or_else(|| name.to_string());
    let kind = MallKind::parse(&kind_name);
    if kind.is_none() {
        let place = match &m.kind {
            Some(k) => file.place_at(&k.referenced),
            None => file.parent_key_place(at),
        };
        let names = MallKind::names();
        let hint = did_you_mean_hint(&kind_name, &names);
        diags.push(
            Diagnostic::error(
                "C020",
                pick(format!("モール `{name}` の種類 `{kind_name}` が不明です"), format!("mall `{name}` has unknown kind `{kind_name}`")),
            )
            .at(place)
            .help(pick(
                format!("{hint}`kind:` には {} のどれかを書いてください", names.join(", ")),
                format!("{hint}set `kind:` to one of {}", names.join(", ")),
            )),
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
            let want = if ftp {
                pick("ftp://host[:port] または ftps://host[:port]（TLS）", "ftp://host[:port] or ftps://host[:port] (TLS)")
            } else {
                pick("https://…（API のベース URL）", "https://… (the API base)")
            };
            diags.push(
                Diagnostic::error(
                    "C028",
                    pick(
                        format!("malls.{name}.endpoint `{}` は {kind} には使えません", ep.value),
                        format!("malls.{name}.endpoint `{}` cannot be used for {kind}", ep.value),
                    ),
                )
                .at(file.place_at(&ep.referenced))
                .help(pick(format!("`mock`（模擬モール）か、{want}を書いてください"), format!("write `mock` (the mock mall) or {want}"))),
            );
        } else if !ftp && !m.allow_insecure_http {
            if let Some(host) = insecure_http_host(&ep.value) {
                let rest = ep.value["http://".len()..].trim_start_matches('/');
                diags.push(
                    Diagnostic::error(
                        "C019",
                        pick(
                            format!("malls.{name}.endpoint `{}` は `{host}` への暗号化されない http:// です。モールの認証情報が暗号化されずにネットワークを流れます", ep.value),
                            format!("malls.{name}.endpoint `{}` is plain http:// to `{host}`: the mall's credentials would cross the network unencrypted", ep.value),
                        ),
                    )
                    .at(file.place_at(&ep.referenced))
                    .help(pick(
                        format!(
                            "https://{rest} と書いてください。http:// はこのマシンの中（localhost, 127.0.0.1, ::1）だけに使えます。自社のネットワークなら malls.{name} に `allow_insecure_http: true` を書きます"
                        ),
                        format!(
                            "write https://{rest}; plain http:// is only for this machine (localhost, 127.0.0.1, ::1), or set `allow_insecure_http: true` under malls.{name} if the network is yours"
                        ),
                    )),
                );
            }
        }
    }
    if let Some(of) = &mut m.order_files {
        let missing = |key: &str| {
            Diagnostic::error(
                "C001",
                pick(
                    format!("`malls.{name}.order_files` の下にキー `{key}` がありません"),
                    format!("missing key `{key}` under `malls.{name}.order_files`"),
                ),
            )
            .at(file.parent_key_place(at))
            .help(pick(
                format!("`order_files:` の下に `{key}:` を書いてください（見本の shop.yaml の yamada モール参照）"),
                format!("add `{key}:` under `order_files:` (see the yamada mall of the sample shop.yaml)"),
            ))
        };
        let folder_written = of.folder.referenced != Location::UNKNOWN;
        if !folder_written && !broken.contains("order_files.folder") {
            diags.push(missing("folder"));
        }
        if of.columns.is_empty() && !broken.iter().any(|b| b.starts_with("order_files.columns")) {
            diags.push(missing("columns"));
        }
        of.folder_path = file.path.parent().unwrap_or(Path::new(".")).join(&of.folder.value);
        // A mall switched off reads no files: its folder may not exist yet.
        if folder_written && m.switches.order_import && !of.folder_path.is_dir() {
            diags.push(
                Diagnostic::error(
                    "C015",
                    pick(
                        format!("受注ファイルのフォルダ `{}` が見つかりません", of.folder.value),
                        format!("order-file folder `{}` not found", of.folder.value),
                    ),
                )
                .at(file.place_at(&of.folder.referenced))
                .help(pick(
                    "フォルダは設定ファイルの場所から数えます。フォルダを作るかパスを直してください",
                    "the folder is relative to the settings file; create it or fix the path",
                )),
            );
        }
        for (field, col) in &of.columns {
            if !ORDER_FILE_FIELDS.contains(&field.as_str()) {
                let hint = did_you_mean_hint(field, ORDER_FILE_FIELDS);
                diags.push(
                    Diagnostic::error(
                        "C016",
                        pick(format!("`{field}` は受注の項目ではありません"), format!("`{field}` is not an order field")),
                    )
                    .at(file.place_at(&col.referenced))
                    .help(pick(
                        format!("{hint}受注の項目: {}", ORDER_FILE_FIELDS.join(", ")),
                        format!("{hint}order fields: {}", ORDER_FILE_FIELDS.join(", ")),
                    )),
                );
            }
        }
        // A field typed wrong (C016, with its did-you-mean) is not also reported as unmapped.
        let meant: Vec<&str> = of
            .columns
            .keys()
            .filter(|f| !ORDER_FILE_FIELDS.contains(&f.as_str()))
            .filter_map(|f| did_you_mean(f, ORDER_FILE_FIELDS))
            .collect();
        for field in ORDER_FILE_FIELDS[..5].iter().filter(|f| !of.columns.is_empty() && !meant.contains(f)) {
            if !of.columns.contains_key(*field) && !broken.contains(format!("order_files.columns.{field}").as_str()) {
                diags.push(
                    Diagnostic::error(
                        "C017",
                        pick(
                            format!("malls.{name}.order_files.columns に `{field}` の割り当てがありません"),
                            format!("malls.{name}.order_files.columns needs `{field}`"),
                        ),
                    )
                    .at(if folder_written {
                        file.place_at(&of.folder.referenced)
                    } else {
                        super::diagnostic::Place::File(file.path.clone())
                    })
                    .help(pick(
                        "order_number, ordered_at, product_code, unit_price, quantity をファイルの列名に割り当ててください",
                        "map order_number, ordered_at, product_code, unit_price and quantity to the file's column names",
                    )),
                );
            }
        }
    }
    // An endpoint written wrong is not taken for a real mall's default one.
    let uses_real_mall = m.switches.order_import && !broken.contains("endpoint") && m.endpoint.as_ref().is_none_or(|e| e.value != "mock");
    for (key, value) in &m.credentials {
        if let Some(secret) = SecretRef::parse(&value.value).filter(|s| uses_real_mall && s.resolve().is_none()) {
            // The reference is safe to show; its value is what is missing.
            diags.push(
                Diagnostic::warning(
                    "C029",
                    pick(
                        format!("`{}` がこの環境に設定されていません。モール `{name}` にログインできません", value.value),
                        format!("`{}` is not set in this environment: mall `{name}` cannot log in", value.value),
                    ),
                )
                .at(file.place_at(&value.referenced))
                .help(pick(
                    format!(
                        "{} は cron ジョブが動く環境で export してください（このファイルには書きません）。`juchu check` が見るのは自分の環境だけです",
                        secret.env
                    ),
                    format!(
                        "export {} in the environment the cron job runs in (not in this file); `juchu check` sees only its own environment",
                        secret.env
                    ),
                )),
            );
        }
        if SecretRef::parse(&value.value).is_none() {
            // Never echo the value: it may be the secret itself.
            let env = format!("{}_{}", name, key).to_uppercase();
            diags.push(
                Diagnostic::error(
                    "C021",
                    pick(
                        format!("認証情報 `malls.{name}.credentials.{key}` が ${{ENV}} の参照になっていません"),
                        format!("credential `malls.{name}.credentials.{key}` is not an ${{ENV}} reference"),
                    ),
                )
                // No snippet: the line holds the secret.
                .at(super::diagnostic::Place::Line {
                    path: file.path.clone(),
                    line: value.referenced.line() as usize,
                    column: Some(value.referenced.column() as usize),
                    text: None,
                })
                .label(pick("秘密の値がファイルに書かれています（値は伏せています）", "secret written into the file (value hidden)"))
                .help(pick(
                    format!("秘密の値は YAML に書きません。`{key}: ${{{env}}}` と書き、cron ジョブの環境で {env} を export してください"),
                    format!("secrets never sit in YAML: write `{key}: ${{{env}}}` and export {env} in the environment of the cron job"),
                )),
            );
        }
    }
    if let Some(exp) = &m.credentials_expire_on {
        match NaiveDate::parse_from_str(&exp.value, "%Y-%m-%d") {
            Err(_) => diags.push(
                Diagnostic::error(
                    "C022",
                    pick(format!("`{}` は日付として読めません", exp.value), format!("`{}` is not a date", exp.value)),
                )
                .at(file.place_at(&exp.referenced))
                .help(pick("YYYY-MM-DD で書いてください", "write the expiry date as YYYY-MM-DD")),
            ),
            Ok(date) => {
                let today = now.date_naive();
                let days = (date - today).num_days();
                if days < 0 {
                    diags.push(
                        Diagnostic::warning(
                            "C023",
                            pick(
                                format!("モール `{name}` の認証情報は {date} に期限が切れています"),
                                format!("the credentials of mall `{name}` expired on {date}"),
                            ),
                        )
                        .at(file.place_at(&exp.referenced))
                        .help(pick(
                            "モールでキー・パスワードを更新し、環境変数とこの日付を直してください（S16）",
                            "renew the key or password at the mall, update the environment variable and this date (S16)",
                        )),
                    );
                } else if days <= i64::from(m.credentials_warn_days.unwrap_or(14)) {
                    diags.push(
                        Diagnostic::warning(
                            "C024",
                            pick(
                                format!("モール `{name}` の認証情報はあと{days}日（{date}）で期限が切れます"),
                                format!("the credentials of mall `{name}` expire in {days} days ({date})"),
                            ),
                        )
                        .at(file.place_at(&exp.referenced))
                        .help(pick(
                            "期限が切れる前に更新し、この日付を直してください（S16）",
                            "renew them before they expire, then update this date (S16)",
                        )),
                    );
                }
            }
        }
    }
    if let Some(start) = &m.linkage_starts_at {
        match DateTime::parse_from_rfc3339(&start.value) {
            Err(_) => diags.push(
                Diagnostic::error(
                    "C025",
                    pick(format!("`{}` は日時として読めません", start.value), format!("`{}` is not a date-time", start.value)),
                )
                .at(file.place_at(&start.referenced))
                .help(pick(
                    "2026-12-01T09:00:00+09:00 のように日本時間の時差つきで書いてください",
                    "write it in RFC 3339 with the JST offset, e.g. 2026-12-01T09:00:00+09:00",
                )),
            ),
            Ok(t) if m.switches.linkage && t < now => diags.push(
                Diagnostic::warning(
                    "C026",
                    pick(
                        format!("モール `{name}` の受注連動は {t} に始まっていて、過去の日時です"),
                        format!("linkage of mall `{name}` started at {t}, which is in the past"),
                    ),
                )
                .at(file.place_at(&start.referenced))
                .help(pick(
                    "開始日時は記録として残ります（S13）。新しく始めるときは過去でない日時にしてください（S12）",
                    "the start is kept as a record (S13); a new start must not be in the past (S12)",
                )),
            ),
            Ok(_) => {}
        }
    }
    if m.switches.linkage && m.linkage_starts_at.is_none() && !broken.contains("linkage_starts_at") {
        diags.push(
            Diagnostic::error(
                "C027",
                pick(
                    format!("モール `{name}` は受注連動が ON なのに `linkage_starts_at` がありません"),
                    format!("mall `{name}` has linkage ON but no `linkage_starts_at`"),
                ),
            )
            .at(file.parent_key_place(at))
            .help(pick(
                "linkage_starts_at に過去でない日時を書いてください（S12）",
                "set linkage_starts_at to a date-time that is not in the past (S12)",
            )),
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
