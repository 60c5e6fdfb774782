//! The small markup answers are written in, and its plain-text rendering.
//!
//! A subset of Markdown that every platform can show: paragraphs separated by a blank line,
//! `**bold**`, list items starting with `- ` or `1. `, links as `[label](https://…)` or bare
//! URLs. Telegram and Discord adapters render it their way; [`to_plain`] serves the terminal.

/// Checks that a text uses the markup correctly: `**` balanced in every paragraph, and every
/// `[label](` link closed.
pub fn check(text: &str) -> Result<(), String> {
    for (i, paragraph) in text.split("\n\n").enumerate() {
        if paragraph.matches("**").count() % 2 != 0 {
            return Err(format!("unbalanced `**` in paragraph {}", i + 1));
        }
    }
    let mut rest = text;
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

/// Plain text: bold marks dropped, links written as `label (url)`.
pub fn to_plain(text: &str) -> String {
    let text = text.replace("**", "");
    let mut out = String::with_capacity(text.len());
    let mut rest = text.as_str();
    while let Some(open) = rest.find('[') {
        let Some(mid) = rest[open..].find("](").map(|m| m + open) else {
            break;
        };
        let Some(close) = rest[mid..].find(')').map(|c| c + mid) else {
            break;
        };
        out.push_str(&rest[..open]);
        out.push_str(&rest[open + 1..mid]);
        out.push_str(" (");
        out.push_str(&rest[mid + 2..close]);
        out.push(')');
        rest = &rest[close + 1..];
    }
    out.push_str(rest);
    out
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
}
