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
    detect_after(text, None)
}

/// [`detect`], for a conversation in `current`: a Chinese message written in characters both
/// scripts share ("不行", "好的") keeps the script the conversation has; switching a Chinese
/// conversation to English takes three words and one of the little words English sentences
/// have, so that a name typed there ("CHEUNG Mei Ling Mandy") is not read as English.
pub fn detect_after(text: &str, current: Option<Lang>) -> Option<Lang> {
    // "My Chinese name 陳大文 is wrong": an English sentence with a name in it.
    let han_runs: Vec<&str> = text
        .split(|c: char| !is_han(c))
        .filter(|r| !r.is_empty())
        .collect();
    if let [run] = han_runs[..]
        && run.chars().count() <= 5
        && english_sentence(text)
    {
        return Some(Lang::En);
    }
    if text.chars().any(is_han) {
        return Some(match script(text) {
            Some(lang) => lang,
            None => current.filter(|l| l.is_chinese()).unwrap_or(Lang::ZhHant),
        });
    }
    let english = if current.is_some_and(Lang::is_chinese) {
        english_sentence(text)
    } else {
        latin_words(text).len() >= 3
    };
    english.then_some(Lang::En)
}

/// Three or more English words, one of them a little word only sentences have.
fn english_sentence(text: &str) -> bool {
    let words = latin_words(text);
    words.len() >= 3 && words.iter().any(|w| LITTLE.contains(&w.as_str()))
}

/// The words of two or more Latin letters, lower-cased.
fn latin_words(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_ascii_alphabetic())
        .filter(|w| w.len() >= 2)
        .map(str::to_ascii_lowercase)
        .collect()
}

const LITTLE: [&str; 24] = [
    "the", "my", "how", "what", "is", "do", "can", "to", "for", "it", "you", "me", "am", "are",
    "does", "why", "where", "when", "which", "not", "and", "of", "in", "please",
];

/// Characters Hong Kong writes that conversion tables count as Simplified-only (Cantonese 晒
/// "all", 只, 台, 面, 系 "department"…): they say nothing about the script.
const SHARED_IN_HONG_KONG: [char; 9] = ['晒', '只', '台', '面', '系', '里', '后', '干', '松'];

/// Which Chinese script a text is written in: Simplified when more of its characters are
/// Simplified-only than Traditional-only, Traditional when fewer; `None` when they tie (most
/// often: every character is shared by both).
fn script(text: &str) -> Option<Lang> {
    let as_simplified = zhconv::zhconv(text, Variant::ZhHans);
    let as_traditional = zhconv::zhconv(text, Variant::ZhHant);
    let changed = |other: &str| {
        text.chars()
            .zip(other.chars())
            .filter(|(a, b)| a != b && !SHARED_IN_HONG_KONG.contains(a))
            .count()
    };
    let (mut simplified_only, traditional_only) =
        (changed(&as_traditional), changed(&as_simplified));
    // Words only the Mainland writes, in characters both scripts share.
    const MAINLAND: [&str; 8] = [
        "激活",
        "信息",
        "短信",
        "提示",
        "默认",
        "手机号",
        "视频",
        "软件",
    ];
    if simplified_only == traditional_only && MAINLAND.iter().any(|w| text.contains(w)) {
        simplified_only += 1;
    }
    match simplified_only.cmp(&traditional_only) {
        std::cmp::Ordering::Greater => Some(Lang::ZhHans),
        std::cmp::Ordering::Less => Some(Lang::ZhHant),
        std::cmp::Ordering::Equal => None,
    }
}

/// The text for Simplified Chinese readers: Mainland script and words (电子邮件 for 電郵, 登录
/// for 登入), MediaWiki's zh-cn tables; text without Han characters is returned as it is.
pub fn to_simplified(text: &str) -> String {
    if text.chars().any(is_han) {
        zhconv::zhconv(text, Variant::ZhCN)
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
    if text.chars().any(is_han) {
        zhconv::zhconv(text, Variant::ZhHans)
    } else {
        text.to_string()
    }
}

/// Makes the conversion tables ready, so that the first Chinese message does not pay for it.
pub fn warm_up() {
    let _ = zhconv::zhconv("點樣啟用", Variant::ZhHans);
    let _ = zhconv::zhconv("點樣啟用", Variant::ZhCN);
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
        assert_eq!(
            detect("My Chinese name 陳大文 is wrong on my record"),
            Some(Lang::En)
        );
        assert_eq!(detect("點樣 activate alumni email?"), Some(Lang::ZhHant));
        // Characters both scripts share keep the conversation's script; Cantonese 晒 is no
        // Simplified.
        assert_eq!(detect_after("不行", Some(Lang::ZhHans)), Some(Lang::ZhHans));
        assert_eq!(detect_after("好的", None), Some(Lang::ZhHant));
        assert_eq!(detect("收唔到email，setting全部啱晒"), Some(Lang::ZhHant));
        // A name in a Chinese conversation is no switch to English; a sentence is.
        assert_eq!(
            detect_after("CHEUNG Mei Ling Mandy", Some(Lang::ZhHant)),
            None
        );
        assert_eq!(
            detect_after("how do I reset the password", Some(Lang::ZhHant)),
            Some(Lang::En)
        );
    }

    #[test]
    fn converts_traditional_to_simplified() {
        let simplified = to_simplified("啟用校友電郵帳戶，登入");
        assert!(simplified.starts_with("启用校友"), "{simplified}");
        assert_eq!(detect(&simplified), Some(Lang::ZhHans));
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
