//! A user's conversation as data, and the trait through which it is kept.

use std::collections::HashMap;
use std::future::Future;
use std::sync::Mutex;

use serde::{Deserialize, Serialize};

use super::message::Button;

/// Everything the core remembers of one conversation between two messages. It is saved after
/// every message, so a restart resumes exactly here.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Conversation {
    /// The buttons of the bot's last message, so "2" or a label typed back means that button.
    #[serde(default)]
    pub offered: Vec<Button>,
    /// Messages in a row the bot did not understand.
    #[serde(default)]
    pub misunderstood: u32,
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

/// Conversations in memory: for tests and benchmarks of the core alone.
#[derive(Default)]
pub struct MemoryStore {
    // std Mutex: held only for a map access, never across an await.
    conversations: Mutex<HashMap<String, Conversation>>,
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
