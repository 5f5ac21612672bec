//! YAML loading with positions. The only module that knows serde-saphyr, so a swap stays here.
//!
//! serde stops at the first error. To report every problem, callers parse one node at a time:
//! `sub_document` cuts a node out of the file and blanks everything else (keeping newlines), so
//! the node parses on its own and every error still points at its true line and column.

use crate::domain::lang::pick;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::de::DeserializeOwned;
use serde_saphyr::MessageFormatter;

pub use serde_saphyr::{Location, Spanned};

use super::diagnostic::{Diagnostic, Place};

/// A YAML file held in memory for parsing and for showing snippets in diagnostics.
#[derive(Debug, Clone)]
pub struct YamlFile {
    pub path: PathBuf,
    pub text: Arc<str>,
}

impl YamlFile {
    pub fn read(path: &Path) -> Result<YamlFile, Diagnostic> {
        let bytes = std::fs::read(path).map_err(|e| {
            Diagnostic::error("C002", pick(format!("{} を読めません: {e}", path.display()), format!("cannot read {}: {e}", path.display())))
                .in_file(path)
                .help(pick(
                    "パスを確認してください。相対パスはそのファイルを書いたファイルの場所から数えます",
                    "check the path; relative paths are resolved from the file that names them",
                ))
        })?;
        let text = String::from_utf8(bytes).map_err(|e| {
            let at = e.utf8_error().valid_up_to();
            Diagnostic::error("C003", pick("YAML ファイルが UTF-8 ではありません", "YAML files must be UTF-8"))
                .in_file(path)
                .label(pick(format!("バイト位置 {at} が UTF-8 として読めません"), format!("invalid UTF-8 at byte {at}")))
                .help(pick(
                    "エディタでUTF-8（Shift_JISではなく）で保存し直してください",
                    "save the file as UTF-8 (not Shift_JIS) in your editor",
                ))
        })?;
        Ok(YamlFile::from_text(path, text))
    }

    pub fn from_text(path: &Path, text: impl Into<Arc<str>>) -> YamlFile {
        YamlFile { path: path.to_path_buf(), text: text.into() }
    }

    /// Parses the whole file.
    pub fn parse<T: DeserializeOwned>(&self) -> Result<T, Diagnostic> {
        self.parse_text(&self.text)
    }

    /// Parses `text`, which must have the same layout as the file (a `sub_document` of it).
    pub fn parse_text<T: DeserializeOwned>(&self, text: &str) -> Result<T, Diagnostic> {
        let options = serde_saphyr::options! { with_snippet: false };
        serde_saphyr::from_str_with_options::<T>(text, options).map_err(|e| self.error_diagnostic(&e))
    }

    /// Parses `text` (this file, or a `sub_document` of it) as `T`, reporting every problem, not the
    /// first: after a bad value or an unknown key, that key is blanked out (so it takes its default)
    /// and the rest is parsed again. A problem that follows from a blanked key (a section left empty)
    /// is not reported again. Returns the value, None when the text cannot be read at all (a syntax
    /// error, a section that is not a mapping), and the dotted paths of the keys left out.
    pub fn parse_recovering<T: DeserializeOwned>(
        &self,
        text: &str,
        diags: &mut super::diagnostic::Diagnostics,
    ) -> (Option<T>, Vec<String>) {
        let (value, broken, _) = self.parse_recovering_text(text, diags);
        (value, broken)
    }

    /// As `parse_recovering`, also giving the text with the reported keys blanked out.
    pub fn parse_recovering_text<T: DeserializeOwned>(
        &self,
        text: &str,
        diags: &mut super::diagnostic::Diagnostics,
    ) -> (Option<T>, Vec<String>, String) {
        let mut text = text.to_string();
        let mut blanked: Vec<Range<usize>> = Vec::new();
        let mut broken = Vec::new();
        // Each round blanks a key, so a section of n keys takes at most n rounds.
        for _ in 0..=text.lines().count() {
            let options = serde_saphyr::options! { with_snippet: false };
            let err = match serde_saphyr::from_str_with_options::<T>(&text, options) {
                Ok(v) => return (Some(v), broken, text),
                Err(e) => e,
            };
            let entry = match (recoverable(&err), self.error_offset(&err)) {
                (true, Some(at)) => flow_entry_at(&text, at).or_else(|| entry_at(&text, at)),
                _ => None,
            };
            // A required key that was reported and blanked is not "missing" as well.
            if let serde_saphyr::Error::SerdeMissingField { field, .. } = &err {
                if broken.iter().any(|b: &String| b.rsplit(['.', ']']).next() == Some(*field)) {
                    return (None, broken, text);
                }
            }
            let follows = entry.as_ref().is_some_and(|e| blanked.iter().any(|b| e.start <= b.start && b.end <= e.end));
            if !follows {
                diags.push(self.error_diagnostic(&err));
            }
            let Some(entry) = entry else { return (None, broken, text) };
            let mut path = self.key_path_at(key_start(&text, entry.start));
            broken.push(path.join("."));
            // A key typed wrong stands for the key it was meant to be: that one is not "missing" too.
            if let serde_saphyr::Error::SerdeUnknownField { field, expected, .. } = &err {
                if let (Some(meant), Some(last)) = (did_you_mean(field, expected), path.last_mut()) {
                    *last = meant.to_string();
                    let meant = path.join(".");
                    if !broken.contains(&meant) {
                        broken.push(meant);
                    }
                }
            }
            text = blank(&text, entry.clone());
            blanked.push(entry);
        }
        (None, broken, text)
    }

    /// Where in the file an error is, as a byte offset (clamped to the text).
    fn error_offset(&self, err: &serde_saphyr::Error) -> Option<usize> {
        let loc = err.location().filter(|l| l.line() > 0)?;
        Some(self.range_of(&loc).start.min(self.text.len()))
    }

    fn error_diagnostic(&self, err: &serde_saphyr::Error) -> Diagnostic {
        use serde_saphyr::Error as E;
        let message = serde_saphyr::DefaultMessageFormatter.format_message(err).into_owned();
        let at = self.error_offset(err);
        let path = at.map(|o| self.key_path_at(o)).unwrap_or_default();
        let key = path.join(".");
        // The value as written, unless it may be a secret.
        let written = match (err.location(), key.contains("credentials")) {
            (Some(loc), false) if loc.line() > 0 => {
                let r = self.range_of(&loc);
                let v = self.text[r].trim().trim_matches(['"', '\'']).to_string();
                Some(v).filter(|v| !v.is_empty() && !v.contains('\n'))
            }
            _ => None,
        };
        let value = written.as_deref().map(|v| format!(" `{v}`")).unwrap_or_default();
        let (message, help) = match err {
            E::InvalidScalar { .. } | E::InvalidBooleanStrict { .. } if !key.is_empty() => {
                let ty = match err {
                    E::InvalidScalar { ty, .. } => *ty,
                    _ => "boolean",
                };
                let (what, fix) = match ty {
                    "boolean" => (
                        pick("true か false", "true or false"),
                        pick("`true`（オン）か `false`（オフ）と書いてください", "write `true` (on, yes) or `false` (off, no)"),
                    ),
                    "u8" | "u16" | "u32" | "u64" | "u128" | "usize" => (
                        pick("0 以上の整数", "a whole number of 0 or more"),
                        pick("整数で書いてください（例 `5`）", "write a whole number, e.g. `5`"),
                    ),
                    "i8" | "i16" | "i32" | "i64" | "i128" | "isize" => {
                        (pick("整数", "a whole number"), pick("整数で書いてください（例 `5`）", "write a whole number, e.g. `5`"))
                    }
                    "f32" | "f64" => (pick("数値", "a number"), pick("数値で書いてください（例 `1.5`）", "write a number, e.g. `1.5`")),
                    other => (other.to_string(), pick(format!("{other} を書いてください"), format!("write {other}"))),
                };
                (
                    pick(format!("`{key}` は {what} で書きます。いまは{value} です"), format!("`{key}` must be {what}; it is{value}")),
                    Some(pick(format!("`{key}`: {fix}"), format!("{fix} for `{key}`"))),
                )
            }
            E::SerdeInvalidType { unexpected, expected, .. } | E::SerdeInvalidValue { unexpected, expected, .. } if !key.is_empty() => (
                pick(
                    format!("`{key}` は {expected} で書きます。いまは {unexpected} です"),
                    format!("`{key}` must be {expected}; it is {unexpected}"),
                ),
                Some(pick(format!("`{key}` に {expected} を書いてください"), format!("write {expected} for `{key}`"))),
            ),
            E::Unexpected { .. } | E::NullIntoString { .. } if !key.is_empty() => {
                let expected: &str = match err {
                    E::Unexpected { expected, .. } => expected,
                    _ => "string scalar",
                };
                let name = path.last().cloned().unwrap_or_default();
                let (what, fix) = match expected {
                    e if e.contains("mapping") => (
                        pick("`キー: 値` の行のまとまり", "a section of `key: value` lines"),
                        pick(
                            format!("`{name}:` の下の行に、字下げしてキーを書いてください"),
                            format!("write the keys of `{name}:` on the lines under it, indented"),
                        ),
                    ),
                    e if e.contains("sequence") => (
                        pick("リスト", "a list"),
                        pick(
                            format!("`{name}: [a, b]` か、下の行に `- 項目` を1行ずつ書いてください"),
                            format!("write `{name}: [a, b]`, or one `- item` a line under it"),
                        ),
                    ),
                    _ => (
                        pick("1つの値（文字か数値。リストやまとまりではなく）", "one value (text or a number), not a list or a section"),
                        pick(format!("`{name}:` と同じ行に値を書いてください"), format!("write the value after `{name}:` on its line")),
                    ),
                };
                (pick(format!("`{key}` は {what} で書きます"), format!("`{key}` must be {what}")), Some(fix))
            }
            E::DuplicateMappingKey { .. } if !key.is_empty() => (
                pick(format!("`{key}` が2回書かれています"), format!("`{key}` is written twice")),
                Some(pick("1つだけ残してください（YAML は後のほうだけを使います）", "keep one of them: YAML would take only the last")),
            ),
            _ => {
                let (m, h) = explain(&message);
                // An unknown key says where it is not known.
                let parent = path.len().checked_sub(1).map(|n| path[..n].join(".")).filter(|p| !p.is_empty());
                match (err, parent) {
                    (E::SerdeUnknownField { .. }, Some(parent)) => {
                        (pick(format!("{m}（`{parent}` の下）"), format!("{m} under `{parent}`")), h)
                    }
                    _ => (m, h),
                }
            }
        };
        let mut d = Diagnostic::error("C001", message);
        if let Some(h) = help {
            d = d.help(h);
        }
        match err.location() {
            Some(loc) if loc.line() > 0 => {
                let mut place = self.place_at(&loc);
                // A syntax error inside a quote or bracket left open on an earlier line is noticed
                // only where the parser gives up: point at the opening, where the mistake is.
                if let (false, Some(at)) = (recoverable(err), at) {
                    if let Some((open, what, late)) = unclosed_before(&self.text, at) {
                        let (line, _) = super::diagnostic::line_col(&self.text, at);
                        place = Place::Span { path: self.path.clone(), source: self.text.clone(), range: open..open + 1 };
                        d = d.label(if late {
                            pick(
                                format!("この `{what}` は{line}行目でようやく閉じています（パーサーはそこで気づきました）"),
                                format!("this `{what}` is closed only on line {line}, where the parser noticed"),
                            )
                        } else {
                            pick(
                                format!("この `{what}` が閉じていません（パーサーが気づいたのは{line}行目）"),
                                format!("this `{what}` is not closed (the parser noticed on line {line})"),
                            )
                        });
                        let close = match what {
                            '[' => "`]`",
                            '{' => "`}`",
                            '"' => "`\"`",
                            _ => "`'`",
                        };
                        d = d.help(pick(
                            format!("同じ行で {close} を書いて閉じてください"),
                            format!("close it with {close} on the same line"),
                        ));
                    }
                }
                d.at(place)
            }
            _ => d.in_file(&self.path),
        }
    }

    /// The key whose value is the block node at `loc` (`shop:` for its first key `code:`): where a
    /// key missing from that block is reported.
    pub fn parent_key_place(&self, loc: &Location) -> Place {
        let start = self.range_of(loc).start;
        let text: &str = &self.text;
        let ls = text[..start].rfind('\n').map(|i| i + 1).unwrap_or(0);
        let indent = indent_of(&text[ls..]);
        let mut pos = ls;
        while pos > 0 {
            let prev_start = text[..pos - 1].rfind('\n').map(|i| i + 1).unwrap_or(0);
            let prev = &text[prev_start..pos - 1];
            pos = prev_start;
            let t = prev.trim();
            if !t.is_empty() && !t.starts_with('#') && indent_of(prev) < indent {
                let k = key_start(text, prev_start);
                let len = key_of_line(&text[k..]).map_or(1, |key| key.len());
                return Place::Span { path: self.path.clone(), source: self.text.clone(), range: k..k + len };
            }
        }
        self.place_at(loc)
    }

    /// The dotted path of mapping keys to the node at `offset` (`malls.rakuten.switches.order_import`):
    /// the key written before it on its line (or the key at it), then each enclosing block key.
    /// List items are skipped. Empty when the offset is not under a key.
    pub fn key_path_at(&self, offset: usize) -> Vec<String> {
        let text: &str = &self.text;
        let offset = offset.min(text.len());
        let ls = text[..offset].rfind('\n').map(|i| i + 1).unwrap_or(0);
        let le = text[offset..].find('\n').map(|i| offset + i).unwrap_or(text.len());
        let line = &text[ls..le];
        let before = &text[ls..offset];
        // Keys of the flow collections open on this line before the offset (`with: { …`).
        let mut open: Vec<(usize, Option<String>)> = Vec::new();
        for (i, c) in before.char_indices() {
            match c {
                '{' | '[' => open.push((i, last_key_before(&before[..i]))),
                '}' | ']' => {
                    open.pop();
                }
                _ => {}
            }
        }
        let segment = open.last().map_or(0, |(i, _)| i + 1);
        // The key at the offset (an unknown key), else the nearest one before it.
        let innermost = key_of_line(&text[offset..le]).or_else(|| last_key_before(&before[segment..]));
        let mut path: Vec<String> = open.into_iter().filter_map(|(_, k)| k).chain(innermost).collect();
        path.reverse();
        let mut level = indent_of(line);
        if path.is_empty() {
            // A value on a line of its own (a list item): its key is above.
            level += 1;
        }
        // A list item at the level is named by its `id:` (`stages[orders].with`), once per level.
        let mut named = false;
        let item = |l: &str, path: &mut Vec<String>, named: &mut bool| {
            let t = l.trim_start();
            if !*named && t.starts_with("- ") {
                *named = true;
                let id = t.trim_start_matches(['-', ' ']).strip_prefix("id:").map(|v| v.trim().trim_matches(['"', '\'']));
                if let Some(id) = id.filter(|v| !v.is_empty()) {
                    path.push(format!("[{id}]"));
                }
            }
        };
        if indent_of(line) == level {
            item(line, &mut path, &mut named);
        }
        let mut pos = ls;
        while level > 0 && pos > 0 {
            let prev_start = text[..pos - 1].rfind('\n').map(|i| i + 1).unwrap_or(0);
            let prev = &text[prev_start..pos - 1];
            pos = prev_start;
            let t = prev.trim_start();
            if t.is_empty() || t.starts_with('#') {
                continue;
            }
            let i = indent_of(prev);
            if i == level {
                item(prev, &mut path, &mut named);
            } else if i < level {
                if let Some(k) = key_of_line(prev.trim_start_matches([' ', '-'])) {
                    path.push(k);
                }
                level = i;
                named = false;
                item(prev, &mut path, &mut named);
            }
        }
        path.reverse();
        // `stages`, `[orders]`, `with` → `stages[orders].with`.
        let mut out: Vec<String> = Vec::new();
        for p in path {
            match (p.starts_with('['), out.last_mut()) {
                (true, Some(last)) => last.push_str(&p),
                _ => out.push(p),
            }
        }
        out
    }

    /// The place of a parsed node, for diagnostics.
    pub fn place_at(&self, loc: &Location) -> Place {
        Place::Span { path: self.path.clone(), source: self.text.clone(), range: self.range_of(loc) }
    }

    /// Byte range of a located node (a scalar's text; the first character of a collection).
    pub fn range_of(&self, loc: &Location) -> Range<usize> {
        let span = loc.span();
        if let (Some(off), Some(len)) = (span.byte_offset(), span.byte_len()) {
            let start = off as usize;
            let end = (start + (len as usize).max(1)).min(self.text.len());
            if start <= self.text.len() {
                return start..end;
            }
        }
        let start = self.offset_of(loc.line() as usize, loc.column() as usize);
        let end = self.text[start..].find(['\n', '#']).map(|i| start + i).unwrap_or(self.text.len());
        start..end.max(start + 1).min(self.text.len())
    }

    /// Byte offset of a 1-based line and character column.
    pub fn offset_of(&self, line: usize, column: usize) -> usize {
        let mut offset = 0;
        for (i, l) in self.text.split_inclusive('\n').enumerate() {
            if i + 1 == line {
                let col = l.char_indices().nth(column.saturating_sub(1)).map(|(b, _)| b).unwrap_or(l.len());
                return offset + col;
            }
            offset += l.len();
        }
        self.text.len()
    }

    /// The block node starting at `loc`, with everything else blanked (newlines kept).
    /// The node runs from its first character to the last line indented at least as deep.
    pub fn sub_document(&self, loc: &Location) -> String {
        self.sub_document_of(&self.text, loc)
    }

    /// As `sub_document`, cut from `text`: this file as `parse_recovering` left it (keys it reported
    /// blanked), so a section does not report them again.
    pub fn sub_document_of(&self, text: &str, loc: &Location) -> String {
        let start = self.offset_of(loc.line() as usize, loc.column() as usize);
        let indent = loc.column() as usize - 1;
        let line_start = text[..start].rfind('\n').map(|i| i + 1).unwrap_or(0);
        let mut end = text.len();
        let mut pos = text[start..].find('\n').map(|i| start + i + 1).unwrap_or(text.len());
        while pos < text.len() {
            let line_end = text[pos..].find('\n').map(|i| pos + i + 1).unwrap_or(text.len());
            let line = &text[pos..line_end];
            let trimmed = line.trim_start_matches(' ');
            let blank = trimmed.trim().is_empty() || trimmed.starts_with('#');
            if !blank && line.len() - trimmed.len() < indent {
                end = pos;
                break;
            }
            pos = line_end;
        }
        let mut out = String::with_capacity(text.len());
        for (i, ch) in text.char_indices() {
            let keep = (i >= start && i < end) || ch == '\n';
            if keep {
                out.push(ch);
            } else if i >= line_start && i < start {
                // Keep the column of the node's first line.
                for _ in 0..ch.len_utf8() {
                    out.push(' ');
                }
            } else {
                for _ in 0..ch.len_utf8() {
                    out.push(' ');
                }
            }
        }
        out
    }
}

/// Rewords serde's messages for back-office readers and adds a fix where we can.
pub(crate) fn explain(message: &str) -> (String, Option<String>) {
    // What may be written instead, nearest first.
    let choices = |got: &str, expected: &str| {
        let names: Vec<&str> = expected.trim_start_matches("one of ").split(", ").map(|s| s.trim_matches('`')).collect();
        let all = names.join(", ");
        match did_you_mean(got, &names) {
            Some(s) => pick(format!("`{s}` のことですか？ 書けるのは {all}"), format!("did you mean `{s}`? expected one of {all}")),
            None => pick(format!("書けるのは {all}"), format!("expected one of {all}")),
        }
    };
    if let Some(rest) = message.strip_prefix("unknown field `") {
        if let Some((field, expected)) = rest.split_once("`, expected ") {
            return (pick(format!("知らないキー `{field}`"), format!("unknown key `{field}`")), Some(choices(field, expected)));
        }
    }
    if let Some(rest) = message.strip_prefix("unknown variant `") {
        if let Some((v, expected)) = rest.split_once("`, expected ") {
            return (pick(format!("知らない値 `{v}`"), format!("unknown value `{v}`")), Some(choices(v, expected)));
        }
    }
    if let Some(field) = message.strip_prefix("missing field `") {
        let field = field.trim_end_matches('`');
        return (
            pick(format!("キー `{field}` がありません"), format!("missing key `{field}`")),
            Some(pick(format!("ここに `{field}:` を書いてください"), format!("add `{field}:` here"))),
        );
    }
    (message.to_string(), None)
}

/// Errors about one key's value (or an unknown key), after which the rest of a section can still be
/// read: not syntax errors, which leave the parser lost.
fn recoverable(err: &serde_saphyr::Error) -> bool {
    use serde_saphyr::Error as E;
    matches!(
        err,
        E::InvalidScalar { .. }
            | E::InvalidBooleanStrict { .. }
            | E::SerdeInvalidType { .. }
            | E::SerdeInvalidValue { .. }
            | E::SerdeInvalidLength { .. }
            | E::SerdeUnknownVariant { .. }
            | E::SerdeUnknownField { .. }
            | E::Unexpected { .. }
            | E::NullIntoString { .. }
            | E::DuplicateMappingKey { .. }
            | E::Message { .. }
    )
}

/// Columns of leading spaces (a list's `- ` counts as indentation: its key sits after it).
fn indent_of(line: &str) -> usize {
    line.len() - line.trim_start_matches([' ', '-']).len()
}

/// The key a block line starts with (`origin_region: 関東` → `origin_region`), quotes taken off.
fn key_of_line(line: &str) -> Option<String> {
    let t = line.trim_start();
    if t.starts_with(['#', '{', '[', '-']) {
        return None;
    }
    let (key, rest) = match t.strip_prefix(['"', '\'']) {
        Some(q) => {
            let quote = t.chars().next()?;
            let end = q.find(quote)?;
            (&q[..end], &q[end + 1..])
        }
        None => {
            let end = t.find(':')?;
            (&t[..end], &t[end..])
        }
    };
    let rest = rest.strip_prefix(':')?;
    let ok = rest.is_empty() || rest.starts_with([' ', '\t', '\r', '\n']);
    (ok && !key.is_empty() && !key.contains(['{', '}', '[', ']', ',', '#'])).then(|| key.trim().to_string())
}

/// The last `key:` written before the end of `before` on its line (block or flow: `{ mall: x`).
fn last_key_before(before: &str) -> Option<String> {
    let colon =
        before.char_indices().rev().find(|(i, c)| *c == ':' && (i + 1 == before.len() || before[i + 1..].starts_with([' ', '\t'])))?.0;
    let start = before[..colon].rfind(['{', ',', '[']).map(|i| i + 1).unwrap_or(0);
    let key = before[start..colon].trim().trim_start_matches(['-', ' ']).trim_matches(['"', '\'']);
    (!key.is_empty() && !key.contains(':')).then(|| key.to_string())
}

/// The start of the key of the entry that starts at `entry_start` (past indentation, a list's `-`,
/// a flow's `,`).
fn key_start(text: &str, entry_start: usize) -> usize {
    let rest = &text[entry_start..];
    entry_start + (rest.len() - rest.trim_start_matches([' ', '-', ',']).len())
}

/// The `key: value` pair of a flow mapping (`with: { mall: x, items: y }`) that holds `offset`,
/// with the comma after it, so blanking it leaves the flow valid; None when the offset is not in a
/// flow mapping opened on its line.
fn flow_entry_at(text: &str, offset: usize) -> Option<Range<usize>> {
    let offset = offset.min(text.len());
    let ls = text[..offset].rfind('\n').map(|i| i + 1).unwrap_or(0);
    let le = text[offset..].find('\n').map(|i| offset + i).unwrap_or(text.len());
    // The flow collections open at the offset, and the separators of each.
    let mut open: Vec<(usize, char, usize)> = Vec::new(); // (opener, kind, last separator)
    for (i, c) in text[ls..offset].char_indices().map(|(i, c)| (ls + i, c)) {
        match c {
            '{' | '[' => open.push((i, c, i)),
            '}' | ']' => {
                open.pop();
            }
            ',' => {
                if let Some(last) = open.last_mut() {
                    last.2 = i;
                }
            }
            _ => {}
        }
    }
    // The innermost mapping: a bad item of a list in it leaves out the list's whole pair.
    let depth = open.iter().rposition(|(_, c, _)| *c == '{')?;
    let sep = open[depth].2;
    // The pair ends at the next `,` or `}` of that mapping.
    let mut nest = open.len() - depth - 1;
    let mut end = None;
    for (i, c) in text[offset..le].char_indices().map(|(i, c)| (offset + i, c)) {
        match c {
            '{' | '[' => nest += 1,
            '}' | ']' if nest > 0 => nest -= 1,
            '}' => {
                end = Some(i);
                break;
            }
            ',' if nest == 0 => {
                end = Some(i + 1);
                break;
            }
            _ => {}
        }
    }
    Some(sep + 1..end?)
}

/// The block entry (its key's line and every line nested under it) that holds `offset`, as a byte
/// range of whole lines; None when the offset is under no key.
fn entry_at(text: &str, offset: usize) -> Option<Range<usize>> {
    let offset = offset.min(text.len());
    let mut ls = text[..offset].rfind('\n').map(|i| i + 1).unwrap_or(0);
    let line_end = |s: usize| text[s..].find('\n').map(|i| s + i + 1).unwrap_or(text.len());
    let first = &text[ls..line_end(ls)];
    let mut need = if key_of_line(first.trim_start_matches([' ', '-'])).is_some() && key_start(text, ls) <= offset {
        usize::MAX
    } else {
        indent_of(first)
    };
    loop {
        let line = &text[ls..line_end(ls)];
        let t = line.trim();
        if !t.is_empty() && !t.starts_with('#') {
            let i = indent_of(line);
            if (need == usize::MAX || i < need) && key_of_line(line.trim_start_matches([' ', '-'])).is_some() {
                // The entry runs to the next line indented no deeper than its key.
                let key_indent = i;
                let mut end = line_end(ls);
                while end < text.len() {
                    let next = &text[end..line_end(end)];
                    let nt = next.trim();
                    if !nt.is_empty() && !nt.starts_with('#') && indent_of(next) <= key_indent {
                        break;
                    }
                    end = line_end(end);
                }
                return Some(ls..end);
            }
            need = need.min(i);
        }
        if ls == 0 {
            return None;
        }
        ls = text[..ls - 1].rfind('\n').map(|i| i + 1).unwrap_or(0);
    }
}

/// `text` with `range` turned to spaces, newlines kept, so every other byte stays where it was.
fn blank(text: &str, range: Range<usize>) -> String {
    let mut out = String::with_capacity(text.len());
    for (i, ch) in text.char_indices() {
        if range.contains(&i) && ch != '\n' {
            out.extend(std::iter::repeat_n(' ', ch.len_utf8()));
        } else {
            out.push(ch);
        }
    }
    out
}

/// A quote or flow bracket opened on an earlier line than `offset` and still open there, or a quote
/// opened on an earlier line and closed only on the line of `offset`: the likely mistake behind a
/// syntax error the parser noticed only at `offset`. Returns its byte offset, the character, and
/// whether it was closed (late).
fn unclosed_before(text: &str, offset: usize) -> Option<(usize, char, bool)> {
    let text = &text[..offset.min(text.len())];
    let line_start = text.rfind('\n').map(|i| i + 1).unwrap_or(0);
    let mut quote: Option<(usize, char)> = None;
    let mut closed_late: Option<(usize, char)> = None;
    let mut brackets: Vec<(usize, char)> = Vec::new();
    let mut prev = '\n';
    let mut chars = text.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        match quote {
            Some((_, '"')) if c == '\\' => {
                chars.next();
            }
            Some((open, q)) if c == q => {
                if q == '\'' && chars.peek().is_some_and(|(_, n)| *n == '\'') {
                    chars.next();
                } else {
                    quote = None;
                    let spans_lines = text[open..i].contains('\n');
                    closed_late = (spans_lines && i >= line_start).then_some((open, q));
                }
            }
            Some(_) => {}
            None => match c {
                '#' if prev.is_whitespace() => {
                    // A comment runs to the end of its line.
                    while chars.peek().is_some_and(|(_, n)| *n != '\n') {
                        chars.next();
                    }
                }
                '"' | '\'' if prev.is_whitespace() || matches!(prev, ':' | '[' | '{' | ',' | '-') => quote = Some((i, c)),
                '[' | '{' => brackets.push((i, c)),
                ']' | '}' => {
                    brackets.pop();
                }
                _ => {}
            },
        }
        prev = c;
    }
    if let Some((at, q)) = quote.or(brackets.last().copied()).filter(|(at, _)| *at < line_start) {
        return Some((at, q, false));
    }
    closed_late.map(|(at, q)| (at, q, true))
}

/// "did you mean `x`? " (with its trailing space) in the staff's language, or nothing: the start of a
/// help that then lists what may be written.
pub fn did_you_mean_hint(word: &str, candidates: &[&str]) -> String {
    did_you_mean(word, candidates).map(|s| pick(format!("`{s}` のことですか？ "), format!("did you mean `{s}`? "))).unwrap_or_default()
}

/// The closest name within a small edit distance, for "did you mean".
pub fn did_you_mean<'a>(word: &str, candidates: &[&'a str]) -> Option<&'a str> {
    candidates
        .iter()
        .map(|c| (edit_distance(word, c), *c))
        .filter(|(d, c)| *d <= 2.max(c.chars().count() / 3))
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for i in 1..=a.len() {
        let mut cur = vec![i; b.len() + 1];
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            cur[j] = (prev[j] + 1).min(cur[j - 1] + 1).min(prev[j - 1] + cost);
        }
        prev = cur;
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_nodes_key_path_names_its_block_and_flow_parents_and_list_items_by_id() {
        let text = "malls:\n  rakuten:\n    switches:\n      order_import: maybe\nstages:\n  - id: orders\n    type: fetch_orders\n    with: { malls: [a, b], initial_days: abc }\n";
        let file = YamlFile::from_text(Path::new("x.yaml"), text);
        let at = |needle: &str| file.key_path_at(text.find(needle).unwrap()).join(".");
        assert_eq!(at("maybe"), "malls.rakuten.switches.order_import");
        assert_eq!(at("order_import"), "malls.rakuten.switches.order_import", "at the key itself");
        assert_eq!(at("abc"), "stages[orders].with.initial_days");
        assert_eq!(at("b]"), "stages[orders].with.malls");
        assert_eq!(at("fetch_orders"), "stages[orders].type");
    }

    #[derive(Debug, Default, serde::Deserialize)]
    #[serde(deny_unknown_fields, default)]
    struct Section {
        a: Option<u32>,
        b: Option<bool>,
        c: Option<String>,
        inner: Option<Inner>,
    }

    #[derive(Debug, Default, serde::Deserialize)]
    #[serde(deny_unknown_fields, default)]
    struct Inner {
        x: Option<bool>,
    }

    #[test]
    fn every_bad_key_of_a_section_is_reported_once_and_the_rest_is_read() {
        let text = "a: many\nb: maybe\nc: kept\nd: 1\ninner:\n  x: perhaps\n";
        let file = YamlFile::from_text(Path::new("x.yaml"), text);
        let mut diags = super::super::diagnostic::Diagnostics::default();
        let (parsed, broken) = file.parse_recovering::<Section>(text, &mut diags);
        let parsed = parsed.expect("the section is still read");
        assert_eq!(parsed.c.as_deref(), Some("kept"));
        assert!(parsed.a.is_none() && parsed.b.is_none());
        assert_eq!(broken, ["a", "b", "d", "inner.x"]);
        let messages: Vec<String> = diags.0.iter().map(|d| format!("{} {}", d.place_text(), d.message)).collect();
        // In the staff's language (Japanese by default).
        assert_eq!(
            messages,
            [
                "x.yaml:1:4 `a` は 0 以上の整数 で書きます。いまは `many` です",
                "x.yaml:2:4 `b` は true か false で書きます。いまは `maybe` です",
                "x.yaml:4:1 知らないキー `d`",
                "x.yaml:6:6 `inner.x` は true か false で書きます。いまは `perhaps` です",
            ],
            "one message each; `inner` left empty is not reported again"
        );
    }

    #[test]
    fn a_syntax_error_after_an_open_quote_or_bracket_points_at_the_opening() {
        assert_eq!(unclosed_before("a: [x, y\nb: 1\n", 11), Some((3, '[', false)));
        assert_eq!(unclosed_before("a: \"x\nb: \"1\"\n", 12), Some((3, '"', true)));
        assert_eq!(unclosed_before("a: [x, y]\nb: 1: 2\n", 15), None, "closed on its line: the error is where it is noticed");
        assert_eq!(unclosed_before("a: it's\nb: x: y\n", 13), None, "an apostrophe inside a word opens nothing");
    }

    #[test]
    fn suggests_close_names() {
        assert_eq!(did_you_mean("itmes", &["mall", "items", "options"]), Some("items"));
        assert_eq!(did_you_mean("zzzzzz", &["mall", "items"]), None);
    }
}
