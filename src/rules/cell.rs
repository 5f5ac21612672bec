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
//!
//! Every value in a cell is read as its column's field's kind (`Test::parse_for`): a value that is
//! not of it (`>= abc` on an amount), or a form that cannot work on it (`> true`, `1*` on yen), is an
//! error at that value, never a row that silently never fires.

use std::cmp::Ordering;
use std::ops::Range;

use super::value::Value;
use crate::domain::fields::{FieldDef, Kind};

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

/// What is wrong with a cell, and where: `at..at + len` are bytes of the cell as written, so the
/// diagnostic points at the value at fault, not at the whole cell.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CellError {
    pub at: usize,
    pub len: usize,
    pub message: String,
    /// The cell parses, but a value in it is not of its field's kind (R006, not R005).
    pub wrong_kind: bool,
}

/// A cell as written, and the same with full-width ASCII as half-width (one char for one char, so
/// positions agree): the syntax is read from the half-width form, text values from the cell as written.
struct Src<'a> {
    orig: &'a str,
    half: Vec<char>,
    /// Byte offset in `orig` of each char, and the length at the end.
    bytes: Vec<usize>,
    /// The field the cell tests, when known: every value in it must be of the field's kind.
    field: Option<&'a FieldDef>,
}

impl<'a> Src<'a> {
    fn new(orig: &'a str, field: Option<&'a FieldDef>) -> Src<'a> {
        let half: Vec<char> = crate::domain::text::to_half_width(orig).chars().collect();
        let mut bytes: Vec<usize> = orig.char_indices().map(|(b, _)| b).collect();
        bytes.push(orig.len());
        debug_assert_eq!(half.len() + 1, bytes.len(), "to_half_width keeps one char for one char");
        Src { orig, half, bytes, field }
    }

    fn orig(&self, r: &Range<usize>) -> &'a str {
        &self.orig[self.bytes[r.start]..self.bytes[r.end]]
    }

    fn half(&self, r: &Range<usize>) -> String {
        self.half[r.clone()].iter().collect()
    }

    fn trim(&self, mut r: Range<usize>) -> Range<usize> {
        while r.start < r.end && self.half[r.start].is_whitespace() {
            r.start += 1;
        }
        while r.end > r.start && self.half[r.end - 1].is_whitespace() {
            r.end -= 1;
        }
        r
    }

    fn starts_with(&self, r: &Range<usize>, p: &str) -> bool {
        let n = p.chars().count();
        r.end - r.start >= n && self.half[r.start..r.start + n].iter().copied().eq(p.chars())
    }

    fn error(&self, r: &Range<usize>, message: impl Into<String>) -> CellError {
        let (at, end) = (self.bytes[r.start.min(self.half.len())], self.bytes[r.end.min(self.half.len())]);
        CellError { at, len: end - at, message: message.into(), wrong_kind: false }
    }

    /// A value of the cell, read as its field's kind (`5000` is text in a text column, a number in a
    /// yen column, and `abc` is an error there).
    fn value(&self, r: &Range<usize>) -> Result<Value, CellError> {
        let text = self.orig(r);
        let Some(field) = self.field else { return Ok(Value::literal(text)) };
        Value::for_kind(text, field.kind).map_err(|expected| CellError {
            wrong_kind: true,
            ..self.error(
                r,
                format!("`{text}` is not {expected}, but {} ({}) is {}", field.name, field.label.current(), field.kind.describe()),
            )
        })
    }

    /// A form that cannot work for the field's kind (`> true`, `100-*` on an amount).
    fn kind_allows(&self, r: &Range<usize>, what: &str, kinds: &[Kind]) -> Result<(), CellError> {
        match self.field {
            Some(f) if !kinds.contains(&f.kind) => Err(CellError {
                wrong_kind: true,
                ..self.error(r, format!("{what} does not work on {} ({}), which is {}", f.name, f.label.current(), f.kind.describe()))
            }),
            _ => Ok(()),
        }
    }
}

impl Test {
    /// Parses a cell whose field is not known; the error says what was expected.
    pub fn parse(cell: &str) -> Result<Test, String> {
        Test::parse_for(cell, None).map_err(|e| e.message)
    }

    /// Parses a cell of a column testing `field`: every value in it must be of the field's kind, so a
    /// cell that could never match (`>= abc` on an amount) is an error at the value, not a silent miss.
    pub fn parse_for(cell: &str, field: Option<&FieldDef>) -> Result<Test, CellError> {
        let src = Src::new(cell, field);
        let whole = src.trim(0..src.half.len());
        parse_range(&src, whole)
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

fn parse_range(src: &Src<'_>, r: Range<usize>) -> Result<Test, CellError> {
    let t = src.orig(&r);
    if r.is_empty() || t == "-" || t == "－" {
        return Ok(Test::Any);
    }
    if src.starts_with(&r, "not(") && src.half[r.end - 1] == ')' {
        let inner_range = src.trim(r.start + 4..r.end - 1);
        let inner = parse_range(src, inner_range)?;
        if inner == Test::Any {
            return Err(src.error(&r, "`not()` needs the values it excludes, e.g. `not(沖縄県, 北海道)`"));
        }
        return Ok(Test::Not(Box::new(inner)));
    }
    for (prefix, op) in [(">=", Op::Ge), ("<=", Op::Le), ("!=", Op::Ne), (">", Op::Gt), ("<", Op::Lt)] {
        if src.starts_with(&r, prefix) {
            let v = src.trim(r.start + prefix.len()..r.end);
            if v.is_empty() {
                return Err(src.error(&r, format!("`{prefix}` needs a value after it, e.g. `{prefix} 5000`")));
            }
            if op != Op::Ne {
                src.kind_allows(
                    &(r.start..r.start + prefix.len()),
                    &format!("`{prefix}`"),
                    &[Kind::Text, Kind::Yen, Kind::Number, Kind::Date],
                )?;
            }
            return Ok(Test::Compare(op, src.value(&v)?));
        }
    }
    let (open, close) = (src.half[r.start], src.half[r.end - 1]);
    let dots = (r.start..r.end.saturating_sub(1)).find(|&i| src.half[i] == '.' && src.half[i + 1] == '.');
    if let (true, true, Some(dots)) = (matches!(open, '[' | '('), matches!(close, ']' | ')'), dots) {
        if r.len() >= 2 && dots > r.start {
            src.kind_allows(&r, "a range", &[Kind::Text, Kind::Yen, Kind::Number, Kind::Date])?;
            let (lo, hi) = (src.trim(r.start + 1..dots), src.trim(dots + 2..r.end - 1));
            if lo.is_empty() || hi.is_empty() {
                return Err(src.error(&r, format!("the range `{t}` needs a value on both sides of `..`, e.g. `[1..3]`")));
            }
            let (low, high) = (src.value(&lo)?, src.value(&hi)?);
            if low.compare(&high).is_none() {
                return Err(src.error(
                    &r,
                    format!("the range `{t}` mixes {} and {}; write e.g. `[1..3]` or `[2026-12-01..2026-12-31]`", low.kind(), high.kind()),
                ));
            }
            if low.compare(&high) == Some(Ordering::Greater) {
                return Err(src.error(&r, format!("the range `{t}` is empty: {low} is above {high}")));
            }
            return Ok(Test::Range { low, low_inclusive: open == '[', high, high_inclusive: close == ']' });
        }
    }
    // A list: commas (half- or full-width) or 、 separate values.
    let mut parts = Vec::new();
    let mut from = r.start;
    for i in r.start..=r.end {
        if i == r.end || matches!(src.orig(&(i..i + 1)), "," | "、" | "，") {
            let part = src.trim(from..i);
            if !part.is_empty() {
                parts.push(part);
            }
            from = i + 1;
        }
    }
    let starred = parts.iter().filter(|p| src.half[p.end - 1] == '*').count();
    if starred == parts.len() && starred > 0 {
        src.kind_allows(&r, "a start (`…*`)", &[Kind::Text, Kind::Date])?;
        let mut prefixes = Vec::new();
        for p in &parts {
            let start = src.trim(p.start..p.end - 1);
            if start.is_empty() {
                return Err(src.error(p, "`*` alone matches anything: leave the cell empty for that, or write a start such as `100-1*`"));
            }
            prefixes.push(src.half(&start));
        }
        return Ok(Test::Prefix(prefixes));
    }
    if starred > 0 {
        return Err(src.error(&r, format!("`{t}` mixes values and starts (`…*`): write every entry with `*`, or none")));
    }
    Ok(Test::OneOf(parts.iter().map(|p| src.value(p)).collect::<Result<_, _>>()?))
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
    fn every_value_of_a_cell_is_of_its_fields_kind() {
        let field = |name: &str| crate::rules::schema::field(name).unwrap();
        let typed = |cell: &str, name: &str| Test::parse_for(cell, Some(field(name)));
        // Where the value at fault is, in bytes of the cell as written.
        let at = |cell: &str, name: &str| typed(cell, name).map_err(|e| (e.wrong_kind, cell[e.at..e.at + e.len].to_string())).unwrap_err();
        assert_eq!(at(">= abc", "goods"), (true, "abc".to_string()));
        assert_eq!(at("[1..abc)", "goods"), (true, "abc".to_string()));
        assert_eq!(at("5000, abc", "goods"), (true, "abc".to_string()));
        assert_eq!(at("not(１０, ａｂｃ)", "goods"), (true, "ａｂｃ".to_string()));
        assert_eq!(at("1*", "goods"), (true, "1*".to_string()));
        assert_eq!(at("< 2026-13-01", "desired_date"), (true, "2026-13-01".to_string()));
        assert_eq!(at("> true", "is_gift"), (true, ">".to_string()));
        assert_eq!(at("[false..true]", "is_gift"), (true, "[false..true]".to_string()));
        assert_eq!(at("yes please", "is_gift"), (true, "yes please".to_string()));
        assert_eq!(at("２, x", "items"), (true, "x".to_string()));
        assert_eq!(at(">=", "goods"), (false, ">=".to_string()));
        // What fits reads as the field's kind: yen as staff write them, digits in a text column as text.
        assert_eq!(typed(">= 5,000円", "goods"), Ok(Test::Compare(Op::Ge, Value::Int(5000))));
        assert_eq!(typed("300", "mall_status"), Ok(Test::OneOf(vec![Value::Text("300".into())])));
        assert_eq!(typed("はい", "is_gift"), Ok(Test::OneOf(vec![Value::Bool(true)])));
        assert!(typed("!= true", "is_gift").is_ok());
        assert!(typed("2026-12-*", "desired_date").is_ok());
        // Text keeps its ー: `!= メール便` is not `!= メ-ル便`.
        assert!(!typed("!= メール便", "delivery_method").unwrap().matches(&Value::Text("メール便".into())));
        assert!(typed("> 300", "mall_status").unwrap().matches(&Value::Text("500".into())), "text compares as text");
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
