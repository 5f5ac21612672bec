//! The values rules work on: text, whole numbers (yen are integers), booleans, dates, or nothing.

use std::cmp::Ordering;
use std::fmt;

use chrono::NaiveDate;

use crate::domain::fields::Kind;

#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Value {
    Null,
    Bool(bool),
    Int(i64),
    Date(NaiveDate),
    Text(String),
}

impl Value {
    /// A literal as staff write it in a cell: `5000`, `５０００`, `true`, `2026-12-01`, or text.
    pub fn literal(s: &str) -> Value {
        let s = s.trim();
        let half = crate::domain::text::to_half_width(s);
        let digits = half.replace([',', '_'], "");
        if let Ok(n) = digits.parse::<i64>() {
            if !half.starts_with('+') {
                return Value::Int(n);
            }
        }
        match half.as_str() {
            "true" | "True" | "TRUE" | "はい" => return Value::Bool(true),
            "false" | "False" | "FALSE" | "いいえ" => return Value::Bool(false),
            _ => {}
        }
        if let Ok(d) = NaiveDate::parse_from_str(&half.replace('/', "-"), "%Y-%m-%d") {
            return Value::Date(d);
        }
        let unquoted = s.strip_prefix('"').and_then(|r| r.strip_suffix('"')).unwrap_or(s);
        Value::Text(unquoted.to_string())
    }

    /// A literal read as a value of `kind`, the kind of the field it is compared with or set to:
    /// in a text column `5000` is the text "5000" and `はい` is text; in a yen column `1,980円` is
    /// 1980 and `abc` is an error. The error says what the literal should have been.
    pub fn for_kind(s: &str, kind: Kind) -> Result<Value, &'static str> {
        let literal = Value::literal(s);
        match kind {
            Kind::Text => Ok(match literal {
                Value::Text(t) => Value::Text(t),
                // Digits typed full-width read as the mall sends them.
                Value::Int(_) => Value::Text(crate::domain::text::to_half_width(s.trim())),
                _ => Value::Text(s.trim().to_string()),
            }),
            Kind::Yen => crate::domain::text::parse_yen(s).map(Value::Int).ok_or("an amount of yen (a whole number)"),
            Kind::Number => match literal {
                Value::Int(n) => Ok(Value::Int(n)),
                _ => Err("a whole number"),
            },
            Kind::Date => match literal {
                Value::Date(d) => Ok(Value::Date(d)),
                _ => Err("a date (YYYY-MM-DD)"),
            },
            Kind::Bool => match literal {
                Value::Bool(b) => Ok(Value::Bool(b)),
                _ => Err("true or false"),
            },
            Kind::Tax => Err("something rules can compare (消費税 is not read by rules)"),
        }
    }

    /// Ordering for comparisons between values of one kind; None across kinds.
    pub fn compare(&self, other: &Value) -> Option<Ordering> {
        match (self, other) {
            (Value::Int(a), Value::Int(b)) => Some(a.cmp(b)),
            (Value::Date(a), Value::Date(b)) => Some(a.cmp(b)),
            (Value::Text(a), Value::Text(b)) => Some(a.cmp(b)),
            (Value::Bool(a), Value::Bool(b)) => Some(a.cmp(b)),
            _ => None,
        }
    }

    /// Equality as staff mean it: `5000` equals the number 5000 and the text "5000".
    pub fn matches(&self, other: &Value) -> bool {
        match (self, other) {
            (Value::Text(a), Value::Int(b)) | (Value::Int(b), Value::Text(a)) => a.trim() == b.to_string(),
            _ => self == other,
        }
    }

    pub fn kind(&self) -> &'static str {
        match self {
            Value::Null => "nothing",
            Value::Bool(_) => "true/false",
            Value::Int(_) => "a whole number",
            Value::Date(_) => "a date",
            Value::Text(_) => "text",
        }
    }
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Null => Ok(()),
            Value::Bool(b) => write!(f, "{b}"),
            Value::Int(n) => write!(f, "{n}"),
            Value::Date(d) => write!(f, "{d}"),
            Value::Text(s) => write!(f, "{s}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literals_read_as_staff_write_them() {
        assert_eq!(Value::literal("５０００"), Value::Int(5000));
        assert_eq!(Value::literal("1,980"), Value::Int(1980));
        assert_eq!(Value::literal("2026/12/01"), Value::Date(NaiveDate::from_ymd_opt(2026, 12, 1).unwrap()));
        assert_eq!(Value::literal("沖縄県"), Value::Text("沖縄県".into()));
        assert_eq!(Value::literal("\"100\""), Value::Text("100".into()), "quotes keep a number as text");
        assert!(Value::Text("100".into()).matches(&Value::Int(100)));
    }
}
