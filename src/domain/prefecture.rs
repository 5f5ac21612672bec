//! The 47 prefectures (都道府県) with their JIS X 0401 codes.

/// A prefecture, by JIS code 1–47.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Prefecture(u8);

/// JIS X 0401 order.
pub const PREFECTURES: [&str; 47] = [
    "北海道",
    "青森県",
    "岩手県",
    "宮城県",
    "秋田県",
    "山形県",
    "福島県",
    "茨城県",
    "栃木県",
    "群馬県",
    "埼玉県",
    "千葉県",
    "東京都",
    "神奈川県",
    "新潟県",
    "富山県",
    "石川県",
    "福井県",
    "山梨県",
    "長野県",
    "岐阜県",
    "静岡県",
    "愛知県",
    "三重県",
    "滋賀県",
    "京都府",
    "大阪府",
    "兵庫県",
    "奈良県",
    "和歌山県",
    "鳥取県",
    "島根県",
    "岡山県",
    "広島県",
    "山口県",
    "徳島県",
    "香川県",
    "愛媛県",
    "高知県",
    "福岡県",
    "佐賀県",
    "長崎県",
    "熊本県",
    "大分県",
    "宮崎県",
    "鹿児島県",
    "沖縄県",
];

impl Prefecture {
    pub fn from_code(code: u8) -> Option<Prefecture> {
        (1..=47).contains(&code).then_some(Prefecture(code))
    }

    /// Exact full name with its suffix, as malls send it (`東京都`).
    pub fn from_name(name: &str) -> Option<Prefecture> {
        PREFECTURES.iter().position(|p| *p == name.trim()).map(|i| Prefecture(i as u8 + 1))
    }

    /// A likely meant prefecture for a name without suffix or with a wrong one (`東京`, `大阪県`).
    pub fn suggest(name: &str) -> Option<Prefecture> {
        let stem = name.trim().trim_end_matches(['都', '道', '府', '県']);
        if stem.is_empty() {
            return None;
        }
        PREFECTURES
            .iter()
            .position(|p| p.trim_end_matches(['都', '道', '府', '県']) == stem || (*p == "北海道" && stem == "北海"))
            .map(|i| Prefecture(i as u8 + 1))
    }

    pub fn code(self) -> u8 {
        self.0
    }

    /// Two-digit JIS code, `01`–`47`.
    pub fn jis_code(self) -> String {
        format!("{:02}", self.0)
    }

    pub fn name(self) -> &'static str {
        PREFECTURES[self.0 as usize - 1]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_codes() {
        assert_eq!(Prefecture::from_name("東京都").unwrap().jis_code(), "13");
        assert_eq!(Prefecture::from_name("沖縄県").unwrap().code(), 47);
        assert_eq!(Prefecture::from_name("東京"), None);
        assert_eq!(Prefecture::suggest("東京").unwrap().name(), "東京都");
        assert_eq!(Prefecture::suggest("大阪県").unwrap().name(), "大阪府");
    }
}
