//! Tickets as the core sees them: what a flow hands over when a person must act, and the
//! checks on attachments. Storage is behind [`TicketStore`].

use std::collections::BTreeMap;
use std::future::Future;

use serde::Serialize;

use super::message::Sender;

/// Largest attachment accepted, in bytes.
pub const MAX_ATTACHMENT_BYTES: usize = 10 * 1024 * 1024;

#[derive(Debug, Clone)]
pub struct NewTicket {
    pub category: String,
    pub from: Sender,
    /// What the user supplied, by field name.
    pub fields: BTreeMap<String, String>,
    /// The conversation that led to the ticket, oldest first.
    pub transcript: Vec<TranscriptLine>,
    pub attachments: Vec<Attachment>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TranscriptLine {
    pub author: Author,
    pub text: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Author {
    User,
    Bot,
}

impl Author {
    pub fn as_str(self) -> &'static str {
        match self {
            Author::User => "user",
            Author::Bot => "bot",
        }
    }
}

/// A checked attachment: an image or a PDF, within the size limit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attachment {
    media_type: &'static str,
    bytes: Vec<u8>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AttachmentError {
    #[error("the file is empty")]
    Empty,
    #[error("the file is larger than {} MB", MAX_ATTACHMENT_BYTES / 1024 / 1024)]
    TooLarge,
    #[error("only photos (JPEG, PNG, WebP) and PDF files are accepted")]
    WrongType,
}

impl Attachment {
    /// Accepts the bytes only if their content (not their name) is JPEG, PNG, WebP or PDF.
    pub fn parse(bytes: Vec<u8>) -> Result<Self, AttachmentError> {
        if bytes.is_empty() {
            return Err(AttachmentError::Empty);
        }
        if bytes.len() > MAX_ATTACHMENT_BYTES {
            return Err(AttachmentError::TooLarge);
        }
        let media_type = sniff(&bytes).ok_or(AttachmentError::WrongType)?;
        Ok(Attachment { media_type, bytes })
    }

    pub fn media_type(&self) -> &'static str {
        self.media_type
    }

    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }
}

fn sniff(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some("image/jpeg")
    } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some("image/png")
    } else if bytes.len() >= 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
        Some("image/webp")
    } else if bytes.starts_with(b"%PDF-") {
        Some("application/pdf")
    } else {
        None
    }
}

/// Where tickets are kept. `store` implements it on SQLite.
pub trait TicketStore: Send + Sync + 'static {
    /// Writes the ticket with its attachments, transcript and first event, all or nothing;
    /// returns the reference users quote.
    fn create_ticket(
        &self,
        ticket: NewTicket,
    ) -> impl Future<Output = anyhow::Result<String>> + Send;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attachments_are_checked_by_content() {
        assert_eq!(
            Attachment::parse(b"%PDF-1.7 ...".to_vec())
                .unwrap()
                .media_type(),
            "application/pdf"
        );
        assert_eq!(
            Attachment::parse(vec![0xFF, 0xD8, 0xFF, 0xE0])
                .unwrap()
                .media_type(),
            "image/jpeg"
        );
        assert_eq!(
            Attachment::parse(b"MZ\x90\x00 exe".to_vec()),
            Err(AttachmentError::WrongType)
        );
        assert_eq!(Attachment::parse(Vec::new()), Err(AttachmentError::Empty));
        let mut big = b"%PDF-".to_vec();
        big.resize(MAX_ATTACHMENT_BYTES + 1, 0);
        assert_eq!(Attachment::parse(big), Err(AttachmentError::TooLarge));
    }
}
