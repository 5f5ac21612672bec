//! `juchu test [PATHS]`: compiles every rule file and runs the tests each carries.

use std::path::{Path, PathBuf};
use std::time::Instant;

use crate::config::diagnostic::{display_path, Diagnostics};
use crate::pipeline::runner::{print_diagnostics, RunOptions};
use crate::rules::table::DecisionTable;
use crate::rules::{run_examples, ExampleOutcome};
use crate::ExitStatus;

/// Rule files under the paths (a folder means every `*.yaml`/`*.yml`/`*.xlsx` in it, sorted).
fn rule_files(paths: &[PathBuf]) -> Result<Vec<PathBuf>, String> {
    let mut files = Vec::new();
    for p in paths {
        if p.is_dir() {
            let mut found: Vec<PathBuf> = std::fs::read_dir(p)
                .map_err(|e| format!("cannot read {}: {e}", p.display()))?
                .filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|f| f.extension().is_some_and(|x| x == "yaml" || x == "yml" || x == "xlsx"))
                // Excel's lock files (`~$book.xlsx`) are not rule files.
                .filter(|f| !f.file_name().is_some_and(|n| n.to_string_lossy().starts_with("~$")))
                .collect();
            found.sort();
            files.extend(found);
        } else if p.exists() {
            files.push(p.clone());
        } else {
            return Err(format!("{} does not exist", p.display()));
        }
    }
    Ok(files)
}

pub fn test(paths: &[PathBuf], junit: Option<&Path>, opts: &RunOptions) -> ExitStatus {
    let started = Instant::now();
    let paths = if paths.is_empty() { vec![PathBuf::from("rules")] } else { paths.to_vec() };
    let files = match rule_files(&paths) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("juchu test: {e}");
            return ExitStatus::Usage;
        }
    };
    let mut diags = Diagnostics::default();
    let mut suites: Vec<(PathBuf, String, Vec<ExampleOutcome>)> = Vec::new();
    for f in &files {
        match DecisionTable::load(f) {
            Ok((tables, warnings)) => {
                diags.extend(warnings);
                for table in tables {
                    suites.push((f.clone(), table.name.clone(), run_examples(&table)));
                }
            }
            Err(d) => diags.extend(d),
        }
    }
    print_diagnostics(&diags, opts);
    let (mut passed, mut failed) = (0, 0);
    let width = suites.iter().map(|(f, _, _)| display_path(f).chars().count()).max().unwrap_or(0);
    for (file, _, outcomes) in &suites {
        for o in outcomes {
            let shown = display_path(file);
            let pad = " ".repeat(width.saturating_sub(shown.chars().count()));
            if o.passed() {
                passed += 1;
                if !opts.quiet {
                    println!("  ✓ {shown}{pad}  {}  ({})", o.name, rows_text(&o.rows));
                }
            } else {
                failed += 1;
                println!("  ✗ {shown}{pad}  {}", o.name);
                for (field, want, got) in &o.differences {
                    println!("      {field}: expected {want}, got {got}");
                }
                if !o.rows.is_empty() {
                    println!("      matched: {}", rows_text(&o.rows));
                }
                println!("      --> {}", o.place.text());
            }
        }
    }
    if let Some(path) = junit {
        if let Err(e) = std::fs::write(path, junit_xml(&suites)) {
            eprintln!("juchu test: cannot write {}: {e}", path.display());
            return ExitStatus::Usage;
        }
    }
    let ms = started.elapsed().as_millis();
    println!(
        "juchu test: {} rule file(s), {} test(s): {passed} passed, {failed} failed, {} file(s) with errors ({ms} ms)",
        files.len(),
        passed + failed,
        files.len() - suites.iter().map(|(f, _, _)| f).collect::<std::collections::BTreeSet<_>>().len()
    );
    if diags.has_errors() {
        ExitStatus::Config
    } else if failed > 0 {
        ExitStatus::RecordsFailed
    } else {
        ExitStatus::Success
    }
}

fn rows_text(rows: &[usize]) -> String {
    match rows {
        [] => "no row matched".into(),
        [one] => format!("row {one}"),
        many => format!("rows {}", many.iter().map(usize::to_string).collect::<Vec<_>>().join(", ")),
    }
}

fn junit_xml(suites: &[(PathBuf, String, Vec<ExampleOutcome>)]) -> String {
    use crate::malls::xml::escape;
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"juchu rules\">\n");
    for (file, table, outcomes) in suites {
        let failures = outcomes.iter().filter(|o| !o.passed()).count();
        out.push_str(&format!(
            "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{failures}\">\n",
            escape(&display_path(file)),
            outcomes.len()
        ));
        for o in outcomes {
            out.push_str(&format!("    <testcase classname=\"{}\" name=\"{}\"", escape(table), escape(&o.name)));
            if o.passed() {
                out.push_str("/>\n");
            } else {
                let text: Vec<String> = o.differences.iter().map(|(f, w, g)| format!("{f}: expected {w}, got {g}")).collect();
                out.push_str(&format!(
                    ">\n      <failure message=\"{}\">{}</failure>\n    </testcase>\n",
                    escape(&text.join("; ")),
                    escape(&text.join("\n"))
                ));
            }
        }
        out.push_str("  </testsuite>\n");
    }
    out.push_str("</testsuites>\n");
    out
}
