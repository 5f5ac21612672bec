//! Input cells of a decision table: short tests a back-office person can write.
//!
//! | cell | matches |
//! |---|---|
//! | *(empty)* or `-` | anything |
//! | `沖縄県` | exactly that value |
//! | `北海道, 沖縄県` (or `、`) | any of them |
//! | `>= 5000`, `> 0`, `<= 3`, `< 10`, `!= 代金引換` | a comparison |
//! | `[1..3]`, `[1..3)`, `(0..5000]` | a range, `[`/`]` inclusive, `(`/`)` exclusive |
//! | `not(沖縄県, 北海道)` | anything but those |
//! | `100-1*, 907-*` | text starting with any of them (postal codes of an area) |

use std::cmp::Ordering;

use super::value::Value;

#[derive(Debug, Clone, PartialEq)]
pub enum Test {
    Any,
    OneOf(Vec<Value>),
    Compare(Op, Value),
    Range {
        low: Value,
        low_inclusive: bool,
        high: Value,
        high_inclusive: bool,
    },
    Not(Box<Test>),
    /// Text that starts with one of these (`100-1*`).
    Prefix(Vec<String>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Lt,
    Le,
    Gt,
    Ge,
    Ne,
}

impl Test {
    /// Parses a cell; the error says what was expected.
    pub fn parse(cell: &str) -> Result<Test, String> {
        let t = cell.trim();
        if t.is_empty() || t == "-" || t == "－" {
            return Ok(Test::Any);
        }
        let half = crate::domain::text::to_half_width(t);
        if let Some(inner) = half.strip_prefix("not(").and_then(|r| r.strip_suffix(')')) {
            let inner = Test::parse(inner)?;
            if inner == Test::Any {
                return Err("`not()` needs the values it excludes, e.g. `not(沖縄県, 北海道)`".into());
            }
            return Ok(Test::Not(Box::new(inner)));
        }
        for (prefix, op) in [(">=", Op::Ge), ("<=", Op::Le), ("!=", Op::Ne), (">", Op::Gt), ("<", Op::Lt)] {
            if let Some(rest) = half.strip_prefix(prefix) {
                let v = rest.trim();
                if v.is_empty() {
                    return Err(format!("`{prefix}` needs a value after it, e.g. `{prefix} 5000`"));
                }
                return Ok(Test::Compare(op, Value::literal(v)));
            }
        }
        if let (Some(open), Some(close)) = (half.chars().next(), half.chars().last()) {
            if matches!(open, '[' | '(') && matches!(close, ']' | ')') && half.contains("..") {
                let body = &half[1..half.len() - 1];
                let (low, high) = body.split_once("..").expect("checked");
                let (low, high) = (Value::literal(low), Value::literal(high));
                if low.compare(&high).is_none() {
                    return Err(format!(
                        "the range `{t}` mixes {} and {}; write e.g. `[1..3]` or `[2026-12-01..2026-12-31]`",
                        low.kind(),
                        high.kind()
                    ));
                }
                if low.compare(&high) == Some(Ordering::Greater) {
                    return Err(format!("the range `{t}` is empty: {low} is above {high}"));
                }
                return Ok(Test::Range { low, low_inclusive: open == '[', high, high_inclusive: close == ']' });
            }
        }
        // A list: commas (half- or full-width) or 、 separate values.
        let parts: Vec<&str> = t.split([',', '、', '，']).map(str::trim).filter(|s| !s.is_empty()).collect();
        let starred = parts.iter().filter(|p| p.ends_with(['*', '＊'])).count();
        if starred == parts.len() && starred > 0 {
            let prefixes: Vec<String> =
                parts.iter().map(|p| crate::domain::text::to_half_width(p).trim_end_matches('*').trim().to_string()).collect();
            if prefixes.iter().any(String::is_empty) {
                return Err("`*` alone matches anything: leave the cell empty for that, or write a start such as `100-1*`".into());
            }
            return Ok(Test::Prefix(prefixes));
        }
        if starred > 0 {
            return Err(format!("`{t}` mixes values and starts (`…*`): write every entry with `*`, or none"));
        }
        Ok(Test::OneOf(parts.into_iter().map(Value::literal).collect()))
    }

    pub fn matches(&self, v: &Value) -> bool {
        match self {
            Test::Any => true,
            Test::OneOf(values) => values.iter().any(|x| x.matches(v)),
            Test::Compare(Op::Ne, x) => !x.matches(v),
            Test::Compare(op, x) => match v.compare(x) {
                Some(o) => match op {
                    Op::Lt => o == Ordering::Less,
                    Op::Le => o != Ordering::Greater,
                    Op::Gt => o == Ordering::Greater,
                    Op::Ge => o != Ordering::Less,
                    Op::Ne => unreachable!(),
                },
                None => false,
            },
            Test::Range { low, low_inclusive, high, high_inclusive } => {
                let above = match v.compare(low) {
                    Some(Ordering::Greater) => true,
                    Some(Ordering::Equal) => *low_inclusive,
                    _ => false,
                };
                let below = match v.compare(high) {
                    Some(Ordering::Less) => true,
                    Some(Ordering::Equal) => *high_inclusive,
                    _ => false,
                };
                above && below
            }
            Test::Not(inner) => !inner.matches(v),
            Test::Prefix(prefixes) => match v {
                Value::Null => false,
                Value::Text(t) => prefixes.iter().any(|p| t.starts_with(p.as_str())),
                v => {
                    let t = v.to_string();
                    prefixes.iter().any(|p| t.starts_with(p.as_str()))
                }
            },
        }
    }

    /// The values an index can find this cell by (exact matches only), or None if it must be tried.
    pub fn exact_values(&self) -> Option<&[Value]> {
        match self {
            Test::OneOf(values) => Some(values),
            _ => None,
        }
    }

    /// Whether every value this test matches is matched by `other` too (so a row with `other`
    /// before it shadows this one).
    pub fn covered_by(&self, other: &Test) -> bool {
        match (self, other) {
            (_, Test::Any) => true,
            (Test::OneOf(a), Test::OneOf(b)) => a.iter().all(|x| b.iter().any(|y| y.matches(x))),
            (Test::OneOf(a), other) => a.iter().all(|x| other.matches(x)),
            (Test::Prefix(a), Test::Prefix(b)) => a.iter().all(|x| b.iter().any(|y| x.starts_with(y.as_str()))),
            (a, b) => a == b,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(cell: &str, v: Value) -> bool {
        Test::parse(cell).unwrap().matches(&v)
    }

    #[test]
    fn cells_staff_write() {
        let text = |s: &str| Value::Text(s.into());
        assert!(m("", text("何でも")));
        assert!(m("沖縄県", text("沖縄県")));
        assert!(!m("沖縄県", text("北海道")));
        assert!(m("北海道, 沖縄県", text("北海道")));
        assert!(m("北海道、沖縄県", text("沖縄県")));
        assert!(m(">= 5000", Value::Int(5000)));
        assert!(m("＞＝５０００", Value::Int(6000)));
        assert!(!m("< 5000", Value::Int(5000)));
        assert!(m("[1..3]", Value::Int(3)));
        assert!(!m("[1..3)", Value::Int(3)));
        assert!(!m("(1..3]", Value::Int(1)));
        assert!(m("!= 代金引換", text("クレジットカード")));
        assert!(m("not(沖縄県, 北海道)", text("東京都")));
        assert!(!m("not(沖縄県, 北海道)", text("北海道")));
        assert!(!m(">= 5000", text("abc")), "a comparison across kinds never matches");
        assert!(m("100-1*, 907-*", text("907-0004")));
        assert!(m("１００－１＊", text("100-1511")));
        assert!(!m("100-1*", text("100-0001")));
        assert!(!m("100-1*", Value::Null));
    }

    #[test]
    fn bad_cells_say_what_was_expected() {
        assert!(Test::parse(">=").unwrap_err().contains("needs a value"));
        assert!(Test::parse("[3..1]").unwrap_err().contains("is empty"));
        assert!(Test::parse("[1..沖縄]").unwrap_err().contains("mixes"));
        assert!(Test::parse("not()").unwrap_err().contains("needs the values"));
        assert!(Test::parse("100-1*, 沖縄県").unwrap_err().contains("mixes values and starts"));
        assert!(Test::parse("*").unwrap_err().contains("matches anything"));
    }

    #[test]
    fn shadowing() {
        let p = |s: &str| Test::parse(s).unwrap();
        assert!(p("沖縄県").covered_by(&p("")));
        assert!(p("沖縄県").covered_by(&p("北海道, 沖縄県")));
        assert!(!p("北海道, 沖縄県").covered_by(&p("沖縄県")));
        assert!(p("6000").covered_by(&p(">= 5000")));
        assert!(p("100-12*").covered_by(&p("100-1*")));
        assert!(!p("100-1*").covered_by(&p("100-12*")));
    }
}
