//! Staff accounts of the web desk on SQLite: a login and a password hash each; every change
//! audited in its transaction.

use super::{Store, now};
use crate::accounts::Login;

/// A staff account as listed (never its hash).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, sqlx::FromRow)]
pub struct StaffAccount {
    pub id: i64,
    pub login: String,
    pub created_at: String,
    pub password_changed_at: String,
}

impl Store {
    /// Adds an account; `false` if the login is taken.
    pub async fn add_staff(&self, login: &Login, hash: &str, actor: &str) -> anyhow::Result<bool> {
        let mut tx = self.writer.begin_with("BEGIN IMMEDIATE").await?;
        let at = now();
        let added = sqlx::query(
            "INSERT INTO staff_accounts (login, password_hash, created_at, password_changed_at)
             VALUES (?, ?, ?, ?) ON CONFLICT (login) DO NOTHING",
        )
        .bind(login.as_str())
        .bind(hash)
        .bind(&at)
        .bind(&at)
        .execute(&mut *tx)
        .await?
        .rows_affected()
            == 1;
        Self::audit_in(&mut tx, actor, "staff add", None, login.as_str(), added).await?;
        tx.commit().await?;
        Ok(added)
    }

    /// Removes an account; `false` if there is none.
    pub async fn remove_staff(&self, login: &Login, actor: &str) -> anyhow::Result<bool> {
        let mut tx = self.writer.begin_with("BEGIN IMMEDIATE").await?;
        let removed = sqlx::query("DELETE FROM staff_accounts WHERE login = ?")
            .bind(login.as_str())
            .execute(&mut *tx)
            .await?
            .rows_affected()
            == 1;
        Self::audit_in(
            &mut tx,
            actor,
            "staff remove",
            None,
            login.as_str(),
            removed,
        )
        .await?;
        tx.commit().await?;
        Ok(removed)
    }

    /// Sets an account's password hash; `false` if there is no such account.
    pub async fn set_staff_password(
        &self,
        login: &Login,
        hash: &str,
        actor: &str,
    ) -> anyhow::Result<bool> {
        let mut tx = self.writer.begin_with("BEGIN IMMEDIATE").await?;
        let changed = sqlx::query(
            "UPDATE staff_accounts SET password_hash = ?, password_changed_at = ? WHERE login = ?",
        )
        .bind(hash)
        .bind(now())
        .bind(login.as_str())
        .execute(&mut *tx)
        .await?
        .rows_affected()
            == 1;
        // Every session of the account ends with its old password.
        sqlx::query(
            "DELETE FROM desk_sessions
             WHERE staff_id = (SELECT id FROM staff_accounts WHERE login = ?)",
        )
        .bind(login.as_str())
        .execute(&mut *tx)
        .await?;
        let action = "staff reset-password";
        Self::audit_in(&mut tx, actor, action, None, login.as_str(), changed).await?;
        tx.commit().await?;
        Ok(changed)
    }

    /// Every account, by login.
    pub async fn staff_accounts(&self) -> anyhow::Result<Vec<StaffAccount>> {
        Ok(sqlx::query_as(
            "SELECT id, login, created_at, password_changed_at FROM staff_accounts ORDER BY login",
        )
        .fetch_all(&self.readers)
        .await?)
    }

    /// An account's password hash, to check a sign-in against.
    pub async fn staff_password_hash(&self, login: &Login) -> anyhow::Result<Option<String>> {
        let row: Option<(String,)> =
            sqlx::query_as("SELECT password_hash FROM staff_accounts WHERE login = ?")
                .bind(login.as_str())
                .fetch_optional(&self.readers)
                .await?;
        Ok(row.map(|(hash,)| hash))
    }
}
