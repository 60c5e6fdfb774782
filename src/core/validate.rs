//! Checks of what users type into a flow's `ask` steps. Each check returns the value as it will
//! be kept (trimmed, tidied) or the reason it was not accepted, phrased for the user.

use super::texts::{fill, tr};
use crate::knowledge::flow::Kind;
use crate::lang::{Lang, is_han};

/// The first year the university had graduates the alumni office serves.
pub const FIRST_YEAR: i32 = 1991;

/// Longest free-text answer kept, in characters.
pub const MAX_TEXT_CHARS: usize = 2_000;

/// Checks `text` as a value of `kind`; `this_year` bounds years of graduation. A reason is in
/// the user's language.
pub fn validate(kind: Kind, text: &str, this_year: i32, lang: Lang) -> Result<String, String> {
    let text = text.trim();
    match kind {
        Kind::Text | Kind::Message => text_value(text, lang),
        Kind::Name => name(without_lead(text), lang),
        Kind::Email => email(address_in(text), lang),
        Kind::Year => year(text, this_year, lang),
        Kind::IdNumber => id_number(without_lead(text), lang),
        Kind::File => Err(tr(lang, "I need a file here: a photo or a PDF.").into()),
    }
}

/// "ok use tom@example.com": the one address in a sentence of a few words around it. A lone
/// stray word ("a b@x.com") is more likely a typo inside the address, and is refused as it is.
fn address_in(text: &str) -> &str {
    // Chinese writes no spaces around it: "我個email係 peter@gmail.com".
    let chinese = text.chars().any(is_han);
    let words: Vec<&str> = text
        .split(|c: char| c.is_whitespace() || matches!(c, ',' | '，' | '：' | '。') || is_han(c))
        .filter(|w| !w.is_empty())
        .collect();
    let addresses: Vec<&str> = words
        .iter()
        .map(|w| w.trim_end_matches(['.', ';', '!', ')']))
        .filter(|w| w.contains('@'))
        .collect();
    match addresses[..] {
        [one] if words.len() >= 3 || chinese => one,
        _ => text,
    }
}

/// "my name is CHAN Tai Man", "it's K1234567(8)": the value without the words that introduce it.
fn without_lead(text: &str) -> &str {
    const LEADS: [&str; 26] = [
        "我的全名是",
        "我的名字是",
        "我嘅全名係",
        "我嘅名係",
        "我個名係",
        "我叫",
        "全名係",
        "全名是",
        "名字是",
        "護照號碼係",
        "护照号码是",
        "護照號碼是",
        "my full name is ",
        "my name is ",
        "full name is ",
        "name is ",
        "my passport number is ",
        "passport number is ",
        "my passport no is ",
        "the number is ",
        "my hkid is ",
        "it is ",
        "it's ",
        "its ",
        "i am ",
        "i'm ",
    ];
    let trimmed = text.trim_start();
    let lower = trimmed.to_ascii_lowercase();
    LEADS
        .iter()
        .find(|l| lower.starts_with(*l))
        .map_or(trimmed, |l| {
            trimmed[l.len()..].trim_start_matches([':', ' ', '：', '，'])
        })
}

fn text_value(text: &str, lang: Lang) -> Result<String, String> {
    if text.is_empty() {
        return Err(tr(lang, "That was empty.").into());
    }
    if text.chars().count() > MAX_TEXT_CHARS {
        return Err(fill(
            tr(lang, "That is longer than I can keep ({max} characters)."),
            &[("max", &MAX_TEXT_CHARS.to_string())],
        ));
    }
    // Kept verbatim: staff see exactly what was written.
    Ok(text.to_string())
}

/// A name as on an HKID card or passport: in Latin letters, with the Chinese name beside it if
/// the user adds one ("CHAN Tai Man Peter 陳大文"). A Chinese name alone is not what a passport
/// shows, so the user is asked for the spelling too.
fn name(text: &str, lang: Lang) -> Result<String, String> {
    let tidy = text
        .trim_end_matches(['。', '.'])
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    let letters = tidy.chars().filter(|c| c.is_alphabetic()).count();
    let allowed = |c: char| {
        c.is_alphabetic()
            || matches!(
                c,
                ' ' | '-' | '\'' | '’' | '.' | ',' | '，' | '（' | '）' | '(' | ')'
            )
    };
    if tidy.chars().any(|c| c.is_ascii_digit()) {
        return Err(tr(lang, "A name has no digits.").into());
    }
    if letters < 2 || !tidy.chars().all(allowed) {
        return Err(tr(
            lang,
            "That doesn't look like a name: please use letters, as on your HKID card or passport.",
        )
        .into());
    }
    if !tidy.chars().any(|c| c.is_ascii_alphabetic()) && tidy.chars().any(is_han) {
        return Err(tr(
            lang,
            "Please write the name in English letters exactly as printed on your HKID card or passport, including any middle name; you may add your Chinese name after it, for example \"CHAN Tai Man Peter 陳大文\".",
        )
        .into());
    }
    if tidy.chars().count() > 100 {
        return Err(tr(
            lang,
            "That is too long for a name (100 characters at most).",
        )
        .into());
    }
    // A Chinese name is one run of two to five characters; more, or Chinese punctuation, is a
    // sentence ("等等，搞錯咗，唔係個名").
    let han_runs = tidy
        .split(|c: char| !is_han(c))
        .filter(|r| !r.is_empty())
        .collect::<Vec<_>>();
    if han_runs.len() > 1 || han_runs.iter().any(|r| r.chars().count() > 5) || tidy.contains('，')
    {
        return Err(tr(
            lang,
            "That reads like a sentence rather than a name: please type only your name, as on your HKID card or passport (or **back** to change your earlier answer).",
        )
        .into());
    }
    // "my name", "actually no, it's my passport that's wrong": a sentence, not a name.
    const SENTENCE_WORDS: [&str; 28] = [
        "my", "is", "it's", "its", "not", "the", "that", "that's", "wrong", "name", "said",
        "sorry", "wait", "actually", "passport", "number", "please", "thanks", "yes", "no", "fine",
        "should", "be", "record", "send", "looks", "ok", "okay",
    ];
    let sentence = tidy
        .split([' ', ','])
        .map(|w| {
            w.trim_matches(|c: char| !c.is_alphabetic() && c != '\'')
                .to_lowercase()
        })
        .any(|w| SENTENCE_WORDS.contains(&w.as_str()));
    if sentence {
        return Err(tr(
            lang,
            "That reads like a sentence rather than a name: please type only your name, as on your HKID card or passport (or **back** to change your earlier answer).",
        )
        .into());
    }
    Ok(tidy)
}

fn email(text: &str, lang: Lang) -> Result<String, String> {
    let bad = || {
        Err(tr(
            lang,
            "That doesn't look like an email address (like name@example.com).",
        )
        .into())
    };
    if text.chars().any(char::is_whitespace) || text.len() > 254 {
        return bad();
    }
    let Some((local, domain)) = text.split_once('@') else {
        return bad();
    };
    let labels: Vec<&str> = domain.split('.').collect();
    let label_ok = |l: &&str| {
        !l.is_empty()
            && !l.starts_with('-')
            && !l.ends_with('-')
            && l.chars().all(|c| c.is_alphanumeric() || c == '-')
    };
    let tld_ok = labels
        .last()
        .is_some_and(|t| t.chars().count() >= 2 && t.chars().all(char::is_alphabetic));
    if local.is_empty()
        || local.len() > 64
        || local.contains(['@', '<', '>', '"', ',', ';'])
        || labels.len() < 2
        || !labels.iter().all(label_ok)
        || !tld_ok
    {
        return bad();
    }
    Ok(format!("{local}@{}", domain.to_lowercase()))
}

fn year(text: &str, this_year: i32, lang: Lang) -> Result<String, String> {
    let four_digits = || {
        tr(
            lang,
            "Please give the year as four digits, for example 2015.",
        )
        .to_string()
    };
    // "2015", "class of 2015", "in 2015.": the one four-digit number in the text.
    let numbers: Vec<&str> = text
        .split(|c: char| !c.is_ascii_digit())
        .filter(|n| !n.is_empty())
        .collect();
    let [number] = numbers.as_slice() else {
        return Err(four_digits());
    };
    match number.parse::<i32>() {
        Ok(y) if number.len() == 4 && (FIRST_YEAR..=this_year).contains(&y) => Ok(y.to_string()),
        Ok(_) if number.len() == 4 => Err(fill(
            tr(
                lang,
                "The year of graduation must be between {first} and {last}.",
            ),
            &[
                ("first", &FIRST_YEAR.to_string()),
                ("last", &this_year.to_string()),
            ],
        )),
        _ => Err(four_digits()),
    }
}

fn id_number(text: &str, lang: Lang) -> Result<String, String> {
    // HKID "A123456(7)" and passport numbers, as people type them: spaces, dashes, brackets.
    let compact: String = text
        .chars()
        .filter(|c| !matches!(c, ' ' | '-' | '(' | ')'))
        .collect::<String>()
        .to_uppercase();
    let len = compact.chars().count();
    if !(5..=20).contains(&len) || !compact.chars().all(|c| c.is_ascii_alphanumeric()) {
        return Err(tr(
            lang,
            "An HKID or passport number has 5 to 20 letters and digits, like A1234567 or K12345678.",
        )
        .into());
    }
    if !compact.chars().any(|c| c.is_ascii_digit()) {
        return Err(tr(lang, "An HKID or passport number has digits in it.").into());
    }
    Ok(compact)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(kind: Kind, text: &str) -> String {
        validate(kind, text, 2026, Lang::En).unwrap_or_else(|e| panic!("{text:?} refused: {e}"))
    }

    fn refused(kind: Kind, text: &str) -> bool {
        validate(kind, text, 2026, Lang::En).is_err()
    }

    #[test]
    fn years_between_the_first_class_and_now() {
        assert_eq!(ok(Kind::Year, "2015"), "2015");
        assert_eq!(ok(Kind::Name, "my name is Lee Mei Ling"), "Lee Mei Ling");
        for sentence in [
            "my name",
            "actually no, it's my passport number that's wrong, not the name",
            "hmm wait, sorry, it is the name after all",
        ] {
            assert!(refused(Kind::Name, sentence), "{sentence:?} kept as a name");
        }
        assert_eq!(ok(Kind::IdNumber, "it's K1234567(8)"), "K12345678");
        assert_eq!(
            ok(
                Kind::Email,
                "my email is the alumni one lol... ok use tom_lee@yahoo.com.hk"
            ),
            "tom_lee@yahoo.com.hk"
        );
        assert_eq!(ok(Kind::Year, "class of 1991."), "1991");
        assert_eq!(ok(Kind::Year, " 2026 "), "2026");
        for bad in [
            "1990",
            "2027",
            "15",
            "20155",
            "twenty fifteen",
            "2014 or 2015",
            "",
        ] {
            assert!(refused(Kind::Year, bad), "{bad:?} accepted");
        }
        assert!(
            validate(Kind::Year, "1985", 2026, Lang::En)
                .unwrap_err()
                .contains("between 1991 and 2026")
        );
    }

    #[test]
    fn emails() {
        assert_eq!(
            ok(Kind::Email, "Peter.Chan@Gmail.COM"),
            "Peter.Chan@gmail.com"
        );
        assert_eq!(ok(Kind::Email, "a+b@sub.example.hk"), "a+b@sub.example.hk");
        assert_eq!(
            ok(Kind::Email, "我個email係 peter.chan@gmail.com。"),
            "peter.chan@gmail.com"
        );
        assert_eq!(ok(Kind::Email, "我的邮箱是peter@qq.com"), "peter@qq.com");
        for bad in [
            "peter",
            "peter@",
            "@x.com",
            "a@b",
            "a@b.c",
            "a b@x.com",
            "a@@x.com",
            "a@-x.com",
            "<a@x.com>",
        ] {
            assert!(refused(Kind::Email, bad), "{bad:?} accepted");
        }
    }

    #[test]
    fn names() {
        assert_eq!(ok(Kind::Name, "  CHAN   Tai Man "), "CHAN Tai Man");
        assert_eq!(
            ok(Kind::Name, "O'Brien-Smith, Mary Ann"),
            "O'Brien-Smith, Mary Ann"
        );
        // The name as on the HKID card, Chinese beside it; a Chinese name alone is asked again.
        assert_eq!(
            ok(Kind::Name, "CHAN Tai Man Peter 陳大文"),
            "CHAN Tai Man Peter 陳大文"
        );
        assert_eq!(ok(Kind::Name, "我叫 CHAN Tai Man"), "CHAN Tai Man");
        assert!(refused(Kind::Name, "陳大文"));
        let zh = validate(Kind::Name, "陳大文", 2026, Lang::ZhHant).unwrap_err();
        assert!(
            zh.contains("CHAN Tai Man Peter 陳大文") && zh.contains("英文"),
            "{zh}"
        );
        for bad in [
            "",
            "x",
            "R2D2",
            "<script>alert(1)</script>",
            "robert'); DROP TABLE tickets;--",
        ] {
            assert!(refused(Kind::Name, bad), "{bad:?} accepted");
        }
    }

    #[test]
    fn id_numbers() {
        assert_eq!(ok(Kind::IdNumber, "a123456(7)"), "A1234567");
        assert_eq!(ok(Kind::IdNumber, "K 1234-5678"), "K12345678");
        for bad in [
            "123",
            "ABCDEFG",
            "A1234567' OR 1=1",
            "A123456789012345678901",
        ] {
            assert!(refused(Kind::IdNumber, bad), "{bad:?} accepted");
        }
    }

    #[test]
    fn free_text_is_kept_verbatim() {
        let text = "<b>hi</b>'; DROP TABLE tickets; --";
        assert_eq!(ok(Kind::Text, text), text);
        assert!(refused(Kind::Text, "   "));
        assert!(refused(Kind::Text, &"x".repeat(MAX_TEXT_CHARS + 1)));
    }
}
