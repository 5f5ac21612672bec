//! Bulk reads and writes as Arrow columns: a million orders go through the store as a few hundred
//! record batches instead of tens of millions of single-value calls (the row API spent most of an
//! enrichment replay in DuckDB's per-value and per-fetch overhead).

use std::sync::Arc;

use anyhow::{anyhow, Context, Result};
use chrono::{NaiveDate, NaiveDateTime};
use duckdb::arrow::array::{
    Array, ArrayRef, AsArray, BooleanArray, Date32Array, Date32Builder, Int32Builder, Int64Array, Int64Builder, ListArray, ListBuilder,
    StringArray, StringBuilder,
};
use duckdb::arrow::compute::cast;
use duckdb::arrow::datatypes::{DataType, Field, Schema, TimeUnit};
use duckdb::arrow::record_batch::RecordBatch;

const EPOCH: NaiveDate = NaiveDate::from_ymd_opt(1970, 1, 1).expect("the epoch");

/// One result batch, its columns found by name once.
pub struct Batch<'a> {
    batch: &'a RecordBatch,
}

impl<'a> Batch<'a> {
    pub fn new(batch: &'a RecordBatch) -> Self {
        Batch { batch }
    }

    pub fn rows(&self) -> usize {
        self.batch.num_rows()
    }

    fn column(&self, name: &str, to: &DataType) -> Result<ArrayRef> {
        let col = self.batch.column_by_name(name).ok_or_else(|| anyhow!("the query has no column `{name}`"))?;
        if col.data_type() == to {
            return Ok(col.clone());
        }
        cast(col, to).with_context(|| format!("column `{name}` ({}) is not {to}", col.data_type()))
    }

    pub fn texts(&self, name: &str) -> Result<StringArray> {
        Ok(self.column(name, &DataType::Utf8)?.as_string::<i32>().clone())
    }

    pub fn ints(&self, name: &str) -> Result<Int64Array> {
        Ok(self.column(name, &DataType::Int64)?.as_primitive().clone())
    }

    pub fn bools(&self, name: &str) -> Result<BooleanArray> {
        Ok(self.column(name, &DataType::Boolean)?.as_boolean().clone())
    }

    pub fn dates(&self, name: &str) -> Result<Date32Array> {
        Ok(self.column(name, &DataType::Date32)?.as_primitive().clone())
    }

    /// A TIMESTAMP (wall clock, no zone) as microseconds.
    pub fn timestamps(&self, name: &str) -> Result<Int64Array> {
        let ts = self.column(name, &DataType::Timestamp(TimeUnit::Microsecond, None))?;
        Ok(cast(&ts, &DataType::Int64)?.as_primitive().clone())
    }

    /// A LIST column: per row, the range of its entries in the flat `values`.
    pub fn list(&self, name: &str) -> Result<ListArray> {
        let col = self.batch.column_by_name(name).ok_or_else(|| anyhow!("the query has no column `{name}`"))?;
        col.as_list_opt::<i32>().cloned().ok_or_else(|| anyhow!("column `{name}` ({}) is not a list", col.data_type()))
    }
}

/// A nullable text at row `i`.
pub fn text(a: &StringArray, i: usize) -> Option<&str> {
    (!a.is_null(i)).then(|| a.value(i))
}

pub fn int(a: &Int64Array, i: usize) -> Option<i64> {
    (!a.is_null(i)).then(|| a.value(i))
}

pub fn date(a: &Date32Array, i: usize) -> Option<NaiveDate> {
    (!a.is_null(i)).then(|| EPOCH + chrono::Days::new(a.value(i) as u64))
}

pub fn timestamp(micros: i64) -> Option<NaiveDateTime> {
    chrono::DateTime::from_timestamp_micros(micros).map(|t| t.naive_utc())
}

/// The entries of a LIST at row `i`, as a range into its flat values.
pub fn list_range(a: &ListArray, i: usize) -> std::ops::Range<usize> {
    let offsets = a.value_offsets();
    offsets[i] as usize..offsets[i + 1] as usize
}

/// The flat values of a LIST column, as texts or integers.
pub fn list_texts(a: &ListArray) -> Result<StringArray> {
    Ok(cast(a.values(), &DataType::Utf8)?.as_string::<i32>().clone())
}

pub fn list_bools(a: &ListArray) -> Result<BooleanArray> {
    Ok(cast(a.values(), &DataType::Boolean)?.as_boolean().clone())
}

pub fn list_ints(a: &ListArray) -> Result<Int64Array> {
    Ok(cast(a.values(), &DataType::Int64)?.as_primitive().clone())
}

enum Builder {
    Text(StringBuilder),
    Int(Int64Builder),
    Int32(Int32Builder),
    Date(Date32Builder),
    Texts(ListBuilder<StringBuilder>),
    Int32s(ListBuilder<Int32Builder>),
}

/// Rows for one table, built column by column in the table's own column order (read from the
/// store), appended as record batches.
pub struct RowBuilder {
    names: Vec<String>,
    builders: Vec<Builder>,
    at: usize,
    rows: usize,
}

impl RowBuilder {
    /// Columns of `table` as the store has them; their types must be ones this builder writes.
    pub fn for_table(conn: &duckdb::Connection, table: &str) -> Result<RowBuilder> {
        let mut stmt =
            conn.prepare("SELECT column_name, data_type FROM information_schema.columns WHERE table_name = ? ORDER BY ordinal_position")?;
        let cols = stmt.query_map([table], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))?.collect::<Result<Vec<_>, _>>()?;
        anyhow::ensure!(!cols.is_empty(), "the store has no table {table}");
        let mut b = RowBuilder { names: Vec::new(), builders: Vec::new(), at: 0, rows: 0 };
        for (name, ty) in cols {
            b.builders.push(match ty.as_str() {
                "VARCHAR" => Builder::Text(StringBuilder::new()),
                "BIGINT" => Builder::Int(Int64Builder::new()),
                "INTEGER" => Builder::Int32(Int32Builder::new()),
                "DATE" => Builder::Date(Date32Builder::new()),
                "VARCHAR[]" => Builder::Texts(ListBuilder::new(StringBuilder::new())),
                "INTEGER[]" => Builder::Int32s(ListBuilder::new(Int32Builder::new())),
                other => anyhow::bail!("{table}.{name} has type {other}, which bulk writes do not handle"),
            });
            b.names.push(name);
        }
        Ok(b)
    }

    pub fn rows(&self) -> usize {
        self.rows
    }

    /// Where a column is in the table (0-based), if it has it.
    pub fn position(&self, name: &str) -> Option<usize> {
        self.names.iter().position(|n| n == name)
    }

    /// The table's columns, in its order.
    pub fn names(&self) -> &[String] {
        &self.names
    }

    /// An empty builder for the same table (one per thread).
    pub fn fresh(&self) -> RowBuilder {
        let builders = self
            .builders
            .iter()
            .map(|b| match b {
                Builder::Text(_) => Builder::Text(StringBuilder::new()),
                Builder::Int(_) => Builder::Int(Int64Builder::new()),
                Builder::Int32(_) => Builder::Int32(Int32Builder::new()),
                Builder::Date(_) => Builder::Date(Date32Builder::new()),
                Builder::Texts(_) => Builder::Texts(ListBuilder::new(StringBuilder::new())),
                Builder::Int32s(_) => Builder::Int32s(ListBuilder::new(Int32Builder::new())),
            })
            .collect();
        RowBuilder { names: self.names.clone(), builders, at: 0, rows: 0 }
    }

    /// The next column of the row being written. The first row of each batch checks the name, so
    /// a push out of the table's order fails loudly instead of filling the wrong column.
    fn next(&mut self, name: &str) -> &mut Builder {
        if self.rows == 0 {
            assert_eq!(self.names.get(self.at).map(String::as_str), Some(name), "column {} of the row", self.at + 1);
        }
        self.at += 1;
        &mut self.builders[self.at - 1]
    }

    pub fn text(&mut self, name: &str, v: Option<&str>) -> &mut Self {
        match self.next(name) {
            Builder::Text(b) => b.append_option(v),
            _ => panic!("{name} is not a text column"),
        }
        self
    }

    pub fn int(&mut self, name: &str, v: Option<i64>) -> &mut Self {
        match self.next(name) {
            Builder::Int(b) => b.append_option(v),
            Builder::Int32(b) => b.append_option(v.map(|v| v as i32)),
            _ => panic!("{name} is not an integer column"),
        }
        self
    }

    pub fn date(&mut self, name: &str, v: Option<NaiveDate>) -> &mut Self {
        match self.next(name) {
            Builder::Date(b) => b.append_option(v.map(|d| (d - EPOCH).num_days() as i32)),
            _ => panic!("{name} is not a date column"),
        }
        self
    }

    pub fn texts<'s>(&mut self, name: &str, v: impl IntoIterator<Item = Option<&'s str>>) -> &mut Self {
        match self.next(name) {
            Builder::Texts(b) => {
                for t in v {
                    b.values().append_option(t);
                }
                b.append(true);
            }
            _ => panic!("{name} is not a list of texts"),
        }
        self
    }

    pub fn int32s(&mut self, name: &str, v: impl IntoIterator<Item = i32>) -> &mut Self {
        match self.next(name) {
            Builder::Int32s(b) => {
                for i in v {
                    b.values().append_value(i);
                }
                b.append(true);
            }
            _ => panic!("{name} is not a list of integers"),
        }
        self
    }

    /// Ends the row: every column must have had its value.
    pub fn end_row(&mut self) {
        assert_eq!(self.at, self.builders.len(), "a row of {} columns got {}", self.builders.len(), self.at);
        self.at = 0;
        self.rows += 1;
    }

    /// The rows so far as a record batch; the builder starts empty again.
    pub fn finish(&mut self) -> Result<RecordBatch> {
        let mut fields = Vec::new();
        let mut arrays: Vec<ArrayRef> = Vec::new();
        for (name, b) in self.names.iter().zip(&mut self.builders) {
            let a: ArrayRef = match b {
                Builder::Text(b) => Arc::new(b.finish()),
                Builder::Int(b) => Arc::new(b.finish()),
                Builder::Int32(b) => Arc::new(b.finish()),
                Builder::Date(b) => Arc::new(b.finish()),
                Builder::Texts(b) => Arc::new(b.finish()),
                Builder::Int32s(b) => Arc::new(b.finish()),
            };
            fields.push(Field::new(name, a.data_type().clone(), true));
            arrays.push(a);
        }
        self.rows = 0;
        Ok(RecordBatch::try_new(Arc::new(Schema::new(fields)), arrays)?)
    }
}
