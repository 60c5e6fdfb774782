//! Keeping the knowledge base to what the FAQ says.
//!
//! Every URL, email address, phone number, size, year, month-and-year date and other number that
//! the bot says must occur in the FAQ text vendored under `knowledge/source/`, unless the
//! knowledge base lists it under `own_facts` as a fact of the bot's own procedure (e.g. the
//! largest file it accepts). A statement with anything else is a problem, reported with the file
//! and line of the fact, so an invented link or figure fails `kb check` and CI.

use std::collections::BTreeSet;

/// One fact found in a text, as written there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fact {
    pub kind: FactKind,
    /// As it appears in the text (used to find its line).
    pub written: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum FactKind {
    Url,
    Email,
    Phone,
    Size,
    Date,
    Number,
}

impl FactKind {
    pub fn name(self) -> &'static str {
        match self {
            FactKind::Url => "link",
            FactKind::Email => "email address",
            FactKind::Phone => "phone number",
            FactKind::Size => "size",
            FactKind::Date => "date",
            FactKind::Number => "number",
        }
    }
}

/// Month names, in order (also read by the understanding layer).
pub(crate) const MONTHS: [&str; 12] = [
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
];

/// The facts of `text`, in order. Numbers that only number a list ("1. ") are not facts.
pub fn extract(text: &str) -> Vec<Fact> {
    let mut facts = Vec::new();
    let mut rest_mask = vec![false; text.len()];
    let push = |facts: &mut Vec<Fact>, mask: &mut [bool], kind, start: usize, end: usize| {
        mask[start..end].iter_mut().for_each(|m| *m = true);
        facts.push(Fact {
            kind,
            written: text[start..end].to_string(),
        });
    };
    // URLs first: they hold dots, digits and `@`s that are not facts of their own.
    for (start, _) in text.match_indices("http") {
        let tail = &text[start..];
        if !(tail.starts_with("http://") || tail.starts_with("https://")) {
            continue;
        }
        let len = tail
            .find(|c: char| c.is_whitespace() || matches!(c, ')' | ']' | '"' | '<' | '>'))
            .unwrap_or(tail.len());
        let url = tail[..len].trim_end_matches(['.', ',', ';', ':', '!', '?', '*']);
        push(
            &mut facts,
            &mut rest_mask,
            FactKind::Url,
            start,
            start + url.len(),
        );
    }
    // Email addresses: a word with an `@` between a local part and a dotted domain.
    let word_char = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '+' | '-');
    for (at, _) in text.match_indices('@') {
        if rest_mask[at] {
            continue;
        }
        let start = text[..at]
            .char_indices()
            .rev()
            .take_while(|&(_, c)| word_char(c))
            .last()
            .map_or(at, |(i, _)| i);
        let end = at
            + 1
            + text[at + 1..]
                .char_indices()
                .take_while(|&(_, c)| word_char(c))
                .last()
                .map_or(0, |(i, c)| i + c.len_utf8());
        let domain = text[at + 1..end].trim_end_matches('.');
        let end = at + 1 + domain.len();
        if start < at && domain.contains('.') {
            push(&mut facts, &mut rest_mask, FactKind::Email, start, end);
        }
    }
    // Runs of digits (with the spaces, brackets and dashes of phone numbers inside).
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if rest_mask[i] || !bytes[i].is_ascii_digit() {
            i += 1;
            continue;
        }
        if i > 0 && (bytes[i - 1].is_ascii_alphabetic() || bytes[i - 1] == b'_') {
            // Part of a word ("K12345678", "ph09ctm"): an example, not a figure.
            while i < bytes.len() && bytes[i].is_ascii_alphanumeric() {
                i += 1;
            }
            continue;
        }
        let start = if i > 0 && bytes[i - 1] == b'(' {
            i - 1
        } else {
            i
        };
        let mut end = i;
        let mut digits = 0;
        let mut j = i;
        while j < bytes.len() && !rest_mask[j] {
            let b = bytes[j];
            if b.is_ascii_digit() {
                digits += 1;
                end = j + 1;
            } else if !(matches!(b, b' ' | b'(' | b')' | b'-')
                && j + 1 < bytes.len()
                && (bytes[j + 1].is_ascii_digit() || bytes[j + 1] == b' ' || b == b')'))
            {
                break;
            }
            j += 1;
        }
        if digits >= 8 {
            push(&mut facts, &mut rest_mask, FactKind::Phone, start, end);
            i = end;
            continue;
        }
        // Not a phone number: the first run of digits alone.
        let mut end = i;
        while end < bytes.len() && bytes[end].is_ascii_digit() {
            end += 1;
        }
        let before_letter = i > 0 && (bytes[i - 1].is_ascii_alphabetic() || bytes[i - 1] == b'_');
        let after_letter = end < bytes.len() && bytes[end].is_ascii_alphabetic();
        let list_number =
            text[..i].trim_end_matches([' ', '\t']).ends_with('\n') || text[..i].trim().is_empty();
        let list_number = list_number && bytes.get(end) == Some(&b'.');
        let after = text[end..].trim_start();
        let unit = ["GB", "MB", "KB", "TB"]
            .into_iter()
            .find(|u| after.get(..2).is_some_and(|a| a.eq_ignore_ascii_case(u)));
        if before_letter || (after_letter && unit.is_none()) || list_number {
            i = end;
            continue;
        }
        let before = text[..i].trim_end().to_ascii_lowercase();
        let month = MONTHS.iter().find(|m| before.ends_with(*m));
        let (kind, start, end) = if let Some(unit) = unit {
            let unit_at = text.len() - after.len();
            (FactKind::Size, i, unit_at + unit.len())
        } else if let Some(month) = month {
            let start = text[..i].trim_end().len() - month.len();
            (FactKind::Date, start, end)
        } else {
            (FactKind::Number, i, end)
        };
        push(&mut facts, &mut rest_mask, kind, start, end);
        i = end;
    }
    facts
}

/// The facts of `original` that its translation leaves out: links and email addresses as
/// written, phone numbers by their digits, sizes, dates and numbers by their figures (a
/// translation writes "March 2014" as "2014年3月", and keeps the 2014).
pub fn dropped(original: &str, translation: &str) -> Vec<Fact> {
    let lower = translation.to_lowercase();
    let digits: String = translation.chars().filter(char::is_ascii_digit).collect();
    let numbers: BTreeSet<&str> = translation
        .split(|c: char| !c.is_ascii_digit())
        .filter(|s| !s.is_empty())
        .collect();
    extract(original)
        .into_iter()
        .filter(|fact| {
            let written = fact.written.to_lowercase();
            let kept = match fact.kind {
                FactKind::Url | FactKind::Email => lower.contains(&written),
                FactKind::Phone => {
                    let own: String = written.chars().filter(char::is_ascii_digit).collect();
                    digits.contains(&own)
                }
                FactKind::Size | FactKind::Date | FactKind::Number => written
                    .split(|c: char| !c.is_ascii_digit())
                    .filter(|s| !s.is_empty())
                    .all(|n| numbers.contains(n)),
            };
            !kept
        })
        .collect()
}

/// What the FAQ text supports, prepared once.
pub struct Source {
    lower: String,
    digits: String,
    squeezed: String,
    numbers: BTreeSet<String>,
}

impl Source {
    pub fn new(faq: &str) -> Self {
        let lower = faq.to_lowercase();
        let digits = faq.chars().filter(char::is_ascii_digit).collect();
        let squeezed = lower.split_whitespace().collect();
        let numbers = faq
            .split(|c: char| !c.is_ascii_digit())
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect();
        Source {
            lower,
            digits,
            squeezed,
            numbers,
        }
    }

    /// Whether the FAQ says this fact.
    pub fn supports(&self, fact: &Fact) -> bool {
        let written = fact.written.to_lowercase();
        match fact.kind {
            FactKind::Url | FactKind::Email => self.lower.contains(&written),
            FactKind::Phone => {
                let digits: String = written.chars().filter(char::is_ascii_digit).collect();
                self.digits.contains(&digits)
            }
            FactKind::Size | FactKind::Date => {
                let squeezed: String = written.split_whitespace().collect();
                self.squeezed.contains(&squeezed)
            }
            FactKind::Number => self.numbers.contains(&written),
        }
    }
}

/// The facts of the bot's own procedure that the knowledge base allows beside the FAQ's,
/// compared as written (spaces squeezed, case ignored).
pub fn allowed(own_facts: &[String], fact: &Fact) -> bool {
    let key = |s: &str| s.split_whitespace().collect::<String>().to_lowercase();
    let written = key(&fact.written);
    own_facts.iter().any(|f| key(f) == written)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(text: &str) -> Vec<(FactKind, String)> {
        extract(text)
            .into_iter()
            .map(|f| (f.kind, f.written))
            .collect()
    }

    #[test]
    fn finds_each_kind_of_fact() {
        use FactKind::*;
        assert_eq!(
            kinds(
                "Go to https://myaccount.ust.hk/passwd/forget?graduate=true. Email **alumni@ust.hk** or WhatsApp (852) 6359 1911: 50 GB since March 2014, Firefox 12."
            ),
            [
                (
                    Url,
                    "https://myaccount.ust.hk/passwd/forget?graduate=true".into()
                ),
                (Email, "alumni@ust.hk".into()),
                (Phone, "(852) 6359 1911".into()),
                (Size, "50 GB".into()),
                (Date, "March 2014".into()),
                (Number, "12".into()),
            ]
        );
    }

    #[test]
    fn list_numbers_and_words_with_digits_are_not_facts() {
        assert!(kinds("1. Log in\n2. Click").is_empty());
        assert!(kinds("use your @connect account (e.g. ph09ctm)").is_empty());
        assert_eq!(kinds("an @alumni account").len(), 0);
    }

    #[test]
    fn the_faq_supports_what_it_says_and_nothing_else() {
        let faq = Source::new(
            "Exchange Online: 50 GB. WhatsApp (852)6359 1911 us. In March 2014. Firefox 12. https://a.b/c",
        );
        let ok = |t: &str| extract(t).iter().all(|f| faq.supports(f));
        assert!(ok(
            "50GB of mail, (852) 6359 1911, march 2014, Firefox 12, https://a.b/c"
        ));
        assert!(!ok("60 GB"));
        assert!(!ok("since April 2014"));
        assert!(!ok("https://a.b/d"));
        assert!(!ok("(852) 1234 5678"));
        assert!(!ok("within 5 days"));
        assert!(allowed(&["10 MB".into()], &extract("up to 10MB")[0]));
    }
}
