//! The engine: one message in, the bot's replies out. Every platform goes through
//! [`Engine::handle`]; it decides what to say, adapters only translate.
//!
//! A message is handled under its conversation's lock: load the state, respond, save. The guided
//! flows live in [`super::flow`]; this file routes a message to them, to the matcher, or to a
//! command.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use tracing::{debug, info, warn};

use super::buttons::ButtonData;
use super::conversation::{Conversation, ConversationStore, Opened};
use super::gaps::{Gap, GapKind, GapLog, Nearest, Redacted};
use super::limits::{Limits, RateLimiter, Verdict};
use super::message::{Button, Content, Inbound, Reply, Sender};
use super::metrics::Metrics;
use super::notes::Note;
use super::texts::{fill, tr};
use super::ticket::{Addition, Author, TicketStore, TranscriptLine};
use super::understand::{self, Context, FollowupIndex, Part, Reader, Reading, answers};
use crate::knowledge::KnowledgeBase;
use crate::lang::{self, Lang};
use crate::matcher::{Candidate, Decision, Matcher, Outcome, normalize};
use crate::privacy::Pseudonymizer;

/// Longest message the bot reads, in characters. Questions are short; past this the user is
/// asked to shorten rather than have the bot guess from a wall of text.
pub const MAX_MESSAGE_CHARS: usize = 2_000;

/// Transcript lines kept in a conversation (and filed with a ticket); outside a flow only the
/// last few are kept, as the context that led into one.
const TRANSCRIPT_LINES: usize = 60;
const TRANSCRIPT_LINES_OUTSIDE_FLOWS: usize = 6;

/// Openings of "I did not understand" replies.
const DONT_KNOW: &str = "Sorry, I don't know about that.";
const DIDNT_GET_IT: &str = "Sorry I didn't get it right.";
/// The `/start` payload of a deep link into a private chat: `/start f_<flow>`.
pub const PRIVATE_START: &str = "f_";

/// Intents the engine itself refers to; a knowledge base without them still works.
pub(super) const CONTACT_INTENT: &str = "contact_staff";
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

/// Typed phrases that mean "get me a human", at any step.
const PERSON_PHRASES: [&str; 10] = [
    "talk to a person",
    "talk to a human",
    "speak to a person",
    "speak to a human",
    "real person",
    "human",
    "agent",
    "staff",
    "operator",
    "person",
];

/// What the engine needs of storage: conversations, tickets and unanswered questions.
pub trait Stores: ConversationStore + TicketStore + GapLog {}
impl<T: ConversationStore + TicketStore + GapLog> Stores for T {}

pub struct Engine<S> {
    pub(super) kb: Arc<KnowledgeBase>,
    pub(super) matcher: Arc<Matcher>,
    pub(super) followups: FollowupIndex,
    pub(super) store: S,
    pseudonyms: Pseudonymizer,
    /// One lock per conversation, so two messages of one user are handled in order while
    /// different users proceed in parallel. std Mutex: held only to fetch the entry.
    locks: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
    pub(super) limits: Limits,
    rate: RateLimiter,
    /// Unanswered questions are recorded (redacted) for the knowledge base's maintainers.
    record_gaps: bool,
    metrics: Metrics,
}

/// One message being handled: who sent it, their pseudonym for logs, and what the engine made
/// of it.
pub(super) struct Turn<'a> {
    pub from: &'a Sender,
    pub who: &'a str,
    pub trace: Mutex<Trace>,
    /// Unanswered questions of this message, recorded once it is answered.
    pub gaps: Mutex<Vec<Gap>>,
}

impl Turn<'_> {
    pub fn note(&self, f: impl FnOnce(&mut Trace)) {
        f(&mut self.trace.lock().expect("poisoned"));
    }
}

/// What the engine made of one message: for measuring understanding (the conversation suite),
/// and nothing the user sees.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct Trace {
    /// Intents answered or flows started for it; follow-ups as `topic#kind`.
    pub answered: Vec<String>,
    /// It got a "did you mean".
    pub clarified: bool,
    /// It got "I don't know about that".
    pub fell_back: bool,
    /// An on-topic follow-up the knowledge base cannot answer (said so, a person offered).
    pub no_answer: bool,
    /// Heard as frustrated.
    pub frustrated: bool,
}

impl<S: Stores> Engine<S> {
    pub fn new(
        kb: Arc<KnowledgeBase>,
        matcher: Arc<Matcher>,
        store: S,
        pseudonyms: Pseudonymizer,
    ) -> Self {
        // The conversion tables load once, here, rather than on the first Chinese message.
        lang::warm_up();
        Engine {
            followups: FollowupIndex::new(&kb),
            kb,
            matcher,
            store,
            pseudonyms,
            locks: Mutex::new(HashMap::new()),
            limits: Limits::default(),
            rate: RateLimiter::default(),
            record_gaps: true,
            metrics: Metrics::default(),
        }
    }

    pub fn with_limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }

    /// Whether unanswered questions are recorded through [`GapLog`] (on by default; the
    /// `record_gaps` setting). Off, nothing of them is kept.
    pub fn with_gap_log(mut self, on: bool) -> Self {
        self.record_gaps = on;
        self
    }

    /// What the engine has done since it started, for `/metrics`.
    pub fn metrics(&self) -> &Metrics {
        &self.metrics
    }

    pub fn store(&self) -> &S {
        &self.store
    }

    /// Judges a message against the user's rate when it arrives (`at`), before it waits for
    /// its turn: a flood is cut off where it comes in and builds up no backlog. Platforms call
    /// this once per message; [`Engine::handle`] does not.
    pub fn rate(&self, from: &Sender, at: std::time::Instant) -> Verdict {
        let verdict = self.rate.check(
            &self.limits,
            &format!("{}:{}", from.platform, from.user),
            at,
        );
        if verdict != Verdict::Allow {
            let who = self.pseudonyms.tag(from.platform.as_str(), &from.user);
            info!(user = who, ?verdict, "rate limited");
        }
        verdict
    }

    /// The user's pseudonym, as logs and the audit name them.
    pub fn pseudonym(&self, from: &Sender) -> String {
        self.pseudonyms.tag(from.platform.as_str(), &from.user)
    }

    /// A note about the platform around the conversation ([`Note`]) in the user's language;
    /// nothing for a blocked user, who gets no reply at all.
    pub async fn note(&self, from: &Sender, note: Note) -> Vec<Reply> {
        let opened = self
            .store
            .open(&from.conversation_key(), from.platform.as_str(), &from.user)
            .await;
        match opened {
            Ok(Opened::Blocked) => Vec::new(),
            Ok(Opened::Conversation(c)) => {
                vec![Reply::text(
                    note.text(c.map(|c| c.lang).unwrap_or_default()),
                )]
            }
            Err(e) => self.apology(&self.pseudonym(from), "load", &e, Lang::default()),
        }
    }

    /// Handles one message and returns the replies, in order. Never fails: a storage error is
    /// logged and the user gets an apology with a reference to quote; the conversation is then
    /// left as it was before the message, so trying again is safe.
    pub async fn handle(&self, inbound: Inbound) -> Vec<Reply> {
        self.handle_traced(inbound).await.0
    }

    /// [`Engine::handle`], with what the engine made of the message.
    pub async fn handle_traced(&self, inbound: Inbound) -> (Vec<Reply>, Trace) {
        self.handle_in(inbound, None).await
    }

    /// [`Engine::handle_traced`] with the language the user's app is set to (Telegram's
    /// `language_code`, Discord's locale): a first conversation starts in it, so that `/start`
    /// greets a Chinese user in Chinese. What the user writes decides from then on, as always.
    pub async fn handle_in(&self, inbound: Inbound, locale: Option<Lang>) -> (Vec<Reply>, Trace) {
        let started = std::time::Instant::now();
        let (replies, trace) = self.handle_turn(inbound, locale).await;
        self.metrics.observe(&trace, started.elapsed());
        (replies, trace)
    }

    async fn handle_turn(&self, inbound: Inbound, locale: Option<Lang>) -> (Vec<Reply>, Trace) {
        let key = inbound.from.conversation_key();
        let who = self
            .pseudonyms
            .tag(inbound.from.platform.as_str(), &inbound.from.user);
        // The language of the message, for replies before the conversation is at hand.
        let hint = match &inbound.content {
            Content::Text(text) => lang::detect(text).unwrap_or_default(),
            _ => Lang::default(),
        };
        let lock = {
            let mut locks = self.locks.lock().expect("poisoned");
            if locks.len() > 10_000 {
                locks.retain(|_, l| Arc::strong_count(l) > 1);
            }
            locks.entry(key.clone()).or_default().clone()
        };
        let in_turn = lock.lock().await;

        let opened = self
            .store
            .open(&key, inbound.from.platform.as_str(), &inbound.from.user)
            .await;
        let mut conversation = match opened {
            Ok(Opened::Conversation(c)) => c.unwrap_or_else(|| Conversation {
                lang: locale.unwrap_or_default(),
                ..Conversation::default()
            }),
            Ok(Opened::Blocked) => {
                info!(user = who, "blocked user ignored");
                return (Vec::new(), Trace::default());
            }
            Err(e) => return (self.apology(&who, "load", &e, hint), Trace::default()),
        };
        if let Content::Text(text) = &inbound.content {
            self.follow_language(&mut conversation, text);
        }
        let turn = Turn {
            from: &inbound.from,
            who: &who,
            trace: Mutex::new(Trace::default()),
            gaps: Mutex::new(Vec::new()),
        };
        let line = user_line(&conversation, &inbound.content);
        record(&mut conversation, Author::User, line);
        let mut replies = match self
            .respond(&mut conversation, &inbound.content, &turn)
            .await
        {
            Ok(replies) => replies,
            Err(e) => {
                return (
                    self.apology(&who, "respond", &e, conversation.lang),
                    Trace::default(),
                );
            }
        };
        if conversation.lang == Lang::ZhHans {
            for reply in &mut replies {
                reply.text = lang::to_simplified(&reply.text);
                for button in &mut reply.buttons {
                    button.label = lang::to_simplified(&button.label);
                }
            }
        }
        conversation.offered = replies
            .last()
            .map(|r| r.buttons.clone())
            .unwrap_or_default();
        // A conversation reset by this message (/start, cancel, /forget) keeps no lines of it.
        if !conversation.transcript.is_empty() {
            for reply in &replies {
                record(&mut conversation, Author::Bot, reply.text.clone());
            }
        }
        let keep = if conversation.flow.is_some() {
            TRANSCRIPT_LINES
        } else {
            TRANSCRIPT_LINES_OUTSIDE_FLOWS
        };
        let excess = conversation.transcript.len().saturating_sub(keep);
        conversation.transcript.drain(..excess);
        if let Err(e) = self.store.save(&key, &conversation).await {
            return (
                self.apology(&who, "save", &e, conversation.lang),
                Trace::default(),
            );
        }
        drop(in_turn);
        let trace = turn.trace.into_inner().expect("poisoned");
        self.record(&who, turn.gaps.into_inner().expect("poisoned"))
            .await;
        (replies, trace)
    }

    /// Keeps the unanswered questions of a message that was answered. A failure is logged (kind
    /// and error, never the text) and counted; the user's reply does not depend on it.
    async fn record(&self, who: &str, gaps: Vec<Gap>) {
        for gap in gaps {
            let kind = gap.kind.as_str();
            if let Err(e) = self.store.record_gap(gap).await {
                self.metrics.gap_not_recorded();
                warn!(user = who, kind, error = %e, "recording an unanswered question failed");
            }
        }
    }

    /// Notes a question typed by the user that the bot fell back on or clarified; `text` is
    /// redacted here, before anything keeps it.
    fn note_gap(
        &self,
        turn: &Turn<'_>,
        kind: GapKind,
        text: &str,
        lang: Lang,
        nearest: Option<&Candidate>,
    ) {
        if !self.record_gaps {
            return;
        }
        let gap = Gap {
            at: chrono::Utc::now(),
            kind,
            text: Redacted::new(text),
            lang,
            nearest: nearest.map(|c| Nearest {
                intent: c.intent.clone(),
                score: c.score,
            }),
        };
        turn.gaps.lock().expect("poisoned").push(gap);
    }

    fn apology(&self, who: &str, stage: &str, error: &anyhow::Error, lang: Lang) -> Vec<Reply> {
        let reference = short_reference();
        warn!(user = who, stage, reference, error = %error, "storage failed");
        let text = fill(
            tr(
                lang,
                "Sorry, something went wrong on my side. Please try again in a moment. If it keeps happening, contact **{email}** and quote reference **{reference}**.",
            ),
            &[("email", &self.kb.contact.email), ("reference", &reference)],
        );
        vec![Reply::text(lang::in_script(&text, lang))]
    }

    /// The conversation answers in the language of the user's messages, unless they chose one.
    /// A typed value a flow step waits for (a name, a passport number, a message for staff)
    /// shows no language: "CHAN Tai Man" is a name, not a switch to English.
    fn follow_language(&self, conversation: &mut Conversation, text: &str) {
        if conversation.lang_chosen || self.awaits_value(conversation) {
            return;
        }
        if let Some(lang) = lang::detect_after(text, Some(conversation.lang)) {
            conversation.lang = lang;
        }
    }

    async fn respond(
        &self,
        conversation: &mut Conversation,
        content: &Content,
        turn: &Turn<'_>,
    ) -> anyhow::Result<Vec<Reply>> {
        match content {
            Content::Button(data) => self.on_button(conversation, data, turn).await,
            Content::UnknownButton => Ok(self.unknown_button(conversation, turn)),
            Content::File(upload) => {
                match self
                    .add_to_ticket(conversation, Addition::File(upload), turn)
                    .await?
                {
                    Some(replies) => Ok(replies),
                    None => self.on_file(conversation, upload, turn).await,
                }
            }
            Content::Text(text) => self.on_text(conversation, text, turn).await,
        }
    }

    async fn on_text(
        &self,
        conversation: &mut Conversation,
        text: &str,
        turn: &Turn<'_>,
    ) -> anyhow::Result<Vec<Reply>> {
        let text = text.trim();
        if text.chars().count() > MAX_MESSAGE_CHARS {
            info!(user = turn.who, "message too long");
            let mut replies = vec![Reply::text(fill(
                tr(
                    conversation.lang,
                    "That message is too long for me (over {max} characters). Please say it in a sentence or two.",
                ),
                &[("max", &MAX_MESSAGE_CHARS.to_string())],
            ))];
            replies.extend(self.reprompt(conversation));
            return Ok(replies);
        }
        if normalize::tokenize(text).is_empty() {
            let mut replies = vec![Reply::text(tr(
                conversation.lang,
                "I didn't catch anything there. Type what you need help with, for example \"I forgot my password\".",
            ))];
            replies.extend(self.reprompt(conversation));
            return Ok(replies);
        }
        if let Some(data) = self.chosen_button(conversation, text) {
            return self.on_button(conversation, &data, turn).await;
        }
        if let Some(replies) = self.on_command(conversation, text, turn).await? {
            return Ok(replies);
        }
        if let Some(replies) = self
            .add_to_ticket(conversation, Addition::Text(text), turn)
            .await?
        {
            return Ok(replies);
        }
        if conversation.flow.is_some() {
            return self.flow_text(conversation, text, turn).await;
        }
        let reading = self.read(conversation, text);
        self.on_reading(conversation, reading, turn).await
    }

    /// What a message says, in this conversation.
    pub(super) fn read(&self, conversation: &mut Conversation, text: &str) -> Reading {
        let reader = Reader {
            kb: &self.kb,
            matcher: &self.matcher,
            followups: &self.followups,
        };
        let reading = reader.read(
            text,
            Context {
                topic: conversation.fresh_topic(),
            },
        );
        conversation.topic_age = conversation.topic_age.saturating_add(1);
        // "not sure" answers a question just asked, never one still to come.
        conversation.said_now = reading
            .details
            .iter()
            .copied()
            .filter(|d| *d != crate::knowledge::flow::Detail::NotSure)
            .collect();
        conversation
            .known
            .extend(reading.details.iter().filter(|d| d.is_lasting()));
        reading
    }

    /// Replies to everything a message asked, in order; at most one flow, started last.
    pub(super) async fn on_reading(
        &self,
        conversation: &mut Conversation,
        reading: Reading,
        turn: &Turn<'_>,
    ) -> anyhow::Result<Vec<Reply>> {
        debug!(user = turn.who, parts = ?reading.parts, details = ?reading.details, "matched");
        let mut replies = Vec::new();
        if reading.frustrated {
            turn.note(|t| t.frustrated = true);
            info!(user = turn.who, "frustrated: a person offered");
            let asks_something = reading.parts.iter().any(|p| match p {
                Part::Intent(id) => !understand::is_small_talk(id) && id != CONTACT_INTENT,
                Part::FollowUp { .. } => true,
                _ => false,
            });
            if !asks_something {
                replies.push(Reply::text(tr(
                    conversation.lang,
                    "I'm sorry this has been frustrating. Let me get you to a person at the alumni office.",
                )));
                replies.extend(self.open_intent(conversation, CONTACT_INTENT, turn).await?);
                return Ok(replies);
            }
            // The question still gets its answer; a person is one press away.
            replies.push(
                Reply::text(tr(
                    conversation.lang,
                    "I'm sorry this has been frustrating. Here is what the FAQ says; if you'd rather have a person at the alumni office take over, press the button.",
                ))
                .with_buttons(self.staff_button(conversation.lang)),
            );
        }
        let mut flow: Option<String> = None;
        for part in reading.parts {
            match part {
                Part::Intent(id) => {
                    conversation.misunderstood = 0;
                    if self.kb.flow_for_intent(&id).is_none() {
                        replies.extend(self.open_intent(conversation, &id, turn).await?);
                    } else if flow.is_none() {
                        // One flow per message, started after the other answers.
                        flow = Some(id);
                    } else {
                        // A second flow's intent: its answer in words.
                        turn.note(|t| t.answered.push(id.clone()));
                        replies.extend(self.answer(&id, conversation.lang));
                    }
                }
                Part::FollowUp { topic, kind } => {
                    conversation.misunderstood = 0;
                    replies.push(self.followup(conversation, &topic, &kind, turn));
                }
                Part::UnknownFollowUp { topic } => {
                    replies.push(self.no_more_about(&topic, conversation.lang, turn))
                }
                Part::Clarify { outcome, asked } => {
                    turn.note(|t| t.clarified = true);
                    let lang = conversation.lang;
                    self.note_gap(
                        turn,
                        GapKind::Clarify,
                        &asked,
                        lang,
                        outcome.candidates.first(),
                    );
                    replies.push(self.did_you_mean(&outcome, conversation.lang));
                }
                Part::Fallback { nearest, asked } => {
                    turn.note(|t| t.fell_back = true);
                    let lang = conversation.lang;
                    self.note_gap(turn, GapKind::Fallback, &asked, lang, nearest.as_ref());
                    replies.extend(self.not_understood(conversation, DONT_KNOW));
                }
            }
        }
        if let Some(id) = flow {
            replies.extend(self.open_intent(conversation, &id, turn).await?);
        }
        Ok(replies)
    }

    fn set_topic(&self, conversation: &mut Conversation, id: &str) {
        if !understand::is_small_talk(id) {
            conversation.topic = Some(id.to_string());
            conversation.topic_age = 0;
        }
    }

    /// The answer to a follow-up of `topic`, or an honest "the FAQ says no more".
    pub(super) fn followup(
        &self,
        conversation: &mut Conversation,
        topic: &str,
        kind: &str,
        turn: &Turn<'_>,
    ) -> Reply {
        conversation.topic_age = 0;
        let kb = self.kb.in_lang(conversation.lang);
        match kb.intent(topic).and_then(|i| i.followups.get(kind)) {
            Some(answer) => {
                turn.note(|t| t.answered.push(format!("{topic}#{kind}")));
                Reply::text(answer)
            }
            None => self.no_more_about(topic, conversation.lang, turn),
        }
    }

    /// An on-topic question the knowledge base has no answer to: said plainly, a person offered.
    fn no_more_about(&self, topic: &str, lang: Lang, turn: &Turn<'_>) -> Reply {
        turn.note(|t| t.no_answer = true);
        let kb = self.kb.in_lang(lang);
        let title = kb.intent(topic).map_or(topic, |i| i.title.as_str());
        let crate::knowledge::Contact { email, whatsapp } = &kb.contact;
        Reply::text(fill(
            tr(
                lang,
                "The FAQ I answer from says nothing more about that (on **{title}**). The alumni office can tell you: email **{email}** or WhatsApp **{whatsapp}**, or I can pass your question to staff.",
            ),
            &[("title", title), ("email", email), ("whatsapp", whatsapp)],
        ))
        .with_buttons(self.staff_button(lang))
    }

    /// A typed reply that picks one of the buttons just offered: its number, its label, "the
    /// first one", a yes or no for buttons that start so ("Yes, go on" / "No, stop it"), and in
    /// a flow the label it shares the most words with.
    fn chosen_button(&self, conversation: &Conversation, text: &str) -> Option<ButtonData> {
        let offered = &conversation.offered;
        if let Ok(n) = text.trim_end_matches('.').parse::<usize>() {
            return offered.get(n.checked_sub(1)?).map(|b| b.data.clone());
        }
        if let Some(b) = offered.iter().find(|b| b.label.eq_ignore_ascii_case(text)) {
            return Some(b.data.clone());
        }
        let labels: Vec<&str> = offered.iter().map(|b| b.label.as_str()).collect();
        let words = normalize::tokenize(text);
        // A year is read by the flow's details, not by a label sharing the word "after".
        let by_words = conversation.flow.is_some()
            && offered.len() >= 2
            && understand::chinese::word_count(&words) <= 4
            && !text.chars().any(|c| c.is_ascii_digit());
        answers::pick(&labels, &words, by_words).map(|i| offered[i].data.clone())
    }

    async fn on_command(
        &self,
        conversation: &mut Conversation,
        text: &str,
        turn: &Turn<'_>,
    ) -> anyhow::Result<Option<Vec<Reply>>> {
        let slash = text.starts_with('/');
        let one_word = text.split_whitespace().count() == 1;
        let command = text
            .trim_start_matches('/')
            .split(['@', ' '])
            .next()
            .unwrap_or("")
            .trim_end_matches(['.', '!'])
            .to_ascii_lowercase();
        let asked_language = self.language_asked(conversation, text);
        let replies = match command.as_str() {
            "start" if slash => {
                // Starting over keeps the language the user speaks.
                *conversation = Conversation {
                    lang: conversation.lang,
                    lang_chosen: conversation.lang_chosen,
                    ..Conversation::default()
                };
                // `/start f_<flow>`: a deep link from a public chat into this private one.
                let payload = text.split_whitespace().nth(1).unwrap_or("");
                match payload.strip_prefix(PRIVATE_START) {
                    Some(flow) if self.kb.flow(flow).is_some() => {
                        self.start_flow(conversation, flow, turn).await?
                    }
                    _ => {
                        self.answer_many(&[GREETING_INTENT, CAPABILITIES_INTENT], conversation.lang)
                    }
                }
            }
            "status" if slash || one_word => self.status(turn, conversation.lang).await?,
            "help" | "menu" | "幫助" | "帮助" | "說明" | "说明" if one_word => {
                match self.flow_help(conversation) {
                    Some(replies) => replies,
                    None => self.answer(HELP_INTENT, conversation.lang),
                }
            }
            "language" | "lang" | "語言" | "语言" if slash || one_word => {
                let choice = text.split_whitespace().nth(1).and_then(Lang::parse);
                self.choose_language(conversation, choice)
            }
            "contact" if slash => self.open_intent(conversation, CONTACT_INTENT, turn).await?,
            "cancel" | "restart" | "stop" | "reset" | "quit" | "取消" | "重新開始" | "重新开始"
            | "停止" | "唔要住" | "唔要喇"
                if one_word =>
            {
                self.cancel(conversation)
            }
            "back" | "返回" | "上一步" | "返轉頭" if one_word => {
                self.flow_back(conversation)
            }
            "forget" if slash => {
                if turn.from.public {
                    vec![Reply::text(tr(
                        conversation.lang,
                        "Send me /forget in a direct message: that is where your data is.",
                    ))]
                } else {
                    let kept = self
                        .store
                        .forget(turn.from.platform.as_str(), &turn.from.user, turn.who)
                        .await?;
                    info!(user = turn.who, kept = kept.len(), "forgotten");
                    let lang = conversation.lang;
                    *conversation = Conversation::default();
                    // The language is no personal data; the next reply keeps it.
                    conversation.lang = lang;
                    let text = if kept.is_empty() {
                        tr(
                            lang,
                            "Done: I've deleted our conversations and everything you sent me here, including finished requests.",
                        )
                        .to_string()
                    } else {
                        let refs: Vec<String> = kept.iter().map(|r| format!("**{r}**")).collect();
                        fill(
                            tr(
                                lang,
                                "Done: I've deleted our conversations and your finished requests. I kept your open request(s) {references} because staff need them to finish; ask them to close a request if you want it deleted now.",
                            ),
                            &[("references", &super::texts::list(lang, &refs))],
                        )
                    };
                    vec![Reply::text(text)]
                }
            }
            _ if wants_person(text) => self.open_intent(conversation, CONTACT_INTENT, turn).await?,
            // "中文" after `/language`'s buttons, "我想轉返中文", "講英文".
            _ if asked_language.is_some() => self.choose_language(conversation, asked_language),
            _ if normalize::tokenize(text).join(" ") == "my tickets" => {
                self.status(turn, conversation.lang).await?
            }
            _ => return Ok(None),
        };
        Ok(Some(replies))
    }

    async fn on_button(
        &self,
        conversation: &mut Conversation,
        data: &ButtonData,
        turn: &Turn<'_>,
    ) -> anyhow::Result<Vec<Reply>> {
        match data {
            ButtonData::Intent(id) if self.kb.intent(id).is_some() => {
                debug!(user = turn.who, intent = id, "chosen");
                conversation.misunderstood = 0;
                self.open_intent(conversation, id, turn).await
            }
            ButtonData::Language(lang) => Ok(self.choose_language(conversation, Some(*lang))),
            ButtonData::NoneOfThese => Ok(self.not_understood(conversation, DIDNT_GET_IT)),
            ButtonData::Private(flow) if self.kb.flow(flow).is_some() => {
                self.start_flow(conversation, flow, turn).await
            }
            ButtonData::Step { flow, step, answer } => {
                self.flow_button(conversation, flow, step, *answer, turn)
                    .await
            }
            ButtonData::Resume | ButtonData::Stop => {
                Ok(self.resume_or_stop(conversation, data == &ButtonData::Stop))
            }
            ButtonData::AddTo(reference) => self.add_button(conversation, reference, turn).await,
            ButtonData::Withdraw(reference) => {
                self.withdraw_button(conversation, reference, turn).await
            }
            // A topic or flow the knowledge base no longer has, or a staff button in a user's
            // chat (staff buttons act only through the platform's staff routing).
            ButtonData::Intent(_) | ButtonData::Private(_) | ButtonData::Staff(..) => {
                Ok(self.unknown_button(conversation, turn))
            }
        }
    }

    /// A button from an older version of the bot, or made up: say so, lose nothing.
    fn unknown_button(&self, conversation: &Conversation, turn: &Turn<'_>) -> Vec<Reply> {
        info!(user = turn.who, "unknown button");
        let mut replies = vec![Reply::text(tr(
            conversation.lang,
            "That button is no longer active. Please type your question, or /help to see what I can do.",
        ))];
        replies.extend(self.reprompt(conversation));
        replies
    }

    /// What the matcher made of `text`, typed by the user, answered as it is.
    pub(super) async fn on_outcome(
        &self,
        conversation: &mut Conversation,
        text: &str,
        outcome: &Outcome,
        turn: &Turn<'_>,
    ) -> anyhow::Result<Vec<Reply>> {
        let lang = conversation.lang;
        let nearest = outcome.candidates.first();
        Ok(match outcome.decision {
            Decision::Answer => {
                conversation.misunderstood = 0;
                self.open_intent(conversation, &outcome.candidates[0].intent, turn)
                    .await?
            }
            Decision::Clarify => {
                turn.note(|t| t.clarified = true);
                self.note_gap(turn, GapKind::Clarify, text, lang, nearest);
                vec![self.did_you_mean(outcome, lang)]
            }
            Decision::Fallback => {
                turn.note(|t| t.fell_back = true);
                self.note_gap(turn, GapKind::Fallback, text, lang, nearest);
                self.not_understood(conversation, DONT_KNOW)
            }
        })
    }

    pub(super) fn did_you_mean(&self, outcome: &Outcome, lang: Lang) -> Reply {
        let kb = self.kb.in_lang(lang);
        let mut buttons: Vec<Button> = outcome.candidates[..outcome.choices]
            .iter()
            .filter_map(|c| kb.intent(&c.intent))
            .map(|i| Button::new(&i.title, ButtonData::Intent(i.id.clone())))
            .collect();
        buttons.push(Button::new(
            tr(lang, "None of these"),
            ButtonData::NoneOfThese,
        ));
        let question = if buttons.len() == 2 {
            tr(lang, "Did you mean this?")
        } else {
            tr(lang, "Did you mean one of these?")
        };
        Reply::text(question).with_buttons(buttons)
    }

    /// A language asked for in words: a language's name typed at `/language`'s buttons, or a
    /// short request to switch ("我想轉返中文", "english please").
    fn language_asked(&self, conversation: &Conversation, text: &str) -> Option<Lang> {
        let offered_languages = conversation
            .offered
            .iter()
            .any(|b| matches!(b.data, ButtonData::Language(_)));
        if offered_languages && let Some(lang) = Lang::parse(text) {
            return Some(lang);
        }
        let tokens = normalize::tokenize(text);
        let zh = understand::chinese::text(&tokens);
        if let Some(lang) = understand::chinese::wants_language(&zh) {
            return Some(lang);
        }
        // "can you reply in English please", "please answer in English".
        let asks_english = tokens.iter().any(|w| w == "english")
            && understand::chinese::word_count(&tokens) <= 12
            && tokens.iter().any(|w| {
                matches!(
                    w.as_str(),
                    "reply" | "answer" | "speak" | "talk" | "write" | "use" | "in" | "switch"
                )
            });
        asks_english.then_some(Lang::En)
    }

    /// `/language`: the language chosen, or buttons to choose one. A chosen language stays
    /// until the user chooses again.
    fn choose_language(&self, conversation: &mut Conversation, choice: Option<Lang>) -> Vec<Reply> {
        match choice {
            Some(lang) => {
                conversation.lang = lang;
                conversation.lang_chosen = true;
                let mut replies = vec![Reply::text(tr(
                    lang,
                    "I'll answer in English from now on. Type /language to change it.",
                ))];
                replies.extend(self.reprompt(conversation));
                replies
            }
            None => {
                let buttons = Lang::ALL
                    .iter()
                    .map(|l| Button::new(l.name(), ButtonData::Language(*l)))
                    .collect();
                vec![
                    Reply::text(tr(conversation.lang, "Which language shall I answer in?"))
                        .with_buttons(buttons),
                ]
            }
        }
    }

    /// What the user asked for: the intent's flow if it has one, else its answer. In the middle
    /// of another flow, a plain answer comes with an offer to go on.
    pub(super) async fn open_intent(
        &self,
        conversation: &mut Conversation,
        id: &str,
        turn: &Turn<'_>,
    ) -> anyhow::Result<Vec<Reply>> {
        turn.note(|t| t.answered.push(id.to_string()));
        if let Some(flow) = self.kb.flow_for_intent(id) {
            return self.start_flow(conversation, &flow.id, turn).await;
        }
        self.set_topic(conversation, id);
        let mut replies = self.answer(id, conversation.lang);
        if let Some(offer) = self.resume_offer(conversation) {
            replies.push(offer);
        }
        Ok(replies)
    }

    pub(super) fn not_understood(
        &self,
        conversation: &mut Conversation,
        opening: &'static str,
    ) -> Vec<Reply> {
        conversation.misunderstood += 1;
        let lang = conversation.lang;
        let kb = self.kb.in_lang(lang);
        let opening = tr(lang, opening);
        if conversation.misunderstood >= 2 {
            let crate::knowledge::Contact { email, whatsapp } = &kb.contact;
            let text = fill(
                tr(
                    lang,
                    "{opening} A person at the alumni office can help where I can't: email **{email}** or WhatsApp **{whatsapp}**, or I can open a ticket for you.",
                ),
                &[
                    ("opening", opening),
                    ("email", email),
                    ("whatsapp", whatsapp),
                ],
            );
            return vec![Reply::text(text).with_buttons(self.staff_button(lang))];
        }
        let mut buttons: Vec<Button> = STARTER_TOPICS
            .iter()
            .filter_map(|id| kb.intent(id))
            .map(|i| Button::new(&i.title, ButtonData::Intent(i.id.clone())))
            .collect();
        buttons.extend(self.staff_button(lang));
        vec![
            Reply::text(fill(
                tr(
                    lang,
                    "{opening} I can only help with the alumni email account: activation, passwords, aliases, Wi-Fi and library logins, forwarding, Office 365 and record corrections. Could you rephrase, or pick a topic?",
                ),
                &[("opening", opening)],
            ))
            .with_buttons(buttons),
        ]
    }

    pub(super) fn staff_button(&self, lang: Lang) -> Vec<Button> {
        if self.kb.intent(CONTACT_INTENT).is_some() {
            vec![Button::new(
                tr(lang, "Talk to a person"),
                ButtonData::Intent(CONTACT_INTENT.into()),
            )]
        } else {
            Vec::new()
        }
    }

    pub(super) fn answer(&self, id: &str, lang: Lang) -> Vec<Reply> {
        self.answer_many(&[id], lang)
    }

    fn answer_many(&self, ids: &[&str], lang: Lang) -> Vec<Reply> {
        let kb = self.kb.in_lang(lang);
        let mut replies: Vec<Reply> = Vec::new();
        for id in ids {
            let Some(intent) = kb.intent(id) else {
                continue;
            };
            let related: Vec<Button> = intent
                .related
                .iter()
                .filter_map(|r| kb.intent(r))
                .map(|r| Button::new(&r.title, ButtonData::Intent(r.id.clone())))
                .collect();
            replies.push(Reply::text(&intent.answer).with_buttons(related));
        }
        if replies.is_empty() {
            replies.push(Reply::text(tr(
                lang,
                "What can I help you with about your alumni email account?",
            )));
        }
        replies
    }
}

/// "talk to a person" and its variants, typed on their own.
fn wants_person(text: &str) -> bool {
    let tokens = normalize::tokenize(text);
    let zh = understand::chinese::text(&tokens);
    if !zh.is_empty()
        && zh.chars().count() <= 8
        && understand::chinese::PERSON.iter().any(|p| zh.contains(p))
    {
        return true;
    }
    let words = tokens.join(" ");
    let words = words
        .strip_prefix("i want to ")
        .or_else(|| words.strip_prefix("can i "))
        .or_else(|| words.strip_prefix("let me "))
        .unwrap_or(&words);
    PERSON_PHRASES.contains(&words)
}

/// How a user's message reads in the transcript: the text, the label of the button pressed, or a
/// note that a file came.
fn user_line(conversation: &Conversation, content: &Content) -> String {
    match content {
        Content::Text(text) => text.chars().take(MAX_MESSAGE_CHARS).collect(),
        Content::Button(data) => conversation
            .offered
            .iter()
            .find(|b| &b.data == data)
            .map_or_else(
                || "[pressed a button]".to_string(),
                |b| format!("[{}]", b.label),
            ),
        Content::UnknownButton => "[pressed a button]".to_string(),
        Content::File(_) => "[sent a file]".to_string(),
    }
}

fn record(conversation: &mut Conversation, author: Author, text: String) {
    conversation
        .transcript
        .push(TranscriptLine { author, text });
}

/// A reference a user can quote to staff about an error: time-based, short, not secret.
fn short_reference() -> String {
    let now = chrono::Utc::now();
    format!("E{}", now.format("%y%m%d-%H%M%S"))
}
