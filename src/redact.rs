//! Redaction of what users type before any of it is kept for analysis (the unanswered questions
//! of [`crate::core::gaps`]): emails, phone and other long numbers, ID-like strings. Only the
//! matched spans are replaced; every other character, Chinese included, stays as typed.
//!
//! - an email address → `[email]`;
//! - an HKID with its check digit in brackets (`A123456(7)`) → `[id]`;
//! - a token of letters and digits, at least 6 long, with at least as many digits as letters
//!   (passport `K12345678`, HKID `AB1234567`, student numbers `s1155012345`) → `[id]`. Product
//!   names that carry a number (`Office365`, `Outlook2016`, `Windows11`) have more letters than
//!   digits and stay: they are what a question is about;
//! - a run of 4 or more digits, spaces and dashes allowed inside (`9123 4567`, `+852
//!   9123-4567`, a year) → `[number]`;
//! - a URL (`http`, `https`, `ftp`) stays, query string and all, but loses its user info
//!   (`https://user:pass@host/` → `https://host/`); nothing inside it is redacted otherwise.

use std::sync::LazyLock;

use regex::Regex;

pub const EMAIL: &str = "[email]";
pub const NUMBER: &str = "[number]";
pub const ID: &str = "[id]";

/// The spans found before tokens and numbers: URLs (kept apart so that their parts are not
/// redacted), emails, and HKIDs with a bracketed check digit. ASCII classes only: a Han
/// character next to an address ("我個email係peter@gmail.com。") is never part of it.
static SPANS: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(concat!(
        r"(?P<url>(?i:https?|ftp)://[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]+)",
        r"|(?P<email>[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,})",
        r"|(?P<hkid>[A-Za-z]{1,2} ?[0-9]{6} ?[(（] ?[0-9Aa] ?[)）])",
    ))
    .expect("a valid pattern")
});

/// `text` with personal data replaced by placeholders (see the module's documentation).
pub fn redact(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut last = 0;
    for caps in SPANS.captures_iter(text) {
        let whole = caps.get(0).expect("a match has a span");
        tokens_and_numbers(&text[last..whole.start()], &mut out);
        if let Some(url) = caps.name("url") {
            out.push_str(&without_user_info(url.as_str()));
        } else if caps.name("email").is_some() {
            out.push_str(EMAIL);
        } else {
            out.push_str(ID);
        }
        last = whole.end();
    }
    tokens_and_numbers(&text[last..], &mut out);
    out
}

/// A URL without the `user:password@` of its authority; otherwise exactly as written.
fn without_user_info(url: &str) -> String {
    let Some(scheme_end) = url.find("://").map(|i| i + 3) else {
        return url.to_string();
    };
    let rest = &url[scheme_end..];
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    match rest[..authority_end].rfind('@') {
        Some(at) => format!("{}{}", &url[..scheme_end], &rest[at + 1..]),
        None => url.to_string(),
    }
}

/// Letters and digits, half or full width (Chinese keyboards type ９１２３).
fn is_alnum(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '０'..='９' | 'Ａ'..='Ｚ' | 'ａ'..='ｚ')
}

fn is_digit(c: char) -> bool {
    c.is_ascii_digit() || matches!(c, '０'..='９')
}

/// What separates the digit groups of one number: a space or a dash (ASCII or full width).
fn is_number_gap(gap: &str) -> bool {
    !gap.is_empty()
        && gap.chars().count() <= 3
        && gap
            .chars()
            .all(|c| matches!(c, ' ' | '-' | '\u{3000}' | '－'))
}

/// IDs and numbers in a stretch of text outside URLs and emails, written to `out`.
fn tokens_and_numbers(text: &str, out: &mut String) {
    // Runs of letters and digits, with their byte ranges.
    let mut tokens: Vec<(usize, usize)> = Vec::new();
    let mut start = None;
    for (i, c) in text.char_indices() {
        match (is_alnum(c), start) {
            (true, None) => start = Some(i),
            (false, Some(s)) => {
                tokens.push((s, i));
                start = None;
            }
            _ => {}
        }
    }
    if let Some(s) = start {
        tokens.push((s, text.len()));
    }
    let all_digits = |(s, e): (usize, usize)| text[s..e].chars().all(is_digit);
    let mut last = 0;
    let mut i = 0;
    while i < tokens.len() {
        let (s, e) = tokens[i];
        let token = &text[s..e];
        if all_digits(tokens[i]) {
            // Digit groups joined by spaces or dashes are one number.
            let mut j = i;
            while j + 1 < tokens.len()
                && all_digits(tokens[j + 1])
                && is_number_gap(&text[tokens[j].1..tokens[j + 1].0])
            {
                j += 1;
            }
            let end = tokens[j].1;
            let digits = text[s..end].chars().filter(|c| is_digit(*c)).count();
            if digits >= 4 {
                // A leading "+" (a country code) goes with the number.
                let s = if text[..s].ends_with('+') { s - 1 } else { s };
                out.push_str(&text[last..s]);
                out.push_str(NUMBER);
                last = end;
            }
            i = j + 1;
            continue;
        }
        if is_id_like(token) {
            out.push_str(&text[last..s]);
            out.push_str(ID);
            last = e;
        }
        i += 1;
    }
    out.push_str(&text[last..]);
}

/// A passport, ID or student number: letters and digits, at least 6, no fewer digits than
/// letters.
fn is_id_like(token: &str) -> bool {
    let digits = token.chars().filter(|c| is_digit(*c)).count();
    let letters = token.chars().count() - digits;
    token.chars().count() >= 6 && digits > 0 && letters > 0 && digits >= letters
}

#[cfg(test)]
mod tests {
    use super::redact;

    #[test]
    fn emails_become_a_placeholder() {
        assert_eq!(
            redact("my email is Peter.Chan+hk@gmail.com, please help"),
            "my email is [email], please help"
        );
        assert_eq!(redact("a@b.co and c_d@x.edu.hk"), "[email] and [email]");
        // Chinese around an address stays as it was.
        assert_eq!(
            redact("我個email係peter@gmail.com。點算好？"),
            "我個email係[email]。點算好？"
        );
        // Not addresses.
        assert_eq!(redact("@alumni_bot help"), "@alumni_bot help");
        assert_eq!(redact("user@localhost"), "user@localhost");
    }

    #[test]
    fn phone_numbers_and_long_digit_runs_become_a_placeholder() {
        assert_eq!(redact("call me on 9123 4567"), "call me on [number]");
        assert_eq!(redact("call +852 9123-4567 now"), "call [number] now");
        assert_eq!(redact("(852) 91234567"), "(852) [number]");
        assert_eq!(redact("電話：９１２３４５６７"), "電話：[number]");
        assert_eq!(redact("我電話係91234567呀"), "我電話係[number]呀");
        assert_eq!(redact("graduated 2015"), "graduated [number]");
        // Short numbers are no one's data.
        assert_eq!(
            redact("I have 2 accounts, 3 - 4 emails"),
            "I have 2 accounts, 3 - 4 emails"
        );
        assert_eq!(redact("error 404 on page 12"), "error 404 on page 12");
        // Digits apart in a sentence are not one number.
        assert_eq!(redact("12, 34 and 56"), "12, 34 and 56");
    }

    #[test]
    fn id_like_strings_become_a_placeholder() {
        assert_eq!(redact("my HKID is A123456(7)"), "my HKID is [id]");
        assert_eq!(redact("HKID A123456 (A) lost"), "HKID [id] lost");
        assert_eq!(redact("身份證 A123456（3）"), "身份證 [id]");
        assert_eq!(redact("AB1234567"), "[id]");
        assert_eq!(
            redact("passport K12345678 renewed"),
            "passport [id] renewed"
        );
        assert_eq!(redact("護照號碼係E12345678"), "護照號碼係[id]");
        assert_eq!(redact("student no. s1155012345"), "student no. [id]");
        assert_eq!(redact("11010519491231002X"), "[id]");
        // Product names carrying a number are what the question is about.
        assert_eq!(
            redact("Office365 on Outlook2016 and Windows11"),
            "Office365 on Outlook2016 and Windows11"
        );
        assert_eq!(redact("2FA on my iphone15"), "2FA on my iphone15");
    }

    #[test]
    fn urls_stay_without_their_user_info() {
        assert_eq!(
            redact("see https://user:secret@example.com/path?q=12345&x=y please"),
            "see https://example.com/path?q=12345&x=y please"
        );
        assert_eq!(
            redact("go to https://alumni.example.edu/login?next=%2Fmail"),
            "go to https://alumni.example.edu/login?next=%2Fmail"
        );
        // An "@" in the path or query is no user info.
        assert_eq!(
            redact("http://example.com/a@b?to=x@y.com"),
            "http://example.com/a@b?to=x@y.com"
        );
        assert_eq!(redact("點樣開https://a.b/c呀"), "點樣開https://a.b/c呀");
    }

    #[test]
    fn everything_else_is_left_as_typed() {
        for text in [
            "How do I set up my alumni email on my phone?",
            "點樣啟用校友電郵？我已經試咗好多次 😭",
            "忘记密码怎么办",
            "  spaces   and\ttabs\n",
            "",
            "[email] typed by the user",
        ] {
            assert_eq!(redact(text), text);
        }
        assert_eq!(
            redact("我嘅電郵係 chan.tm@gmail.com，電話 9876 5432，護照 K1234567，點樣啟用？"),
            "我嘅電郵係 [email]，電話 [number]，護照 [id]，點樣啟用？"
        );
    }
}
