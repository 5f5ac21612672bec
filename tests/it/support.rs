//! A copy of the sample shop in a temp dir, and a way to run the real `juchu` binary in it.

use std::path::{Path, PathBuf};
use std::process::Command;

pub struct Shop {
    pub dir: tempfile::TempDir,
}

pub struct Output {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Output {
    /// stdout + stderr with temp paths and timings filtered, for snapshots.
    pub fn text(&self, shop: &Shop) -> String {
        let root = shop.root().display().to_string();
        let all = format!("exit: {}\n--- stdout\n{}--- stderr\n{}", self.code, self.stdout, self.stderr);
        let all = all.replace(&root, "[SHOP]");
        regex_lite_ms(&all)
    }
}

/// Replaces `123 ms` timings with `[ms]`.
fn regex_lite_ms(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let chars: Vec<char> = s.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        if chars[i].is_ascii_digit() && (i == 0 || !chars[i - 1].is_ascii_alphanumeric()) {
            let mut j = i;
            while j < chars.len() && chars[j].is_ascii_digit() {
                j += 1;
            }
            let rest: String = chars[j..chars.len().min(j + 3)].iter().collect();
            if rest == " ms" {
                out.push_str("[ms]");
                i = j + 3;
                continue;
            }
        }
        out.push(chars[i]);
        i += 1;
    }
    out
}

pub const NOW: &str = "2026-11-28T10:00:00+09:00";

impl Shop {
    /// The sample shop: shop.yaml, pipelines/, sample-data/, rules/, mail-templates/ copied from the repository.
    pub fn sample() -> Shop {
        let dir = tempfile::tempdir().expect("temp dir");
        let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
        for p in ["shop.yaml", "pipelines", "sample-data", "rules", "mail-templates"] {
            copy(&repo.join(p), &dir.path().join(p));
        }
        Shop { dir }
    }

    pub fn root(&self) -> &Path {
        self.dir.path()
    }

    pub fn path(&self, rel: &str) -> PathBuf {
        self.root().join(rel)
    }

    pub fn write(&self, rel: &str, text: &str) {
        let p = self.path(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }

    pub fn write_bytes(&self, rel: &str, bytes: &[u8]) {
        let p = self.path(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, bytes).unwrap();
    }

    pub fn read(&self, rel: &str) -> String {
        std::fs::read_to_string(self.path(rel)).unwrap()
    }

    /// Edits a text file in place.
    pub fn edit(&self, rel: &str, from: &str, to: &str) {
        let text = self.read(rel);
        assert!(text.contains(from), "{rel} does not contain {from:?}");
        self.write(rel, &text.replacen(from, to, 1));
    }

    /// Reads a CP932 file as text.
    pub fn read_cp932(&self, rel: &str) -> String {
        let bytes = std::fs::read(self.path(rel)).unwrap();
        encoding_rs::SHIFT_JIS.decode(&bytes).0.into_owned()
    }

    pub fn write_cp932(&self, rel: &str, text: &str) {
        let (bytes, _, bad) = encoding_rs::SHIFT_JIS.encode(text);
        assert!(!bad, "test text must be CP932-encodable");
        self.write_bytes(rel, &bytes);
    }

    pub fn juchu(&self, args: &[&str]) -> Output {
        self.juchu_env(args, &[])
    }

    /// Runs juchu with extra environment variables (secrets, crash points, mock scenarios).
    pub fn juchu_env(&self, args: &[&str], env: &[(&str, &str)]) -> Output {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_juchu"));
        // English unless a test asks for Japanese (the default for staff): most assertions quote English text.
        cmd.env("JUCHU_LANG", "en");
        for (k, v) in env {
            cmd.env(k, v);
        }
        if !args.contains(&"--now") {
            cmd.args(["--now", NOW]);
        }
        let out = cmd.args(args).current_dir(self.root()).env_remove("JUCHU_NOW").output().expect("run juchu");
        Output {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    pub fn run_demo(&self) -> Output {
        self.juchu(&["run", "pipelines/demo.yaml"])
    }

    /// Statements run on the store file directly (a test's edit of an order, as if the mall sent it).
    pub fn sql(&self, statements: &str) {
        let c = duckdb::Connection::open(self.path("state/juchu.duckdb")).expect("the store opens");
        c.execute_batch(statements).unwrap_or_else(|e| panic!("{statements}: {e}"));
    }

    /// Every row of a query, as CSV lines without the header.
    pub fn query_rows(&self, sql: &str) -> Vec<String> {
        let out = self.juchu(&["query", "--format", "csv", sql]);
        assert_eq!(out.code, 0, "{}", out.stderr);
        out.stdout.lines().skip(1).map(str::to_string).collect()
    }

    /// One value of a query, as text.
    pub fn query_one(&self, sql: &str) -> String {
        let out = self.juchu(&["query", "--format", "csv", sql]);
        assert_eq!(out.code, 0, "{}", out.stderr);
        out.stdout.lines().nth(1).unwrap_or("").to_string()
    }

    /// Everything a rejected input must leave as it was: products, masters, orders and their
    /// enrichment, each table in a stable order. Compare a dump before and after a failing run.
    pub fn store_dump(&self) -> String {
        const PRODUCTS: &[&str] = &["products", "product_skus", "product_options"];
        const ORDERS: &[&str] =
            &["orders", "order_items", "order_shipments", "order_enrichment", "check_reasons", "fetch_cursors", "pending_orders"];
        let mut dump = String::new();
        for t in PRODUCTS.iter().chain(juchu::store::masters::MASTER_TABLES).chain(ORDERS) {
            let out = self.juchu(&["query", "--format", "csv", &format!("SELECT * FROM {t} ORDER BY ALL")]);
            assert_eq!(out.code, 0, "dump {t}: {}", out.stderr);
            dump.push_str(&format!("== {t}\n{}", out.stdout));
        }
        dump
    }

    /// Rewrites the masters workbook from the CSV sources, letting a test change cells first.
    /// `edit(sheet, rows)` may change rows (row 0 is the header); returning false drops the sheet.
    pub fn rebuild_masters(&self, edit: impl Fn(&str, &mut Vec<Vec<String>>) -> bool) {
        let src = self.path("sample-data/masters/src");
        let mut book = rust_xlsxwriter::Workbook::new();
        for (sheet, _) in juchu::stages::load_masters::SHEETS {
            let text = std::fs::read_to_string(src.join(format!("{sheet}.csv"))).unwrap();
            let mut rdr = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(text.as_bytes());
            let mut rows: Vec<Vec<String>> = rdr.records().map(|r| r.unwrap().iter().map(str::to_string).collect()).collect();
            if !edit(sheet, &mut rows) {
                continue;
            }
            let ws = book.add_worksheet();
            ws.set_name(*sheet).unwrap();
            for (r, row) in rows.iter().enumerate() {
                for (c, v) in row.iter().enumerate() {
                    ws.write_string(r as u32, c as u16, v).unwrap();
                }
            }
        }
        book.save(self.path("sample-data/masters/masters.xlsx")).unwrap();
    }
}

fn copy(from: &Path, to: &Path) {
    if from.is_dir() {
        std::fs::create_dir_all(to).unwrap();
        for e in std::fs::read_dir(from).unwrap() {
            let e = e.unwrap();
            copy(&e.path(), &to.join(e.file_name()));
        }
    } else {
        std::fs::copy(from, to).unwrap();
    }
}

/// `juchu mock-mall` as a process of its own (it outlives the juchu runs a test kills), at `now`,
/// FTP folder `ftp_root`, with extra arguments (`--scenario F`): the child and its HTTP and FTP URLs.
pub fn start_mock_mall(shop: &Shop, now: &str, ftp_root: &str, extra: &[&str]) -> (std::process::Child, String, String) {
    use std::io::BufRead;
    let mut mock = Command::new(env!("CARGO_BIN_EXE_juchu"))
        .args(["--now", now, "mock-mall", "--listen", "127.0.0.1:0", "--ftp-listen", "127.0.0.1:0", "--ftp-root", ftp_root])
        .args(extra)
        .current_dir(shop.root())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("start the mock mall");
    let mut lines = std::io::BufReader::new(mock.stdout.take().unwrap()).lines();
    let http = lines.next().unwrap().unwrap().split_whitespace().find(|w| w.starts_with("http://")).unwrap().to_string();
    let ftp =
        lines.next().unwrap().unwrap().split_whitespace().find(|w| w.starts_with("ftp://")).unwrap().trim_end_matches(',').to_string();
    // Read on, so what the mock prints later does not meet a closed pipe.
    std::thread::spawn(move || lines.for_each(drop));
    (mock, http, ftp)
}
