//! The mock mall: every mall's wire format on loopback, seeded orders that appear over time, auth
//! checks with the malls' own errors, and fault injection. The demo starts it in-process
//! (`endpoint: mock`); `juchu mock-mall` runs it on its own; tests talk to it over real HTTP.

pub mod amazon;
pub mod aupay;
pub mod ftp;
pub mod futureshop;
pub mod orders;
pub mod rakuten;
pub mod server;
pub mod writes;
pub mod xml;
pub mod yahoo;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, FixedOffset, TimeZone};
use serde::Deserialize;

use self::orders::{OrderPlan, Rng};

/// The credential the mock accepts for a settings key when its `${ENV}` is unset (demo and tests).
pub fn demo_credential(key: &str) -> String {
    format!("demo-{key}")
}

/// What the mock does: how orders are made and which faults it injects.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Scenario {
    pub seed: u64,
    /// Mean minutes between two orders of one mall.
    pub minutes_between_orders: u32,
    /// Fraction of calls answered 500/503.
    pub error_rate: f64,
    /// Fraction of calls answered 429 with `Retry-After: 0`.
    pub rate_limit_rate: f64,
    /// Fraction of calls answered only after `stall_ms` (longer than the client waits: a timeout).
    pub stall_rate: f64,
    pub stall_ms: u64,
    /// Fraction of calls answered 200 with a cut-off body.
    pub malformed_rate: f64,
    /// Added to every answer (slow pages).
    pub slow_ms: u64,
    /// Malls whose keys the mock treats as expired.
    pub expired: Vec<String>,
    /// A getOrder response (or a list of OrderModels) whose orders Rakuten serves besides the
    /// generated ones, verbatim, by their orderDatetime: real payloads over the real envelope.
    /// Relative to the scenario file.
    pub rakuten_orders: Option<std::path::PathBuf>,
    /// False: no generated orders (the sample shop's products), only `rakuten_orders`.
    pub generate_orders: bool,
    /// Order numbers the mall lists in its searches but does not return when asked for them
    /// (Rakuten getOrder ORDER_EXT_API_GET_ORDER_INFO_102, Yahoo orderInfo od20002, au PAY PMB0201).
    pub withheld_orders: Vec<String>,
    /// Order numbers the mall returns in a shape its spec does not allow (Rakuten: PackageModelList
    /// an object; Yahoo: a Result without OrderInfo; au PAY: a requestPrice that is not a number).
    pub unreadable_orders: Vec<String>,
    /// Malls whose XML answers come with a DOCTYPE declaring an external entity (an XXE probe).
    pub doctype_malls: Vec<String>,
    /// Fraction of write calls that are applied and then answered with nothing: the connection is
    /// closed (FTP: before the upload's final reply), so the client cannot know the outcome.
    /// Reads are never dropped by this.
    pub drop_write_responses: f64,
    #[serde(skip)]
    pub rakuten_models: Vec<serde_json::Value>,
}

impl Scenario {
    pub fn withholds(&self, order_number: &str) -> bool {
        self.withheld_orders.iter().any(|n| n == order_number)
    }

    pub fn garbles(&self, order_number: &str) -> bool {
        self.unreadable_orders.iter().any(|n| n == order_number)
    }

    /// Reads a scenario file (YAML).
    pub fn load(path: &std::path::Path) -> anyhow::Result<Scenario> {
        let text = std::fs::read_to_string(path).map_err(|e| anyhow::anyhow!("cannot read the scenario {}: {e}", path.display()))?;
        let mut scenario: Scenario =
            serde_saphyr::from_str(&text).map_err(|e| anyhow::anyhow!("the scenario {} is not valid: {e}", path.display()))?;
        if let Some(file) = &scenario.rakuten_orders {
            let file = path.parent().unwrap_or(std::path::Path::new(".")).join(file);
            let text = std::fs::read_to_string(&file).map_err(|e| anyhow::anyhow!("cannot read {}: {e}", file.display()))?;
            let v: serde_json::Value = serde_json::from_str(&text).map_err(|e| anyhow::anyhow!("{} is not JSON: {e}", file.display()))?;
            scenario.rakuten_models = match v {
                serde_json::Value::Array(models) => models,
                mut v => match v.get_mut("OrderModelList").map(serde_json::Value::take) {
                    Some(serde_json::Value::Array(models)) => models,
                    _ => anyhow::bail!("{} has no OrderModelList", file.display()),
                },
            };
        }
        Ok(scenario)
    }
}

impl Default for Scenario {
    fn default() -> Self {
        Scenario {
            seed: 20261128,
            minutes_between_orders: 15,
            error_rate: 0.0,
            rate_limit_rate: 0.0,
            stall_rate: 0.0,
            stall_ms: 1500,
            malformed_rate: 0.0,
            slow_ms: 0,
            expired: Vec::new(),
            rakuten_orders: None,
            generate_orders: true,
            withheld_orders: Vec::new(),
            unreadable_orders: Vec::new(),
            doctype_malls: Vec::new(),
            drop_write_responses: 0.0,
            rakuten_models: Vec::new(),
        }
    }
}

/// The mock's notion of now: fixed (tests, replays, `--now`) or the wall clock.
pub type NowFn = Arc<dyn Fn() -> DateTime<FixedOffset> + Send + Sync>;

pub use writes::{Applied, ShipRow, WriteCall};

pub struct MockState {
    pub scenario: Scenario,
    pub now: NowFn,
    pub plan: OrderPlan,
    pub calls: AtomicU64,
    /// The writes applied (the overlay every read shows) and the log of write calls.
    pub book: Mutex<writes::WriteBook>,
    /// Where the book is kept between processes (rewritten after each write), if anywhere.
    pub state_file: Option<std::path::PathBuf>,
    /// One FTP session at a time writes the due FutureShop2 exports.
    pub exporting: Mutex<()>,
}

/// A running mock mall (stops when dropped).
pub struct MockMall {
    pub url: String,
    /// `ftp://127.0.0.1:PORT`, when the FTP side (FutureShop2) runs.
    pub ftp_url: Option<String>,
    pub state: Arc<MockState>,
    _server: server::Server,
    _ftp: Option<ftp::FtpServer>,
}

/// Where the mock's FTP side listens and which folder it serves.
pub struct FtpSide {
    pub listen: String,
    pub root: std::path::PathBuf,
}

/// The fixed time the first mock order is placed: orders are a function of time since then.
pub fn plan_anchor() -> DateTime<FixedOffset> {
    crate::domain::time::jst().with_ymd_and_hms(2026, 1, 1, 0, 0, 0).single().expect("valid date")
}

impl MockMall {
    /// Starts the mock on `listen` (`127.0.0.1:0` picks a free port), and its FTP side if given.
    /// `state_file` (JSON) keeps the applied writes and the write log across processes: loaded
    /// here, rewritten after each write call; None keeps them in memory only.
    pub fn start(
        listen: &str,
        ftp: Option<FtpSide>,
        scenario: Scenario,
        now: NowFn,
        state_file: Option<std::path::PathBuf>,
    ) -> anyhow::Result<MockMall> {
        let plan = OrderPlan {
            seed: scenario.seed,
            start: plan_anchor(),
            interval: chrono::Duration::minutes(scenario.minutes_between_orders.max(1) as i64),
            generate: scenario.generate_orders,
        };
        let book = match &state_file {
            Some(path) => writes::WriteBook::load(path)?,
            None => writes::WriteBook::default(),
        };
        let state = Arc::new(MockState {
            scenario,
            now,
            plan,
            calls: AtomicU64::new(0),
            book: Mutex::new(book),
            state_file,
            exporting: Mutex::new(()),
        });
        let handler_state = state.clone();
        let server = server::Server::start(listen, 2, Arc::new(move |req| handle(&handler_state, req)))
            .map_err(|e| anyhow::anyhow!("the mock mall cannot listen on {listen}: {e}"))?;
        let ftp = match ftp {
            Some(side) => {
                let policy = Arc::new(futureshop::FutureShopFtp { state: state.clone() });
                let server = ftp::FtpServer::start(&side.listen, side.root.clone(), policy).map_err(|e| {
                    anyhow::anyhow!("the mock mall's FTP side cannot serve {} on {}: {e}", side.root.display(), side.listen)
                })?;
                Some(server)
            }
            None => None,
        };
        Ok(MockMall {
            url: format!("http://127.0.0.1:{}", server.port),
            ftp_url: ftp.as_ref().map(|f| format!("ftp://127.0.0.1:{}", f.port)),
            state,
            _server: server,
            _ftp: ftp,
        })
    }
}

pub use server::{Reply, Request};

impl Reply {
    pub fn json(status: u16, v: serde_json::Value) -> Reply {
        Reply { status, content_type: "application/json; charset=utf-8", body: v.to_string(), headers: Vec::new() }
    }

    /// No answer at all: the server closes the connection (a write applied, its answer lost).
    pub fn dropped() -> Reply {
        Reply { status: 0, content_type: "", body: String::new(), headers: Vec::new() }
    }
}

/// The mock's own page of the write log (loopback mock only, no auth; not a mall's).
pub const WRITES_PATH: &str = "/_mock/writes";

fn handle(state: &MockState, req: Request) -> Reply {
    if req.path == WRITES_PATH && req.method == "GET" {
        return Reply::json(200, serde_json::json!({ "writes": state.write_log() }));
    }
    let n = state.calls.fetch_add(1, Ordering::Relaxed);
    let Request { method, path, query, headers, body } = req;
    let sc = &state.scenario;
    // Faults are drawn per call from the seed, so a scenario replays the same way.
    // Mixed with the mock's clock, so each polling run meets different faults.
    let mut r =
        Rng::new(sc.seed ^ n.wrapping_mul(0xA24BAED4963EE407) ^ ((state.now)().timestamp() as u64).wrapping_mul(0x9E3779B97F4A7C15));
    let roll = |r: &mut Rng| (r.next_u64() >> 11) as f64 / (1u64 << 53) as f64;
    if sc.slow_ms > 0 {
        std::thread::sleep(Duration::from_millis(sc.slow_ms));
    }
    let reply = if roll(&mut r) < sc.stall_rate {
        std::thread::sleep(Duration::from_millis(sc.stall_ms));
        Reply::json(503, serde_json::json!({"error": "stalled"}))
    } else if roll(&mut r) < sc.rate_limit_rate {
        let mut rep = Reply::json(
            429,
            serde_json::json!({"errors": [{"code": "QuotaExceeded", "message": "You exceeded your quota for the requested resource."}]}),
        );
        rep.headers.push(("Retry-After", "0".into()));
        rep
    } else if roll(&mut r) < sc.error_rate {
        Reply::json(if n.is_multiple_of(2) { 500 } else { 503 }, serde_json::json!({"error": "internal"}))
    } else {
        writes::take_drop();
        let mut rep = route(state, &method, &path, &query, &headers, &body);
        if writes::take_drop() {
            return Reply::dropped();
        }
        if rep.body.starts_with("<?xml") && sc.doctype_malls.iter().any(|m| mall_of(&path) == Some(m.as_str())) {
            let decl = "<!DOCTYPE response [<!ENTITY xxe SYSTEM \"file:///etc/passwd\">]>";
            rep.body = match rep.body.find("?>") {
                Some(i) => format!("{}{decl}{}", &rep.body[..i + 2], &rep.body[i + 2..]),
                None => rep.body,
            };
        }
        if rep.status == 200 && roll(&mut r) < sc.malformed_rate {
            let cut = rep.body.len() / 2;
            rep.body = rep.body.char_indices().take_while(|(i, _)| *i < cut).map(|(_, c)| c).collect();
        }
        rep
    };
    reply
}

/// The malls' paths are written out here and in each mall's file from the mall notes
/// (shared/reference/mall-apis.md), never taken from the adapters: a wrong path fails a test.
fn route(state: &MockState, method: &str, path: &str, query: &[(String, String)], headers: &[(String, String)], body: &str) -> Reply {
    if path.starts_with("/es/2.0/order/") {
        return rakuten::handle(state, method, path, headers, body);
    }
    if path.starts_with("/wmshopapi/") {
        return aupay::handle(state, method, path, query, headers, body);
    }
    if path.starts_with("/ShoppingWebService/V1/") || path == yahoo::TOKEN_PATH {
        return yahoo::handle(state, method, path, headers, body);
    }
    if path == "/auth/o2/token" || path.starts_with("/orders/v0/") {
        return amazon::handle(state, method, path, query, headers, body);
    }
    Reply::json(404, serde_json::json!({"error": format!("the mock mall has no {method} {path}")}))
}

/// The mall kind a path belongs to, as settings name it.
fn mall_of(path: &str) -> Option<&'static str> {
    if path.starts_with("/es/2.0/order/") {
        Some("rakuten")
    } else if path.starts_with("/wmshopapi/") {
        Some("aupay")
    } else if path.starts_with("/ShoppingWebService/V1/") {
        Some("yahoo")
    } else if path.starts_with("/orders/v0/") {
        Some("amazon")
    } else {
        None
    }
}

/// A header's value, by lower-case name.
pub fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
}
