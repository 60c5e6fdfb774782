//! Tickets as the core sees them: what a flow hands over when a person must act, and the
//! checks on attachments. Storage is behind [`TicketStore`].

use std::collections::BTreeMap;
use std::future::Future;

use serde::{Deserialize, Serialize};

use super::message::Sender;

/// Where a ticket is, as the schema's `CHECK` lists them. Written and read as its snake_case
/// name (`awaiting_user`), by serde and at the store's edge.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TicketStatus {
    Open,
    Claimed,
    AwaitingUser,
    Resolved,
    Closed,
}

impl TicketStatus {
    pub const ALL: [TicketStatus; 5] = [
        TicketStatus::Open,
        TicketStatus::Claimed,
        TicketStatus::AwaitingUser,
        TicketStatus::Resolved,
        TicketStatus::Closed,
    ];
    /// Still in the works.
    pub const LIVE: &'static [TicketStatus] = &[
        TicketStatus::Open,
        TicketStatus::Claimed,
        TicketStatus::AwaitingUser,
    ];
    /// Done with.
    pub const FINISHED: &'static [TicketStatus] = &[TicketStatus::Resolved, TicketStatus::Closed];

    pub fn as_str(self) -> &'static str {
        match self {
            TicketStatus::Open => "open",
            TicketStatus::Claimed => "claimed",
            TicketStatus::AwaitingUser => "awaiting_user",
            TicketStatus::Resolved => "resolved",
            TicketStatus::Closed => "closed",
        }
    }

    pub fn is_live(self) -> bool {
        Self::LIVE.contains(&self)
    }
}

impl std::fmt::Display for TicketStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // `pad`: column widths (`{:<13}`) apply.
        f.pad(self.as_str())
    }
}

/// A status name this version does not know.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown ticket status {0:?}")]
pub struct UnknownStatus(pub String);

impl std::str::FromStr for TicketStatus {
    type Err = UnknownStatus;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|status| status.as_str() == s)
            .ok_or_else(|| UnknownStatus(s.to_string()))
    }
}

/// Largest attachment accepted, in bytes.
pub const MAX_ATTACHMENT_BYTES: usize = 10 * 1024 * 1024;

#[derive(Debug, Clone)]
pub struct NewTicket {
    pub category: String,
    pub from: Sender,
    /// What made this ticket (a flow run and its step). Filing twice with the same origin, say
    /// after a crash between filing and saving the conversation, gives back the first ticket.
    pub origin: String,
    /// What the user supplied, by field name.
    pub fields: BTreeMap<String, String>,
    /// The conversation that led to the ticket, oldest first.
    pub transcript: Vec<TranscriptLine>,
    /// Files already stored with [`TicketStore::store_file`].
    pub attachments: Vec<StoredFile>,
    /// Refuse with [`FilingError::TooManyOpen`] if the user already has this many live tickets (checked in
    /// the filing transaction; a repeat of an earlier filing is never refused).
    pub max_open: Option<usize>,
    /// The language the user wrote in: staff's replies reach them in it.
    pub lang: crate::lang::Lang,
}

/// What a user sent, to add to a ticket they already have.
pub(super) enum Addition<'a> {
    Text(&'a str),
    File(&'a super::message::Upload),
}

/// A ticket's reference as users and staff quote it: `T-` and up to 16 letters or digits,
/// kept in upper case ("t-ab12cd" typed by staff is `T-AB12CD`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TicketRef(String);

/// Text that is no ticket reference.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a ticket reference (T-XXXXXX)")]
pub struct NotARef;

impl TicketRef {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::str::FromStr for TicketRef {
    type Err = NotARef;

    fn from_str(s: &str) -> Result<Self, NotARef> {
        let upper = s.trim().to_ascii_uppercase();
        let code = upper.strip_prefix("T-").ok_or(NotARef)?;
        if code.is_empty() || code.len() > 16 || !code.chars().all(|c| c.is_ascii_alphanumeric()) {
            return Err(NotARef);
        }
        Ok(TicketRef(upper))
    }
}

impl std::fmt::Display for TicketRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for TicketRef {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

/// Why a ticket was not filed.
#[derive(Debug, thiserror::Error)]
pub enum FilingError {
    /// The user already has this many live tickets (the cap of [`NewTicket::max_open`]).
    #[error("the user already has {0} open tickets")]
    TooManyOpen(usize),
    #[error(transparent)]
    Store(#[from] anyhow::Error),
}

/// A checked file kept by the store under its content hash, waiting for (or part of) a ticket.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredFile {
    pub hash: String,
    pub media_type: String,
    pub size: u64,
}

impl StoredFile {
    /// "PDF, 230 KB": how the summary and staff see it, without its name.
    pub fn describe(&self) -> String {
        let kind = match self.media_type.as_str() {
            "application/pdf" => "PDF",
            "image/jpeg" => "JPEG photo",
            "image/png" => "PNG image",
            "image/webp" => "WebP image",
            other => other,
        };
        format!("{kind}, {} KB", self.size.div_ceil(1024))
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TranscriptLine {
    pub author: Author,
    pub text: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
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

impl AttachmentError {
    /// Why the file was refused, for the user, in their language.
    pub fn explain(&self, lang: crate::lang::Lang) -> String {
        use super::texts::{fill, tr};
        match self {
            AttachmentError::Empty => tr(lang, "the file is empty").to_string(),
            AttachmentError::TooLarge => fill(
                tr(lang, "the file is larger than {max} MB"),
                &[("max", &(MAX_ATTACHMENT_BYTES / 1024 / 1024).to_string())],
            ),
            AttachmentError::WrongType => tr(
                lang,
                "only photos (JPEG, PNG, WebP) and PDF files are accepted",
            )
            .to_string(),
        }
    }
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

    /// A file a user sent: refused by its announced size first (a file too large is never
    /// downloaded), then checked by its bytes.
    pub fn from_upload(upload: &super::message::Upload) -> Result<Self, AttachmentError> {
        if upload
            .declared_size
            .is_some_and(|size| size > MAX_ATTACHMENT_BYTES as u64)
        {
            return Err(AttachmentError::TooLarge);
        }
        Attachment::parse(upload.bytes.clone())
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

/// One of a user's own tickets, as `/status` lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TicketBrief {
    pub reference: String,
    pub status: TicketStatus,
    pub category: String,
    /// RFC 3339.
    pub created_at: String,
}

/// Where tickets are kept. `store` implements it on SQLite.
pub trait TicketStore: Send + Sync + 'static {
    /// Keeps a checked file durably until a ticket refers to it.
    fn store_file(
        &self,
        file: Attachment,
    ) -> impl Future<Output = anyhow::Result<StoredFile>> + Send;

    /// Writes the ticket with its attachments, transcript and first event, all or nothing;
    /// returns the reference users quote. A second call with the same `origin` writes nothing
    /// and returns the first ticket's reference.
    fn create_ticket(
        &self,
        ticket: NewTicket,
    ) -> impl Future<Output = Result<String, FilingError>> + Send;

    /// The reference of the user's newest ticket that waits for their answer, if any.
    fn awaiting_ticket(
        &self,
        platform: &str,
        user: &str,
    ) -> impl Future<Output = anyhow::Result<Option<String>>> + Send;

    /// Adds the user's text or file to their live ticket and relays it to staff; `false` if the
    /// ticket is not theirs or is resolved. Idempotent per conversation state: the same addition
    /// again before `from`'s conversation is saved (a retry after a failed save) adds nothing
    /// and returns `true`, as filing does by origin.
    fn add_to_ticket(
        &self,
        reference: &str,
        from: &Sender,
        text: Option<&str>,
        file: Option<&StoredFile>,
    ) -> impl Future<Output = anyhow::Result<bool>> + Send;

    /// The user withdraws their live ticket; `false` if it is not theirs or already done.
    fn withdraw_ticket(
        &self,
        reference: &str,
        platform: &str,
        user: &str,
    ) -> impl Future<Output = anyhow::Result<bool>> + Send;

    /// The tickets a user opened on a platform, newest first.
    fn tickets_of(
        &self,
        platform: &str,
        user: &str,
    ) -> impl Future<Output = anyhow::Result<Vec<TicketBrief>>> + Send;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_round_trip_by_name() {
        for status in TicketStatus::ALL {
            assert_eq!(status.to_string().parse::<TicketStatus>(), Ok(status));
            assert_eq!(
                serde_json::to_string(&status).unwrap(),
                format!("\"{status}\"")
            );
        }
        assert_eq!(TicketStatus::AwaitingUser.to_string(), "awaiting_user");
        assert_eq!(format!("{:<8}|", TicketStatus::Open), "open    |");
        assert!("Open".parse::<TicketStatus>().is_err());
        assert!(TicketStatus::Claimed.is_live() && !TicketStatus::Closed.is_live());
    }

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
