//! The command line: one module per subcommand.

mod apply;
mod check;
mod every;
mod explain;
mod gen;
mod linkage;
mod logging;
mod mail;
mod mock_mall;
mod orders;
mod preview;
mod query;
mod run;
mod slips;
mod test;
mod tracking;

use std::io::IsTerminal;
use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

use crate::pipeline::clock::Clock;
use crate::pipeline::runner::RunOptions;
use crate::ExitStatus;

const EXAMPLES: &str = "\
Examples:
  juchu run pipelines/demo.yaml                 run the sample shop's pipeline
  juchu run pipelines/demo.yaml --every 3m      the same every 3 minutes, until SIGTERM or Ctrl-C
  juchu check pipelines/demo.yaml               list every problem in the pipeline, settings and spreadsheets
  juchu preview pipelines/demo.yaml --stage products
  juchu query \"select mall, count(*) from products group by mall\"
  juchu explain 338811-20261201-0000032082      one order's values, their sources and its ten checks
  juchu mail list --status sending              mails a crash left for staff to settle
  juchu orders move-status --to 処理済 --imported-before 2026-12-02T18:00 --dry-run
  juchu apply out/verification-2026-12-02.xlsx  the 判断 (decisions) staff chose in the workbook
  juchu linkage enable pipelines/demo.yaml --mall rakuten --start 2026-12-03T10:00
  juchu --now 2026-12-01T09:00:00+09:00 run pipelines/demo.yaml

Exit codes: 0 ok, 1 the run finished but some records or malls failed, 2 usage,
            70 internal (the store, the lock file, the disk), 75 another run holds the lock,
            78 configuration or master-data error.";

#[derive(Parser, Debug)]
#[command(name = "juchu", version, about = "受注: the order back office of a multi-mall shop, as a batch pipeline", after_help = EXAMPLES)]
pub struct Cli {
    /// The DuckDB store (default: state/juchu.duckdb next to the settings file).
    #[arg(long, global = true, value_name = "PATH")]
    pub store: Option<PathBuf>,
    /// Fix the clock (RFC 3339), for tests and replays; also JUCHU_NOW.
    #[arg(long, global = true, value_name = "RFC3339")]
    pub now: Option<String>,
    /// More log output (-v info, -vv debug, -vvv also from libraries).
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    /// Only errors.
    #[arg(short, long, global = true)]
    pub quiet: bool,
    /// The language of messages, check reasons and reports: ja (default) or en; also JUCHU_LANG and `shop.language`.
    #[arg(long, global = true, value_name = "ja|en")]
    pub lang: Option<String>,
    /// Log lines as text or JSON (for log collectors); in JSON every diagnostic is a line of its own.
    #[arg(long, global = true, value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
    /// Show every problem in full: by default the first 5 of each code are shown and the rest counted.
    #[arg(long, global = true)]
    pub all_diagnostics: bool,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Run a pipeline: every stage in order, each in its own transaction.
    #[command(
        after_help = "Examples:\n  juchu run pipelines/demo.yaml\n  juchu run pipelines/demo.yaml --every 3m\n\nA run in which nothing changed prints one line (-v: every stage). With --every the run repeats\nevery interval, counted from the start (a tick a long run missed is skipped); a failing run is\nlogged and the loop goes on; SIGTERM or Ctrl-C stops it after the current stage (exit 0), a\nsecond signal at once."
    )]
    Run {
        pipeline: PathBuf,
        /// Re-enrich every stored order (after rules or masters changed); the summary counts the orders whose values changed.
        #[arg(long)]
        replay: bool,
        /// Run again and again, this often (90s, 3m, 1h), until SIGTERM or Ctrl-C; each run takes the lock as a single run does.
        #[arg(long, value_name = "INTERVAL", value_parser = every::parse_interval)]
        every: Option<std::time::Duration>,
    },
    /// Check a pipeline, its settings, masters and input files; print every problem; write nothing.
    #[command(
        after_help = "Example:\n  juchu check pipelines/demo.yaml\n\nExits 78 when there is an error, 0 otherwise (warnings are listed).\n\n  juchu check pipelines/demo.yaml --checklist\n\nThe first-setup checklist: exits 0 when every item is OK, 1 while one is NG, 78 when the pipeline or settings do not load."
    )]
    Check {
        pipeline: PathBuf,
        /// Treat warnings as errors.
        #[arg(long)]
        deny_warnings: bool,
        /// Print the first-setup checklist (初期設定確認チェックシート) instead: every item OK or NG
        /// with what to fix, from the settings and the store. Exits 1 while an item is NG.
        #[arg(long, conflicts_with = "deny_warnings")]
        checklist: bool,
    },
    /// Show the first rows a stage would write; writes nothing.
    #[command(after_help = "Example:\n  juchu preview pipelines/demo.yaml --stage products --limit 5")]
    Preview {
        pipeline: PathBuf,
        #[arg(long)]
        stage: String,
        #[arg(long, default_value_t = 10)]
        limit: usize,
    },
    /// Run the tests rule files carry (`tests:`), and report every problem in the rules.
    #[command(
        after_help = "Examples:\n  juchu test                      every rule file in rules/\n  juchu test rules/carrier.yaml --junit out/rules.xml\n\nExits 0 when every test passes, 1 when one fails, 78 when a rule file has an error."
    )]
    Test {
        /// Rule files, or folders of them (default: rules/).
        paths: Vec<PathBuf>,
        /// Also write the results as JUnit XML (for CI dashboards).
        #[arg(long, value_name = "FILE")]
        junit: Option<PathBuf>,
    },
    /// One order's enriched values, where each came from, and its ten checks.
    #[command(after_help = "Examples:\n  juchu explain 338811-20261201-0000032082\n  juchu explain 10000001 --mall aupay")]
    Explain {
        /// The order number as the mall writes it.
        order_number: String,
        /// The mall (settings name), where two malls use the same number.
        #[arg(long)]
        mall: Option<String>,
    },
    /// Read-only SQL over the store.
    #[command(
        after_help = "Examples:\n  juchu query \"select count(*) from products\"\n  juchu query --format csv \"select * from runs\" > runs.csv\n\nIn CSV, a text cell starting with = + - @ (or a tab or CR) is written as \"'=…\", so a spreadsheet shows it\ninstead of running it as a formula (numbers such as -300 are left alone); --raw writes every cell as stored."
    )]
    Query {
        sql: String,
        #[arg(long, value_enum, default_value_t = query::Format::Table)]
        format: query::Format,
        /// CSV: write cells exactly as stored, without the leading ' that keeps text such as =1+2 from running as a spreadsheet formula.
        #[arg(long)]
        raw: bool,
    },
    /// Serve the mock mall (every mall's wire format, seeded orders, fault injection) until stopped.
    #[command(
        name = "mock-mall",
        after_help = "Examples:\n  juchu mock-mall --listen 127.0.0.1:8080\n  juchu --now 2026-11-28T10:00:00+09:00 mock-mall --listen 127.0.0.1:8080 --scenario tests/fixtures/scenarios/faults.yaml\n\nPoint a mall's `endpoint:` at http://127.0.0.1:8080 to use it from another process."
    )]
    MockMall {
        #[arg(long, default_value = "127.0.0.1:8080")]
        listen: String,
        /// Where the FTP side (FutureShop2 order exports) listens.
        #[arg(long, default_value = "127.0.0.1:2121")]
        ftp_listen: String,
        /// The folder the FTP side serves; exports appear in its `orders/` as time passes.
        #[arg(long, default_value = "mock-ftp")]
        ftp_root: PathBuf,
        /// A scenario file (YAML): seed, minutes_between_orders, error_rate, rate_limit_rate, stall_rate, malformed_rate, slow_ms, expired, drop_write_responses.
        #[arg(long)]
        scenario: Option<PathBuf>,
        /// A JSON file that keeps the writes the mock applied (and its write log) across restarts; in memory only without it.
        #[arg(long)]
        state: Option<PathBuf>,
    },
    /// 受注連動: start or stop writing back to a mall, and its history.
    #[command(subcommand)]
    Linkage(linkage::Linkage),
    /// Orders in the store: move the test orders to a processed status (S9).
    #[command(subcommand)]
    Orders(orders::Orders),
    /// 書き戻し: run only the pipeline's write_back stage; `--dry-run` prints the calls it would send.
    #[command(
        name = "write-back",
        after_help = "Examples:\n  juchu write-back pipelines/demo.yaml --dry-run\n  juchu write-back pipelines/demo.yaml --retry-dead\n\nBefore a mall's linkage starts the stage plans in shadow and sends nothing (the workbook's 連動プレビュー);\n--dry-run prints the plan for every mall, linked or not, and writes nothing."
    )]
    WriteBack {
        pipeline: PathBuf,
        /// Print the plan; send and write nothing.
        #[arg(long)]
        dry_run: bool,
        /// Queue the dead-lettered changes again first (each is read at the mall before it is sent).
        #[arg(long, conflicts_with = "dry_run")]
        retry_dead: bool,
    },
    /// 確認用ブックの判断: apply the decisions staff chose in the verification workbook's 判断
    /// columns (受注チェック, 保留, 同梱候補) to the store, in one transaction.
    #[command(
        after_help = "Examples:\n  juchu apply out/verification-2026-12-02.xlsx\n  juchu --store state/juchu.duckdb apply ~/Desktop/verification-2026-12-02.xlsx\n\n出荷OK accepts an order whose checks failed (not a held one: choose 保留解除 for that), 保留 holds it,\n保留解除 releases every hold, 同梱OK / 同梱しない decide a 同梱 group. An order that changed since the\nworkbook was written is refused, never overwritten. Every cell is logged in workbook_decisions;\napplying the same workbook again changes nothing.\n\nExits 0 when every decision was used, 1 when some cells were refused (each is named as\nbook.xlsx!受注チェック!H12; the others are applied), 2 when the file is missing, 75 when a run holds\nthe lock, 78 when the file is not a verification workbook."
    )]
    Apply {
        /// The verification workbook (確認用ブック), as saved from Excel.
        book: PathBuf,
    },
    /// The mail log (送信記録): list it, and settle a mail a crash left at `sending`.
    #[command(subcommand)]
    Mail(mail::Mail),
    /// 送り状: write the carriers' slip files (the pipeline's export_slips stage alone).
    #[command(subcommand)]
    Slips(slips::Slips),
    /// 送り状番号: import the carriers' files of issued slips.
    #[command(subcommand)]
    Tracking(tracking::Tracking),
    /// Generate test data (benchmarks).
    #[command(subcommand)]
    Gen(gen::Gen),
}

pub fn main() -> ExitStatus {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() { ExitStatus::Usage } else { ExitStatus::Success };
        }
    };
    logging::init(cli.verbose, cli.quiet, cli.log_format);
    let lang_choice = cli
        .lang
        .clone()
        .map(|l| ("--lang", l))
        .or_else(|| std::env::var("JUCHU_LANG").ok().filter(|l| !l.is_empty()).map(|l| ("JUCHU_LANG", l)));
    if let Some((from, value)) = lang_choice {
        match crate::domain::lang::Lang::parse(&value) {
            Some(lang) => crate::domain::lang::set_explicit(lang),
            None => {
                eprintln!("error: {from} `{value}` is not a language juchu speaks: use ja (日本語) or en (English)");
                return ExitStatus::Usage;
            }
        }
    }
    let clock = match Clock::from_arg(cli.now.as_deref()) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("error: --now: {e}");
            return ExitStatus::Usage;
        }
    };
    let styled = std::io::stderr().is_terminal();
    let opts = RunOptions {
        store: cli.store.clone(),
        replay: false,
        clock,
        quiet: cli.quiet,
        styled,
        all_diagnostics: cli.all_diagnostics,
        json: cli.log_format == LogFormat::Json,
        only_kind: None,
        dry_run: false,
        retry_dead: false,
        again: false,
        verbose: cli.verbose > 0,
    };
    // Progress bars only for a person at a terminal: never in a cron log, a journal or a test.
    crate::io::progress::enable(
        styled && !cli.quiet && cli.log_format == LogFormat::Text && std::env::var_os("JUCHU_NO_PROGRESS").is_none(),
    );
    match cli.command {
        Command::Run { pipeline, replay, every: Some(interval) } => every::every(&pipeline, interval, &RunOptions { replay, ..opts }),
        Command::Run { pipeline, replay, every: None } => run::run(&pipeline, &RunOptions { replay, ..opts }),
        Command::WriteBack { pipeline, dry_run, retry_dead } => {
            run::run(&pipeline, &RunOptions { only_kind: Some("write_back"), dry_run, retry_dead, ..opts })
        }
        Command::Check { pipeline, deny_warnings: _, checklist: true } => check::checklist(&pipeline, &opts),
        Command::Check { pipeline, deny_warnings, checklist: false } => check::check(&pipeline, deny_warnings, &opts),
        Command::Preview { pipeline, stage, limit } => preview::preview(&pipeline, &stage, limit, &opts),
        Command::Query { sql, format, raw } => query::query(&sql, format, raw, &opts),
        Command::Explain { order_number, mall } => explain::explain(&order_number, mall.as_deref(), &opts),
        Command::Test { paths, junit } => test::test(&paths, junit.as_deref(), &opts),
        Command::MockMall { listen, ftp_listen, ftp_root, scenario, state } => {
            mock_mall::serve(&listen, &ftp_listen, &ftp_root, scenario.as_deref(), state.as_deref(), &opts)
        }
        Command::Mail(m) => mail::mail(m, &opts),
        Command::Apply { book } => apply::apply(&book, &opts),
        Command::Linkage(l) => linkage::linkage(l, &opts),
        Command::Orders(o) => orders::orders(o, &opts),
        Command::Slips(s) => slips::slips(s, opts),
        Command::Tracking(t) => tracking::tracking(t, &opts),
        Command::Gen(g) => gen::gen(g),
    }
}
