//! The ticket log on SQLite, attachments as files named by their content hash.

use std::path::{Path, PathBuf};

use anyhow::Context;
use serde::Serialize;
use sqlx::Row;

use super::Store;
use crate::core::ticket::TicketStatus;
use crate::core::{Attachment, FilingError, NewTicket, StoredFile, TicketBrief, TicketStore};

/// A ticket as `tickets list --json` shows it.
#[derive(Debug, Clone, Serialize)]
pub struct TicketSummary {
    pub id: String,
    pub status: TicketStatus,
    pub category: String,
    pub created_at: String,
    pub updated_at: String,
    pub platform: String,
    pub fields: serde_json::Value,
    pub attachments: i64,
    /// Who claimed it (`desk:<login>`, `telegram:<id>`, …), if anyone has.
    pub assignee: Option<String>,
}

/// Everything about one ticket, for staff.
#[derive(Debug, Clone, Serialize)]
pub struct TicketDetail {
    #[serde(flatten)]
    pub summary: TicketSummary,
    pub platform_user: String,
    pub platform_chat: String,
    pub attachment_files: Vec<AttachmentInfo>,
    pub transcript: Vec<TranscriptEntry>,
    pub events: Vec<TicketEvent>,
    /// The messages the bot owes about the ticket, oldest first.
    pub messages: Vec<OwedMessage>,
}

/// A message the bot owes about a ticket (its text stays in the outbox), and how it went.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct OwedMessage {
    /// `user` or `staff`.
    pub to: String,
    pub platform: String,
    /// `delivered`, `pending` (still tried) or `dead` (no more attempts).
    pub state: String,
    /// Failed attempts so far.
    pub attempts: i64,
    pub created_at: String,
    /// When it was delivered or given up.
    pub done_at: Option<String>,
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct TranscriptEntry {
    pub author: String,
    pub text: String,
}

/// One line of a ticket's event log: who did what, when.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct TicketEvent {
    pub at: String,
    pub actor: String,
    pub action: String,
    pub detail: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct AttachmentInfo {
    pub hash: String,
    pub media_type: String,
    pub size: i64,
    pub path: PathBuf,
    /// Its file was deleted by the retention rule.
    pub purged: bool,
}

/// `SELECT` of the columns [`summary_from_row`] reads, then the rest of the query: one column
/// list for every query that reads tickets, and still a literal (sqlx takes only static SQL).
macro_rules! select_tickets {
    ($rest:literal) => {
        concat!(
            "SELECT t.id, t.reference, t.status, t.category, t.created_at, t.updated_at, ",
            "t.platform, t.fields, t.platform_user, t.platform_chat, t.assignee, ",
            "(SELECT COUNT(*) FROM ticket_attachments a WHERE a.ticket_id = t.id) AS attachments ",
            "FROM tickets t ",
            $rest
        )
    };
}

const REFERENCE_ALPHABET: &[u8] = b"ABCDEFGHJKMNPQRSTVWXYZ23456789";

/// A reference users can read out and type: `T-` and six unambiguous characters.
fn new_reference() -> String {
    let mut bytes = [0u8; 6];
    getrandom::fill(&mut bytes).expect("the operating system's random source failed");
    let code: String = bytes
        .iter()
        .map(|b| REFERENCE_ALPHABET[*b as usize % REFERENCE_ALPHABET.len()] as char)
        .collect();
    format!("T-{code}")
}

impl Store {
    /// Where an attachment with this hash lives.
    pub fn attachment_path(&self, hash: &str) -> PathBuf {
        attachment_path(&self.files, hash)
    }

    pub async fn list_tickets(&self) -> anyhow::Result<Vec<TicketSummary>> {
        let rows = sqlx::query(select_tickets!("ORDER BY t.created_at DESC, t.id DESC"))
            .fetch_all(&self.readers)
            .await?;
        rows.iter().map(summary_from_row).collect()
    }

    pub async fn ticket(&self, reference: &str) -> anyhow::Result<Option<TicketDetail>> {
        let Some(row) = sqlx::query(select_tickets!("WHERE t.reference = ?"))
            .bind(reference.trim().to_ascii_uppercase())
            .fetch_optional(&self.readers)
            .await?
        else {
            return Ok(None);
        };
        let id: i64 = row.try_get("id")?;
        let attachments: Vec<(String, String, i64, bool)> = sqlx::query_as(
            "SELECT hash, media_type, size, purged_at IS NOT NULL
             FROM ticket_attachments WHERE ticket_id = ? ORDER BY id",
        )
        .bind(id)
        .fetch_all(&self.readers)
        .await?;
        let attachment_files = attachments
            .into_iter()
            .map(|(hash, media_type, size, purged)| AttachmentInfo {
                path: self.attachment_path(&hash),
                hash,
                media_type,
                size,
                purged,
            })
            .collect();
        let transcript = sqlx::query_as(
            "SELECT author, text FROM ticket_transcript WHERE ticket_id = ? ORDER BY seq",
        )
        .bind(id)
        .fetch_all(&self.readers)
        .await?;
        let events = sqlx::query_as(
            "SELECT at, actor, action, detail FROM ticket_events WHERE ticket_id = ? ORDER BY id",
        )
        .bind(id)
        .fetch_all(&self.readers)
        .await?;
        let messages = sqlx::query_as(
            "SELECT CASE WHEN chat = 'staff' THEN 'staff' ELSE 'user' END AS \"to\", platform,
                    CASE WHEN delivered_at IS NOT NULL THEN 'delivered'
                         WHEN dead_at IS NOT NULL THEN 'dead' ELSE 'pending' END AS state,
                    attempts, created_at, COALESCE(delivered_at, dead_at) AS done_at
             FROM outbox WHERE ticket_id = ? ORDER BY id",
        )
        .bind(id)
        .fetch_all(&self.readers)
        .await?;
        Ok(Some(TicketDetail {
            summary: summary_from_row(&row)?,
            platform_user: row.try_get("platform_user")?,
            platform_chat: row.try_get("platform_chat")?,
            attachment_files,
            transcript,
            events,
            messages,
        }))
    }
}

pub(super) fn attachment_path(files: &Path, hash: &str) -> PathBuf {
    files.join(hash.get(..2).unwrap_or("__")).join(hash)
}

/// Writes the content under its hash (once; a second copy of the same file is the same file),
/// durably, via a temporary file and a rename. A file already there is touched: its time says
/// it was sent recently, so a purge leaves it to the flow that holds it. Blocking: call it off
/// the async runtime.
fn put_file(files: &Path, bytes: &[u8]) -> anyhow::Result<String> {
    let hash = blake3::hash(bytes).to_hex().to_string();
    let path = attachment_path(files, &hash);
    if path.exists() {
        std::fs::File::options()
            .append(true)
            .open(&path)
            .and_then(|f| f.set_modified(std::time::SystemTime::now()))
            .context("touching an attachment file")?;
        return Ok(hash);
    }
    let dir = path.parent().expect("a hash path has a parent");
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let tmp = dir.join(format!(".{hash}.tmp"));
    let mut file = std::fs::File::create(&tmp).context("creating an attachment file")?;
    std::io::Write::write_all(&mut file, bytes).context("writing an attachment")?;
    file.sync_all().context("syncing an attachment")?;
    std::fs::rename(&tmp, &path).context("storing an attachment")?;
    Ok(hash)
}

fn summary_from_row(row: &sqlx::sqlite::SqliteRow) -> anyhow::Result<TicketSummary> {
    let fields: String = row.try_get("fields")?;
    Ok(TicketSummary {
        id: row.try_get("reference")?,
        status: row.try_get::<String, _>("status")?.parse()?,
        category: row.try_get("category")?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
        platform: row.try_get("platform")?,
        fields: serde_json::from_str(&fields)
            .map_err(|e| super::unreadable("a ticket's fields", &e))?,
        attachments: row.try_get("attachments")?,
        assignee: row.try_get("assignee")?,
    })
}

impl Store {
    /// Links a file kept by `store_file` to a ticket, inside `tx`. The file must be there: a
    /// ticket never points at a missing file.
    pub(super) async fn insert_attachment(
        &self,
        tx: &mut sqlx::Transaction<'_, sqlx::Sqlite>,
        ticket_id: i64,
        file: &StoredFile,
        at: &str,
    ) -> anyhow::Result<()> {
        anyhow::ensure!(
            file.hash.len() == 64 && file.hash.bytes().all(|b| b.is_ascii_hexdigit()),
            "attachment hash {:?} is not a BLAKE3 hash",
            file.hash
        );
        anyhow::ensure!(
            attachment_path(&self.files, &file.hash).exists(),
            "attachment {} is not stored",
            file.hash
        );
        sqlx::query("INSERT INTO ticket_attachments (ticket_id, hash, media_type, size, created_at) VALUES (?, ?, ?, ?, ?)")
            .bind(ticket_id)
            .bind(&file.hash)
            .bind(&file.media_type)
            .bind(file.size as i64)
            .bind(at)
            .execute(&mut **tx)
            .await?;
        Ok(())
    }
}

impl TicketStore for Store {
    async fn store_file(&self, file: Attachment) -> anyhow::Result<StoredFile> {
        let files = self.files.clone();
        let media_type = file.media_type().to_string();
        let size = file.bytes().len() as u64;
        let hash = tokio::task::spawn_blocking(move || put_file(&files, file.bytes()))
            .await
            .context("the attachment writer stopped")??;
        Ok(StoredFile {
            hash,
            media_type,
            size,
        })
    }

    async fn create_ticket(&self, ticket: NewTicket) -> Result<String, FilingError> {
        match self.file(ticket).await? {
            Filed::Ticket(reference) => Ok(reference),
            Filed::Capped(live) => Err(FilingError::TooManyOpen(live)),
        }
    }

    async fn awaiting_ticket(&self, platform: &str, user: &str) -> anyhow::Result<Option<String>> {
        self.awaiting(platform, user).await
    }

    async fn add_to_ticket(
        &self,
        reference: &str,
        from: &crate::core::Sender,
        text: Option<&str>,
        file: Option<&StoredFile>,
    ) -> anyhow::Result<bool> {
        self.add(reference, from, text, file).await
    }

    async fn withdraw_ticket(
        &self,
        reference: &str,
        platform: &str,
        user: &str,
    ) -> anyhow::Result<bool> {
        self.withdraw(reference, platform, user).await
    }

    async fn tickets_of(&self, platform: &str, user: &str) -> anyhow::Result<Vec<TicketBrief>> {
        let rows: Vec<(String, String, String, String)> = sqlx::query_as(
            "SELECT reference, status, category, created_at FROM tickets
             WHERE platform = ? AND platform_user = ? ORDER BY created_at DESC, id DESC LIMIT 20",
        )
        .bind(platform)
        .bind(user)
        .fetch_all(&self.readers)
        .await?;
        rows.into_iter()
            .map(|(reference, status, category, created_at)| {
                Ok(TicketBrief {
                    reference,
                    status: status.parse()?,
                    category,
                    created_at,
                })
            })
            .collect()
    }
}

/// The folder for attachment files beside a database file: `x.db` → `x-files/`.
pub fn files_dir_for(db: &Path) -> PathBuf {
    let stem = db
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "alumni-bot".into());
    db.with_file_name(format!("{stem}-files"))
}

/// What filing came to.
enum Filed {
    Ticket(String),
    /// Refused: the user has this many live tickets.
    Capped(usize),
}

impl Store {
    /// Files a ticket in one transaction: the ticket, its files, transcript, first event and
    /// staff notices; or the ticket filed before from the same origin; or the cap.
    async fn file(&self, ticket: NewTicket) -> anyhow::Result<Filed> {
        let now = super::now();
        let fields = serde_json::to_string(&ticket.fields)?;
        // IMMEDIATE: take the write lock before the first read, so the check for an earlier
        // ticket and the insert are one unit, and a busy database waits (busy_timeout) instead
        // of failing the upgrade from reader to writer.
        let mut tx = self.writer.begin_with("BEGIN IMMEDIATE").await?;
        let existing: Option<(String,)> =
            sqlx::query_as("SELECT reference FROM tickets WHERE origin = ?")
                .bind(&ticket.origin)
                .fetch_optional(&mut *tx)
                .await?;
        if let Some((reference,)) = existing {
            return Ok(Filed::Ticket(reference));
        }
        if let Some(max) = ticket.max_open {
            let (live,): (i64,) = sqlx::query_as(
                "SELECT COUNT(*) FROM tickets
                 WHERE platform = ? AND platform_user = ? AND status IN (?, ?, ?)",
            )
            .bind(ticket.from.platform.as_str())
            .bind(&ticket.from.user)
            .bind(TicketStatus::Open.as_str())
            .bind(TicketStatus::Claimed.as_str())
            .bind(TicketStatus::AwaitingUser.as_str())
            .fetch_one(&mut *tx)
            .await?;
            let live = usize::try_from(live).unwrap_or(usize::MAX);
            if live >= max {
                return Ok(Filed::Capped(live));
            }
        }
        let (id, reference) = loop {
            let reference = new_reference();
            let inserted = sqlx::query(
                "INSERT INTO tickets (reference, origin, category, platform, platform_user, platform_chat, fields, created_at, updated_at, lang)
                 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(reference) DO NOTHING",
            )
            .bind(&reference)
            .bind(&ticket.origin)
            .bind(&ticket.category)
            .bind(ticket.from.platform.as_str())
            .bind(&ticket.from.user)
            .bind(&ticket.from.chat)
            .bind(&fields)
            .bind(&now)
            .bind(&now)
            .bind(ticket.lang.tag())
            .execute(&mut *tx)
            .await?;
            if inserted.rows_affected() == 1 {
                break (inserted.last_insert_rowid(), reference);
            }
        };
        for file in &ticket.attachments {
            self.insert_attachment(&mut tx, id, file, &now).await?;
        }
        // The transcript in one statement (up to 60 lines: one round trip, not 60).
        let lines: Vec<(&str, &str)> = ticket
            .transcript
            .iter()
            .map(|line| (line.author.as_str(), line.text.as_str()))
            .collect();
        sqlx::query(
            "INSERT INTO ticket_transcript (ticket_id, seq, author, text)
             SELECT ?, key, json_extract(value, '$[0]'), json_extract(value, '$[1]')
             FROM json_each(?)",
        )
        .bind(id)
        .bind(serde_json::to_string(&lines)?)
        .execute(&mut *tx)
        .await?;
        sqlx::query("INSERT INTO ticket_events (ticket_id, at, actor, action) VALUES (?, ?, 'user', 'created')")
            .bind(id)
            .bind(&now)
            .execute(&mut *tx)
            .await?;
        let notice = crate::core::staff::new_ticket_notice(
            &reference,
            &ticket.category,
            ticket.from.platform.as_str(),
            &ticket.fields,
            ticket.lang,
        );
        let files: Vec<String> = ticket.attachments.iter().map(|f| f.hash.clone()).collect();
        self.tell_staff(&mut tx, &notice, &files, id).await?;
        tx.commit().await?;
        Ok(Filed::Ticket(reference))
    }
}

impl Store {
    /// Whether a ticket with this reference exists (one indexed read, nothing else loaded).
    pub async fn has_ticket(&self, reference: &str) -> anyhow::Result<bool> {
        Ok(
            sqlx::query_scalar::<_, i64>("SELECT 1 FROM tickets WHERE reference = ?")
                .bind(reference)
                .fetch_optional(&self.readers)
                .await?
                .is_some(),
        )
    }

    /// A file of a ticket that is still kept: its media type and where it is.
    pub async fn ticket_file(
        &self,
        reference: &str,
        hash: &str,
    ) -> anyhow::Result<Option<(String, std::path::PathBuf)>> {
        let media_type: Option<String> = sqlx::query_scalar(
            "SELECT a.media_type FROM ticket_attachments a JOIN tickets t ON t.id = a.ticket_id
             WHERE t.reference = ? AND a.hash = ? AND a.purged_at IS NULL LIMIT 1",
        )
        .bind(reference)
        .bind(hash)
        .fetch_optional(&self.readers)
        .await?;
        Ok(media_type.map(|m| (m, self.attachment_path(hash))))
    }
}
