//! The languages the bot speaks, telling them apart in a message, and converting between the two
//! Chinese scripts.
//!
//! The knowledge base and the core write English and Traditional Chinese; Simplified Chinese is
//! made from the Traditional text by conversion (MediaWiki's tables, through `zhconv`), so there
//! is one Chinese text to keep faithful to the FAQ. For matching, Chinese is folded to one script
//! so that one set of examples serves both.

use std::fmt;

use serde::{Deserialize, Serialize};
use zhconv::Variant;

/// A language of the bot's replies.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default, Serialize, Deserialize,
)]
pub enum Lang {
    #[default]
    #[serde(rename = "en")]
    En,
    /// Traditional Chinese: what Hong Kong writes, Cantonese included.
    #[serde(rename = "zh-Hant")]
    ZhHant,
    /// Simplified Chinese, converted from the Traditional text.
    #[serde(rename = "zh-Hans")]
    ZhHans,
}

impl Lang {
    pub const ALL: [Lang; 3] = [Lang::En, Lang::ZhHant, Lang::ZhHans];

    pub fn is_chinese(self) -> bool {
        self != Lang::En
    }

    /// The BCP 47 tag: `en`, `zh-Hant`, `zh-Hans`.
    pub fn tag(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::ZhHant => "zh-Hant",
            Lang::ZhHans => "zh-Hans",
        }
    }

    /// The language's own name, as a user would pick it.
    pub fn name(self) -> &'static str {
        match self {
            Lang::En => "English",
            Lang::ZhHant => "繁體中文",
            Lang::ZhHans => "简体中文",
        }
    }

    /// A language tag or name as users and platforms write it (`en-GB`, `zh-hk`, `zh-CN`,
    /// `zh-Hant`, `繁體`, `中文`, `english`…); `None` for anything else.
    pub fn parse(text: &str) -> Option<Lang> {
        let t = text.trim().to_lowercase().replace('_', "-");
        let t = t.as_str();
        if t == "en" || t.starts_with("en-") || t == "english" || t == "英文" {
            return Some(Lang::En);
        }
        let simplified = [
            "zh-hans",
            "zh-cn",
            "zh-sg",
            "zh-my",
            "简体",
            "简体中文",
            "简体字",
            "簡體",
            "簡體中文",
            "simplified",
            "simplified chinese",
        ];
        if simplified
            .iter()
            .any(|s| t == *s || t.starts_with(&format!("{s}-")))
        {
            return Some(Lang::ZhHans);
        }
        let traditional = [
            "zh",
            "zh-hant",
            "zh-hk",
            "zh-tw",
            "zh-mo",
            "繁體",
            "繁體中文",
            "繁体",
            "繁体中文",
            "中文",
            "廣東話",
            "广东话",
            "粵語",
            "粤语",
            "chinese",
            "traditional",
            "traditional chinese",
            "cantonese",
        ];
        if traditional
            .iter()
            .any(|s| t == *s || t.starts_with(&format!("{s}-")))
        {
            return Some(Lang::ZhHant);
        }
        None
    }
}

impl fmt::Display for Lang {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.tag())
    }
}

/// A Han character (CJK unified ideographs, their extensions and compatibility forms).
pub fn is_han(c: char) -> bool {
    matches!(c as u32,
        0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xF900..=0xFAFF | 0x20000..=0x3134F)
}

/// The language a message shows, when it shows one.
///
/// Any Han character makes it Chinese, as Hong Kong people mix English words into Chinese
/// ("點樣 activate alumni email?") but not the other way round; Simplified when more of its
/// characters are Simplified-only than Traditional-only. Three or more Latin words make it
/// English. Anything shorter ("ok", "2", a name, a passport number) shows no language, and the
/// conversation keeps the one it has.
pub fn detect(text: &str) -> Option<Lang> {
    if text.chars().any(is_han) {
        return Some(script(text));
    }
    let words = text
        .split(|c: char| !c.is_ascii_alphabetic())
        .filter(|w| w.len() >= 2)
        .count();
    (words >= 3).then_some(Lang::En)
}

/// Which Chinese script a text is written in: Simplified when conversion to Traditional changes
/// more characters than conversion to Simplified does; Traditional otherwise (the characters
/// both scripts share are read as Hong Kong's).
fn script(text: &str) -> Lang {
    let as_simplified = zhconv::zhconv(text, Variant::ZhHans);
    let as_traditional = zhconv::zhconv(text, Variant::ZhHant);
    let changed = |other: &str| {
        text.chars()
            .zip(other.chars())
            .filter(|(a, b)| a != b)
            .count()
    };
    if changed(&as_traditional) > changed(&as_simplified) {
        Lang::ZhHans
    } else {
        Lang::ZhHant
    }
}

/// The text in Simplified Chinese; text without Han characters is returned as it is.
pub fn to_simplified(text: &str) -> String {
    if text.chars().any(is_han) {
        zhconv::zhconv(text, Variant::ZhHans)
    } else {
        text.to_string()
    }
}

/// The text in the script of `lang`: Traditional text is converted for Simplified readers and
/// left alone for everyone else.
pub fn in_script(text: &str, lang: Lang) -> String {
    match lang {
        Lang::ZhHans => to_simplified(text),
        Lang::En | Lang::ZhHant => text.to_string(),
    }
}

/// Folds a text to one Chinese script for matching (Simplified: the many-to-one direction, so
/// two Traditional variants of a character meet in one).
pub fn fold(text: &str) -> String {
    to_simplified(text)
}

/// Makes the conversion tables ready, so that the first Chinese message does not pay for it.
pub fn warm_up() {
    let _ = zhconv::zhconv("點樣啟用", Variant::ZhHans);
    let _ = zhconv::zhconv("怎么激活", Variant::ZhHant);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_the_language_a_message_shows() {
        assert_eq!(detect("點樣 activate alumni email?"), Some(Lang::ZhHant));
        assert_eq!(detect("我個密碼唔記得咗"), Some(Lang::ZhHant));
        assert_eq!(detect("请问怎么激活校友邮箱"), Some(Lang::ZhHans));
        assert_eq!(detect("忘记密码了怎么办"), Some(Lang::ZhHans));
        assert_eq!(detect("how do I activate my account"), Some(Lang::En));
        assert_eq!(detect("ok"), None);
        assert_eq!(detect("2"), None);
        assert_eq!(detect("K1234567"), None);
        assert_eq!(detect("CHAN Tai"), None);
    }

    #[test]
    fn converts_traditional_to_simplified() {
        assert_eq!(to_simplified("啟用校友電郵帳戶"), "启用校友电邮帐户");
        assert_eq!(
            to_simplified("https://x.ust.hk 說明"),
            "https://x.ust.hk 说明"
        );
        assert_eq!(in_script("帳戶", Lang::ZhHant), "帳戶");
        assert_eq!(fold("電郵"), fold("电邮"));
    }

    #[test]
    fn parses_tags_and_names() {
        assert_eq!(Lang::parse("zh-HK"), Some(Lang::ZhHant));
        assert_eq!(Lang::parse("zh-CN"), Some(Lang::ZhHans));
        assert_eq!(Lang::parse("zh-hans"), Some(Lang::ZhHans));
        assert_eq!(Lang::parse("en-GB"), Some(Lang::En));
        assert_eq!(Lang::parse("中文"), Some(Lang::ZhHant));
        assert_eq!(Lang::parse("简体"), Some(Lang::ZhHans));
        assert_eq!(Lang::parse("fr"), None);
        for lang in Lang::ALL {
            assert_eq!(Lang::parse(lang.tag()), Some(lang));
            assert_eq!(Lang::parse(lang.name()), Some(lang));
        }
    }
}
