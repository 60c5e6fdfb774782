//! What a chat platform does for the bot, and the one runner that drives every platform.
//!
//! A platform ([`Platform`]) only translates: its updates into [`Event`]s, the core's replies
//! into its API calls, rendered in its markup. Everything between is the runner's
//! ([`runner::run`]), the same for Telegram and Discord: updates taken once, the message rate
//! judged on arrival, one conversation's messages in order, files fetched under the core's
//! limit, staff commands and buttons, the outbox, supervision and a drain on shutdown.

mod delivery;
pub mod health;
mod order;
pub mod runner;

use std::future::Future;
use std::sync::Arc;
use std::time::Instant;

use tokio::sync::mpsc;

use crate::core::Reply;
use crate::core::Sender;
use crate::core::notes::Note;

pub use runner::run;

/// A chat platform as the runner drives it.
pub trait Platform: Send + Sync + Sized + 'static {
    /// Where replies go: a chat, a thread or topic in it, an interaction awaiting its answer.
    type Target: Clone + Send + Sync + 'static;
    /// A file a user sent, as the platform names it until it is downloaded.
    type File: Send + Sync + 'static;
    /// Who did something, as much as the platform says (for the staff check).
    type Actor: Send + Sync + 'static;

    /// The platform's name in conversation keys, tickets, the outbox and logs.
    fn name(&self) -> &'static str;

    /// Receives updates and hands them to `events` until `stop` resolves. Returns an error when
    /// receiving cannot start or breaks for good (a refused token, a listen address taken): the
    /// runner then stops this platform and reports it.
    fn receive(
        self: Arc<Self>,
        events: Events<Self>,
        stop: impl Future<Output = ()> + Send + 'static,
    ) -> impl Future<Output = anyhow::Result<()>> + Send;

    /// Sends replies to `to`, in order; stops at the first that cannot be delivered.
    fn send(
        &self,
        to: &Self::Target,
        replies: &[Reply],
        sending: Sending,
    ) -> impl Future<Output = Result<(), Failure>> + Send;

    /// Sends a file with `caption`, under the name `name`.
    fn send_file(
        &self,
        to: &Self::Target,
        caption: &Reply,
        bytes: Vec<u8>,
        name: &'static str,
    ) -> impl Future<Output = Result<(), Failure>> + Send;

    /// Downloads a file a user sent.
    fn download(&self, file: Self::File) -> impl Future<Output = Result<Vec<u8>, Failure>> + Send;

    /// Called when the bot is done with an event, whether it said anything or not: a platform
    /// that acknowledged an interaction by promising an answer closes it if none came.
    fn finish(&self, _to: &Self::Target) -> impl Future<Output = ()> + Send {
        async {}
    }

    /// Shows that the bot is writing, where the platform can.
    fn typing(&self, _to: &Self::Target) -> impl Future<Output = ()> + Send {
        async {}
    }

    /// Whether `actor` is staff.
    fn is_staff(&self, actor: &Self::Actor) -> impl Future<Output = bool> + Send;

    /// A user's chat, from the id the outbox keeps.
    fn user_chat(&self, chat: &str) -> anyhow::Result<Self::Target>;

    /// The staff place (group, channel), if one is configured.
    fn staff_place(&self) -> Option<Self::Target>;

    /// Whether each ticket gets its own thread (topic) in the staff place.
    fn ticket_threads(&self) -> bool {
        false
    }

    /// Makes a thread (topic) in the staff place; its id.
    fn open_thread(&self, _title: &str) -> impl Future<Output = Result<i64, Failure>> + Send {
        async { Err(Failure::new("this platform makes no threads")) }
    }

    /// The thread `thread` of the staff place.
    fn staff_thread(&self, _thread: i64) -> anyhow::Result<Self::Target> {
        anyhow::bail!("this platform makes no threads")
    }
}

/// Where the runner takes a platform's events.
pub type Events<P> = mpsc::Sender<Event<P>>;

/// Why replies are sent: a platform may treat the answer to a message differently from a
/// notice (Telegram retires the last keyboard of the chat before an answer).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sending {
    /// The replies to what the user just sent.
    Answer,
    /// Owed by the outbox or a staff action.
    Notice,
}

/// Something a user did, as the platform saw it.
pub struct Event<P: Platform> {
    /// The platform's id of the update, to skip one delivered again; `None` if it has none.
    pub id: Option<String>,
    /// When it arrived: the message rate is judged by it.
    pub at: Instant,
    pub from: Sender,
    pub actor: P::Actor,
    /// Where the answer goes.
    pub reply_to: P::Target,
    /// In the staff place (or a thread of it): staff commands are heard here and in private
    /// chats, nowhere else.
    pub staff_place: bool,
    pub what: What<P::File>,
    /// The language the user's app is set to, if the platform says: a first conversation
    /// starts in it.
    pub locale: Option<crate::lang::Lang>,
    /// Said first, where the user acted: the conversation continues elsewhere (a direct
    /// message), and this note says so.
    pub moved: Option<(P::Target, Note)>,
}

pub enum What<F> {
    Text(String),
    /// The data of a button the bot offered.
    Button(String),
    File(IncomingFile<F>),
    /// Something about the platform the user should hear, in the core's words (their direct
    /// messages are closed…).
    Note(Note),
}

/// A file as announced, before it is downloaded.
pub struct IncomingFile<F> {
    pub file: F,
    /// The size the platform announced.
    pub size: u64,
    pub name: String,
    pub declared_type: Option<String>,
    pub caption: Option<String>,
}

impl<P: Platform> Event<P> {
    pub fn new(from: Sender, actor: P::Actor, reply_to: P::Target, what: What<P::File>) -> Self {
        Event {
            id: None,
            at: Instant::now(),
            from,
            actor,
            reply_to,
            staff_place: false,
            what,
            locale: None,
            moved: None,
        }
    }

    pub fn id(mut self, id: impl Into<String>) -> Self {
        self.id = Some(id.into());
        self
    }
}

/// A platform call that failed, described without what it carried: no text, no ids, no URLs
/// (adapters build it from their client's error, keeping only its kind and status).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure(String);

impl Failure {
    pub fn new(what: impl Into<String>) -> Self {
        Failure(what.into())
    }
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Failure {}
