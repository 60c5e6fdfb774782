//! A user's conversation as data, and the trait through which it is kept.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::future::Future;
use std::sync::Mutex;

use serde::{Deserialize, Serialize};

use super::gaps::{Gap, GapLog};
use super::message::{Button, Sender};
use super::ticket::{
    Attachment, FilingError, NewTicket, StoredFile, TicketBrief, TicketStatus, TicketStore,
    TranscriptLine,
};
use crate::knowledge::flow::Detail;
use crate::lang::Lang;

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
    /// The ticket the user chose to add to (from `/status`): their next message goes there.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub adding_to: Option<String>,
    /// The reference of the last ticket this conversation filed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_ticket: Option<String>,
    /// The intent answered last, for follow-up questions, and how many messages ago.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub topic: Option<String>,
    #[serde(default)]
    pub topic_age: u32,
    /// What the user has told about themselves (when they activated, what they studied, a
    /// renewed passport): flows choose by it instead of asking again.
    #[serde(default, skip_serializing_if = "BTreeSet::is_empty")]
    pub known: BTreeSet<Detail>,
    /// Details of the message being handled that only it means ("turn off forwarding").
    #[serde(skip)]
    pub said_now: BTreeSet<Detail>,
    /// The language the bot answers in: the one the user's messages show, or the one they chose.
    #[serde(default)]
    pub lang: Lang,
    /// The user chose `lang` (`/language`): it no longer follows their messages.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub lang_chosen: bool,
}

/// A topic stays fresh for follow-ups this many messages after its answer.
pub const TOPIC_TURNS: u32 = 3;

impl Conversation {
    /// The topic a follow-up question leans on, while it is fresh.
    pub fn fresh_topic(&self) -> Option<&str> {
        self.topic
            .as_deref()
            .filter(|_| self.topic_age < TOPIC_TURNS)
    }

    /// Details known from earlier messages and said in this one.
    pub fn details(&self) -> BTreeSet<Detail> {
        self.known.union(&self.said_now).copied().collect()
    }
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

    /// Whether staff blocked this user.
    fn is_blocked(
        &self,
        platform: &str,
        user: &str,
    ) -> impl Future<Output = anyhow::Result<bool>> + Send;

    /// The conversation under `key`, unless staff blocked its user: what handling a message
    /// needs first, in one read where the store can.
    fn open(
        &self,
        key: &str,
        platform: &str,
        user: &str,
    ) -> impl Future<Output = anyhow::Result<Opened>> + Send {
        async move {
            if self.is_blocked(platform, user).await? {
                return Ok(Opened::Blocked);
            }
            Ok(Opened::Conversation(self.load(key).await?))
        }
    }

    /// `/forget`: deletes the user's conversations and the personal data of their finished
    /// tickets; keeps what live tickets need. Returns the references kept. `who` is the user's
    /// pseudonym: the audit log names them by it, never by their platform id.
    fn forget(
        &self,
        platform: &str,
        user: &str,
        who: &str,
    ) -> impl Future<Output = anyhow::Result<Vec<String>>> + Send;
}

/// What [`ConversationStore::open`] found.
#[derive(Debug)]
// Made once per message and unpacked at once: boxing would only add an allocation.
#[allow(clippy::large_enum_variant)]
pub enum Opened {
    /// Staff blocked the user: no reply at all.
    Blocked,
    /// The conversation, if there is one yet.
    Conversation(Option<Conversation>),
}

/// Conversations, tickets and unanswered questions in memory: for tests and benchmarks of the
/// core alone.
#[derive(Default)]
pub struct MemoryStore {
    // std Mutexes: held only for a map access, never across an await.
    conversations: Mutex<HashMap<String, Conversation>>,
    tickets: Mutex<Vec<MemoryTicket>>,
    files: Mutex<HashMap<String, Attachment>>,
    blocked: Mutex<std::collections::HashSet<(String, String)>>,
    /// Each conversation's revision, new at every save; and the additions made, by the
    /// revision they came from (as `store` does: a retry before a save adds nothing).
    revisions: Mutex<HashMap<String, u64>>,
    next_revision: std::sync::atomic::AtomicU64,
    additions: Mutex<std::collections::HashSet<AdditionOrigin>>,
    gaps: Mutex<Vec<Gap>>,
}

/// (conversation key, revision, ticket, text, file hash).
type AdditionOrigin = (String, u64, String, Option<String>, Option<String>);

/// A ticket as [`MemoryStore`] keeps it.
#[derive(Debug, Clone)]
pub struct MemoryTicket {
    pub reference: String,
    pub ticket: NewTicket,
    pub created_at: String,
    pub status: TicketStatus,
    /// What the user added later: texts, and files by hash.
    pub added: Vec<String>,
}

impl MemoryStore {
    /// The tickets filed so far, oldest first, with their references.
    pub fn tickets(&self) -> Vec<(String, NewTicket)> {
        self.tickets
            .lock()
            .expect("poisoned")
            .iter()
            .map(|t| (t.reference.clone(), t.ticket.clone()))
            .collect()
    }

    /// Every ticket with its status and additions.
    pub fn ticket_records(&self) -> Vec<MemoryTicket> {
        self.tickets.lock().expect("poisoned").clone()
    }

    /// The unanswered questions recorded so far, oldest first.
    pub fn gaps(&self) -> Vec<Gap> {
        self.gaps.lock().expect("poisoned").clone()
    }

    /// Blocks a user, as staff would.
    pub fn block(&self, platform: &str, user: &str) {
        self.blocked
            .lock()
            .expect("poisoned")
            .insert((platform.to_string(), user.to_string()));
    }

    /// Sets a ticket's status, as staff would.
    pub fn set_status(&self, reference: &str, status: TicketStatus) {
        for t in self.tickets.lock().expect("poisoned").iter_mut() {
            if t.reference == reference {
                t.status = status;
            }
        }
    }
}

impl MemoryStore {
    fn bump_revision(&self, key: &str) -> u64 {
        let revision = self
            .next_revision
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        self.revisions
            .lock()
            .expect("poisoned")
            .insert(key.to_string(), revision);
        revision
    }

    /// Runs `change` on the user's live ticket `reference`; `false` if there is none.
    fn with_own_live_ticket(
        &self,
        reference: &str,
        platform: &str,
        user: &str,
        change: impl FnOnce(&mut MemoryTicket),
    ) -> bool {
        let mut tickets = self.tickets.lock().expect("poisoned");
        match tickets.iter_mut().find(|t| {
            t.reference == reference
                && t.ticket.from.platform.as_str() == platform
                && t.ticket.from.user == user
                && t.status.is_live()
        }) {
            Some(t) => {
                change(t);
                true
            }
            None => false,
        }
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
        self.bump_revision(key);
        self.conversations
            .lock()
            .expect("poisoned")
            .insert(key.to_string(), conversation.clone());
        Ok(())
    }

    async fn is_blocked(&self, platform: &str, user: &str) -> anyhow::Result<bool> {
        Ok(self
            .blocked
            .lock()
            .expect("poisoned")
            .contains(&(platform.to_string(), user.to_string())))
    }

    async fn forget(&self, platform: &str, user: &str, _who: &str) -> anyhow::Result<Vec<String>> {
        let prefix = format!("{platform}:");
        let suffix = format!(":{user}");
        self.conversations
            .lock()
            .expect("poisoned")
            .retain(|k, _| !(k.starts_with(&prefix) && k.ends_with(&suffix)));
        let mut tickets = self.tickets.lock().expect("poisoned");
        let mine = |t: &MemoryTicket| {
            t.ticket.from.platform.as_str() == platform && t.ticket.from.user == user
        };
        tickets.retain(|t| !mine(t) || t.status.is_live());
        Ok(tickets
            .iter()
            .filter(|t| mine(t))
            .map(|t| t.reference.clone())
            .collect())
    }
}

impl GapLog for MemoryStore {
    async fn record_gap(&self, gap: Gap) -> anyhow::Result<()> {
        self.gaps.lock().expect("poisoned").push(gap);
        Ok(())
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

    async fn create_ticket(&self, ticket: NewTicket) -> Result<String, FilingError> {
        let mut tickets = self.tickets.lock().expect("poisoned");
        if let Some(t) = tickets.iter().find(|t| t.ticket.origin == ticket.origin) {
            return Ok(t.reference.clone());
        }
        if let Some(max) = ticket.max_open {
            let live_count = tickets
                .iter()
                .filter(|t| {
                    t.ticket.from.platform == ticket.from.platform
                        && t.ticket.from.user == ticket.from.user
                        && t.status.is_live()
                })
                .count();
            if live_count >= max {
                return Err(FilingError::TooManyOpen(live_count));
            }
        }
        let reference = format!("T-MEM{:03}", tickets.len() + 1);
        tickets.push(MemoryTicket {
            reference: reference.clone(),
            ticket,
            created_at: chrono::Utc::now().to_rfc3339(),
            status: TicketStatus::Open,
            added: Vec::new(),
        });
        Ok(reference)
    }

    async fn awaiting_ticket(&self, platform: &str, user: &str) -> anyhow::Result<Option<String>> {
        Ok(self
            .tickets
            .lock()
            .expect("poisoned")
            .iter()
            .rev()
            .find(|t| {
                t.status == TicketStatus::AwaitingUser
                    && t.ticket.from.platform.as_str() == platform
                    && t.ticket.from.user == user
            })
            .map(|t| t.reference.clone()))
    }

    async fn add_to_ticket(
        &self,
        reference: &str,
        from: &Sender,
        text: Option<&str>,
        file: Option<&StoredFile>,
    ) -> anyhow::Result<bool> {
        let key = from.conversation_key();
        let revision = self.revisions.lock().expect("poisoned").get(&key).copied();
        let revision = revision.unwrap_or_else(|| self.bump_revision(&key));
        let origin = (
            key,
            revision,
            reference.to_string(),
            text.map(str::to_string),
            file.map(|f| f.hash.clone()),
        );
        if self.additions.lock().expect("poisoned").contains(&origin) {
            return Ok(true);
        }
        let added = self.with_own_live_ticket(reference, from.platform.as_str(), &from.user, |t| {
            t.added.extend(text.map(str::to_string));
            t.added.extend(file.map(|f| f.hash.clone()));
        });
        if added {
            self.additions.lock().expect("poisoned").insert(origin);
        }
        Ok(added)
    }

    async fn withdraw_ticket(
        &self,
        reference: &str,
        platform: &str,
        user: &str,
    ) -> anyhow::Result<bool> {
        Ok(self.with_own_live_ticket(reference, platform, user, |t| {
            t.status = TicketStatus::Closed;
        }))
    }

    async fn tickets_of(&self, platform: &str, user: &str) -> anyhow::Result<Vec<TicketBrief>> {
        let tickets = self.tickets.lock().expect("poisoned");
        Ok(tickets
            .iter()
            .rev()
            .filter(|t| t.ticket.from.platform.as_str() == platform && t.ticket.from.user == user)
            .map(|t| TicketBrief {
                reference: t.reference.clone(),
                status: t.status,
                category: t.ticket.category.clone(),
                created_at: t.created_at.clone(),
            })
            .collect())
    }
}
