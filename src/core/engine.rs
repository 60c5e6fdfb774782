//! The engine: one message in, the bot's replies out. Every platform goes through
//! [`Engine::handle`]; it decides what to say, adapters only translate.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use tracing::{debug, info, warn};

use super::conversation::{Conversation, ConversationStore};
use super::message::{Button, Content, Inbound, Reply};
use crate::knowledge::KnowledgeBase;
use crate::matcher::{Decision, Matcher, Outcome, normalize};
use crate::privacy::Pseudonymizer;

/// Longest message the bot reads, in characters. Questions are short; past this the user is
/// asked to shorten rather than have the bot guess from a wall of text.
pub const MAX_MESSAGE_CHARS: usize = 2_000;

/// Button data. Kept short: Telegram allows 64 bytes of callback data.
const INTENT_PREFIX: &str = "intent:";
const NONE_OF_THESE: &str = "none";
const STAFF: &str = "intent:contact_staff";

/// Intents the engine itself refers to; a knowledge base without them still works.
const CONTACT_INTENT: &str = "contact_staff";
const HELP_INTENT: &str = "help";
const GREETING_INTENT: &str = "greeting";
const CAPABILITIES_INTENT: &str = "capabilities";

/// Topics offered when the bot did not understand.
const STARTER_TOPICS: [&str; 4] = [
    "activation_problem",
    "username_password",
    "email_forwarding",
    "apply_email_alias",
];

pub struct Engine<S> {
    kb: Arc<KnowledgeBase>,
    matcher: Arc<Matcher>,
    store: S,
    pseudonyms: Pseudonymizer,
    /// One lock per conversation, so two messages of one user are handled in order while
    /// different users proceed in parallel. std Mutex: held only to fetch the entry.
    locks: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
}

impl<S: ConversationStore> Engine<S> {
    pub fn new(
        kb: Arc<KnowledgeBase>,
        matcher: Arc<Matcher>,
        store: S,
        pseudonyms: Pseudonymizer,
    ) -> Self {
        Engine {
            kb,
            matcher,
            store,
            pseudonyms,
            locks: Mutex::new(HashMap::new()),
        }
    }

    /// Handles one message and returns the replies, in order. Never fails: a storage error is
    /// logged and the user gets an apology with a reference to quote.
    pub async fn handle(&self, inbound: Inbound) -> Vec<Reply> {
        let key = inbound.from.conversation_key();
        let who = self
            .pseudonyms
            .tag(&inbound.from.platform, &inbound.from.user);
        let lock = {
            let mut locks = self.locks.lock().expect("poisoned");
            if locks.len() > 10_000 {
                locks.retain(|_, l| Arc::strong_count(l) > 1);
            }
            locks.entry(key.clone()).or_default().clone()
        };
        let _turn = lock.lock().await;

        let mut conversation = match self.store.load(&key).await {
            Ok(c) => c.unwrap_or_default(),
            Err(e) => return self.apology(&who, "load", &e),
        };
        let replies = self.respond(&mut conversation, &inbound, &who);
        conversation.offered = replies
            .last()
            .map(|r| r.buttons.clone())
            .unwrap_or_default();
        if let Err(e) = self.store.save(&key, &conversation).await {
            return self.apology(&who, "save", &e);
        }
        replies
    }

    fn apology(&self, who: &str, stage: &str, error: &anyhow::Error) -> Vec<Reply> {
        let reference = short_reference();
        warn!(user = who, stage, reference, error = %error, "storage failed");
        vec![Reply::text(format!(
            "Sorry, something went wrong on my side. Please try again in a moment. If it keeps happening, contact alumni@ust.hk and quote reference **{reference}**."
        ))]
    }

    fn respond(&self, conversation: &mut Conversation, inbound: &Inbound, who: &str) -> Vec<Reply> {
        match &inbound.content {
            Content::Button(data) => self.on_button(conversation, data, who),
            Content::File(_) => {
                info!(user = who, "file outside a flow");
                vec![Reply::text(
                    "Thanks, but I only need files when I ask for one (for example the copy of your ID for a correction request). Please ask your question in words.",
                )]
            }
            Content::Text(text) => self.on_text(conversation, text, who),
        }
    }

    fn on_text(&self, conversation: &mut Conversation, text: &str, who: &str) -> Vec<Reply> {
        let text = text.trim();
        if text.chars().count() > MAX_MESSAGE_CHARS {
            info!(user = who, "message too long");
            return vec![Reply::text(format!(
                "That message is too long for me (over {MAX_MESSAGE_CHARS} characters). Please ask your question in a sentence or two."
            ))];
        }
        if normalize::tokenize(text).is_empty() {
            return vec![Reply::text(
                "I didn't catch a question there. Type what you need help with, for example \"I forgot my password\".",
            )];
        }
        if let Some(data) = self.chosen_button(conversation, text) {
            return self.on_button(conversation, &data, who);
        }
        if let Some(replies) = self.on_command(conversation, text) {
            return replies;
        }
        let outcome = self.matcher.classify(text);
        debug!(user = who, decision = ?outcome.decision, intent = outcome.intent(), score = outcome.score(), "matched");
        self.on_outcome(conversation, &outcome)
    }

    /// A typed number or label that picks one of the buttons just offered.
    fn chosen_button(&self, conversation: &Conversation, text: &str) -> Option<String> {
        let offered = &conversation.offered;
        if let Ok(n) = text.trim_end_matches('.').parse::<usize>() {
            return offered.get(n.checked_sub(1)?).map(|b| b.data.clone());
        }
        offered
            .iter()
            .find(|b| b.label.eq_ignore_ascii_case(text))
            .map(|b| b.data.clone())
    }

    fn on_command(&self, conversation: &mut Conversation, text: &str) -> Option<Vec<Reply>> {
        let command = text
            .trim_start_matches('/')
            .split(['@', ' '])
            .next()
            .unwrap_or("")
            .to_ascii_lowercase();
        match command.as_str() {
            "start" if text.starts_with('/') => {
                *conversation = Conversation::default();
                Some(self.answer_many(&[GREETING_INTENT, CAPABILITIES_INTENT]))
            }
            "help" | "menu" if text.split_whitespace().count() == 1 => {
                Some(self.answer(HELP_INTENT))
            }
            "contact" if text.starts_with('/') => Some(self.answer(CONTACT_INTENT)),
            "cancel" | "restart" | "stop" | "reset" if text.split_whitespace().count() == 1 => {
                *conversation = Conversation::default();
                Some(vec![Reply::text(
                    "OK, let's start over. What can I help you with?",
                )])
            }
            "back" if text.split_whitespace().count() == 1 => Some(vec![Reply::text(
                "There is no earlier step to go back to. What can I help you with?",
            )]),
            _ => None,
        }
    }

    fn on_button(&self, conversation: &mut Conversation, data: &str, who: &str) -> Vec<Reply> {
        if let Some(id) = data.strip_prefix(INTENT_PREFIX)
            && self.kb.intent(id).is_some()
        {
            debug!(user = who, intent = id, "chosen");
            conversation.misunderstood = 0;
            return self.answer(id);
        }
        if data == NONE_OF_THESE {
            return self.not_understood(conversation, "Sorry I didn't get it right.");
        }
        // A button from an older version of the bot, or made up: say so, lose nothing.
        info!(user = who, "unknown button");
        vec![Reply::text(
            "That button is no longer active. Please type your question, or /help to see what I can do.",
        )]
    }

    fn on_outcome(&self, conversation: &mut Conversation, outcome: &Outcome) -> Vec<Reply> {
        match outcome.decision {
            Decision::Answer => {
                conversation.misunderstood = 0;
                self.answer(&outcome.candidates[0].intent)
            }
            Decision::Clarify => {
                conversation.misunderstood = 0;
                let mut buttons: Vec<Button> = outcome.candidates[..outcome.choices]
                    .iter()
                    .filter_map(|c| self.kb.intent(&c.intent))
                    .map(|i| Button::new(&i.title, format!("{INTENT_PREFIX}{}", i.id)))
                    .collect();
                buttons.push(Button::new("None of these", NONE_OF_THESE));
                let question = if buttons.len() == 2 {
                    "Did you mean this?"
                } else {
                    "Did you mean one of these?"
                };
                vec![Reply::text(question).with_buttons(buttons)]
            }
            Decision::Fallback => {
                self.not_understood(conversation, "Sorry, I don't know about that.")
            }
        }
    }

    fn not_understood(&self, conversation: &mut Conversation, opening: &str) -> Vec<Reply> {
        conversation.misunderstood += 1;
        if conversation.misunderstood >= 2 {
            let text = format!(
                "{opening} I'm still not getting it, sorry. A person at the alumni office can help: email **alumni@ust.hk** or WhatsApp **(852) 6359 1911**, or I can open a ticket for you."
            );
            let mut buttons = vec![];
            if self.kb.intent(CONTACT_INTENT).is_some() {
                buttons.push(Button::new("Talk to a person", STAFF));
            }
            return vec![Reply::text(text).with_buttons(buttons)];
        }
        let mut buttons: Vec<Button> = STARTER_TOPICS
            .iter()
            .filter_map(|id| self.kb.intent(id))
            .map(|i| Button::new(&i.title, format!("{INTENT_PREFIX}{}", i.id)))
            .collect();
        if self.kb.intent(CONTACT_INTENT).is_some() {
            buttons.push(Button::new("Talk to a person", STAFF));
        }
        vec![Reply::text(format!(
            "{opening} I can only help with the alumni email account: activation, passwords, aliases, Wi-Fi and library logins, forwarding, Office 365 and record corrections. Could you rephrase, or pick a topic?"
        ))
        .with_buttons(buttons)]
    }

    fn answer(&self, id: &str) -> Vec<Reply> {
        self.answer_many(&[id])
    }

    fn answer_many(&self, ids: &[&str]) -> Vec<Reply> {
        let mut replies: Vec<Reply> = Vec::new();
        for id in ids {
            let Some(intent) = self.kb.intent(id) else {
                continue;
            };
            let related: Vec<Button> = intent
                .related
                .iter()
                .filter_map(|r| self.kb.intent(r))
                .map(|r| Button::new(&r.title, format!("{INTENT_PREFIX}{}", r.id)))
                .collect();
            replies.push(Reply::text(&intent.answer).with_buttons(related));
        }
        if replies.is_empty() {
            replies.push(Reply::text(
                "What can I help you with about your alumni email account?",
            ));
        }
        replies
    }
}

/// A reference a user can quote to staff about an error: time-based, short, not secret.
fn short_reference() -> String {
    let now = chrono::Utc::now();
    format!("E{}", now.format("%y%m%d-%H%M%S"))
}
