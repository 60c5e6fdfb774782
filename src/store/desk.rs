//! Staff actions, user additions, the outbox and retention, on SQLite. Each change and the
//! messages it owes are one transaction, so a crash never leaves a reply recorded but unsent,
//! or sent twice.

use anyhow::Context;
use sqlx::{Sqlite, Transaction};

use super::tickets::attachment_path;
use super::{Store, new_revision, now, timestamp};
use crate::core::staff::{self, AuditEntry, Change, Refusal, TicketDesk};
use crate::core::ticket::TicketStatus;
use crate::core::{Conversation, Reply, Sender, StoredFile};
use crate::lang::Lang;

/// How long after its last change a failed delivery is tried again: doubling from 4 s, at most
/// 5 minutes.
fn backoff_seconds(attempts: i64) -> i64 {
    (2_i64 << attempts.clamp(0, 8)).min(300)
}

/// Attempts after which an undelivered message is dead. With [`backoff_seconds`] the waits
/// are 4 s, 8 s, … 256 s, then 5 minutes each: the last attempt comes about 68 minutes after
/// the first, past a platform's passing outage; a user who blocked the bot is no outage.
pub const MAX_DELIVERY_ATTEMPTS: i64 = 20;

/// How long a claim on a staff thread being made holds before another delivery may take it
/// over (the claimer died between its claim and the thread).
const STALE_CLAIM: chrono::TimeDelta = chrono::TimeDelta::minutes(2);

/// Another delivery is making the ticket's staff thread: try again later.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the ticket's staff thread is being created; retry later")]
pub struct ThreadPending;

/// A message the bot owes, due for delivery.
#[derive(Debug, Clone)]
pub struct OutboxItem {
    pub id: i64,
    /// The platform's chat id, or [`STAFF_CHAT`].
    pub chat: String,
    pub message: Reply,
    /// A ticket file to send along: (path, media type).
    pub attachment: Option<(std::path::PathBuf, String)>,
    pub attempts: i64,
    /// The ticket it is about: (id, reference).
    pub ticket: Option<(i64, String)>,
}

#[derive(sqlx::FromRow)]
struct OutboxRow {
    id: i64,
    chat: String,
    message: String,
    attachment_hash: Option<String>,
    attempts: i64,
    media_type: Option<String>,
    ticket_id: Option<i64>,
    reference: Option<String>,
}

/// The `chat` of outbox items for a platform's staff place.
pub const STAFF_CHAT: &str = "staff";

/// What a purge did.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct PurgeReport {
    pub attachments: u64,
    pub files_deleted: u64,
    /// Delivered (or dead) outbox messages deleted.
    pub outbox_messages: u64,
    /// Idle conversations deleted.
    pub conversations: u64,
    /// Unanswered questions (`kb_gaps`) deleted.
    pub gaps: u64,
}

impl Store {
    /// Queues `message` for `chat` on `platform`, inside `tx`.
    pub(super) async fn enqueue(
        tx: &mut Transaction<'_, Sqlite>,
        platform: &str,
        chat: &str,
        message: &Reply,
        attachment_hash: Option<&str>,
        ticket_id: Option<i64>,
    ) -> anyhow::Result<()> {
        let at = now();
        sqlx::query(
            "INSERT INTO outbox (platform, chat, message, attachment_hash, ticket_id, created_at, next_attempt_at)
             VALUES (?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(platform)
        .bind(chat)
        .bind(serde_json::to_string(message)?)
        .bind(attachment_hash)
        .bind(ticket_id)
        .bind(&at)
        .bind(&at)
        .execute(&mut **tx)
        .await?;
        Ok(())
    }

    /// Queues `message` (and files) for every configured staff place, inside `tx`.
    pub(super) async fn tell_staff(
        &self,
        tx: &mut Transaction<'_, Sqlite>,
        message: &Reply,
        files: &[String],
        ticket_id: i64,
    ) -> anyhow::Result<()> {
        for platform in self.staff_places.iter().map(|p| p.as_str()) {
            Self::enqueue(tx, platform, STAFF_CHAT, message, None, Some(ticket_id)).await?;
            for hash in files {
                let note = staff::file_notice();
                Self::enqueue(tx, platform, STAFF_CHAT, &note, Some(hash), Some(ticket_id)).await?;
            }
        }
        Ok(())
    }

    /// Messages for `platform` due now, oldest first: those for its staff place, or those for
    /// users.
    pub async fn due_outbox(
        &self,
        platform: &str,
        to_staff: bool,
        limit: i64,
    ) -> anyhow::Result<Vec<OutboxItem>> {
        let rows: Vec<OutboxRow> = sqlx::query_as(
            "SELECT o.id, o.chat, o.message, o.attachment_hash, o.attempts,
                    (SELECT a.media_type FROM ticket_attachments a WHERE a.hash = o.attachment_hash LIMIT 1) AS media_type,
                    o.ticket_id, (SELECT t.reference FROM tickets t WHERE t.id = o.ticket_id) AS reference
             FROM outbox o
             WHERE o.platform = ? AND (o.chat = ?) = ? AND o.delivered_at IS NULL
               AND o.dead_at IS NULL AND o.next_attempt_at <= ?
             ORDER BY o.id LIMIT ?",
        )
        .bind(platform)
        .bind(STAFF_CHAT)
        .bind(to_staff)
        .bind(now())
        .bind(limit)
        .fetch_all(&self.readers)
        .await?;
        let mut items = Vec::with_capacity(rows.len());
        for row in rows {
            let message = match serde_json::from_str(&row.message) {
                Ok(message) => message,
                Err(e) => {
                    // A row that cannot be read can never be sent: dead at once (staff told),
                    // rather than holding up the rows behind it on every look.
                    let reason = super::unreadable("an outbox message", &e).to_string();
                    tracing::warn!(id = row.id, error = %reason, "outbox message unreadable");
                    self.give_up(row.id, &reason).await?;
                    continue;
                }
            };
            items.push(OutboxItem {
                id: row.id,
                chat: row.chat,
                message,
                attachment: row.attachment_hash.map(|h| {
                    (
                        attachment_path(&self.files, &h),
                        row.media_type
                            .unwrap_or_else(|| "application/octet-stream".into()),
                    )
                }),
                attempts: row.attempts,
                ticket: row.ticket_id.zip(row.reference),
            });
        }
        Ok(items)
    }

    /// The staff thread (forum topic, Discord thread) of a ticket on a platform: the one made
    /// before, or a new one from `create` (its id), remembered for the ticket's next messages.
    ///
    /// One thread per ticket, even with deliveries in several tasks or processes: the caller
    /// first claims the ticket's row (an insert, which only one can make); only the claimer
    /// calls `create`, and the others get [`ThreadPending`] (the outbox retries them). A failed
    /// `create` removes the claim; a claim older than [`STALE_CLAIM`] (its process died) is
    /// taken over.
    pub async fn thread_for<Fut>(
        &self,
        ticket_id: i64,
        platform: &str,
        create: impl FnOnce() -> Fut,
    ) -> anyhow::Result<i64>
    where
        Fut: std::future::Future<Output = anyhow::Result<i64>>,
    {
        if let Some(thread) = self.stored_thread(ticket_id, platform).await? {
            return Ok(thread);
        }
        let claimed_at = now();
        let stale = timestamp(chrono::Utc::now() - STALE_CLAIM);
        let claimed = sqlx::query(
            "INSERT INTO ticket_threads (ticket_id, platform, thread, claimed_at) VALUES (?, ?, '', ?)
             ON CONFLICT (ticket_id, platform) DO UPDATE SET claimed_at = excluded.claimed_at
             WHERE ticket_threads.thread = '' AND ticket_threads.claimed_at < ?",
        )
        .bind(ticket_id)
        .bind(platform)
        .bind(&claimed_at)
        .bind(&stale)
        .execute(&self.writer)
        .await?
        .rows_affected()
            == 1;
        if !claimed {
            return match self.stored_thread(ticket_id, platform).await? {
                Some(thread) => Ok(thread),
                None => Err(ThreadPending.into()),
            };
        }
        let thread = match create().await {
            Ok(thread) => thread,
            Err(e) => {
                sqlx::query(
                    "DELETE FROM ticket_threads
                     WHERE ticket_id = ? AND platform = ? AND thread = '' AND claimed_at = ?",
                )
                .bind(ticket_id)
                .bind(platform)
                .bind(&claimed_at)
                .execute(&self.writer)
                .await?;
                return Err(e);
            }
        };
        sqlx::query(
            "UPDATE ticket_threads SET thread = ?, claimed_at = NULL
             WHERE ticket_id = ? AND platform = ? AND thread = ''",
        )
        .bind(thread.to_string())
        .bind(ticket_id)
        .bind(platform)
        .execute(&self.writer)
        .await?;
        // Ours, or (our claim was taken over as stale) the one made first: one for everyone.
        self.stored_thread(ticket_id, platform)
            .await?
            .ok_or_else(|| anyhow::anyhow!("the staff thread's claim vanished"))
    }

    /// The thread made for the ticket on the platform, if made (not just claimed).
    async fn stored_thread(&self, ticket_id: i64, platform: &str) -> anyhow::Result<Option<i64>> {
        let row: Option<(String,)> = sqlx::query_as(
            "SELECT thread FROM ticket_threads WHERE ticket_id = ? AND platform = ? AND thread <> ''",
        )
        .bind(ticket_id)
        .bind(platform)
        .fetch_optional(&self.readers)
        .await?;
        row.map(|(thread,)| thread.parse().context("a stored thread id"))
            .transpose()
    }

    pub async fn delivered(&self, id: i64) -> anyhow::Result<()> {
        sqlx::query("UPDATE outbox SET delivered_at = ?, last_error = NULL WHERE id = ?")
            .bind(now())
            .bind(id)
            .execute(&self.writer)
            .await?;
        Ok(())
    }

    /// A failed delivery: tried again later, with backoff; after [`MAX_DELIVERY_ATTEMPTS`],
    /// dead, and a message to a user is told to staff in the same transaction. The error is
    /// kept for operators (it carries no message text). Returns whether it is dead.
    pub async fn delivery_failed(&self, id: i64, error: &str) -> anyhow::Result<bool> {
        let mut tx = self.writer.begin_with("BEGIN IMMEDIATE").await?;
        let (attempts, chat, ticket): (i64, String, Option<i64>) = sqlx::query_as(
            "UPDATE outbox SET attempts = attempts + 1, last_error = ? WHERE id = ?
             RETURNING attempts, chat, ticket_id",
        )
        .bind(error)
        .bind(id)
        .fetch_one(&mut *tx)
        .await?;
        if attempts < MAX_DELIVERY_ATTEMPTS {
            let next = chrono::Utc::now() + chrono::Duration::seconds(backoff_seconds(attempts));
            sqlx::query("UPDATE outbox SET next_attempt_at = ? WHERE id = ?")
                .bind(timestamp(next))
                .bind(id)
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
            return Ok(false);
        }
        self.bury(&mut tx, id, attempts, &chat, ticket).await?;
        tx.commit().await?;
        Ok(true)
    }

    /// A message that can never be sent: dead now, with `reason`.
    async fn give_up(&self, id: i64, reason: &str) -> anyhow::Result<()> {
        let mut tx = self.writer.begin_with("BEGIN IMMEDIATE").await?;
        let (attempts, chat, ticket): (i64, String, Option<i64>) = sqlx::query_as(
            "UPDATE outbox SET last_error = ? WHERE id = ? RETURNING attempts, chat, ticket_id",
        )
        .bind(reason)
        .bind(id)
        .fetch_one(&mut *tx)
        .await?;
        self.bury(&mut tx, id, attempts, &chat, ticket).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Marks a message dead inside `tx`; staff hear of one a user will not get.
    async fn bury(
        &self,
        tx: &mut Transaction<'_, Sqlite>,
        id: i64,
        attempts: i64,
        chat: &str,
        ticket: Option<i64>,
    ) -> anyhow::Result<()> {
        sqlx::query("UPDATE outbox SET dead_at = ? WHERE id = ?")
            .bind(now())
            .bind(id)
            .execute(&mut **tx)
            .await?;
        tracing::warn!(id, attempts, "outbox message dead: no more attempts");
        if chat != STAFF_CHAT
            && let Some(ticket) = ticket
        {
            let (reference,): (String,) =
                sqlx::query_as("SELECT reference FROM tickets WHERE id = ?")
                    .bind(ticket)
                    .fetch_one(&mut **tx)
                    .await?;
            let notice = staff::undelivered_notice(&reference, attempts);
            self.tell_staff(tx, &notice, &[], ticket).await?;
        }
        Ok(())
    }

    /// Messages not delivered yet and still tried, for tests.
    pub async fn pending_outbox(
        &self,
    ) -> anyhow::Result<Vec<(String, String, i64, Option<String>)>> {
        Ok(sqlx::query_as(
            "SELECT platform, chat, attempts, last_error FROM outbox
             WHERE delivered_at IS NULL AND dead_at IS NULL ORDER BY id",
        )
        .fetch_all(&self.readers)
        .await?)
    }

    pub async fn audit_log(&self) -> anyhow::Result<Vec<AuditEntry>> {
        let rows = sqlx::query_as(
            "SELECT at, actor, via, action, ticket, detail, allowed FROM audit_log ORDER BY id",
        )
        .fetch_all(&self.readers)
        .await?;
        Ok(rows.into_iter().map(audit_entry).collect())
    }

    /// Records a staff member's look at a ticket or one of its files.
    pub async fn audit_view(&self, actor: &str, reference: &str, what: &str) -> anyhow::Result<()> {
        let mut tx = self.writer.begin().await?;
        Self::audit_in(&mut tx, actor, "view", Some(reference), what, true).await?;
        tx.commit().await?;
        Ok(())
    }

    /// The audit entries that name one ticket, oldest first.
    pub async fn audit_of(&self, reference: &str) -> anyhow::Result<Vec<AuditEntry>> {
        let rows = sqlx::query_as(
            "SELECT at, actor, via, action, ticket, detail, allowed FROM audit_log
             WHERE ticket = ? ORDER BY id",
        )
        .bind(reference)
        .fetch_all(&self.readers)
        .await?;
        Ok(rows.into_iter().map(audit_entry).collect())
    }

    /// Who `actor` is, for the record: a desk sign-in (`desk:<login>`) or a linked chat account
    /// or OS user is the staff member (`staff:<login>`), acting via that place; anyone else is
    /// recorded as they came.
    pub(super) async fn identity_in(
        tx: &mut Transaction<'_, Sqlite>,
        actor: &str,
    ) -> anyhow::Result<(String, Option<String>)> {
        if let Some(login) = actor.strip_prefix("desk:") {
            return Ok((format!("staff:{login}"), Some("desk".into())));
        }
        let linked: Option<String> = sqlx::query_scalar(
            "SELECT a.login FROM staff_links l JOIN staff_accounts a ON a.id = l.staff_id
             WHERE l.actor = ?",
        )
        .bind(actor)
        .fetch_optional(&mut **tx)
        .await?;
        Ok(match linked {
            Some(login) => (format!("staff:{login}"), Some(actor.to_string())),
            None => (actor.to_string(), None),
        })
    }

    pub(super) async fn audit_in(
        tx: &mut Transaction<'_, Sqlite>,
        actor: &str,
        action: &str,
        ticket: Option<&str>,
        detail: &str,
        allowed: bool,
    ) -> anyhow::Result<()> {
        let (actor, via) = Self::identity_in(tx, actor).await?;
        sqlx::query(
            "INSERT INTO audit_log (at, actor, action, ticket, detail, allowed, via)
             VALUES (?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(now())
        .bind(&actor)
        .bind(action)
        .bind(ticket)
        .bind(detail)
        .bind(allowed)
        .bind(via)
        .execute(&mut **tx)
        .await?;
        Ok(())
    }

    /// Retention, audited: deletes the files of attachments whose ticket was resolved or closed
    /// more than `days` ago (a file shared with a live ticket stays; rows stay, marked purged),
    /// outbox messages delivered (or given up) more than `days` ago (they carry staff replies
    /// and what users sent), conversations idle for more than `days`, and unanswered questions
    /// asked more than `days` ago (redacted, but what users typed all the same).
    ///
    /// The rows are marked in one transaction and the files deleted after its commit: a purge
    /// that fails to commit deletes nothing (no row ever points at a deleted file), and no file
    /// IO happens under the write lock. A file is deleted only if, after the commit, no row that
    /// is not purged uses it (a new ticket may have taken the same file meanwhile); files an
    /// earlier purge left behind (it stopped between its commit and the deletions) go too. A
    /// file stored again within `days` (a user sending the same copy in a flow that has not
    /// filed yet: `store_file` touches it) stays: nothing but its time says a flow holds it.
    pub async fn purge(&self, days: u32, actor: &str) -> anyhow::Result<PurgeReport> {
        let cutoff_at = chrono::Utc::now() - chrono::Duration::days(i64::from(days));
        let cutoff = timestamp(cutoff_at);
        let mut tx = self.writer.begin_with("BEGIN IMMEDIATE").await?;
        let rows: Vec<(i64, String)> = sqlx::query_as(
            "SELECT a.id, a.hash FROM ticket_attachments a JOIN tickets t ON t.id = a.ticket_id
             WHERE a.purged_at IS NULL AND t.status IN (?, ?) AND t.updated_at < ?",
        )
        .bind(TicketStatus::Resolved.as_str())
        .bind(TicketStatus::Closed.as_str())
        .bind(&cutoff)
        .fetch_all(&mut *tx)
        .await?;
        let at = now();
        for (id, _) in &rows {
            sqlx::query("UPDATE ticket_attachments SET purged_at = ? WHERE id = ?")
                .bind(&at)
                .bind(id)
                .execute(&mut *tx)
                .await?;
        }
        let outbox_messages =
            sqlx::query("DELETE FROM outbox WHERE COALESCE(delivered_at, dead_at) < ?")
                .bind(&cutoff)
                .execute(&mut *tx)
                .await?
                .rows_affected();
        // By time, not text: rows saved by older versions have `to_rfc3339()` timestamps
        // (nanoseconds, `+00:00`). A timestamp SQLite cannot read is kept.
        let conversations =
            sqlx::query("DELETE FROM conversations WHERE julianday(updated_at) < julianday(?)")
                .bind(&cutoff)
                .execute(&mut *tx)
                .await?
                .rows_affected();
        let gaps = sqlx::query("DELETE FROM kb_gaps WHERE at < ?")
            .bind(&cutoff)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        Self::audit_in(
            &mut tx,
            actor,
            "purge",
            None,
            &format!(
                "older than {days} days: {} attachments purged, their files deleted unless still used; {outbox_messages} delivered messages, {conversations} idle conversations and {gaps} unanswered questions deleted",
                rows.len()
            ),
            true,
        )
        .await?;
        tx.commit().await?;

        let mut report = PurgeReport {
            attachments: rows.len() as u64,
            outbox_messages,
            conversations,
            gaps,
            ..Default::default()
        };
        let unused: Vec<(String,)> = sqlx::query_as(
            "SELECT DISTINCT hash FROM ticket_attachments WHERE purged_at IS NOT NULL
             AND hash NOT IN (SELECT hash FROM ticket_attachments WHERE purged_at IS NULL)",
        )
        .fetch_all(&self.readers)
        .await?;
        for (hash,) in unused {
            let path = attachment_path(&self.files, &hash);
            let stored_at = match tokio::fs::metadata(&path).await {
                Ok(meta) => meta.modified().context("an attachment file's time")?,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                Err(e) => return Err(e).context("reading an attachment file"),
            };
            if chrono::DateTime::<chrono::Utc>::from(stored_at) >= cutoff_at {
                continue;
            }
            match tokio::fs::remove_file(&path).await {
                Ok(()) => report.files_deleted += 1,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(e).context("deleting an attachment file"),
            }
        }
        Ok(report)
    }

    /// The newest ticket of this user that waits for their answer.
    pub(super) async fn awaiting(
        &self,
        platform: &str,
        user: &str,
    ) -> anyhow::Result<Option<String>> {
        let row: Option<(String,)> = sqlx::query_as(
            "SELECT reference FROM tickets WHERE platform = ? AND platform_user = ? AND status = ?
             ORDER BY created_at DESC, id DESC LIMIT 1",
        )
        .bind(platform)
        .bind(user)
        .bind(TicketStatus::AwaitingUser.as_str())
        .fetch_optional(&self.readers)
        .await?;
        Ok(row.map(|(r,)| r))
    }

    /// Adds the user's words or file to their live ticket and relays them to staff. `false` if
    /// the ticket is not theirs or not live. Once per conversation state: the same addition from
    /// the same stored conversation (a retry after the conversation failed to save) finds the
    /// first one and writes nothing.
    pub(super) async fn add(
        &self,
        reference: &str,
        from: &Sender,
        text: Option<&str>,
        file: Option<&StoredFile>,
    ) -> anyhow::Result<bool> {
        let mut tx = self.writer.begin_with("BEGIN IMMEDIATE").await?;
        let Some((id, status)) = sqlx::query_as::<_, (i64, String)>(
            "SELECT id, status FROM tickets WHERE reference = ? AND platform = ? AND platform_user = ?",
        )
        .bind(reference)
        .bind(from.platform.as_str())
        .bind(&from.user)
        .fetch_optional(&mut *tx)
        .await?
        else {
            return Ok(false);
        };
        let revision = Self::conversation_revision(&mut tx, &from.conversation_key()).await?;
        let origin = addition_origin(&from.conversation_key(), &revision, id, text, file);
        let earlier: Option<(i64,)> =
            sqlx::query_as("SELECT 1 FROM ticket_events WHERE origin = ?")
                .bind(&origin)
                .fetch_optional(&mut *tx)
                .await?;
        if earlier.is_some() {
            return Ok(true);
        }
        if !status.parse::<TicketStatus>()?.is_live() {
            return Ok(false);
        }
        let at = now();
        if let Some(text) = text {
            let (seq,): (i64,) = sqlx::query_as(
                "SELECT COALESCE(MAX(seq) + 1, 0) FROM ticket_transcript WHERE ticket_id = ?",
            )
            .bind(id)
            .fetch_one(&mut *tx)
            .await?;
            sqlx::query("INSERT INTO ticket_transcript (ticket_id, seq, author, text) VALUES (?, ?, 'user', ?)")
                .bind(id)
                .bind(seq)
                .bind(text)
                .execute(&mut *tx)
                .await?;
        }
        if let Some(file) = file {
            self.insert_attachment(&mut tx, id, file, &at).await?;
        }
        sqlx::query("INSERT INTO ticket_events (ticket_id, at, actor, action, detail, origin) VALUES (?, ?, 'user', 'user_info', ?, ?)")
            .bind(id)
            .bind(&at)
            .bind(text.unwrap_or("(a file)"))
            .bind(&origin)
            .execute(&mut *tx)
            .await?;
        sqlx::query("UPDATE tickets SET updated_at = ? WHERE id = ?")
            .bind(&at)
            .bind(id)
            .execute(&mut *tx)
            .await?;
        let notice =
            staff::user_added_notice(reference, text, file.map(StoredFile::describe).as_deref());
        let files: Vec<String> = file.map(|f| f.hash.clone()).into_iter().collect();
        self.tell_staff(&mut tx, &notice, &files, id).await?;
        tx.commit().await?;
        Ok(true)
    }

    /// The revision of the stored conversation `key`, inside `tx`. A conversation without one
    /// (saved before revisions, or never saved: the engine starts from a fresh one) is given one
    /// now, as a fresh conversation when there is no row, so that a retry loads the same state
    /// and finds the same revision.
    async fn conversation_revision(
        tx: &mut Transaction<'_, Sqlite>,
        key: &str,
    ) -> anyhow::Result<String> {
        let row: Option<(Option<String>,)> =
            sqlx::query_as("SELECT revision FROM conversations WHERE key = ?")
                .bind(key)
                .fetch_optional(&mut **tx)
                .await?;
        let revision = match row {
            Some((Some(revision),)) => return Ok(revision),
            Some((None,)) => new_revision(),
            None => {
                let revision = new_revision();
                sqlx::query(
                    "INSERT INTO conversations (key, state, updated_at, revision) VALUES (?, ?, ?, ?)",
                )
                .bind(key)
                .bind(serde_json::to_string(&Conversation::default())?)
                .bind(now())
                .bind(&revision)
                .execute(&mut **tx)
                .await?;
                return Ok(revision);
            }
        };
        sqlx::query("UPDATE conversations SET revision = ? WHERE key = ?")
            .bind(&revision)
            .bind(key)
            .execute(&mut **tx)
            .await?;
        Ok(revision)
    }

    /// The user withdraws their live ticket: closed, staff told. `false` if not theirs or done.
    pub(super) async fn withdraw(
        &self,
        reference: &str,
        platform: &str,
        user: &str,
    ) -> anyhow::Result<bool> {
        let mut tx = self.writer.begin_with("BEGIN IMMEDIATE").await?;
        let at = now();
        let Some((id,)) = sqlx::query_as::<_, (i64,)>(
            "UPDATE tickets SET status = ?, updated_at = ?
             WHERE reference = ? AND platform = ? AND platform_user = ? AND status IN (?, ?, ?)
             RETURNING id",
        )
        .bind(TicketStatus::Closed.as_str())
        .bind(&at)
        .bind(reference)
        .bind(platform)
        .bind(user)
        .bind(TicketStatus::Open.as_str())
        .bind(TicketStatus::Claimed.as_str())
        .bind(TicketStatus::AwaitingUser.as_str())
        .fetch_optional(&mut *tx)
        .await?
        else {
            return Ok(false);
        };
        sqlx::query("INSERT INTO ticket_events (ticket_id, at, actor, action) VALUES (?, ?, 'user', 'withdrawn')")
            .bind(id)
            .bind(&at)
            .execute(&mut *tx)
            .await?;
        self.tell_staff(&mut tx, &staff::withdrawn_notice(reference), &[], id)
            .await?;
        tx.commit().await?;
        Ok(true)
    }
}

/// What makes an addition one: the conversation state it came from, the ticket and what was
/// added; a hash, so the column holds no ids or words.
fn addition_origin(
    conversation: &str,
    revision: &str,
    ticket: i64,
    text: Option<&str>,
    file: Option<&StoredFile>,
) -> String {
    let mut hasher = blake3::Hasher::new();
    for part in [
        conversation,
        revision,
        &ticket.to_string(),
        text.unwrap_or(""),
        file.map_or("", |f| f.hash.as_str()),
    ] {
        // Length-prefixed: no two different tuples hash the same bytes.
        hasher.update(&(part.len() as u64).to_le_bytes());
        hasher.update(part.as_bytes());
    }
    hasher.finalize().to_hex().to_string()
}

type AuditRow = (
    String,
    String,
    Option<String>,
    String,
    Option<String>,
    String,
    bool,
);

fn audit_entry((at, actor, via, action, ticket, detail, allowed): AuditRow) -> AuditEntry {
    AuditEntry {
        at,
        actor,
        via,
        action,
        ticket,
        detail,
        allowed,
    }
}

impl TicketDesk for Store {
    async fn apply(
        &self,
        reference: &str,
        actor: &str,
        action: &'static str,
        change: Change,
    ) -> anyhow::Result<Result<TicketStatus, Refusal>> {
        let mut tx = self.writer.begin_with("BEGIN IMMEDIATE").await?;
        type Row = (i64, String, String, String, String, Option<String>);
        let row: Option<Row> = sqlx::query_as(
            "SELECT id, status, platform, platform_chat, lang, assignee FROM tickets
             WHERE reference = ?",
        )
        .bind(reference)
        .fetch_optional(&mut *tx)
        .await?;
        let Some((id, status, platform, chat, lang, current_assignee)) = row else {
            Self::audit_in(
                &mut tx,
                actor,
                action,
                Some(reference),
                "no such ticket",
                false,
            )
            .await?;
            tx.commit().await?;
            return Ok(Err(Refusal::NotFound(reference.to_string())));
        };
        let status: TicketStatus = status.parse()?;
        if !change.from.contains(&status) {
            Self::audit_in(
                &mut tx,
                actor,
                action,
                Some(reference),
                &format!("refused: ticket is {status}"),
                false,
            )
            .await?;
            tx.commit().await?;
            return Ok(Err(Refusal::WrongStatus {
                reference: reference.to_string(),
                status,
                action,
                allowed: change
                    .from
                    .iter()
                    .map(|s| s.as_str())
                    .collect::<Vec<_>>()
                    .join(" or "),
            }));
        }
        let at = now();
        let after = change.to.unwrap_or(status);
        let (who, _) = Self::identity_in(&mut tx, actor).await?;
        // Claiming makes the actor the ticket's assignee, wherever they act from; reopening
        // leaves it to be claimed again.
        let assignee = match change.to {
            Some(TicketStatus::Claimed) => Some(who.as_str()),
            Some(TicketStatus::Open) => None,
            _ => current_assignee.as_deref(),
        };
        sqlx::query("UPDATE tickets SET status = ?, updated_at = ?, assignee = ? WHERE id = ?")
            .bind(after.as_str())
            .bind(&at)
            .bind(assignee)
            .bind(id)
            .execute(&mut *tx)
            .await?;
        sqlx::query("INSERT INTO ticket_events (ticket_id, at, actor, action, detail) VALUES (?, ?, ?, ?, ?)")
            .bind(id)
            .bind(&at)
            .bind(&who)
            .bind(change.event)
            .bind(&change.detail)
            .execute(&mut *tx)
            .await?;
        if let Some(notice) = &change.to_user {
            // A tag this version does not know is read as English rather than refused.
            let lang = Lang::parse(&lang).unwrap_or_default();
            let message = notice.reply(reference, lang);
            Self::enqueue(&mut tx, &platform, &chat, &message, None, Some(id)).await?;
        }
        if actor.starts_with("desk:") {
            // Staff in the chats hear what was done on the desk.
            let notice = staff::desk_action_notice(reference, &who, &change, after);
            self.tell_staff(&mut tx, &notice, &[], id).await?;
        }
        Self::audit_in(
            &mut tx,
            actor,
            action,
            Some(reference),
            &change.detail,
            true,
        )
        .await?;
        tx.commit().await?;
        Ok(Ok(after))
    }

    async fn audit_refusal(
        &self,
        actor: &str,
        action: &str,
        reference: Option<&str>,
        reason: &str,
    ) -> anyhow::Result<()> {
        let mut tx = self.writer.begin().await?;
        Self::audit_in(&mut tx, actor, action, reference, reason, false).await?;
        tx.commit().await?;
        Ok(())
    }
}
