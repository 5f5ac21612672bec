//! What the mock mall has been told to change: an overlay of applied changes per (mall, order)
//! that every read of that mall shows, and a log of every write call (applied, refused, or applied
//! with the answer dropped). Kept in memory, and in a JSON state file when one is given (the
//! in-process mock lives only as long as one `juchu` run; the next run's fetch must still see it).

use std::cell::Cell;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use chrono::{DateTime, FixedOffset};
use serde::{Deserialize, Serialize};

use super::orders::Rng;
use super::MockState;

/// One shipping row the mall holds for an order (Rakuten: a ShippingModel of a basket).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShipRow {
    /// Rakuten's shippingDetailId; 0 for the other malls.
    #[serde(default)]
    pub detail_id: u64,
    /// Rakuten's basketId; 0 for the other malls.
    #[serde(default)]
    pub basket_id: u64,
    /// The mall's carrier code (or name, for FutureShop2).
    pub carrier: String,
    /// お問い合わせ番号; empty for a shipment without tracking.
    pub number: String,
    /// The ship date as the mall stores it (`YYYY-MM-DD`).
    pub date: String,
}

/// What the writes changed on one order.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Applied {
    /// The status as the mall writes it (Rakuten `300`, Yahoo `5`, au PAY `完了`, …): wins over the
    /// mock's time-driven status from now on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// Yahoo ShipStatus.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ship_status: Option<String>,
    /// Yahoo ShipInvoiceNumberEmptyReason.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub empty_reason: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub shipping: Vec<ShipRow>,
    /// When the last write was applied (RFC 3339, the mock's clock): the order's update stamp
    /// (Amazon LastUpdateDate, Yahoo LastUpdateTime) moves on to it, so a poll by update time sees it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated_at: Option<String>,
}

impl Applied {
    /// The later of the mall's own update stamp and the last write's.
    pub fn updated(applied: Option<&Applied>, stamp: DateTime<FixedOffset>) -> DateTime<FixedOffset> {
        applied.and_then(|a| a.updated_at.as_deref()).and_then(|t| DateTime::parse_from_rfc3339(t).ok()).map_or(stamp, |t| t.max(stamp))
    }
}

/// One write call the mock received.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WriteCall {
    /// 1, 2, … in the order received.
    pub seq: u64,
    /// The mall kind's settings name (`rakuten`, …).
    pub mall: String,
    /// The wire call (`confirmOrder`, `updateOrderShipping`, `upload`, …).
    pub call: String,
    /// The order number the call names ("" when it names none).
    pub order: String,
    /// `applied`, `refused`, or `dropped` (applied, and the answer never sent).
    pub outcome: String,
    /// The mall's words for a refusal ("" otherwise).
    #[serde(default)]
    pub detail: String,
    /// The request body as received (for an upload: the file as text).
    pub body: String,
}

/// The overlay and the log, as kept and as written to the state file.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct WriteBook {
    /// `mall/order` → what was applied.
    #[serde(default)]
    pub applied: BTreeMap<String, Applied>,
    #[serde(default)]
    pub log: Vec<WriteCall>,
    /// The last shippingDetailId handed out (Rakuten).
    #[serde(default)]
    pub last_detail_id: u64,
}

impl WriteBook {
    /// The book in a state file; an empty one when the file does not exist yet.
    pub fn load(path: &Path) -> anyhow::Result<WriteBook> {
        match std::fs::read_to_string(path) {
            Ok(text) => {
                serde_json::from_str(&text).map_err(|e| anyhow::anyhow!("the mock mall's state file {} is not valid: {e}", path.display()))
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(WriteBook::default()),
            Err(e) => Err(anyhow::anyhow!("cannot read the mock mall's state file {}: {e}", path.display())),
        }
    }

    /// Writes the book aside and renames it into place, so a crash never leaves half a file.
    pub fn save(&self, path: &Path) -> std::io::Result<()> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)?;
        }
        let tmp = path.with_extension("json.tmp");
        std::fs::write(&tmp, serde_json::to_vec_pretty(self).map_err(std::io::Error::other)?)?;
        std::fs::rename(&tmp, path)
    }
}

fn key(mall: &str, order: &str) -> String {
    format!("{mall}/{order}")
}

thread_local! {
    /// Set when the write this thread just logged was applied and its answer is to be dropped:
    /// the HTTP side then closes the connection without a response.
    static DROP_ANSWER: Cell<bool> = const { Cell::new(false) };
}

/// Whether the write handled on this thread asked for its answer to be dropped (and clears it).
pub fn take_drop() -> bool {
    DROP_ANSWER.with(|d| d.replace(false))
}

impl MockState {
    /// What the writes changed on an order so far.
    pub fn applied(&self, mall: &str, order: &str) -> Option<Applied> {
        self.book.lock().expect("mock lock").applied.get(&key(mall, order)).cloned()
    }

    /// Every write call so far, in the order received.
    pub fn write_log(&self) -> Vec<WriteCall> {
        self.book.lock().expect("mock lock").log.clone()
    }

    /// Logs one write call and applies it (or not): one lock for both, so two calls never interleave.
    /// `decide` gets what the order holds so far (and the last shippingDetailId handed out) and
    /// returns what it holds after the call, or the mall's words refusing it. Returns those words
    /// for a refusal; an applied write whose answer is to be dropped marks this thread (`take_drop`).
    pub fn write(
        &self,
        mall: &str,
        call: &str,
        order: &str,
        body: &str,
        decide: impl FnOnce(&Applied, &mut u64) -> Result<Applied, String>,
    ) -> Result<(), String> {
        let mut book = self.book.lock().expect("mock lock");
        let current = book.applied.get(&key(mall, order)).cloned().unwrap_or_default();
        let seq = book.log.len() as u64 + 1;
        let mut last = book.last_detail_id;
        let (outcome, detail) = match decide(&current, &mut last) {
            Ok(mut next) => {
                next.updated_at = Some((self.now)().to_rfc3339());
                book.last_detail_id = last;
                book.applied.insert(key(mall, order), next);
                // Drawn from the seed and the call's number only: a scenario replays the same way.
                let mut r = Rng::new(self.scenario.seed ^ seq.wrapping_mul(0xD1B54A32D192ED03));
                let roll = (r.next_u64() >> 11) as f64 / (1u64 << 53) as f64;
                if roll < self.scenario.drop_write_responses {
                    DROP_ANSWER.with(|d| d.set(true));
                    ("dropped", String::new())
                } else {
                    ("applied", String::new())
                }
            }
            Err(why) => ("refused", why),
        };
        book.log.push(WriteCall {
            seq,
            mall: mall.into(),
            call: call.into(),
            order: order.into(),
            outcome: outcome.into(),
            detail: detail.clone(),
            body: body.into(),
        });
        if let Some(path) = &self.state_file {
            if let Err(e) = book.save(path) {
                log::warn!("mock mall: writing its state to {} failed: {e}", path.display());
            }
        }
        if outcome == "refused" {
            Err(detail)
        } else {
            Ok(())
        }
    }
}

/// The state file the pipeline runner's in-process mock keeps beside the store.
pub fn state_file_beside(store: &Path) -> PathBuf {
    store.parent().unwrap_or(Path::new(".")).join("mock-mall-state.json")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_book_round_trips_through_its_state_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s/mock-mall-state.json");
        assert!(WriteBook::load(&path).unwrap().log.is_empty(), "no file yet: an empty book");
        let mut book = WriteBook::default();
        book.applied.insert(
            key("rakuten", "1"),
            Applied {
                status: Some("300".into()),
                shipping: vec![ShipRow {
                    detail_id: 1,
                    basket_id: 2,
                    carrier: "1001".into(),
                    number: "123".into(),
                    date: "2026-11-28".into(),
                }],
                ..Default::default()
            },
        );
        book.save(&path).unwrap();
        let back = WriteBook::load(&path).unwrap();
        assert_eq!(back.applied, book.applied);
        assert!(!path.with_extension("json.tmp").exists());
    }
}
