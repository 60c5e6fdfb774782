//! The core's markup as Discord messages. The markup is a subset of Discord's markdown
//! (`**bold**`, `- ` lists, `[label](url)`, `\` escapes), so texts go as they are, packed within
//! Discord's 2,000 characters; mentions are switched off on every message by the adapter.

use crate::core::Reply;
use crate::outgoing::{Outgoing, pack};

/// Discord's limit for a message's content.
pub const MAX_MESSAGE_CHARS: usize = 2_000;

pub fn messages(replies: &[Reply]) -> Vec<Outgoing> {
    pack(replies, MAX_MESSAGE_CHARS, |text| text.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_answers_are_split_within_the_limit() {
        let long = format!("{}\n\n{}", "a".repeat(1500), "b".repeat(1500));
        let parts = messages(&[Reply::text(long)]);
        assert_eq!(parts.len(), 2);
        assert!(
            parts
                .iter()
                .all(|p| p.text.chars().count() <= MAX_MESSAGE_CHARS)
        );
    }
}
