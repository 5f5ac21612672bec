//! Pure types and logic of the shop, no I/O.

pub mod calendar;
pub mod checklist;
pub mod checks;
pub mod enrichment;
pub mod fields;
pub mod holidays;
pub mod lang;
pub mod linkage;
pub mod mail_text;
pub mod mall;
pub mod masters;
pub mod option_text;
pub mod order;
pub mod order_status;
pub mod prefecture;
pub mod remarks;
pub mod tax;
pub mod text;
pub mod time;
pub mod write_back;

/// FNV-1a over bytes, continuing from `seed` (start with `FNV_START`): a fingerprint that is stable
/// across runs and builds, unlike std's hasher.
pub fn fnv1a(seed: u64, bytes: &[u8]) -> u64 {
    bytes.iter().fold(seed, |h, b| (h ^ *b as u64).wrapping_mul(0x100000001b3))
}

pub const FNV_START: u64 = 0xcbf29ce484222325;

/// An FNV-1a-style `Hasher`, to fingerprint a value through its derived `Hash`.
pub struct Fnv(pub u64);

impl Default for Fnv {
    fn default() -> Self {
        Fnv(FNV_START)
    }
}

impl std::hash::Hasher for Fnv {
    fn finish(&self) -> u64 {
        self.0
    }
    /// FNV-1a's xor-multiply over 8-byte words (the tail byte by byte): about eight times faster
    /// than bytewise over enrichment's long source texts, and as stable across builds.
    fn write(&mut self, bytes: &[u8]) {
        let mut words = bytes.chunks_exact(8);
        for w in &mut words {
            self.0 = (self.0 ^ u64::from_le_bytes(w.try_into().expect("8 bytes"))).wrapping_mul(0x100000001b3);
        }
        self.0 = fnv1a(self.0, words.remainder());
    }
}

/// Yen are integers: no fractions, no floats.
pub type Yen = i64;

/// `150-0001` or `1500001` (half- or full-width digits).
pub fn is_postal_code(s: &str) -> bool {
    let digits: String = text::to_half_width(s).chars().filter(|c| *c != '-').collect();
    digits.len() == 7 && digits.chars().all(|c| c.is_ascii_digit())
}
