//! The small markup answers are written in, and its plain-text rendering.
//!
//! A subset of Markdown that every platform can show: paragraphs separated by a blank line,
//! `**bold**`, list items starting with `- ` or `1. `, links as `[label](https://…)` or bare
//! URLs. Telegram and Discord adapters render it their way; [`to_plain`] serves the terminal.
//! What users typed is put into markup with [`escape`]: `\\` before a markup character makes it
//! a plain character.

/// The characters [`escape`] protects.
const SPECIAL: [char; 6] = ['\\', '*', '[', ']', '(', ')'];

/// Whether `\` before `c` escapes it.
pub(crate) fn is_special(c: char) -> bool {
    SPECIAL.contains(&c)
}

/// A user's text made safe to place in markup: shown as typed, never as bold or a link.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if SPECIAL.contains(&c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// The text with every escaped character replaced by a neutral one, for the checks.
fn without_escapes(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\\' && chars.peek().is_some_and(|n| SPECIAL.contains(n)) {
            chars.next();
            out.push('_');
        } else {
            out.push(c);
        }
    }
    out
}

/// Checks that a text uses the markup correctly: `**` balanced in every paragraph, and every
/// `[label](` link closed.
pub fn check(text: &str) -> Result<(), String> {
    let text = without_escapes(text);
    for (i, paragraph) in text.split("\n\n").enumerate() {
        if paragraph.matches("**").count() % 2 != 0 {
            return Err(format!("unbalanced `**` in paragraph {}", i + 1));
        }
    }
    let mut rest = text.as_str();
    while let Some(start) = rest.find("](") {
        let after = &rest[start + 2..];
        match after.find(')') {
            Some(end)
                if !after[..end].contains(char::is_whitespace) && !after[..end].is_empty() =>
            {
                rest = &after[end..];
            }
            _ => return Err("a link `[label](url)` is not closed, or its URL has spaces".into()),
        }
    }
    Ok(())
}

/// Plain text: bold marks dropped, links written as `label (url)`, escapes undone.
pub fn to_plain(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        if c == '\\' && next.is_some_and(|n| SPECIAL.contains(&n)) {
            out.push(chars[i + 1]);
            i += 2;
        } else if c == '*' && next == Some('*') {
            i += 2;
        } else if c == '['
            && let Some((label, url, end)) = link_at(&chars, i)
        {
            out.push_str(&to_plain(&label));
            out.push_str(" (");
            out.push_str(&url);
            out.push(')');
            i = end;
        } else {
            out.push(c);
            i += 1;
        }
    }
    out
}

/// A link `[label](url)` starting at `chars[start] == '['`: its label, URL and the index after.
pub(crate) fn link_at(chars: &[char], start: usize) -> Option<(String, String, usize)> {
    let mut i = start + 1;
    while i + 1 < chars.len() {
        match chars[i] {
            '\\' => i += 2,
            ']' if chars[i + 1] == '(' => break,
            ']' | '\n' => return None,
            _ => i += 1,
        }
    }
    if i + 1 >= chars.len() {
        return None;
    }
    let close = chars[i + 2..].iter().position(|c| *c == ')')? + i + 2;
    let url: String = chars[i + 2..close].iter().collect();
    if url.is_empty() || url.contains(char::is_whitespace) {
        return None;
    }
    Some((chars[start + 1..i].iter().collect(), url, close + 1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checks_balance_and_links() {
        assert!(check("**a** and [x](https://e.x)").is_ok());
        assert!(check("**a").is_err());
        assert!(check("[x](https://e.x").is_err());
        assert!(check("**a**\n\n**b**").is_ok());
    }

    #[test]
    fn plain_drops_marks_and_spells_links() {
        assert_eq!(
            to_plain("**Hi** see [the page](https://e.x)."),
            "Hi see the page (https://e.x)."
        );
    }

    #[test]
    fn escaped_user_text_stays_plain() {
        let typed = "**not bold** [not](a-link) back\\slash (x)";
        let marked = format!("You wrote: **{}**", escape(typed));
        assert!(check(&marked).is_ok());
        assert_eq!(to_plain(&marked), format!("You wrote: {typed}"));
        assert!(check(&escape("**")).is_ok());
    }
}
