//! The language staff read: Japanese by default, English on request (`--lang en`, `JUCHU_LANG=en`,
//! `shop.language: en`, in that order of precedence).
//!
//! Every text staff read (check reasons, diagnostic titles and help, field labels) is written once
//! as a [`Text`] with both wordings; the process-wide choice picks one.

use std::sync::atomic::{AtomicU8, Ordering};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    /// 日本語 (the default).
    #[default]
    Ja,
    En,
}

impl Lang {
    /// `ja`/`日本語` or `en`/`english` (any case).
    pub fn parse(s: &str) -> Option<Lang> {
        match s.trim().to_ascii_lowercase().as_str() {
            "ja" | "jp" | "japanese" | "日本語" => Some(Lang::Ja),
            "en" | "english" | "英語" => Some(Lang::En),
            _ => None,
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            Lang::Ja => "ja",
            Lang::En => "en",
        }
    }
}

/// One text in both languages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Text {
    pub ja: &'static str,
    pub en: &'static str,
}

impl Text {
    pub const fn new(ja: &'static str, en: &'static str) -> Text {
        Text { ja, en }
    }

    pub fn get(&self, lang: Lang) -> &'static str {
        match lang {
            Lang::Ja => self.ja,
            Lang::En => self.en,
        }
    }

    /// In the process's language.
    pub fn current(&self) -> &'static str {
        self.get(current())
    }
}

/// One of two formatted wordings, in the process's language.
pub fn pick(ja: impl Into<String>, en: impl Into<String>) -> String {
    match current() {
        Lang::Ja => ja.into(),
        Lang::En => en.into(),
    }
}

// 0 = not chosen yet (Japanese), 1 = ja, 2 = en.
static CURRENT: AtomicU8 = AtomicU8::new(0);
static EXPLICIT: AtomicU8 = AtomicU8::new(0);

/// The language chosen for this process.
pub fn current() -> Lang {
    match CURRENT.load(Ordering::Relaxed) {
        2 => Lang::En,
        _ => Lang::Ja,
    }
}

/// Sets the language from the command line or `JUCHU_LANG` (these win over the settings file).
pub fn set_explicit(lang: Lang) {
    EXPLICIT.store(1, Ordering::Relaxed);
    store(lang);
}

/// Sets the language from `shop.language`, unless `--lang` or `JUCHU_LANG` chose one.
pub fn set_from_settings(lang: Lang) {
    if EXPLICIT.load(Ordering::Relaxed) == 0 {
        store(lang);
    }
}

fn store(lang: Lang) {
    CURRENT.store(if lang == Lang::En { 2 } else { 1 }, Ordering::Relaxed);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_spellings_parse() {
        assert_eq!(Lang::parse("EN"), Some(Lang::En));
        assert_eq!(Lang::parse("日本語"), Some(Lang::Ja));
        assert_eq!(Lang::parse("fr"), None);
        assert_eq!(Text::new("出荷予定日", "planned shipping date").get(Lang::En), "planned shipping date");
    }
}
