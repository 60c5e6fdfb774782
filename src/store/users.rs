//! Users as staff manage them: the block list, `/forget`, and the record of updates already
//! taken from the platforms.

use super::tickets::attachment_path;
use super::{Store, now, timestamp};
use crate::core::ticket::TicketStatus;

impl Store {
    pub async fn blocked(&self, platform: &str, user: &str) -> anyhow::Result<bool> {
        let row: Option<(i64,)> =
            sqlx::query_as("SELECT 1 FROM blocked_users WHERE platform = ? AND user = ?")
                .bind(platform)
                .bind(user)
                .fetch_optional(&self.readers)
                .await?;
        Ok(row.is_some())
    }

    /// Blocks or unblocks a user; audited. Returns whether anything changed.
    pub async fn set_blocked(
        &self,
        platform: &str,
        user: &str,
        blocked: bool,
        actor: &str,
        reason: &str,
    ) -> anyhow::Result<bool> {
        let mut tx = self.writer.begin_with("BEGIN IMMEDIATE").await?;
        let changed = if blocked {
            sqlx::query(
                "INSERT INTO blocked_users (platform, user, blocked_at, blocked_by, reason) VALUES (?, ?, ?, ?, ?)
                 ON CONFLICT (platform, user) DO NOTHING",
            )
            .bind(platform)
            .bind(user)
            .bind(now())
            .bind(actor)
            .bind(reason)
            .execute(&mut *tx)
            .await?
            .rows_affected()
        } else {
            sqlx::query("DELETE FROM blocked_users WHERE platform = ? AND user = ?")
                .bind(platform)
                .bind(user)
                .execute(&mut *tx)
                .await?
                .rows_affected()
        };
        Self::audit_in(
            &mut tx,
            actor,
            if blocked { "block" } else { "unblock" },
            None,
            format!("{platform}:{user} {reason}").trim(),
            true,
        )
        .await?;
        tx.commit().await?;
        Ok(changed > 0)
    }

    /// Deletes the user's conversations, and their finished tickets with transcripts and files
    /// (a file another ticket still uses stays); live tickets are kept for staff. Audited under
    /// `actor`: the user's pseudonym, or the staff member who did it for them; never the
    /// user's platform id, which is what they asked to be forgotten.
    ///
    /// Unanswered questions (`kb_gaps`) stay: they are kept redacted and carry no user id, so
    /// nothing links them to the user; retention deletes them by age.
    pub async fn forget_user(
        &self,
        platform: &str,
        user: &str,
        actor: &str,
    ) -> anyhow::Result<Vec<String>> {
        let mut tx = self.writer.begin_with("BEGIN IMMEDIATE").await?;
        // Conversation keys are `platform:chat:user` (`Sender::conversation_key`): compared by
        // exact prefix and suffix (LIKE would ignore case and need escaping).
        let (prefix, suffix) = (format!("{platform}:"), format!(":{user}"));
        sqlx::query(
            "DELETE FROM conversations
             WHERE substr(key, 1, length(?1)) = ?1 AND substr(key, -length(?2)) = ?2",
        )
        .bind(&prefix)
        .bind(&suffix)
        .execute(&mut *tx)
        .await?;
        let finished: Vec<(i64,)> = sqlx::query_as(
            "SELECT id FROM tickets WHERE platform = ? AND platform_user = ? AND status IN (?, ?)",
        )
        .bind(platform)
        .bind(user)
        .bind(TicketStatus::Resolved.as_str())
        .bind(TicketStatus::Closed.as_str())
        .fetch_all(&mut *tx)
        .await?;
        let mut orphans = Vec::new();
        for (id,) in &finished {
            let hashes: Vec<(String,)> =
                sqlx::query_as("SELECT hash FROM ticket_attachments WHERE ticket_id = ?")
                    .bind(id)
                    .fetch_all(&mut *tx)
                    .await?;
            sqlx::query("DELETE FROM outbox WHERE ticket_id = ?")
                .bind(id)
                .execute(&mut *tx)
                .await?;
            // Attachments, transcript and events go with the ticket (ON DELETE CASCADE).
            sqlx::query("DELETE FROM tickets WHERE id = ?")
                .bind(id)
                .execute(&mut *tx)
                .await?;
            for (hash,) in hashes {
                let (left,): (i64,) =
                    sqlx::query_as("SELECT COUNT(*) FROM ticket_attachments WHERE hash = ?")
                        .bind(&hash)
                        .fetch_one(&mut *tx)
                        .await?;
                if left == 0 {
                    orphans.push(hash);
                }
            }
        }
        let kept: Vec<(String,)> = sqlx::query_as(
            "SELECT reference FROM tickets WHERE platform = ? AND platform_user = ? ORDER BY id",
        )
        .bind(platform)
        .bind(user)
        .fetch_all(&mut *tx)
        .await?;
        // What the audit log says of the user by their platform id (a block naming them, an
        // attempt at a staff command) goes too: named "a forgotten user" from now on.
        let raw = format!("{platform}:{user}");
        sqlx::query("UPDATE audit_log SET actor = 'a forgotten user' WHERE actor = ?")
            .bind(&raw)
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "UPDATE audit_log SET detail = 'a forgotten user' || substr(detail, length(?1) + 1)
             WHERE detail = ?1 OR substr(detail, 1, length(?1) + 1) = ?1 || ' '",
        )
        .bind(&raw)
        .execute(&mut *tx)
        .await?;
        Self::audit_in(
            &mut tx,
            actor,
            "forget",
            None,
            &format!(
                "{} finished ticket(s) deleted, {} kept",
                finished.len(),
                kept.len()
            ),
            true,
        )
        .await?;
        tx.commit().await?;
        for hash in orphans {
            let _ = std::fs::remove_file(attachment_path(&self.files, &hash));
        }
        Ok(kept.into_iter().map(|(r,)| r).collect())
    }

    /// Marks an update as being handled. `false` if it was handled before (a redelivery after
    /// a restart): skip it. An update started but never finished (the process died while
    /// handling it) is handled again. One statement: the insert, or the refresh of an
    /// unfinished record; a finished record is left alone and nothing is written.
    pub async fn begin_update(&self, platform: &str, id: &str) -> anyhow::Result<bool> {
        let written = sqlx::query(
            "INSERT INTO processed_updates (platform, update_id, started_at) VALUES (?, ?, ?)
             ON CONFLICT (platform, update_id) DO UPDATE SET started_at = excluded.started_at
             WHERE processed_updates.finished_at IS NULL",
        )
        .bind(platform)
        .bind(id)
        .bind(now())
        .execute(&self.writer)
        .await?
        .rows_affected();
        Ok(written > 0)
    }

    pub async fn finish_update(&self, platform: &str, id: &str) -> anyhow::Result<()> {
        sqlx::query(
            "UPDATE processed_updates SET finished_at = ? WHERE platform = ? AND update_id = ?",
        )
        .bind(now())
        .bind(platform)
        .bind(id)
        .execute(&self.writer)
        .await?;
        Ok(())
    }

    /// Forgets updates older than a week (platforms never redeliver that late). Run by the
    /// daily maintenance of `serve`, not per update.
    pub async fn prune_updates(&self) -> anyhow::Result<u64> {
        Ok(
            sqlx::query("DELETE FROM processed_updates WHERE started_at < ?")
                .bind(timestamp(chrono::Utc::now() - chrono::Duration::days(7)))
                .execute(&self.writer)
                .await?
                .rows_affected(),
        )
    }
}
