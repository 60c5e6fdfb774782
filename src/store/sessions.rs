//! The web desk's sessions and staff links on SQLite. A session is found by the hash of its
//! token; it ends when it expires, when its account is removed (cascade) or when the account's
//! password changes after it began.

use super::{Store, now, timestamp};
use crate::accounts::Login;

/// A signed-in staff member, as a request finds them.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct DeskSession {
    pub login: String,
    /// The token every form of this session carries.
    pub csrf: String,
    pub expires_at: String,
}

impl Store {
    /// Begins a session for `login` under `token_hash`, audited as a sign-in; `false` if there
    /// is no such account.
    pub async fn open_session(
        &self,
        login: &Login,
        token_hash: &str,
        csrf: &str,
        lasts: chrono::Duration,
    ) -> anyhow::Result<bool> {
        let mut tx = self.writer.begin_with("BEGIN IMMEDIATE").await?;
        let at = chrono::Utc::now();
        let opened = sqlx::query(
            "INSERT INTO desk_sessions (token_hash, staff_id, csrf, created_at, expires_at)
             SELECT ?, id, ?, ?, ? FROM staff_accounts WHERE login = ?",
        )
        .bind(token_hash)
        .bind(csrf)
        .bind(timestamp(at))
        .bind(timestamp(at + lasts))
        .bind(login.as_str())
        .execute(&mut *tx)
        .await?
        .rows_affected()
            == 1;
        // Expired sessions go as new ones begin.
        sqlx::query("DELETE FROM desk_sessions WHERE expires_at <= ?")
            .bind(timestamp(at))
            .execute(&mut *tx)
            .await?;
        let actor = format!("desk:{}", login.as_str());
        Self::audit_in(&mut tx, &actor, "sign in", None, "", opened).await?;
        tx.commit().await?;
        Ok(opened)
    }

    /// Records a refused sign-in: under the account when there is one, else without the name
    /// typed (it may be a password typed in the wrong box).
    pub async fn refused_sign_in(&self, login: Option<&Login>, reason: &str) -> anyhow::Result<()> {
        let mut tx = self.writer.begin().await?;
        let actor = match login {
            Some(login) => format!("desk:{}", login.as_str()),
            None => "desk:?".to_string(),
        };
        Self::audit_in(&mut tx, &actor, "sign in", None, reason, false).await?;
        tx.commit().await?;
        Ok(())
    }

    /// The live session under `token_hash`, if any.
    pub async fn session(&self, token_hash: &str) -> anyhow::Result<Option<DeskSession>> {
        Ok(sqlx::query_as(
            "SELECT a.login, s.csrf, s.expires_at
             FROM desk_sessions s JOIN staff_accounts a ON a.id = s.staff_id
             WHERE s.token_hash = ? AND s.expires_at > ? AND s.created_at >= a.password_changed_at",
        )
        .bind(token_hash)
        .bind(now())
        .fetch_optional(&self.readers)
        .await?)
    }

    /// Ends the session under `token_hash` (signing out), audited.
    pub async fn close_session(&self, token_hash: &str, login: &str) -> anyhow::Result<()> {
        let mut tx = self.writer.begin_with("BEGIN IMMEDIATE").await?;
        sqlx::query("DELETE FROM desk_sessions WHERE token_hash = ?")
            .bind(token_hash)
            .execute(&mut *tx)
            .await?;
        Self::audit_in(
            &mut tx,
            &format!("desk:{login}"),
            "sign out",
            None,
            "",
            true,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Records `place` (`telegram:<id>`, `discord:<id>`, `cli:<user>`) as the staff member
    /// `login` acting there; `false` if there is no such account.
    pub async fn link_staff(&self, login: &Login, place: &str, by: &str) -> anyhow::Result<bool> {
        let mut tx = self.writer.begin_with("BEGIN IMMEDIATE").await?;
        let linked = sqlx::query(
            "INSERT INTO staff_links (actor, staff_id)
             SELECT ?, id FROM staff_accounts WHERE login = ?
             ON CONFLICT (actor) DO UPDATE SET staff_id = excluded.staff_id",
        )
        .bind(place)
        .bind(login.as_str())
        .execute(&mut *tx)
        .await?
        .rows_affected()
            == 1;
        let detail = format!("{} = {place}", login.as_str());
        Self::audit_in(&mut tx, by, "staff link", None, &detail, linked).await?;
        tx.commit().await?;
        Ok(linked)
    }

    /// The places linked to each account: (login, place), by login.
    pub async fn staff_links(&self) -> anyhow::Result<Vec<(String, String)>> {
        Ok(sqlx::query_as(
            "SELECT a.login, l.actor FROM staff_links l JOIN staff_accounts a ON a.id = l.staff_id
             ORDER BY a.login, l.actor",
        )
        .fetch_all(&self.readers)
        .await?)
    }
}
