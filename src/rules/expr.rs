//! Output cells: a literal (`日本郵便`, `880`), or after `=` an expression over the order's fields
//! in exact integer yen arithmetic: `= goods * 10 / 100`, `= max(0, 880 - coupons)`, `= carrier`.
//! `/` rounds down (切り捨て), as the malls do for tax and points. A small parser of our own: the
//! language is four operators, parentheses, fields and `min`/`max`/`abs`, and every error must
//! point at a column of the cell.

use std::ops::Range;

use super::value::Value;
use crate::domain::fields::Kind;

#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    Lit(Value),
    Field(String),
    Neg(Box<Expr>),
    Bin(char, Box<Expr>, Box<Expr>),
    Call(Func, Vec<Expr>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Func {
    Min,
    Max,
    Abs,
}

/// A misused part of an expression: where it is in the cell (a field; None for a literal), and why.
pub type Misuse = (Option<Range<usize>>, String);

/// A parse error: the character offset in the cell, and what was expected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExprError {
    pub at: usize,
    pub message: String,
}

impl Expr {
    /// An output cell: `=` starts an expression, anything else is a literal value.
    pub fn parse_cell(cell: &str) -> Result<Expr, ExprError> {
        Expr::parse_cell_located(cell).map(|(e, _)| e)
    }

    /// As `parse_cell`, with where each field the expression reads is written (bytes of the cell, in
    /// the order `fields` lists them), so a field of the wrong kind is pointed at.
    pub fn parse_cell_located(cell: &str) -> Result<(Expr, Vec<Range<usize>>), ExprError> {
        let t = cell.trim();
        match formula_body(t) {
            Some(body) => {
                let offset = body.as_ptr() as usize - cell.as_ptr() as usize;
                let mut p = Parser { chars: body.chars().collect(), pos: 0, fields: Vec::new() };
                let e = p.expr().map_err(|mut e| {
                    e.at += offset;
                    e
                })?;
                p.skip_ws();
                if p.pos < p.chars.len() {
                    let at = offset + p.chars[..p.pos].iter().map(|c| c.len_utf8()).sum::<usize>();
                    return Err(ExprError {
                        at,
                        message: format!("unexpected `{}`; expected an operator (+ - * /) or the end", p.chars[p.pos]),
                    });
                }
                let fields = p.fields.into_iter().map(|r| r.start + offset..r.end + offset).collect();
                Ok((e, fields))
            }
            None => Ok((Expr::Lit(Value::literal(t)), Vec::new())),
        }
    }

    /// The kind of value the expression gives (None: not known, a field that is not one), and every
    /// misuse: arithmetic on text, a date or true/false. `at` are the places `parse_cell_located`
    /// gave for the fields, in order; a misused field is pointed at, a misused literal is not.
    pub fn kinds(&self, at: &[Range<usize>], kind_of: &dyn Fn(&str) -> Option<Kind>) -> (Option<Kind>, Vec<Misuse>) {
        let mut next = 0;
        let mut problems = Vec::new();
        let kind = self.kind_walk(at, &mut next, kind_of, &mut problems);
        (kind, problems)
    }

    fn kind_walk(
        &self,
        at: &[Range<usize>],
        next: &mut usize,
        kind_of: &dyn Fn(&str) -> Option<Kind>,
        problems: &mut Vec<Misuse>,
    ) -> Option<Kind> {
        let operand = |e: &Expr, next: &mut usize, problems: &mut Vec<Misuse>| {
            let place = match e {
                Expr::Field(_) => at.get(*next).cloned(),
                _ => None,
            };
            match e.kind_walk(at, next, kind_of, problems) {
                Some(Kind::Yen | Kind::Number) | None => {}
                Some(k) => {
                    let what = match e {
                        Expr::Field(f) => format!("`{f}` is {}", k.describe()),
                        Expr::Lit(v) => format!("`{v}` is {}", k.describe()),
                        _ => format!("this part is {}", k.describe()),
                    };
                    problems.push((place, format!("{what}: arithmetic and min/max/abs need whole numbers (yen, counts, days)")));
                }
            }
        };
        match self {
            Expr::Lit(v) => match v {
                Value::Null => None,
                Value::Bool(_) => Some(Kind::Bool),
                Value::Int(_) => Some(Kind::Number),
                Value::Date(_) => Some(Kind::Date),
                Value::Text(_) => Some(Kind::Text),
            },
            Expr::Field(f) => {
                *next += 1;
                kind_of(f)
            }
            Expr::Neg(e) => {
                operand(e, next, problems);
                Some(Kind::Number)
            }
            Expr::Bin(_, a, b) => {
                operand(a, next, problems);
                operand(b, next, problems);
                Some(Kind::Number)
            }
            Expr::Call(_, args) => {
                for a in args {
                    operand(a, next, problems);
                }
                Some(Kind::Number)
            }
        }
    }

    /// Whether the cell is an expression (`= …`, `式: …`) rather than a value.
    pub fn is_formula(cell: &str) -> bool {
        formula_body(cell.trim()).is_some()
    }

    /// The fields the expression reads (for `juchu check`).
    pub fn fields(&self, out: &mut Vec<String>) {
        match self {
            Expr::Lit(_) => {}
            Expr::Field(f) => out.push(f.clone()),
            Expr::Neg(e) => e.fields(out),
            Expr::Bin(_, a, b) => {
                a.fields(out);
                b.fields(out);
            }
            Expr::Call(_, args) => args.iter().for_each(|a| a.fields(out)),
        }
    }

    /// Evaluates over the order's fields; arithmetic on anything but whole numbers is an error.
    pub fn eval(&self, get: &dyn Fn(&str) -> Value) -> Result<Value, String> {
        let int = |e: &Expr| -> Result<i64, String> {
            match e.eval(get)? {
                Value::Int(n) => Ok(n),
                Value::Null => Err("a field used in arithmetic has no value".into()),
                other => Err(format!("arithmetic needs whole numbers, got {} `{other}`", other.kind())),
            }
        };
        Ok(match self {
            Expr::Lit(v) => v.clone(),
            Expr::Field(f) => get(f),
            Expr::Neg(e) => Value::Int(-int(e)?),
            Expr::Bin(op, a, b) => {
                let (x, y) = (int(a)?, int(b)?);
                Value::Int(match op {
                    '+' => x.checked_add(y).ok_or("the sum is too large")?,
                    '-' => x.checked_sub(y).ok_or("the difference is too large")?,
                    '*' => x.checked_mul(y).ok_or("the product is too large")?,
                    _ if y == 0 => return Err("division by zero".into()),
                    _ => x.div_euclid(y),
                })
            }
            Expr::Call(f, args) => {
                let vals = args.iter().map(int).collect::<Result<Vec<_>, _>>()?;
                Value::Int(match f {
                    Func::Min => vals.into_iter().min().unwrap_or(0),
                    Func::Max => vals.into_iter().max().unwrap_or(0),
                    Func::Abs => vals.first().copied().unwrap_or(0).abs(),
                })
            }
        })
    }
}

/// The expression after `=` (or `式:`: in a workbook a cell starting with `=` is an Excel formula).
fn formula_body(t: &str) -> Option<&str> {
    t.strip_prefix('=').or_else(|| t.strip_prefix('＝')).or_else(|| t.strip_prefix("式:")).or_else(|| t.strip_prefix("式："))
}

struct Parser {
    chars: Vec<char>,
    pos: usize,
    /// Where each field was read (bytes of the expression), in order.
    fields: Vec<Range<usize>>,
}

impl Parser {
    fn skip_ws(&mut self) {
        while self.chars.get(self.pos).is_some_and(|c| c.is_whitespace()) {
            self.pos += 1;
        }
    }

    fn peek(&mut self) -> Option<char> {
        self.skip_ws();
        self.chars.get(self.pos).map(|c| half(*c))
    }

    fn err<T>(&self, message: impl Into<String>) -> Result<T, ExprError> {
        // Report a byte offset: cells are shown by column in bytes of UTF-8 by the renderer.
        let at = self.chars[..self.pos.min(self.chars.len())].iter().map(|c| c.len_utf8()).sum();
        Err(ExprError { at, message: message.into() })
    }

    fn expr(&mut self) -> Result<Expr, ExprError> {
        let mut left = self.term()?;
        while let Some(op @ ('+' | '-')) = self.peek() {
            self.pos += 1;
            left = Expr::Bin(op, Box::new(left), Box::new(self.term()?));
        }
        Ok(left)
    }

    fn term(&mut self) -> Result<Expr, ExprError> {
        let mut left = self.factor()?;
        while let Some(op @ ('*' | '/')) = self.peek() {
            self.pos += 1;
            left = Expr::Bin(op, Box::new(left), Box::new(self.factor()?));
        }
        Ok(left)
    }

    fn factor(&mut self) -> Result<Expr, ExprError> {
        match self.peek() {
            None => self.err("the expression ends too early; expected a number, a field or `(`"),
            Some('-') => {
                self.pos += 1;
                Ok(Expr::Neg(Box::new(self.factor()?)))
            }
            Some('(') => {
                self.pos += 1;
                let e = self.expr()?;
                if self.peek() != Some(')') {
                    return self.err("expected `)`");
                }
                self.pos += 1;
                Ok(e)
            }
            Some('"') => {
                let start = self.pos + 1;
                let end = self.chars[start..].iter().position(|c| *c == '"').map(|n| start + n);
                let Some(end) = end else { return self.err("the text has no closing `\"`") };
                self.pos = end + 1;
                Ok(Expr::Lit(Value::Text(self.chars[start..end].iter().collect())))
            }
            Some(c) if c.is_ascii_digit() => {
                let start = self.pos;
                while self.chars.get(self.pos).is_some_and(|c| half(*c).is_ascii_digit() || *c == '_') {
                    self.pos += 1;
                }
                let digits: String = self.chars[start..self.pos].iter().map(|c| half(*c)).filter(|c| *c != '_').collect();
                digits.parse().map(|n| Expr::Lit(Value::Int(n))).or_else(|_| self.err("the number is too large"))
            }
            Some(c) if c.is_ascii_alphabetic() || c == '_' => {
                let start = self.pos;
                while self.chars.get(self.pos).is_some_and(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '.') {
                    self.pos += 1;
                }
                let name: String = self.chars[start..self.pos].iter().collect();
                if self.peek() == Some('(') {
                    let func = match name.as_str() {
                        "min" => Func::Min,
                        "max" => Func::Max,
                        "abs" => Func::Abs,
                        _ => {
                            self.pos = start;
                            return self.err(format!("unknown function `{name}`; there are min, max and abs"));
                        }
                    };
                    self.pos += 1;
                    let mut args = vec![self.expr()?];
                    while self.peek() == Some(',') {
                        self.pos += 1;
                        args.push(self.expr()?);
                    }
                    if self.peek() != Some(')') {
                        return self.err("expected `,` or `)`");
                    }
                    self.pos += 1;
                    return Ok(Expr::Call(func, args));
                }
                match name.as_str() {
                    "true" => Ok(Expr::Lit(Value::Bool(true))),
                    "false" => Ok(Expr::Lit(Value::Bool(false))),
                    _ => {
                        let byte = |i: usize| self.chars[..i].iter().map(|c| c.len_utf8()).sum::<usize>();
                        self.fields.push(byte(start)..byte(self.pos));
                        Ok(Expr::Field(name))
                    }
                }
            }
            Some(c) => self.err(format!("unexpected `{c}`; expected a number, a field, `\"text\"` or `(`")),
        }
    }
}

/// Full-width ASCII (＋, （, ５) as half-width, so cells typed with a Japanese IME work.
fn half(c: char) -> char {
    match c {
        '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
        _ => c,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn eval(cell: &str) -> Result<Value, String> {
        let e = Expr::parse_cell(cell).map_err(|e| format!("{}@{}", e.message, e.at))?;
        e.eval(&|f| match f {
            "goods" => Value::Int(4320),
            "coupons" => Value::Int(300),
            "carrier" => Value::Text("ヤマト運輸".into()),
            _ => Value::Null,
        })
    }

    #[test]
    fn literals_and_integer_yen_arithmetic() {
        assert_eq!(eval("日本郵便"), Ok(Value::Text("日本郵便".into())));
        assert_eq!(eval("880"), Ok(Value::Int(880)));
        assert_eq!(eval("= goods * 10 / 100"), Ok(Value::Int(432)));
        assert_eq!(eval("= goods * 8 / 108"), Ok(Value::Int(320)), "rounds down");
        assert_eq!(eval("= max(0, 880 - coupons * 3)"), Ok(Value::Int(0)));
        assert_eq!(eval("＝ goods ＋ １００"), Ok(Value::Int(4420)));
        assert_eq!(eval("= carrier"), Ok(Value::Text("ヤマト運輸".into())));
        assert_eq!(eval("式: goods / 2"), Ok(Value::Int(2160)), "the workbook form");
        assert_eq!(eval("= -(goods - 4000)"), Ok(Value::Int(-320)));
    }

    #[test]
    fn errors_point_at_the_column() {
        assert_eq!(eval("= goods +"), Err("the expression ends too early; expected a number, a field or `(`@9".into()));
        assert_eq!(eval("= goods ) 3"), Err("unexpected `)`; expected an operator (+ - * /) or the end@8".into()));
        assert!(eval("= round(goods)").unwrap_err().starts_with("unknown function `round`"));
        assert!(eval("= carrier * 2").unwrap_err().contains("arithmetic needs whole numbers"));
        assert_eq!(eval("= goods / 0"), Err("division by zero".into()));
    }
}
