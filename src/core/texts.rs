//! The core's own sentences in every language.
//!
//! The core writes its sentences in English, each through [`tr`]; the English text is the key
//! to its Traditional Chinese translation in [`ZH`] (Simplified readers get the Traditional
//! text converted where replies leave the engine). Values go in after translation through
//! `{name}` placeholders and [`fill`], so that a translation can put them where its grammar
//! wants. A test reads the core's sources and fails for a sentence without its translation, or
//! a translation that loses a placeholder, link, address or figure.

use std::collections::HashMap;
use std::sync::LazyLock;

use crate::lang::Lang;

mod zh;

static CHINESE: LazyLock<HashMap<&'static str, &'static str>> =
    LazyLock::new(|| zh::ZH.iter().copied().collect());

/// The core's sentence `en` in `lang`.
pub fn tr(lang: Lang, en: &'static str) -> &'static str {
    if lang.is_chinese() {
        CHINESE.get(en).copied().unwrap_or(en)
    } else {
        en
    }
}

/// `text` with each `{name}` replaced by its value.
pub fn fill(text: &str, values: &[(&str, &str)]) -> String {
    let mut out = text.to_string();
    for (name, value) in values {
        out = out.replace(&format!("{{{name}}}"), value);
    }
    out
}

/// A list of items as the language writes one ("A, B" / "A、B").
pub fn list(lang: Lang, items: &[String]) -> String {
    items.join(if lang.is_chinese() { "、" } else { ", " })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The English literals passed to `tr(…)` in a Rust source.
    fn sentences(source: &str) -> Vec<String> {
        let mut found = Vec::new();
        let mut rest = source;
        while let Some(at) = rest.find("tr(") {
            let before = rest[..at].chars().last();
            rest = &rest[at + 3..];
            if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
                continue;
            }
            let Some(comma) = rest.find(',') else { break };
            let after = rest[comma + 1..].trim_start();
            let Some(body) = after.strip_prefix('"') else {
                continue;
            };
            let mut text = String::new();
            let mut chars = body.chars();
            while let Some(c) = chars.next() {
                match c {
                    '\\' => match chars.next() {
                        Some('n') => text.push('\n'),
                        Some(other) => text.push(other),
                        None => break,
                    },
                    '"' => break,
                    c => text.push(c),
                }
            }
            found.push(text);
        }
        found
    }

    fn core_sources() -> Vec<(std::path::PathBuf, String)> {
        let mut out = Vec::new();
        let mut dirs = vec![std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("src/core")];
        while let Some(dir) = dirs.pop() {
            for entry in std::fs::read_dir(&dir).expect("src/core is readable") {
                let path = entry.expect("entry").path();
                if path.is_dir() {
                    dirs.push(path);
                } else if path.extension().is_some_and(|e| e == "rs") {
                    let text = std::fs::read_to_string(&path).expect("source is readable");
                    out.push((path, text));
                }
            }
        }
        out
    }

    fn placeholders(text: &str) -> Vec<&str> {
        let mut names: Vec<&str> = text
            .split('{')
            .skip(1)
            .filter_map(|r| r.find('}').map(|e| &r[..e]))
            .filter(|n| !n.is_empty() && n.chars().all(|c| c.is_ascii_lowercase() || c == '_'))
            .collect();
        names.sort_unstable();
        names
    }

    #[test]
    fn every_sentence_of_the_core_has_its_chinese() {
        let mut missing = Vec::new();
        let mut count = 0;
        for (path, source) in core_sources() {
            for sentence in sentences(&source) {
                count += 1;
                if !CHINESE.contains_key(sentence.as_str()) {
                    missing.push(format!("{}: {sentence}", path.display()));
                }
            }
        }
        assert!(count > 50, "the scan found only {count} sentences");
        assert!(
            missing.is_empty(),
            "no Chinese for:\n{}",
            missing.join("\n")
        );
    }

    #[test]
    fn translations_keep_placeholders_and_facts() {
        for (en, zh) in zh::ZH {
            assert_eq!(placeholders(en), placeholders(zh), "placeholders of {en:?}");
            let dropped = crate::knowledge::facts::dropped(en, zh);
            assert!(dropped.is_empty(), "{zh:?} drops {dropped:?}");
            assert!(crate::markup::check(zh).is_ok(), "markup of {zh:?}");
        }
    }

    #[test]
    fn translates_and_fills() {
        let en = "Sorry, I don't know about that.";
        assert_eq!(tr(Lang::En, en), en);
        assert_ne!(tr(Lang::ZhHant, en), en);
        assert_eq!(fill("a {x} b {x}", &[("x", "1")]), "a 1 b 1");
        let source = "tr(lang, \"a \\\"b\\\"\") + tr(conversation.lang,\n \"c\")";
        assert_eq!(sentences(source), ["a \"b\"", "c"]);
    }
}
