//! Running from cron and systemd (issue 14): two runs at once (one works, the other exits 75 naming
//! the first), a juchu killed with SIGKILL mid-run does not block the next (store.rs proves the same
//! with flock(1) as the holder), `run --every` survives failing runs and stops cleanly on SIGTERM,
//! and a run in which nothing changed prints one line.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::support::{Shop, NOW};

/// juchu started in the background in the shop, English, at the tests' clock.
fn spawn(shop: &Shop, args: &[&str], env: &[(&str, &str)]) -> Child {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_juchu"));
    cmd.env("JUCHU_LANG", "en").env_remove("JUCHU_NOW").args(["--now", NOW]).args(args).current_dir(shop.root());
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().expect("start juchu")
}

/// A child's stdout and stderr, collected line by line while it runs.
struct Lines {
    stdout: Arc<Mutex<Vec<String>>>,
    stderr: Arc<Mutex<Vec<String>>>,
}

impl Lines {
    fn of(child: &mut Child) -> Lines {
        let collect = |r: Box<dyn std::io::Read + Send>| {
            let lines = Arc::new(Mutex::new(Vec::new()));
            let sink = lines.clone();
            std::thread::spawn(move || {
                for l in BufReader::new(r).lines().map_while(Result::ok) {
                    sink.lock().unwrap().push(l);
                }
            });
            lines
        };
        Lines { stdout: collect(Box::new(child.stdout.take().unwrap())), stderr: collect(Box::new(child.stderr.take().unwrap())) }
    }

    fn text(&self) -> String {
        format!("--- stdout\n{}\n--- stderr\n{}", self.stdout.lock().unwrap().join("\n"), self.stderr.lock().unwrap().join("\n"))
    }

    /// Waits until `count` lines of stdout (or stderr) satisfy `pred`.
    fn wait_for(&self, what: &str, count: usize, stderr: bool, pred: impl Fn(&str) -> bool) {
        let deadline = Instant::now() + Duration::from_secs(40);
        loop {
            let source = if stderr { &self.stderr } else { &self.stdout };
            let n = source.lock().unwrap().iter().filter(|l| pred(l)).count();
            if n >= count {
                return;
            }
            assert!(Instant::now() < deadline, "timed out waiting for {what}:\n{}", self.text());
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

fn sigterm(child: &Child) {
    let ok = Command::new("kill").args(["-TERM", &child.id().to_string()]).status().expect("kill(1)").success();
    assert!(ok);
}

/// Waits for the child to exit, killing it after `secs`.
fn wait_exit(child: &mut Child, secs: u64) -> i32 {
    let deadline = Instant::now() + Duration::from_secs(secs);
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status.code().unwrap_or(-1);
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("juchu did not exit within {secs} s");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn two_runs_started_at_once_one_works_and_the_other_exits_75_naming_it() {
    let shop = Shop::sample();
    let a = spawn(&shop, &["run", "pipelines/demo.yaml"], &[]);
    let b = spawn(&shop, &["run", "pipelines/demo.yaml"], &[]);
    let (pa, pb) = (a.id(), b.id());
    let (oa, ob) = (a.wait_with_output().unwrap(), b.wait_with_output().unwrap());
    let mut codes = [(oa.status.code(), pa, pb, &oa), (ob.status.code(), pb, pa, &ob)];
    codes.sort_by_key(|c| c.0);
    let [(worked, ..), (locked, _, other, out)] = codes;
    assert_eq!((worked, locked), (Some(0), Some(75)), "one works, the other finds the lock");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("another juchu run holds the lock"), "{stderr}");
    assert!(stderr.contains(&format!("(started: pid {other} run pipelines/demo.yaml at ")), "names the run that holds it: {stderr}");
    assert!(stderr.contains("the next tick runs again (exit 75)"), "{stderr}");
    assert!(out.stdout.is_empty(), "the locked run did nothing: {}", String::from_utf8_lossy(&out.stdout));
    // Only the run that worked was recorded.
    assert_eq!(shop.query_one("select count(*) || ' ' || min(status) from runs"), "1 ok");
}

#[test]
fn a_juchu_killed_with_sigkill_mid_run_does_not_block_the_next() {
    let shop = Shop::sample();
    // Slow malls keep the run in its fetch stage, holding the lock, long enough to kill it there.
    shop.write("slow.yaml", "slow_ms: 400\n");
    let mut run = spawn(&shop, &["-v", "run", "pipelines/demo.yaml"], &[("JUCHU_MOCK_SCENARIO", "slow.yaml")]);
    let lines = Lines::of(&mut run);
    lines.wait_for("the run at its fetch stage", 1, false, |l| l.contains("validate_masters"));
    let lock = shop.path("state/juchu.duckdb.lock");
    assert!(std::fs::read_to_string(&lock).unwrap().contains(&format!("pid {} run pipelines/demo.yaml", run.id())));
    assert!(run.try_wait().unwrap().is_none(), "still running when killed: {}", lines.text());
    run.kill().unwrap(); // SIGKILL: no handler runs, no lock file is removed
    run.wait().unwrap();
    assert!(lock.exists(), "the lock file stays; the kernel dropped the lock itself");
    let next = shop.run_demo();
    assert_eq!(next.code, 0, "{}\n{}", next.stdout, next.stderr);
    assert!(next.stderr.contains("marked interrupted"), "{}", next.stderr);
}

#[test]
fn every_survives_failing_runs_and_stops_on_sigterm_with_exit_0_and_the_lock_released() {
    let shop = Shop::sample();
    let good = shop.read("pipelines/demo.yaml");
    let mut looped = spawn(&shop, &["run", "pipelines/demo.yaml", "--every", "1s"], &[]);
    let lines = Lines::of(&mut looped);
    lines.wait_for("the loop's start", 1, true, |l| l.contains("--every 1s: started"));
    // Run 1 imports the sample shop; run 2 finds nothing new: one line.
    lines.wait_for("a quiet run", 1, false, |l| l.contains("demo: nothing changed"));
    // A broken pipeline edited in: the run fails (78), the loop goes on.
    shop.write("pipelines/demo.yaml", "settings: ../shop.yaml\nstages: [ { id: oops\n");
    lines.wait_for("the failing run logged", 1, true, |l| l.contains("ended with exit code 78; the loop goes on"));
    // Mended: the next tick runs again and finds nothing new.
    shop.write("pipelines/demo.yaml", &good);
    let quiet = lines.stdout.lock().unwrap().iter().filter(|l| l.contains("nothing changed")).count();
    lines.wait_for("a run after the failure", quiet + 1, false, |l| l.contains("demo: nothing changed"));
    sigterm(&looped);
    let code = wait_exit(&mut looped, 20);
    std::thread::sleep(Duration::from_millis(200)); // the readers reach the end of the pipes
    let text = lines.text();
    assert_eq!(code, 0, "{text}");
    assert!(text.contains("stopped on request after"), "{text}");
    assert!(text.contains("the lock is released"), "{text}");
    // The first run (the whole import) took longer than 1 s: the ticks it overran were skipped, not run back to back.
    assert!(text.contains("run 1 took ") && text.contains("longer than the interval of 1s: "), "{text}");
    // Released for real: a single run goes ahead, and no run is left `running`.
    let next = shop.run_demo();
    assert_eq!(next.code, 0, "{}", next.stderr);
    assert_eq!(shop.query_one("select count(*) from runs where status not in ('ok', 'config_error')"), "0");
    assert!(!text.contains('\u{1b}') && !text.contains('\r'), "no progress bar or colour without a terminal: {text}");
}

#[test]
fn every_survives_a_panic_and_a_sigterm_during_a_run_finishes_the_stage() {
    let shop = Shop::sample();
    assert_eq!(shop.run_demo().code, 0);
    let mut looped = spawn(&shop, &["run", "pipelines/demo.yaml", "--every", "1s"], &[("JUCHU_PANIC_AT", "check-masters")]);
    let lines = Lines::of(&mut looped);
    lines.wait_for("two panicking runs", 2, true, |l| l.contains("stopped on an internal error (panic: JUCHU_PANIC_AT=check-masters)"));
    assert!(looped.try_wait().unwrap().is_none(), "the loop goes on: {}", lines.text());
    sigterm(&looped);
    assert_eq!(wait_exit(&mut looped, 20), 0, "{}", lines.text());
    // The panicking runs left their rows `running`; the next run marks them interrupted, and works.
    let next = shop.run_demo();
    assert_eq!(next.code, 0, "{}", next.stderr);
    assert!(next.stderr.contains("marked interrupted"), "{}", next.stderr);

    // SIGTERM while a run is in its (slow) fetch stage: that stage completes, the rest is skipped.
    shop.write("slow.yaml", "slow_ms: 300\n");
    let mut looped = spawn(&shop, &["-v", "run", "pipelines/demo.yaml", "--every", "1h"], &[("JUCHU_MOCK_SCENARIO", "slow.yaml")]);
    let lines = Lines::of(&mut looped);
    lines.wait_for("the run at its fetch stage", 1, false, |l| l.contains("validate_masters"));
    sigterm(&looped);
    assert_eq!(wait_exit(&mut looped, 60), 0, "{}", lines.text());
    std::thread::sleep(Duration::from_millis(200));
    let text = lines.text();
    assert!(text.contains("fetch_orders"), "the stage it was in finished: {text}");
    assert!(text.contains("skipped: stop requested"), "{text}");
    assert!(text.contains("stopped on request"), "{text}");
    let last = shop.query_one("select string_agg(status, ' ' order by seq) from run_stages where run_id = (select max(run_id) from runs)");
    assert!(last.ends_with("skipped skipped skipped"), "{last}");
}

#[test]
fn a_run_in_which_nothing_changed_prints_one_line() {
    let shop = Shop::sample();
    assert_eq!(shop.run_demo().code, 0);
    let quiet = shop.run_demo();
    assert_eq!(quiet.code, 0, "{}", quiet.stderr);
    let lines: Vec<&str> = quiet.stdout.lines().collect();
    assert_eq!(lines.len(), 1, "{}", quiet.stdout);
    assert!(lines[0].starts_with("2026-11-28 10:00 demo: nothing changed (12 stages, "), "{}", lines[0]);
    assert!(lines[0].ends_with(" s)") || lines[0].contains("-v shows them"), "{}", lines[0]);
    assert_eq!(quiet.stderr, "", "the warnings the stages repeat are counted, not printed");
    // In Japanese, by default.
    let ja = shop.juchu_env(&["run", "pipelines/demo.yaml"], &[("JUCHU_LANG", "ja")]);
    assert_eq!(ja.stdout.lines().count(), 1, "{}", ja.stdout);
    assert!(ja.stdout.starts_with("2026-11-28 10:00 demo: 変化なし（12 ステージ, "), "{}", ja.stdout);
    // -v: every stage, as when something changed.
    let verbose = shop.juchu(&["-v", "run", "pipelines/demo.yaml"]);
    assert!(verbose.stdout.contains("unchanged since the last import (12 products, not read again"), "{}", verbose.stdout);
    // For a log collector: one JSON object.
    let json = shop.juchu(&["--log-format", "json", "run", "pipelines/demo.yaml"]);
    assert_eq!(json.stdout.lines().count(), 1, "{}", json.stdout);
    let v: serde_json::Value = serde_json::from_str(json.stdout.trim()).unwrap();
    assert_eq!((v["changed"].as_bool(), v["exit_code"].as_i64(), v["stages"].as_array().map(Vec::len)), (Some(false), Some(0), Some(12)));
    assert!(v["message"].as_str().unwrap().contains("demo: nothing changed"), "{v}");
}

/// S16: every run warns before a mall's key expires, not only `juchu check`; a quiet run too.
#[test]
fn every_run_warns_about_expiring_keys_even_when_nothing_changed() {
    let shop = Shop::sample();
    let at = ["--now", "2027-02-10T09:00:00+09:00", "run", "pipelines/demo.yaml"];
    let first = shop.juchu(&at);
    assert_eq!(first.code, 0, "{}", first.stderr);
    let quiet = shop.juchu(&at);
    assert_eq!(quiet.code, 0, "{}", quiet.stderr);
    assert_eq!(quiet.stdout.lines().count(), 1, "{}", quiet.stdout);
    for out in [&first, &quiet] {
        assert!(out.stderr.contains("warning[C024]: the credentials of mall `rakuten` expire in 10 days (2027-02-20)"), "{}", out.stderr);
        assert!(
            out.stderr.contains("shop.yaml:") && out.stderr.contains("credentials_expire_on: 2027-02-20"),
            "at the settings key: {}",
            out.stderr
        );
    }
    // The workbook's summary lists each mall's date and how it stands.
    use calamine::{open_workbook, Reader, Xlsx};
    let mut book: Xlsx<_> = open_workbook(shop.path("out/verification-2027-02-10.xlsx")).expect("the workbook");
    let summary = book.worksheet_range("Summary").expect("its summary");
    let rakuten = summary.rows().find(|r| r.first().is_some_and(|c| c.to_string() == "rakuten")).expect("rakuten's row").to_vec();
    assert!(rakuten.iter().any(|c| c.to_string() == "2027-02-20 (in 10 days)"), "{rakuten:?}");
    let yahoo = summary.rows().find(|r| r.first().is_some_and(|c| c.to_string() == "yahoo")).expect("yahoo's row").to_vec();
    assert!(yahoo.iter().any(|c| c.to_string() == "2027-05-31"), "{yahoo:?}");
}

#[test]
fn every_takes_90s_3m_1h_and_refuses_other_forms_with_exit_2() {
    let shop = Shop::sample();
    for bad in ["3", "3min", "1.5m", "0s", "3d"] {
        let out = shop.juchu(&["run", "pipelines/demo.yaml", "--every", bad]);
        assert_eq!(out.code, 2, "{bad}: {}", out.stderr);
        assert!(out.stderr.contains("such as 90s, 3m or 1h") || out.stderr.contains("at least 1s"), "{bad}: {}", out.stderr);
    }
    assert!(!shop.path("state").exists(), "nothing ran");
}
