//! SQLite behind the core's traits. All SQL of the project is in this module; the schema is in
//! `migrations/`, applied at start-up.

use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

use anyhow::Context;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};

use crate::core::conversation::Opened;
use crate::core::{Conversation, ConversationStore};

/// Timestamps as the tables keep them: RFC 3339, UTC, milliseconds (so they sort as text).
pub(crate) fn timestamp(at: chrono::DateTime<chrono::Utc>) -> String {
    at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

pub(crate) fn now() -> String {
    timestamp(chrono::Utc::now())
}

/// A stored JSON value that does not parse, as an error that says what and where but not the
/// value: serde's own message quotes what it could not read (`invalid type: string "CHAN Tai
/// Man"`), and stored rows hold personal data.
pub(crate) fn unreadable(what: &str, e: &serde_json::Error) -> anyhow::Error {
    anyhow::anyhow!(
        "{what} does not parse ({:?} error at line {}, column {})",
        e.classify(),
        e.line(),
        e.column()
    )
}

/// A fresh random revision for a saved conversation (see `migrations/0008_addition_origin.sql`).
pub(crate) fn new_revision() -> String {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).expect("the operating system's random source failed");
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The migrations of `migrations/`, embedded in the binary.
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

mod accounts;
mod desk;
mod gaps;
mod health;
mod queue;
mod sessions;
mod tickets;
mod users;

pub use accounts::StaffAccount;
pub use desk::{MAX_DELIVERY_ATTEMPTS, OutboxItem, PurgeReport, STAFF_CHAT, ThreadPending};
pub use queue::{Assignee, MAX_PAGE, PAGE_SIZE, QueueFilter, QueuePage, QueueRow, Tab};
pub use sessions::DeskSession;
pub use tickets::{
    AttachmentInfo, OwedMessage, TicketDetail, TicketEvent, TicketSummary, TranscriptEntry,
    files_dir_for,
};

#[derive(Clone)]
pub struct Store {
    /// The one connection that writes.
    writer: SqlitePool,
    /// Connections that only read.
    readers: SqlitePool,
    /// Attachments, by content hash.
    files: PathBuf,
    /// The platforms with a staff place configured: new tickets and users' additions are
    /// announced there.
    staff_places: std::sync::Arc<Vec<crate::core::Platform>>,
}

impl Store {
    /// Opens (creating if needed) the database file and applies pending migrations.
    pub async fn open(path: &Path) -> anyhow::Result<Self> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        }
        let options = SqliteConnectOptions::from_str("sqlite:")?
            .filename(path)
            .create_if_missing(true)
            // WAL: readers (the `tickets` CLI) do not block the running bot, and a commit is
            // durable once it returns.
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .busy_timeout(Duration::from_secs(5))
            .foreign_keys(true);
        // One connection writes; the bot's tasks queue for it in order (the pool hands it out
        // first come, first served). Writers that met in SQLite instead would find the lock
        // taken and wait in its busy handler, which sleeps: that was the latency tail under
        // load. The busy timeout stays for other processes (the CLI) writing to the file.
        let writer = SqlitePoolOptions::new()
            .max_connections(1)
            .connect_with(options.clone())
            .await
            .with_context(|| format!("opening the database {}", path.display()))?;
        MIGRATOR
            .run(&writer)
            .await
            .context("applying database migrations")?;
        // Reads go alongside, on their own connections (WAL: readers never wait for the writer).
        let readers = SqlitePoolOptions::new()
            .max_connections(3)
            .connect_with(options)
            .await
            .with_context(|| format!("opening the database {}", path.display()))?;
        Ok(Store {
            writer,
            readers,
            files: files_dir_for(path),
            staff_places: Default::default(),
        })
    }

    /// Announces tickets to the staff places of these platforms (`"telegram"`, `"discord"`).
    pub fn with_staff_places(mut self, platforms: Vec<crate::core::Platform>) -> Self {
        self.staff_places = std::sync::Arc::new(platforms);
        self
    }

    /// The writing connection, for statements outside the store's own (tests, benchmarks).
    pub fn pool(&self) -> &SqlitePool {
        &self.writer
    }
}

/// A stored conversation state. One written by an older version that no longer parses starts
/// afresh rather than locking the user out.
fn parse_state(json: &str) -> Option<Conversation> {
    match serde_json::from_str(json) {
        Ok(conversation) => Some(conversation),
        Err(e) => {
            // Not `%e`: serde's message quotes the stored values.
            tracing::warn!(
                category = ?e.classify(),
                line = e.line(),
                column = e.column(),
                "a stored conversation no longer parses; starting afresh"
            );
            None
        }
    }
}

impl ConversationStore for Store {
    async fn load(&self, key: &str) -> anyhow::Result<Option<Conversation>> {
        let row: Option<(String,)> =
            sqlx::query_as("SELECT state FROM conversations WHERE key = ?")
                .bind(key)
                .fetch_optional(&self.readers)
                .await?;
        Ok(row.and_then(|(json,)| parse_state(&json)))
    }

    async fn open(&self, key: &str, platform: &str, user: &str) -> anyhow::Result<Opened> {
        // One round trip for the two reads every message needs.
        let (blocked, state): (bool, Option<String>) = sqlx::query_as(
            "SELECT EXISTS (SELECT 1 FROM blocked_users WHERE platform = ? AND user = ?),
                    (SELECT state FROM conversations WHERE key = ?)",
        )
        .bind(platform)
        .bind(user)
        .bind(key)
        .fetch_one(&self.readers)
        .await?;
        Ok(if blocked {
            Opened::Blocked
        } else {
            Opened::Conversation(state.as_deref().and_then(parse_state))
        })
    }

    async fn save(&self, key: &str, conversation: &Conversation) -> anyhow::Result<()> {
        let json = serde_json::to_string(conversation)?;
        sqlx::query(
            "INSERT INTO conversations (key, state, updated_at, revision) VALUES (?, ?, ?, ?)
             ON CONFLICT(key) DO UPDATE SET state = excluded.state, updated_at = excluded.updated_at,
                                            revision = excluded.revision",
        )
        .bind(key)
        .bind(json)
        .bind(now())
        .bind(new_revision())
        .execute(&self.writer)
        .await?;
        Ok(())
    }

    async fn is_blocked(&self, platform: &str, user: &str) -> anyhow::Result<bool> {
        self.blocked(platform, user).await
    }

    async fn forget(&self, platform: &str, user: &str, who: &str) -> anyhow::Result<Vec<String>> {
        self.forget_user(platform, user, who).await
    }
}
