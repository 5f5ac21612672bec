//! One order's enrichment as stored: its values beside their sources and its ten checks. The enrich
//! stage is the only writer of `order_enrichment` and `check_reasons` (its appends sit beside it);
//! `juchu explain` and the coming verification workbook read through here.

use anyhow::Result;
use duckdb::params;

use super::Store;
use crate::domain::checks::CheckResult;
use crate::domain::fields::{self, Column, Field};

/// A stored field's value, as the store holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoredText {
    /// Text, yen or a date, as text; `None` when enrichment left it empty.
    Value(Option<String>),
    /// 消費税: the 10 % and 8 % amounts.
    Tax(Option<(i64, i64)>),
}

/// One check as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredCheck {
    pub no: i32,
    pub result: CheckResult,
    pub reason: String,
}

/// One order's enrichment: what the mall sent about the order, then each shipment's values and checks.
#[derive(Debug, Clone)]
pub struct EnrichedOrder {
    pub mall: String,
    pub shop: String,
    pub order_number: String,
    pub facts: OrderFacts,
    pub shipments: Vec<EnrichedShipment>,
}

/// The order as the mall sent it, as `explain` shows it beside the enrichment.
#[derive(Debug, Clone, Default)]
pub struct OrderFacts {
    pub mall_status: String,
    pub cancelled: bool,
    /// 注文者: name and prefecture.
    pub orderer: String,
    pub is_gift: bool,
    /// The mall's gift flag, where it sent one (`giftCheckFlag 1`).
    pub gift_flag: Option<String>,
    pub customer_key: Option<String>,
    /// The mall's amounts (None: not fixed or not sent).
    pub goods: Option<i64>,
    pub shipping: Option<i64>,
    pub cod_fee: Option<i64>,
    pub coupons: Option<i64>,
    pub points: Option<i64>,
    pub billing_total: Option<i64>,
    pub amounts_absent: Option<String>,
    /// What else the mall sent: wrapping, のし, 送料込み, its tracking numbers … (`label: value`).
    pub extras: Vec<(String, String)>,
}

/// One shipment (送付先) of an enriched order.
#[derive(Debug, Clone)]
pub struct EnrichedShipment {
    pub shipment_no: i32,
    /// The recipient: name, 〒 and address.
    pub recipient: String,
    pub address_pending: bool,
    /// The mall's 送料 for this shipment, and its delivery method with the field it came from.
    pub postage: Option<i64>,
    pub delivery: Option<String>,
    /// What goes there: one line per item, `商品番号 × 数量 @ 単価 (選択肢)`.
    pub items: Vec<String>,
    /// Every stored field that says where it came from, in the catalog's order: value and source.
    pub values: Vec<(Field, StoredText, String)>,
    pub checks: Vec<StoredCheck>,
    /// The rule rows that fired, `file row N`, comma-separated.
    pub fired_rules: String,
}

/// The result of looking an order number up.
#[derive(Debug)]
pub enum Lookup {
    Found(Box<EnrichedOrder>),
    NotEnriched,
    /// Not stored: the mall listed it and has not sent it, or sent it unreadable (`pending_orders`).
    Pending(PendingOrder),
    /// The number is at several malls: these.
    AtSeveralMalls(Vec<String>),
}

/// An order the store does not have, though a mall listed it.
#[derive(Debug, Clone)]
pub struct PendingOrder {
    pub mall: String,
    /// `not_returned` or `unreadable`.
    pub reason: String,
    pub detail: String,
    pub polls: i64,
    pub first_seen: String,
}

/// The fields shown with their sources: the catalog's stored fields that record one.
pub fn fields_with_sources() -> impl Iterator<Item = Field> {
    fields::stored().iter().copied().filter(|f| !matches!(f.def().column, Column::None | Column::Value { source: None, .. }))
}

impl Store {
    /// Why an order the store lacks is not there, if a mall listed it.
    fn pending_order(&self, order_number: &str, mall: Option<&str>) -> Result<Lookup> {
        let found = self.conn.query_row(
            "SELECT mall, reason, coalesce(detail, ''), polls, strftime(first_seen, '%Y-%m-%d %H:%M') FROM pending_orders
             WHERE order_number = ? AND (? IS NULL OR mall = ?) ORDER BY mall LIMIT 1",
            params![order_number, mall, mall],
            |r| Ok(PendingOrder { mall: r.get(0)?, reason: r.get(1)?, detail: r.get(2)?, polls: r.get(3)?, first_seen: r.get(4)? }),
        );
        match found {
            Ok(p) => Ok(Lookup::Pending(p)),
            Err(duckdb::Error::QueryReturnedNoRows) => Ok(Lookup::NotEnriched),
            Err(e) => Err(e.into()),
        }
    }

    /// The enrichment of order `order_number` (at `mall`, where given).
    pub fn enriched_order(&self, order_number: &str, mall: Option<&str>) -> Result<Lookup> {
        let columns: Vec<String> = fields_with_sources()
            .map(|f| match f.def().column {
                Column::Tax { standard, reduced, source } => format!("{standard}, {reduced}, {source}"),
                Column::Value { value, source: Some(source) } => format!("{value}::VARCHAR AS {value}, NULL, {source}"),
                column => unreachable!("{column:?} has no source"),
            })
            .collect();
        let sql = format!(
            "SELECT mall, shop, order_number, shipment_no, fired_rules, {} FROM order_enrichment
             WHERE order_number = ? AND (? IS NULL OR mall = ?) ORDER BY mall, shop, shipment_no",
            columns.join(", ")
        );
        let mut stmt = self.conn.prepare(&sql)?;
        let mut rows = stmt.query(params![order_number, mall, mall])?;
        // Per row: (mall, shop, number), shipment_no, fired rules, values.
        type Found = ((String, String, String), i32, String, Vec<(Field, StoredText, String)>);
        let mut found: Vec<Found> = Vec::new();
        while let Some(row) = rows.next()? {
            let key: (String, String, String) = (row.get(0)?, row.get(1)?, row.get(2)?);
            let (shipment_no, fired_rules): (i32, String) = (row.get(3)?, row.get(4)?);
            let mut values = Vec::new();
            for (k, f) in fields_with_sources().enumerate() {
                let at = 5 + 3 * k;
                let value = match f.def().column {
                    Column::Tax { .. } => {
                        let (standard, reduced): (Option<i64>, Option<i64>) = (row.get(at)?, row.get(at + 1)?);
                        StoredText::Tax(standard.zip(reduced))
                    }
                    _ => StoredText::Value(row.get(at)?),
                };
                let source: Option<String> = row.get(at + 2)?;
                values.push((f, value, source.unwrap_or_default()));
            }
            found.push((key, shipment_no, fired_rules, values));
        }
        let Some(((mall, shop, number), ..)) = found.first().cloned() else { return self.pending_order(order_number, mall) };
        let mut malls: Vec<String> = found.iter().map(|((m, s, _), ..)| format!("{m}/{s}")).collect();
        malls.dedup();
        if malls.len() > 1 {
            return Ok(Lookup::AtSeveralMalls(found.iter().map(|((m, ..), ..)| m.clone()).collect()));
        }
        let facts = self.order_facts(&mall, &shop, &number)?;
        let mut shipments = Vec::new();
        for (_, shipment_no, fired_rules, values) in found {
            let mut stmt = self.conn.prepare(
                "SELECT check_no, result, coalesce(reason, '') FROM order_checks
                 WHERE mall = ? AND shop = ? AND order_number = ? AND shipment_no = ? ORDER BY check_no",
            )?;
            let checks = stmt
                .query_map(params![mall, shop, number, shipment_no], |r| {
                    Ok((r.get::<_, i32>(0)?, r.get::<_, String>(1)?, r.get::<_, String>(2)?))
                })?
                .map(|c| {
                    let (no, result, reason) = c?;
                    let result = CheckResult::ALL
                        .into_iter()
                        .find(|r| r.as_str() == result)
                        .ok_or_else(|| anyhow::anyhow!("check {no}: result `{result}`"))?;
                    Ok(StoredCheck { no, result, reason })
                })
                .collect::<Result<Vec<_>>>()?;
            // name, 〒, prefecture, address, pending, postage, delivery method, its field.
            type Recipient = ([Option<String>; 4], bool, Option<i64>, Option<String>, Option<String>);
            let shipment: Option<Recipient> = self
                .conn
                .query_row(
                    "SELECT ship_to_name, ship_to_postal_code, ship_to_prefecture, ship_to_address, address_pending, postage, delivery_method, delivery_source
                     FROM order_shipments WHERE mall = ? AND shop = ? AND order_number = ? AND shipment_no = ?",
                    params![mall, shop, number, shipment_no],
                    |r| Ok(([r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?], r.get(4)?, r.get(5)?, r.get(6)?, r.get(7)?)),
                )
                .map(Some)
                .or_else(|e| if matches!(e, duckdb::Error::QueryReturnedNoRows) { Ok(None) } else { Err(e) })?;
            let (recipient, address_pending, postage, delivery) = match shipment {
                Some(([name, zip, pref, address], pending, postage, method, source)) => {
                    let zip = zip.map(|z| format!("〒{z} ")).unwrap_or_default();
                    let recipient =
                        format!("{} {zip}{}{}", name.unwrap_or_default(), pref.unwrap_or_default(), address.unwrap_or_default());
                    let delivery = method.map(|m| format!("{m} ({})", source.unwrap_or_default()));
                    (recipient.trim().to_string(), pending, postage, delivery)
                }
                None => (String::new(), false, None, None),
            };
            let mut stmt = self.conn.prepare(
                "SELECT product_code || ' × ' || quantity || ' @ ' || coalesce(unit_price::VARCHAR, '—')
                    || coalesce(' (' || nullif(replace(trim(coalesce(options_text, '') || CASE WHEN sku_info IS NULL OR sku_info = options_text THEN '' ELSE ' ' || sku_info END), chr(10), ' / '), '') || ')', '')
                 FROM order_items WHERE mall = ? AND shop = ? AND order_number = ? AND coalesce(shipment_no, 1) = ? ORDER BY line_no",
            )?;
            let items =
                stmt.query_map(params![mall, shop, number, shipment_no], |r| r.get::<_, String>(0))?.collect::<Result<Vec<_>, _>>()?;
            shipments.push(EnrichedShipment {
                shipment_no,
                recipient,
                address_pending,
                postage,
                delivery,
                items,
                values,
                checks,
                fired_rules,
            });
        }
        Ok(Lookup::Found(Box::new(EnrichedOrder { mall, shop, order_number: number, facts, shipments })))
    }

    /// What the mall sent about the order, from `orders` and the normalized order's extras.
    fn order_facts(&self, mall: &str, shop: &str, number: &str) -> Result<OrderFacts> {
        type Row = (String, bool, Option<String>, bool, Option<String>, [Option<i64>; 6], Option<String>, String);
        let row: Row = self.conn.query_row(
            "SELECT mall_status, coalesce(cancelled, false), trim(coalesce(orderer_name, '') || ' ' || coalesce(orderer_prefecture, '')), is_gift,
                customer_key, goods, shipping, cod_fee, coupons, points, billing_total, amounts_absent, normalized
             FROM orders WHERE mall = ? AND shop = ? AND order_number = ?",
            params![mall, shop, number],
            |r| {
                Ok((
                    r.get(0)?,
                    r.get(1)?,
                    r.get(2)?,
                    r.get(3)?,
                    r.get(4)?,
                    [r.get(5)?, r.get(6)?, r.get(7)?, r.get(8)?, r.get(9)?, r.get(10)?],
                    r.get(11)?,
                    r.get(12)?,
                ))
            },
        )?;
        let (
            mall_status,
            cancelled,
            orderer,
            is_gift,
            customer_key,
            [goods, shipping, cod_fee, coupons, points, billing_total],
            amounts_absent,
            json,
        ) = row;
        // Orders stored before the extras were kept have none: an empty list, not an error.
        let normalized: serde_json::Value = serde_json::from_str(&json).unwrap_or_default();
        let extras = normalized.get("extras").cloned().unwrap_or_default();
        let text = |key: &str| extras.get(key).and_then(serde_json::Value::as_str).filter(|t| !t.is_empty()).map(str::to_string);
        let list = |key: &str| {
            extras
                .get(key)
                .and_then(serde_json::Value::as_array)
                .map(|l| l.iter().filter_map(serde_json::Value::as_str).collect::<Vec<_>>().join(", "))
                .filter(|t| !t.is_empty())
        };
        let mut shown = Vec::new();
        for (label, value) in [
            ("wrapping", list("wrapping")),
            ("noshi", text("noshi")),
            ("postage_included", extras.get("postage_included").and_then(serde_json::Value::as_bool).map(|b| b.to_string())),
            ("tracking_numbers", list("tracking_numbers")),
            ("default_delivery_company", text("default_delivery_company")),
            ("asuraku", extras.get("asuraku").and_then(serde_json::Value::as_bool).filter(|b| *b).map(|b| b.to_string())),
            ("delivery_date_info", text("delivery_date_info")),
            ("shop_coupons", normalized.pointer("/amounts/shop_coupons/yen").and_then(serde_json::Value::as_i64).map(|v| v.to_string())),
        ] {
            if let Some(v) = value {
                shown.push((label.to_string(), v));
            }
        }
        Ok(OrderFacts {
            mall_status,
            cancelled,
            orderer: orderer.unwrap_or_default(),
            is_gift,
            gift_flag: text("gift_flag"),
            customer_key,
            goods,
            shipping,
            cod_fee,
            coupons,
            points,
            billing_total,
            amounts_absent,
            extras: shown,
        })
    }
}
