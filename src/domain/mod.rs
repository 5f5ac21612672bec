//! Pure types and logic of the shop, no I/O.

pub mod calendar;
pub mod enrichment;
pub mod holidays;
pub mod masters;
pub mod option_text;
pub mod order;
pub mod order_status;
pub mod prefecture;
pub mod remarks;
pub mod text;

/// Yen are integers: no fractions, no floats.
pub type Yen = i64;

/// `150-0001` or `1500001` (half- or full-width digits).
pub fn is_postal_code(s: &str) -> bool {
    let digits: String = text::to_half_width(s).chars().filter(|c| *c != '-').collect();
    digits.len() == 7 && digits.chars().all(|c| c.is_ascii_digit())
}
