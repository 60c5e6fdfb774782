//! The core's markup as Telegram HTML (`parse_mode = HTML`): the one formatting mode where
//! escaping is three characters, so no user text can break a message or forge a link.
//!
//! `**bold**` → `<b>`, `[label](url)` → `<a href>`, `- ` list items → `• `, `\X` escapes → `X`;
//! everything else escaped. Bare URLs stay text: Telegram makes them clickable itself.

use crate::core::Reply;
use crate::outgoing::{Outgoing, pack};

/// Telegram's limit for one message, in UTF-16 code units after entities are parsed; counting
/// chars of the HTML source is a safe over-estimate for the texts of this bot.
pub const MAX_MESSAGE_CHARS: usize = 4_096;

/// Converts markup to Telegram HTML.
pub fn to_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 16);
    for (i, line) in text.split('\n').enumerate() {
        if i > 0 {
            out.push('\n');
        }
        let line = match line.strip_prefix("- ") {
            Some(rest) => {
                out.push_str("• ");
                rest
            }
            None => line,
        };
        inline(line, &mut out);
    }
    out
}

fn inline(line: &str, out: &mut String) {
    let chars: Vec<char> = line.chars().collect();
    let mut bold = false;
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        if c == '\\' && next.is_some_and(crate::markup::is_special) {
            push_escaped(chars[i + 1], out);
            i += 2;
        } else if c == '*' && next == Some('*') {
            out.push_str(if bold { "</b>" } else { "<b>" });
            bold = !bold;
            i += 2;
        } else if c == '['
            && let Some((label, url, end)) = link_at(&chars, i)
        {
            out.push_str("<a href=\"");
            for c in url.chars() {
                match c {
                    '"' => out.push_str("&quot;"),
                    c => push_escaped(c, out),
                }
            }
            out.push_str("\">");
            inline(&label, out);
            out.push_str("</a>");
            i = end;
        } else {
            push_escaped(c, out);
            i += 1;
        }
    }
    if bold {
        // Markup is checked balanced per paragraph at load; a line break inside bold is closed
        // here so every message is valid HTML.
        out.push_str("</b>");
    }
}

fn push_escaped(c: char, out: &mut String) {
    match c {
        '<' => out.push_str("&lt;"),
        '>' => out.push_str("&gt;"),
        '&' => out.push_str("&amp;"),
        c => out.push(c),
    }
}

/// A markup link at `start` whose URL Telegram can open (http or https): (label, url, index after).
fn link_at(chars: &[char], start: usize) -> Option<(String, String, usize)> {
    crate::markup::link_at(chars, start)
        .filter(|(_, url, _)| url.starts_with("https://") || url.starts_with("http://"))
}

/// The replies of one turn as Telegram messages (see [`crate::outgoing::pack`]).
pub fn messages(replies: &[Reply]) -> Vec<Outgoing> {
    pack(replies, MAX_MESSAGE_CHARS, to_html)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::Button;

    #[test]
    fn markup_becomes_html_and_user_text_is_escaped() {
        assert_eq!(
            to_html("**Bold** see [the page](https://e.x/?a=1&b=\"2\").\n- item <x>"),
            "<b>Bold</b> see <a href=\"https://e.x/?a=1&amp;b=&quot;2&quot;\">the page</a>.\n• item &lt;x&gt;"
        );
        let typed = crate::markup::escape("**no** [x](https://evil) <b>&");
        assert_eq!(
            to_html(&format!("Name: {typed}")),
            "Name: **no** [x](https://evil) &lt;b&gt;&amp;"
        );
        // A link to anything but http(s) is left as text.
        assert_eq!(to_html("[x](javascript:alert)"), "[x](javascript:alert)");
    }

    #[test]
    fn replies_are_joined_until_buttons_and_long_texts_split() {
        let b = vec![Button::new("Yes", crate::core::ButtonData::Resume)];
        let replies = [
            Reply::text("one"),
            Reply::text("two").with_buttons(b.clone()),
            Reply::text("three"),
        ];
        assert_eq!(
            messages(&replies),
            [
                Outgoing {
                    text: "one\n\ntwo".into(),
                    buttons: b
                },
                Outgoing {
                    text: "three".into(),
                    buttons: vec![]
                }
            ]
        );
        let long = format!("{}\n\n{}", "a".repeat(3000), "b".repeat(3000));
        let parts = messages(&[Reply::text(long)]);
        assert_eq!(parts.len(), 2);
        assert!(
            parts
                .iter()
                .all(|p| p.text.chars().count() <= MAX_MESSAGE_CHARS)
        );
    }
}
