//! Reading sheets staff edit in Excel (calamine). Every cell keeps its A1 position for diagnostics.

use std::path::{Path, PathBuf};

use calamine::{open_workbook_auto, Data, DataType, Reader, Sheets};

use crate::config::diagnostic::Diagnostic;
use crate::domain::lang::pick;

/// An opened workbook.
pub struct Workbook {
    pub path: PathBuf,
    sheets: Sheets<std::io::BufReader<std::fs::File>>,
}

/// A sheet as text cells: `rows[i][j]` is at zero-based (row0 + i, col0 + j).
pub struct Sheet {
    pub book: PathBuf,
    pub name: String,
    pub row0: usize,
    pub col0: usize,
    pub rows: Vec<Vec<String>>,
}

impl Workbook {
    pub fn open(path: &Path) -> Result<Workbook, Diagnostic> {
        if !path.exists() {
            return Err(Diagnostic::error(
                "D020",
                pick(format!("ブック {} が見つかりません", path.display()), format!("workbook {} not found", path.display())),
            )
            .in_file(path)
            .help(pick(
                "相対パスはパイプラインファイルの場所から数えます",
                "check the path in the pipeline; relative paths start at the pipeline file",
            )));
        }
        let sheets = open_workbook_auto(path).map_err(|e| {
            Diagnostic::error("D021", pick(format!("ブックを開けません: {e}"), format!("cannot open the workbook: {e}")))
                .in_file(path)
                .help(pick(
                    "Excelで .xlsx（Excel ブック）として保存し、共有ドライブで開いたままなら閉じてください",
                    "save it from Excel as .xlsx (Excel Workbook), and close it if it is open on a shared drive",
                ))
        })?;
        Ok(Workbook { path: path.to_path_buf(), sheets })
    }

    pub fn sheet_names(&self) -> Vec<String> {
        self.sheets.sheet_names()
    }

    pub fn has_sheet(&self, name: &str) -> bool {
        self.sheet_names().iter().any(|s| s == name)
    }

    pub fn sheet(&mut self, name: &str) -> Result<Sheet, Diagnostic> {
        if !self.has_sheet(name) {
            let found = self.sheet_names().join(", ");
            return Err(Diagnostic::error(
                "D022",
                pick(format!("ブックにシート `{name}` がありません"), format!("the workbook has no sheet `{name}`")),
            )
            .in_file(&self.path)
            .label(pick(format!("ブックにあるシート: {found}"), format!("sheets found: {found}")))
            .help(pick(
                format!("`{name}` という名前のシートを追加する（名前はぴったり同じに）か、そのデータのあるシートの名前を直してください"),
                format!("add a sheet named `{name}` (the name must match exactly), or rename the sheet that holds it"),
            )));
        }
        let range = self.sheets.worksheet_range(name).map_err(|e| {
            Diagnostic::error("D021", pick(format!("シート `{name}` を読めません: {e}"), format!("cannot read sheet `{name}`: {e}")))
                .in_file(&self.path)
        })?;
        let (r0, c0) = range.start().unwrap_or((0, 0));
        let rows = range.rows().map(|r| r.iter().map(cell_text).collect()).collect();
        Ok(Sheet { book: self.path.clone(), name: name.to_string(), row0: r0 as usize, col0: c0 as usize, rows })
    }
}

/// The text of a cell as staff see it: integers without `.0`, dates as `YYYY-MM-DD`.
pub fn cell_text(d: &Data) -> String {
    match d {
        Data::Empty => String::new(),
        Data::String(s) => s.trim().to_string(),
        Data::Int(i) => i.to_string(),
        Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", *f as i64),
        Data::Float(f) => f.to_string(),
        Data::Bool(b) => {
            if *b {
                "TRUE".into()
            } else {
                "FALSE".into()
            }
        }
        Data::DateTime(dt) => match d.as_datetime() {
            Some(t) if dt.is_datetime() && t.time() == chrono::NaiveTime::MIN => t.date().format("%Y-%m-%d").to_string(),
            Some(t) => t.format("%Y-%m-%d %H:%M").to_string(),
            None => dt.to_string(),
        },
        Data::DateTimeIso(s) | Data::DurationIso(s) => s.clone(),
        Data::Error(e) => format!("#{e:?}"),
    }
}
