//! Replies packed into platform messages: consecutive replies without buttons joined to the
//! next (one notification instead of three), each message within the platform's length limit.
//! How the text is rendered is the adapter's; what is said is the core's.

use crate::core::{Button, Reply};

/// One message to send: rendered text and the buttons under it.
#[derive(Debug, Clone, PartialEq)]
pub struct Outgoing {
    pub text: String,
    pub buttons: Vec<Button>,
}

/// Renders each reply with `render` and packs them: a reply with buttons ends a message, since
/// its buttons belong under its text; texts over `limit` characters are split at paragraph, then
/// line boundaries.
pub fn pack(replies: &[Reply], limit: usize, render: impl Fn(&str) -> String) -> Vec<Outgoing> {
    let mut out: Vec<Outgoing> = Vec::new();
    let mut pending = String::new();
    for reply in replies {
        let text = render(&reply.text);
        let joined = if pending.is_empty() {
            text.clone()
        } else {
            format!("{pending}\n\n{text}")
        };
        if joined.chars().count() > limit && !pending.is_empty() {
            flush(&mut out, std::mem::take(&mut pending), Vec::new(), limit);
            pending = text;
        } else {
            pending = joined;
        }
        if !reply.buttons.is_empty() {
            flush(
                &mut out,
                std::mem::take(&mut pending),
                reply.buttons.clone(),
                limit,
            );
        }
    }
    if !pending.is_empty() {
        flush(&mut out, pending, Vec::new(), limit);
    }
    out
}

/// The data a button carries on a platform whose limit is `max` bytes; `None` (logged) for
/// data over it, so that the button is left out rather than the whole message refused.
pub fn button_data(button: &Button, max: usize) -> Option<String> {
    let data = button.data.to_string();
    if data.len() > max {
        tracing::warn!(
            bytes = data.len(),
            max,
            "a button's data is too long for the platform"
        );
        return None;
    }
    Some(data)
}

fn flush(out: &mut Vec<Outgoing>, text: String, buttons: Vec<Button>, limit: usize) {
    let mut chunks = split(&text, limit);
    let last = chunks.pop().unwrap_or_default();
    out.extend(chunks.into_iter().map(|text| Outgoing {
        text,
        buttons: Vec::new(),
    }));
    out.push(Outgoing {
        text: last,
        buttons,
    });
}

/// Splits at line ends (paragraphs keep their markup balanced), then hard.
fn split(text: &str, limit: usize) -> Vec<String> {
    if text.chars().count() <= limit {
        return vec![text.to_string()];
    }
    let mut chunks = Vec::new();
    let mut current = String::new();
    for piece in text.split_inclusive('\n') {
        if current.chars().count() + piece.chars().count() > limit && !current.is_empty() {
            chunks.push(std::mem::take(&mut current).trim_end().to_string());
        }
        if piece.chars().count() > limit {
            let chars: Vec<char> = piece.chars().collect();
            for part in chars.chunks(limit) {
                chunks.push(part.iter().collect());
            }
        } else {
            current.push_str(piece);
        }
    }
    if !current.trim().is_empty() {
        chunks.push(current.trim_end().to_string());
    }
    chunks
}
