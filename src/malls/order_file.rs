//! Malls without an order API described here (Yamada, Ponpare): order CSVs (CP932 or UTF-8) in a
//! folder, one row per order line, columns mapped in the settings (`order_files`).
//!
//! Every poll reads every file in the folder: the upsert by order number makes that idempotent, an
//! edited file updates its orders, and nothing is moved out from under staff.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde_json::{json, Value};

use super::{Batch, MallError, OrderSource, Window};
use crate::config::diagnostic::display_path;
use crate::config::settings::OrderFiles;
use crate::domain::order::{is_gift, Amount, Amounts, DesiredDelivery, Order, OrderItem, Party, Shipment};
use crate::domain::text::parse_yen;
use crate::domain::time::parse_jst;
use crate::io::csv_table::CsvTable;

/// One row of a file: its line and its mapped fields.
type Row = (usize, BTreeMap<String, String>);

pub struct OrderFileAdapter {
    mall: String,
    shop: String,
    spec: OrderFiles,
}

impl OrderFileAdapter {
    pub fn new(mall: &str, shop: &str, spec: OrderFiles) -> OrderFileAdapter {
        OrderFileAdapter { mall: mall.to_string(), shop: shop.to_string(), spec }
    }

    fn payload(&self, detail: String) -> MallError {
        MallError::Payload { mall: self.mall.clone(), detail }
    }

    fn read_file(&self, path: &std::path::Path, out: &mut Batch) -> Result<(), MallError> {
        let t = CsvTable::read(path, self.spec.encoding).map_err(|d| self.payload(d.to_string()))?;
        let col = |field: &str| self.spec.columns.get(field).and_then(|c| t.column(&c.value));
        let mut missing = Vec::new();
        for field in ["order_number", "ordered_at", "product_code", "unit_price", "quantity"] {
            if col(field).is_none() {
                missing.push(self.spec.columns.get(field).map(|c| c.value.clone()).unwrap_or_else(|| field.to_string()));
            }
        }
        if !missing.is_empty() {
            return Err(self.payload(format!(
                "{}: missing column(s) {}; columns found: {}",
                display_path(path),
                missing.join(", "),
                t.headers.join(", ")
            )));
        }
        // Rows of one order, in file order.
        let mut orders: BTreeMap<String, Vec<Row>> = BTreeMap::new();
        let mut order_of_first_seen = Vec::new();
        // Orders with a field whose bytes are not valid in the file's encoding: the first such field.
        let mut undecodable: BTreeMap<String, String> = BTreeMap::new();
        for rec in t.records(&t.whole()) {
            let rec = rec.map_err(|d| self.payload(d.to_string()))?;
            let mut bad = None;
            let fields: BTreeMap<String, String> = self
                .spec
                .columns
                .iter()
                .filter_map(|(field, c)| {
                    let i = t.column(&c.value)?;
                    let (v, invalid) = rec.get(i)?;
                    if invalid && bad.is_none() {
                        bad = Some(t.undecodable(rec.line, i, rec.raw(i).unwrap_or_default()).one_line());
                    }
                    Some((field.clone(), v.trim().to_string()))
                })
                .collect();
            let number = fields.get("order_number").cloned().unwrap_or_default();
            if let Some(bad) = bad {
                undecodable.entry(number.clone()).or_insert(bad);
            }
            if number.is_empty() {
                return Err(self.payload(format!("{}:{}: the order number is empty", display_path(path), rec.line)));
            }
            if !orders.contains_key(&number) {
                order_of_first_seen.push(number.clone());
            }
            orders.entry(number).or_default().push((rec.line, fields));
        }
        for number in order_of_first_seen {
            let rows = &orders[&number];
            let raw = json!({
                "file": display_path(path),
                "rows": rows.iter().map(|(line, f)| json!({ "line": line, "fields": f })).collect::<Vec<Value>>(),
            });
            // One order that does not read is set aside; every poll reads the file again.
            let parsed = match undecodable.remove(&number) {
                Some(bad) => Err(bad),
                None => self.order(path, &number, rows).map_err(|e| match e {
                    MallError::Payload { detail, .. } => detail,
                    e => e.to_string(),
                }),
            };
            out.push_parsed(&number, parsed, raw.to_string());
        }
        Ok(())
    }

    fn order(&self, path: &std::path::Path, number: &str, rows: &[Row]) -> Result<Order, MallError> {
        let (line, head) = &rows[0];
        let at = |field: &str| head.get(field).cloned().unwrap_or_default();
        let place = |line: usize| format!("{}:{line}", display_path(path));
        let ordered_at = parse_jst(&at("ordered_at")).ok_or_else(|| {
            self.payload(format!("{}: ordered_at `{}` is not a date and time (e.g. 2026/11/28 10:15)", place(*line), at("ordered_at")))
        })?;
        let yen = |field: &str, f: &BTreeMap<String, String>, line: usize| -> Result<Option<i64>, MallError> {
            match f.get(field).map(String::as_str) {
                None | Some("") => Ok(None),
                Some(v) => {
                    parse_yen(v).map(Some).ok_or_else(|| self.payload(format!("{}: {field} `{v}` is not a whole number", place(line))))
                }
            }
        };
        let mut items = Vec::new();
        for (line, f) in rows {
            let get = |field: &str| f.get(field).cloned().unwrap_or_default();
            items.push(OrderItem {
                product_code: get("product_code"),
                item_key: get("product_code"),
                sku: None,
                name: get("item_name"),
                unit_price: Some(yen("unit_price", f, *line)?.unwrap_or(0)),
                quantity: yen("quantity", f, *line)?.unwrap_or(0),
                options_text: get("options_text"),
                option_price: None,
                shipment: 0,
                sku_info: String::new(),
                merchant_sku: None,
                tax_rate: None,
                tax_excluded: false,
            });
        }
        let goods: i64 = items.iter().map(|i| i.line_total().unwrap_or(0)).sum();
        let shipping = yen("shipping", head, *line)?.unwrap_or(0);
        let cod_fee = yen("cod_fee", head, *line)?.unwrap_or(0);
        let billing_total = yen("billing_total", head, *line)?.unwrap_or(goods + shipping + cod_fee);
        let orderer = Party { name: at("orderer_name"), ..Default::default() };
        let ship_to = Party {
            name: if at("ship_to_name").is_empty() { at("orderer_name") } else { at("ship_to_name") },
            postal_code: at("ship_to_postal_code"),
            prefecture: at("ship_to_prefecture"),
            address: at("ship_to_address"),
            phone: at("ship_to_phone"),
            ..Default::default()
        };
        let remarks = at("remarks");
        let field_date = NaiveDate::parse_from_str(&at("desired_date").replace('/', "-"), "%Y-%m-%d").ok();
        let field_slot = Some(at("desired_time_slot")).filter(|s| !s.is_empty());
        let desired_delivery = DesiredDelivery::from_fields_or_remarks(field_date, field_slot, &remarks);
        Ok(Order {
            mall: self.mall.clone(),
            shop: self.shop.clone(),
            order_number: number.to_string(),
            ordered_at,
            mall_status: Some(at("status")).filter(|s| !s.is_empty()).unwrap_or_else(|| "新規受付".into()),
            cancelled: false,
            is_gift: is_gift(&orderer, &ship_to),
            orderer,
            shipments: vec![Shipment::to(ship_to)],
            items,
            payment_method: at("payment_method"),
            desired_delivery,
            remarks,
            amounts: Amounts {
                goods: Amount::Yen(goods),
                shipping: Amount::Yen(shipping),
                cod_fee: Amount::Yen(cod_fee),
                billing_total: Amount::Yen(billing_total),
                ..Default::default()
            },
            extras: Default::default(),
        })
    }
}

impl OrderSource for OrderFileAdapter {
    fn fetch(&self, _window: Window) -> Result<Batch, MallError> {
        let dir = &self.spec.folder_path;
        let mut files: Vec<_> = std::fs::read_dir(dir)
            .map_err(|e| MallError::Config {
                mall: self.mall.clone(),
                detail: format!("cannot read the order folder {}: {e}", display_path(dir)),
            })?
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x.eq_ignore_ascii_case("csv")))
            .collect();
        files.sort();
        let mut out = Batch::default();
        for f in files {
            self.read_file(&f, &mut out)?;
        }
        Ok(out)
    }

    fn refresh(&self, _order_numbers: &[String]) -> Result<Batch, MallError> {
        // Every poll reads every file: nothing is left to refresh.
        Ok(Batch::default())
    }

    fn reads_everything(&self) -> bool {
        true
    }

    fn final_statuses(&self) -> &'static [&'static str] {
        &[]
    }
}
