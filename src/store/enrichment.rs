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

/// One order's enrichment.
#[derive(Debug, Clone)]
pub struct EnrichedOrder {
    pub mall: String,
    pub shop: String,
    pub order_number: String,
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
    /// The number is at several malls: these.
    AtSeveralMalls(Vec<String>),
}

/// The fields shown with their sources: the catalog's stored fields that record one.
pub fn fields_with_sources() -> impl Iterator<Item = Field> {
    fields::stored().iter().copied().filter(|f| !matches!(f.def().column, Column::None | Column::Value { source: None, .. }))
}

impl Store {
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
            "SELECT mall, shop, order_number, fired_rules, {} FROM order_enrichment
             WHERE order_number = ? AND (? IS NULL OR mall = ?) ORDER BY mall",
            columns.join(", ")
        );
        let mut stmt = self.conn.prepare(&sql)?;
        let mut rows = stmt.query(params![order_number, mall, mall])?;
        let Some(row) = rows.next()? else { return Ok(Lookup::NotEnriched) };
        let (mall, shop, number, fired_rules): (String, String, String, String) = (row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?);
        let mut values = Vec::new();
        for (k, f) in fields_with_sources().enumerate() {
            let at = 4 + 3 * k;
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
        let mut malls = vec![mall.clone()];
        while let Some(other) = rows.next()? {
            malls.push(other.get(0)?);
        }
        if malls.len() > 1 {
            return Ok(Lookup::AtSeveralMalls(malls));
        }
        let mut stmt = self.conn.prepare(
            "SELECT check_no, result, coalesce(reason, '') FROM order_checks WHERE mall = ? AND shop = ? AND order_number = ? ORDER BY check_no",
        )?;
        let checks = stmt
            .query_map(params![mall, shop, number], |r| Ok((r.get::<_, i32>(0)?, r.get::<_, String>(1)?, r.get::<_, String>(2)?)))?
            .map(|c| {
                let (no, result, reason) = c?;
                let result = CheckResult::ALL
                    .into_iter()
                    .find(|r| r.as_str() == result)
                    .ok_or_else(|| anyhow::anyhow!("check {no}: result `{result}`"))?;
                Ok(StoredCheck { no, result, reason })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Lookup::Found(Box::new(EnrichedOrder { mall, shop, order_number: number, values, checks, fired_rules })))
    }
}
