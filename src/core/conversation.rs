//! A user's conversation as data, and the trait through which it is kept.

use std::collections::{BTreeMap, HashMap};
use std::future::Future;
use std::sync::Mutex;

use serde::{Deserialize, Serialize};

use super::message::Button;
use super::ticket::{Attachment, NewTicket, StoredFile, TicketBrief, TicketStore, TranscriptLine};

/// Everything the core remembers of one conversation between two messages. It is saved after
/// every message, so a restart resumes exactly here.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Conversation {
    /// The buttons of the bot's last message, so "2" or a label typed back means that button.
    #[serde(default)]
    pub offered: Vec<Button>,
    /// Messages in a row the bot did not understand (or values it could not accept).
    #[serde(default)]
    pub misunderstood: u32,
    /// The guided flow the user is in, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub flow: Option<FlowRun>,
    /// The latest messages both ways, filed with a ticket so staff see how it came about.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub transcript: Vec<TranscriptLine>,
    /// The reference of the last ticket this conversation filed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_ticket: Option<String>,
}

/// Where a user is in a flow, and what they have told it so far.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FlowRun {
    pub flow: String,
    /// The step waiting for the user.
    pub step: String,
    /// Unique per run: a ticket filed twice from one run is one ticket.
    pub run: String,
    #[serde(default)]
    pub fields: BTreeMap<String, String>,
    #[serde(default)]
    pub files: BTreeMap<String, StoredFile>,
    /// Steps answered before this one, for `back`.
    #[serde(default)]
    pub history: Vec<String>,
    /// When the user is changing one answer from the summary: the summary step to return to.
    #[serde(default)]
    pub return_to: Option<String>,
}

/// Where conversations are kept. The core calls it; `store` implements it on SQLite.
pub trait ConversationStore: Send + Sync + 'static {
    fn load(&self, key: &str) -> impl Future<Output = anyhow::Result<Option<Conversation>>> + Send;
    fn save(
        &self,
        key: &str,
        conversation: &Conversation,
    ) -> impl Future<Output = anyhow::Result<()>> + Send;
}

/// Conversations and tickets in memory: for tests and benchmarks of the core alone.
#[derive(Default)]
pub struct MemoryStore {
    // std Mutexes: held only for a map access, never across an await.
    conversations: Mutex<HashMap<String, Conversation>>,
    /// (reference, ticket, created at).
    tickets: Mutex<Vec<(String, NewTicket, String)>>,
    files: Mutex<HashMap<String, Attachment>>,
}

impl MemoryStore {
    /// The tickets filed so far, oldest first, with their references.
    pub fn tickets(&self) -> Vec<(String, NewTicket)> {
        self.tickets
            .lock()
            .expect("poisoned")
            .iter()
            .map(|(r, t, _)| (r.clone(), t.clone()))
            .collect()
    }
}

impl TicketStore for MemoryStore {
    async fn store_file(&self, file: Attachment) -> anyhow::Result<StoredFile> {
        let stored = StoredFile {
            hash: blake3::hash(file.bytes()).to_hex().to_string(),
            media_type: file.media_type().to_string(),
            size: file.bytes().len() as u64,
        };
        self.files
            .lock()
            .expect("poisoned")
            .insert(stored.hash.clone(), file);
        Ok(stored)
    }

    async fn create_ticket(&self, ticket: NewTicket) -> anyhow::Result<String> {
        let mut tickets = self.tickets.lock().expect("poisoned");
        if let Some((reference, ..)) = tickets.iter().find(|(_, t, _)| t.origin == ticket.origin) {
            return Ok(reference.clone());
        }
        let reference = format!("T-MEM{:03}", tickets.len() + 1);
        tickets.push((reference.clone(), ticket, chrono::Utc::now().to_rfc3339()));
        Ok(reference)
    }

    async fn tickets_of(&self, platform: &str, user: &str) -> anyhow::Result<Vec<TicketBrief>> {
        let tickets = self.tickets.lock().expect("poisoned");
        Ok(tickets
            .iter()
            .rev()
            .filter(|(_, t, _)| t.from.platform == platform && t.from.user == user)
            .map(|(reference, t, created_at)| TicketBrief {
                reference: reference.clone(),
                // Staff actions, which change a status, need the SQLite store.
                status: "open".into(),
                category: t.category.clone(),
                created_at: created_at.clone(),
            })
            .collect())
    }
}

impl ConversationStore for MemoryStore {
    async fn load(&self, key: &str) -> anyhow::Result<Option<Conversation>> {
        Ok(self
            .conversations
            .lock()
            .expect("poisoned")
            .get(key)
            .cloned())
    }

    async fn save(&self, key: &str, conversation: &Conversation) -> anyhow::Result<()> {
        self.conversations
            .lock()
            .expect("poisoned")
            .insert(key.to_string(), conversation.clone());
        Ok(())
    }
}
