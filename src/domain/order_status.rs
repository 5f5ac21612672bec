//! Rakuten RMS order statuses (orderProgress). The order-status master must match these (S3).

/// The RMS set, code and name, exactly as RMS shows them.
pub const RAKUTEN_RMS_STATUSES: [(u16, &str); 9] = [
    (100, "注文確認待ち"),
    (200, "楽天処理中"),
    (300, "発送待ち"),
    (400, "変更確定待ち"),
    (500, "発送済"),
    (600, "支払手続き中"),
    (700, "支払手続き済"),
    (800, "キャンセル確定待ち"),
    (900, "キャンセル確定"),
];

pub fn rakuten_status_name(code: u16) -> Option<&'static str> {
    RAKUTEN_RMS_STATUSES.iter().find(|(c, _)| *c == code).map(|(_, n)| *n)
}
