//! One fixture per diagnostic code a user can cause, ruff-style: `tests/fixtures/codes/<CODE>/` is a
//! small overlay on the sample shop (files at their paths in the repository, copied over a fresh copy),
//! with
//! - `args`: the juchu command line, one argument per line (default `check pipelines/case.yaml`);
//! - `expect_exit` (optional): the exit code (default 78);
//! - `setup` (optional): one step a line, `garbage: PATH` (a file that is not what its name says),
//!   `mkdir: PATH`, `remove: PATH`, `run: ARGS` (juchu run first with the fixture's env);
//! - `env` (optional): `NAME=VALUE` a line, `{shop}` in a value being the shop's folder (a mock
//!   scenario the fixture brings, say).
//!
//! Each fixture runs twice (Japanese, then English); both outputs must name `[<CODE>]`, and both go in
//! one snapshot named after the code (`snapshots/it__codes__<CODE>.snap`). Every failure is collected
//! and reported at the end, so one run shows them all.

use std::path::{Path, PathBuf};

use crate::support::Shop;

/// Codes no user can cause (or no test can cause without breaking the machine), each with why.
const NOT_USER_CAUSED: &[(&str, &str)] =
    &[("F003", "the store failed while saving a mall's orders: internal (a full disk, a damaged store mid-run)")];

const CONTROL_FILES: &[&str] = &["args", "expect_exit", "setup", "env"];

fn fixtures_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/codes")
}

struct Fixture {
    code: String,
    dir: PathBuf,
    args: Vec<String>,
    expect_exit: i32,
    setup: Vec<(String, String)>,
    env: Vec<(String, String)>,
}

impl Fixture {
    fn load(dir: &Path) -> Result<Fixture, String> {
        let code = dir.file_name().unwrap().to_string_lossy().into_owned();
        let read = |name: &str| std::fs::read_to_string(dir.join(name)).ok();
        let args = match read("args") {
            Some(t) => t.lines().map(str::trim).filter(|l| !l.is_empty()).map(str::to_string).collect(),
            None => vec!["check".to_string(), "pipelines/case.yaml".to_string()],
        };
        let expect_exit = match read("expect_exit") {
            Some(t) => t.trim().parse().map_err(|e| format!("{code}: expect_exit `{}`: {e}", t.trim()))?,
            None => 78,
        };
        let mut setup = Vec::new();
        for line in read("setup").unwrap_or_default().lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#')) {
            let (step, path) = line.split_once(':').ok_or_else(|| format!("{code}: setup line `{line}` is not `step: path`"))?;
            setup.push((step.trim().to_string(), path.trim().to_string()));
        }
        let mut env = Vec::new();
        for line in read("env").unwrap_or_default().lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#')) {
            let (name, value) = line.split_once('=').ok_or_else(|| format!("{code}: env line `{line}` is not `NAME=VALUE`"))?;
            env.push((name.trim().to_string(), value.trim().to_string()));
        }
        Ok(Fixture { code, dir: dir.to_path_buf(), args, expect_exit, setup, env })
    }

    /// A fresh sample shop with this fixture's files and setup applied.
    fn shop(&self) -> Result<Shop, String> {
        let shop = Shop::sample();
        overlay(&self.dir, shop.root(), true);
        for (step, rel) in &self.setup {
            let p = shop.path(rel);
            match step.as_str() {
                "garbage" => {
                    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
                    std::fs::write(&p, b"this is not what its name says\n").unwrap();
                }
                "mkdir" => std::fs::create_dir_all(&p).unwrap(),
                // `run: ARGS`: juchu run first with the fixture's env (earlier polls, say).
                "run" => {
                    let args: Vec<&str> = rel.split_whitespace().collect();
                    let env: Vec<(String, String)> =
                        self.env.iter().map(|(k, v)| (k.clone(), v.replace("{shop}", &shop.root().display().to_string()))).collect();
                    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
                    shop.juchu_env(&args, &env);
                }
                "remove" if p.is_dir() => std::fs::remove_dir_all(&p).unwrap(),
                "remove" => std::fs::remove_file(&p).map_err(|e| format!("{}: setup remove {rel}: {e}", self.code))?,
                other => return Err(format!("{}: unknown setup step `{other}` (garbage, mkdir, remove, run)", self.code)),
            }
        }
        Ok(shop)
    }
}

/// Copies a fixture's files over the shop (the control files at its top excepted).
fn overlay(from: &Path, to: &Path, top: bool) {
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let name = e.file_name();
        if top && CONTROL_FILES.iter().any(|c| name == *c) {
            continue;
        }
        let (src, dst) = (e.path(), to.join(&name));
        if src.is_dir() {
            std::fs::create_dir_all(&dst).unwrap();
            overlay(&src, &dst, false);
        } else {
            std::fs::copy(&src, &dst).unwrap();
        }
    }
}

fn fixtures() -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(fixtures_root()).unwrap().map(|e| e.unwrap().path()).filter(|p| p.is_dir()).collect();
    dirs.sort();
    dirs
}

/// Runs one fixture in Japanese and in English; the snapshot holds both.
fn run_fixture(dir: &Path) -> Result<(), String> {
    let fx = Fixture::load(dir)?;
    if juchu::config::codes::lookup(&fx.code).is_none() {
        return Err(format!("{}: the fixture's name is not a code of src/config/codes.rs", fx.code));
    }
    let args: Vec<&str> = fx.args.iter().map(String::as_str).collect();
    let mut problems = Vec::new();
    let mut text = format!("$ juchu {}\n", fx.args.join(" "));
    for lang in ["ja", "en"] {
        let shop = fx.shop()?;
        let root = shop.root().display().to_string();
        let env: Vec<(String, String)> = fx.env.iter().map(|(k, v)| (k.clone(), v.replace("{shop}", &root))).collect();
        let mut vars: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        vars.push(("JUCHU_LANG", lang));
        let out = shop.juchu_env(&args, &vars);
        let shown = out.text(&shop);
        if out.code != fx.expect_exit {
            problems.push(format!("{} ({lang}): exit {} where {} was expected", fx.code, out.code, fx.expect_exit));
        }
        if !shown.contains(&format!("[{}]", fx.code)) {
            problems.push(format!("{} ({lang}): the output does not name [{}]", fx.code, fx.code));
        }
        text.push_str(&format!("\n===== JUCHU_LANG={lang}\n{shown}"));
    }
    let code = fx.code.clone();
    let snap = std::panic::catch_unwind(move || insta::assert_snapshot!(code, text));
    if snap.is_err() {
        problems.push(format!("{}: the snapshot differs (see the .snap.new beside it)", fx.code));
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems.join("\n"))
    }
}

#[test]
fn every_fixture_shows_its_code() {
    let started = std::time::Instant::now();
    let dirs = fixtures();
    assert!(dirs.len() > 40, "only {} fixtures in {}", dirs.len(), fixtures_root().display());
    let failures: Vec<String> = dirs.iter().filter_map(|d| run_fixture(d).err()).collect();
    eprintln!("{} code fixtures in {:.1} s", dirs.len(), started.elapsed().as_secs_f64());
    assert!(failures.is_empty(), "{} of {} fixtures failed:\n{}", failures.len(), dirs.len(), failures.join("\n"));
}

/// Every file under `tests/` but this one (its list of exceptions would count as coverage), and the
/// fixture folders' names.
fn test_texts() -> Vec<(PathBuf, String)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests");
    let this = root.join("it/codes.rs");
    let mut out = Vec::new();
    let mut stack = vec![root];
    while let Some(dir) = stack.pop() {
        for e in std::fs::read_dir(&dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                out.push((p.clone(), p.file_name().unwrap().to_string_lossy().into_owned()));
                stack.push(p);
            } else if p != this {
                if let Ok(t) = std::fs::read_to_string(&p) {
                    out.push((p, t));
                }
            }
        }
    }
    out
}

/// `code` occurs in `text` as a word of its own (`[C015]`, `"C015"`, a folder `C015`), not inside `XC0150`.
fn names(text: &str, code: &str) -> bool {
    text.match_indices(code).any(|(i, _)| {
        let before = text[..i].chars().next_back();
        let after = text[i + code.len()..].chars().next();
        !before.is_some_and(|c| c.is_ascii_alphanumeric()) && !after.is_some_and(|c| c.is_ascii_alphanumeric())
    })
}

#[test]
fn every_registered_code_is_named_by_a_test() {
    let texts = test_texts();
    let mut missing = Vec::new();
    for c in juchu::config::codes::CODES {
        let named = texts.iter().any(|(_, t)| names(t, c.code));
        let excused = NOT_USER_CAUSED.iter().any(|(code, _)| *code == c.code);
        match (named, excused) {
            (false, false) => missing.push(c.code),
            (true, true) => panic!("{} is listed as not user-caused but a test names it: drop it from NOT_USER_CAUSED", c.code),
            _ => {}
        }
    }
    for (code, _) in NOT_USER_CAUSED {
        assert!(juchu::config::codes::lookup(code).is_some(), "{code} in NOT_USER_CAUSED is not a registered code");
    }
    assert!(
        missing.is_empty(),
        "{} code(s) named by no test: add a fixture tests/fixtures/codes/<CODE>/ (or a reason in NOT_USER_CAUSED): {}",
        missing.len(),
        missing.join(" ")
    );
}
