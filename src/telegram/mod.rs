//! The Telegram adapter (teloxide): Telegram's updates become the runner's events, the core's
//! replies become messages with inline keyboards. It decides nothing of what to say, and holds
//! no logic the runner ([`crate::platform`]) has for every platform.
//!
//! - Updates come by long polling, or by webhook when a public URL is configured (Telegram's
//!   secret-token header checked by teloxide's axum router: a wrong one gets 401). The listen
//!   address is bound before the webhook is set, so a taken address fails the start, named.
//! - Outgoing requests go through teloxide's `Throttle` (Telegram's per-chat and global limits,
//!   and a wait-and-retry on `429 retry_after`); network errors are retried with backoff.
//! - In groups the bot hears only what is addressed to it (a command, a mention, a reply), and
//!   staff commands in the staff group; the core never asks for personal data there, and its
//!   "continue in a private chat" button becomes a deep link `t.me/<bot>?start=f_<flow>`.
//! - In a forum staff group, each ticket has its topic; answers go to the topic they came from.
//! - In a private chat, the keyboard of the last message with one is removed when the next
//!   answer comes, and a pressed keyboard at once: a step is answered once.

pub mod render;

use std::collections::HashMap;
use std::future::{Future, IntoFuture};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::Context;
use futures_util::StreamExt;
use teloxide::RequestError;
use teloxide::adaptors::Throttle;
use teloxide::adaptors::throttle::Limits;
use teloxide::net::Download;
use teloxide::payloads::SendMessageSetters;
use teloxide::prelude::*;
use teloxide::requests::{Output, Request};
use teloxide::types::{
    BotCommand, ChatAction, FileId, InlineKeyboardButton, InlineKeyboardMarkup, MessageId,
    ParseMode, ThreadId, UpdateKind,
};
use teloxide::update_listeners::{UpdateListener, webhooks};
use tracing::{debug, info, warn};

use crate::config;
use crate::core::commands::describe;
use crate::core::engine::PRIVATE_START;
use crate::core::{ButtonData, Engine, Reply, Sender};
use crate::lang::Lang;
use crate::outgoing::{self, Outgoing};
use crate::platform::{self, Event, Events, Failure, IncomingFile, Platform, Sending, What};
use crate::store::Store;

pub const PLATFORM: crate::core::Platform = crate::core::Platform::Telegram;

/// Telegram refuses callback data over 64 bytes.
const MAX_CALLBACK_DATA: usize = 64;
/// The commands of Telegram's menu, in order.
const MENU: [&str; 6] = ["start", "help", "cancel", "contact", "status", "language"];

/// Sends that fail on the network are tried this many times in all.
const SEND_ATTEMPTS: u32 = 4;

type TgBot = Throttle<Bot>;

/// The bot on Telegram.
pub struct Telegram {
    bot: TgBot,
    /// The plain bot, for file downloads (the throttle limits sends, not downloads).
    raw: Bot,
    username: String,
    /// The message whose keyboard is live, per private chat: removed when a newer one comes,
    /// so an old step's buttons cannot be pressed again.
    keyboards: Mutex<HashMap<ChatId, MessageId>>,
    settings: config::Telegram,
}

/// Where a message goes: a chat, and the forum topic in it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Place {
    chat: ChatId,
    thread: Option<ThreadId>,
}

/// Runs the bot until `shutdown` resolves; then answers the updates in flight and returns.
pub async fn run(
    engine: Arc<Engine<Store>>,
    settings: &config::Telegram,
    shutdown: impl Future<Output = ()> + Send,
) -> anyhow::Result<()> {
    let telegram = Telegram::connect(settings).await?;
    platform::run(engine, Arc::new(telegram), shutdown).await
}

impl Telegram {
    /// Checks the token (`getMe`) and sets the command menus.
    pub async fn connect(settings: &config::Telegram) -> anyhow::Result<Self> {
        let token = settings
            .token
            .as_ref()
            .context("no Telegram token (ALUMNI_BOT_TELEGRAM_TOKEN)")?;
        let mut raw = Bot::new(token.expose());
        if let Some(url) = &settings.api_url {
            raw = raw.set_api_url(
                url::Url::parse(url).context("ALUMNI_BOT_TELEGRAM_API_URL is not a URL")?,
            );
        }
        let bot = raw.clone().throttle(Limits::default());
        let me = with_retry("getMe", || bot.get_me())
            .await
            .map_err(|e| failure(&e))
            .context("Telegram did not accept the token (getMe failed)")?;
        let username = me.username().to_string();
        info!(bot = username, "telegram connected");
        // The menu in English for everyone, and in Chinese for users whose Telegram is in
        // Chinese (Telegram keys command lists by two-letter language code).
        let menu = |lang: Lang| -> Vec<BotCommand> {
            MENU.iter()
                .filter_map(|name| Some(BotCommand::new(*name, describe(name, lang)?)))
                .collect()
        };
        let (english, chinese) = (menu(Lang::En), menu(Lang::ZhHant));
        if let Err(e) = with_retry("setMyCommands", || bot.set_my_commands(english.clone())).await {
            warn!(error = %failure(&e), "could not set the command menu");
        }
        if let Err(e) = with_retry("setMyCommands", || {
            bot.set_my_commands(chinese.clone()).language_code("zh")
        })
        .await
        {
            warn!(error = %failure(&e), "could not set the Chinese command menu");
        }
        Ok(Telegram {
            bot,
            raw,
            username,
            keyboards: Mutex::new(HashMap::new()),
            settings: settings.clone(),
        })
    }

    /// Takes updates from `listener` until `stop`, handing the runner what is for the bot.
    async fn pump<L>(
        &self,
        mut listener: L,
        events: Events<Self>,
        stop: impl Future<Output = ()> + Send,
    ) where
        L: UpdateListener,
        L::Err: ListenerError,
    {
        let stop_token = listener.stop_token();
        let mut updates = std::pin::pin!(listener.as_stream());
        let mut stop = std::pin::pin!(stop);
        let mut stopping = false;
        loop {
            tokio::select! {
                () = &mut stop, if !stopping => {
                    stopping = true;
                    stop_token.stop();
                }
                next = updates.next() => match next {
                    Some(Ok(update)) => {
                        if let Some(event) = self.event(update)
                            && events.send(event).await.is_err()
                        {
                            break;
                        }
                    }
                    Some(Err(e)) => warn!(error = %e.failure(), "telegram update listener"),
                    None => break,
                },
            }
        }
    }

    /// The runner's event for an update, if it is for the bot.
    fn event(&self, update: Update) -> Option<Event<Self>> {
        let id = update.id.0.to_string();
        let event = match update.kind {
            UpdateKind::Message(message) => self.on_message(message)?,
            UpdateKind::CallbackQuery(query) => self.on_press(query)?,
            _ => return None,
        };
        Some(event.id(id))
    }

    fn on_message(&self, message: Message) -> Option<Event<Self>> {
        let from = message.from.as_ref().filter(|u| !u.is_bot)?;
        let private = message.chat.is_private();
        let text = message.text().or(message.caption()).unwrap_or("");
        let what = if private {
            let caption = (!text.is_empty()).then(|| text.to_string());
            let document = message.document().map(|d| IncomingFile {
                file: d.file.id.clone(),
                size: u64::from(d.file.size),
                name: d.file_name.clone().unwrap_or_default(),
                declared_type: d.mime_type.as_ref().map(|m| m.to_string()),
                caption: caption.clone(),
            });
            let photo = message
                .photo()
                .and_then(|sizes| sizes.last())
                .map(|p| IncomingFile {
                    file: p.file.id.clone(),
                    size: u64::from(p.file.size),
                    name: "photo.jpg".to_string(),
                    declared_type: Some("image/jpeg".to_string()),
                    caption: caption.clone(),
                });
            match document.or(photo) {
                Some(file) => What::File(file),
                // Stickers, voice, locations… come as an empty text: said in words by the core.
                None => What::Text(text.to_string()),
            }
        } else {
            // In a group (the staff group too): only what is addressed to the bot (a command
            // for no bot or for this one, a mention, a reply), and never a file.
            let replied_to_bot = message
                .reply_to_message()
                .and_then(|m| m.from.as_ref())
                .is_some_and(|u| u.is_bot && u.username.as_deref() == Some(self.username.as_str()));
            What::Text(addressed_text(text, &self.username, replied_to_bot)?)
        };
        Some(self.event_from(from, &message.chat, topic(&message), what))
    }

    /// The event of `user` in `chat` (in forum topic `thread`).
    fn event_from(
        &self,
        user: &teloxide::types::User,
        chat: &teloxide::types::Chat,
        thread: Option<ThreadId>,
        what: What<FileId>,
    ) -> Event<Self> {
        let sender = Sender {
            platform: PLATFORM,
            user: user.id.0.to_string(),
            chat: chat.id.0.to_string(),
            public: !chat.is_private(),
        };
        let place = Place {
            chat: chat.id,
            thread,
        };
        let mut event = Event::new(sender, user.id.0, place, what);
        event.staff_place = Some(chat.id) == self.staff_chat();
        event.locale = user.language_code.as_deref().and_then(Lang::parse);
        event
    }

    fn on_press(&self, query: CallbackQuery) -> Option<Event<Self>> {
        // Answered at once (the user's client shows a spinner until then), beside the turn.
        let answer = self.bot.answer_callback_query(query.id.clone());
        tokio::spawn(async move {
            if let Err(e) = answer.send().await {
                debug!(error = %failure(&e), "answerCallbackQuery failed");
            }
        });
        let (data, message) = (query.data?, query.message?);
        let chat = message.chat();
        let private = chat.is_private();
        if private && !matches!(data.parse(), Ok(ButtonData::Staff(..))) {
            // The pressed message's keyboard goes: a step is answered once.
            let (bot, chat, pressed) = (self.bot.clone(), chat.id, message.id());
            self.forget_keyboard(chat, pressed);
            tokio::spawn(async move { remove_keyboard(&bot, chat, pressed).await });
        }
        let thread = message.regular_message().and_then(topic);
        Some(self.event_from(&query.from, chat, thread, What::Button(data)))
    }

    fn staff_chat(&self) -> Option<ChatId> {
        self.settings.staff_chat.map(ChatId)
    }

    /// Forgets `message` as the chat's live keyboard (it is being removed).
    fn forget_keyboard(&self, chat: ChatId, message: MessageId) {
        // The lock is never held across code that can panic.
        let mut keyboards = self.keyboards.lock().expect("keyboards lock");
        if keyboards.get(&chat) == Some(&message) {
            keyboards.remove(&chat);
        }
    }

    /// Buttons one per row (labels are sentences); "continue in a private chat" as a deep link.
    fn keyboard(&self, buttons: &[crate::core::Button]) -> Option<InlineKeyboardMarkup> {
        let rows: Vec<Vec<InlineKeyboardButton>> = buttons
            .iter()
            .filter_map(|b| {
                if let ButtonData::Private(flow) = &b.data {
                    let link =
                        format!("https://t.me/{}?start={PRIVATE_START}{flow}", self.username);
                    return url::Url::parse(&link)
                        .ok()
                        .map(|u| vec![InlineKeyboardButton::url(b.label.clone(), u)]);
                }
                let data = outgoing::button_data(b, MAX_CALLBACK_DATA)?;
                Some(vec![InlineKeyboardButton::callback(b.label.clone(), data)])
            })
            .collect();
        (!rows.is_empty()).then(|| InlineKeyboardMarkup::new(rows))
    }

    /// Takes updates by webhook: the address is bound first, then the webhook set.
    async fn webhook(
        &self,
        url: &str,
        events: Events<Self>,
        stop: impl Future<Output = ()> + Send,
    ) -> anyhow::Result<()> {
        let url = url::Url::parse(url).context("the Telegram webhook URL")?;
        let listen: SocketAddr = self
            .settings
            .webhook_listen
            .as_deref()
            .unwrap_or("0.0.0.0:8443")
            .parse()
            .context("the Telegram webhook listen address")?;
        let socket = tokio::net::TcpListener::bind(listen)
            .await
            .with_context(|| format!("the Telegram webhook cannot listen on {listen}"))?;
        let mut options = webhooks::Options::new(listen, url);
        options = match &self.settings.webhook_secret {
            Some(secret) => options.secret_token(secret.expose().to_string()),
            None => {
                options.get_or_gen_secret_token();
                options
            }
        };
        let (listener, stopped, router) = webhooks::axum_to_router(self.bot.clone(), options)
            .await
            .map_err(|e| failure(&e))
            .context("setting the Telegram webhook")?;
        info!(%listen, "telegram webhook listening");
        let serving = axum::serve(socket, router)
            .with_graceful_shutdown(stopped)
            .into_future();
        let (served, ()) = tokio::join!(serving, self.pump(listener, events, stop));
        served.context("the Telegram webhook server")
    }
}

impl Platform for Telegram {
    type Target = Place;
    type File = FileId;
    type Actor = u64;

    fn name(&self) -> &'static str {
        PLATFORM.as_str()
    }

    async fn receive(
        self: Arc<Self>,
        events: Events<Self>,
        stop: impl Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        match self.settings.webhook_url.clone() {
            Some(url) => self.webhook(&url, events, stop).await,
            None => {
                // Telegram holds each getUpdates up to `timeout`; backoff on errors is
                // exponential.
                let listener = teloxide::update_listeners::Polling::builder(self.bot.clone())
                    .timeout(Duration::from_secs(25))
                    .build();
                self.pump(listener, events, stop).await;
                Ok(())
            }
        }
    }

    async fn send(&self, to: &Place, replies: &[Reply], sending: Sending) -> Result<(), Failure> {
        if sending == Sending::Answer && to.chat.is_user() {
            // A new answer retires the last keyboard: the core refuses its buttons anyway.
            let last = self
                .keyboards
                .lock()
                .expect("keyboards lock")
                .remove(&to.chat);
            if let Some(message) = last {
                remove_keyboard(&self.bot, to.chat, message).await;
            }
        }
        for Outgoing {
            text: html,
            buttons,
        } in render::messages(replies)
        {
            let keyboard = self.keyboard(&buttons);
            let has_keyboard = keyboard.is_some();
            let sent = with_retry("sendMessage", || {
                let request = self
                    .bot
                    .send_message(to.chat, html.clone())
                    .parse_mode(ParseMode::Html)
                    .link_preview_options(teloxide::types::LinkPreviewOptions {
                        is_disabled: true,
                        url: None,
                        prefer_small_media: false,
                        prefer_large_media: false,
                        show_above_text: false,
                    });
                let request = match to.thread {
                    Some(thread) => request.message_thread_id(thread),
                    None => request,
                };
                match keyboard.clone() {
                    Some(k) => request.reply_markup(k),
                    None => request,
                }
            })
            .await
            .map_err(|e| failure(&e))?;
            if has_keyboard && to.chat.is_user() {
                self.keyboards
                    .lock()
                    .expect("keyboards lock")
                    .insert(to.chat, sent.id);
            }
        }
        Ok(())
    }

    async fn send_file(
        &self,
        to: &Place,
        caption: &Reply,
        bytes: Vec<u8>,
        name: &'static str,
    ) -> Result<(), Failure> {
        let caption = render::to_html(&caption.text);
        with_retry("sendDocument", || {
            let request = self
                .bot
                .send_document(
                    to.chat,
                    teloxide::types::InputFile::memory(bytes.clone()).file_name(name),
                )
                .caption(caption.clone())
                .parse_mode(ParseMode::Html);
            match to.thread {
                Some(thread) => request.message_thread_id(thread),
                None => request,
            }
        })
        .await
        .map_err(|e| failure(&e))?;
        Ok(())
    }

    async fn download(&self, file: FileId) -> Result<Vec<u8>, Failure> {
        let file = with_retry("getFile", || self.bot.get_file(file.clone()))
            .await
            .map_err(|e| failure(&e))?;
        let mut bytes = Vec::with_capacity(file.size as usize);
        self.raw
            .download_file(&file.path, &mut bytes)
            .await
            .map_err(|e| match e {
                teloxide::DownloadError::Network(_) => Failure::new("file download: network"),
                teloxide::DownloadError::Io(_) => Failure::new("file download: io"),
            })?;
        Ok(bytes)
    }

    async fn typing(&self, to: &Place) {
        let request = self.bot.send_chat_action(to.chat, ChatAction::Typing);
        let request = match to.thread {
            Some(thread) => request.message_thread_id(thread),
            None => request,
        };
        let _ = request.await;
    }

    async fn is_staff(&self, user: &u64) -> bool {
        self.settings.staff_ids.contains(user)
    }

    fn user_chat(&self, chat: &str) -> anyhow::Result<Place> {
        Ok(Place {
            chat: ChatId(
                chat.parse()
                    .context("an outbox chat id that is no number")?,
            ),
            thread: None,
        })
    }

    fn staff_place(&self) -> Option<Place> {
        self.staff_chat().map(|chat| Place { chat, thread: None })
    }

    fn ticket_threads(&self) -> bool {
        self.settings.staff_topics
    }

    async fn open_thread(&self, title: &str) -> Result<i64, Failure> {
        let chat = self
            .staff_chat()
            .ok_or_else(|| Failure::new("no staff group"))?;
        let topic = with_retry("createForumTopic", || {
            self.bot.create_forum_topic(chat, title.to_string())
        })
        .await
        .map_err(|e| failure(&e))?;
        Ok(i64::from(topic.thread_id.0.0))
    }

    fn staff_thread(&self, thread: i64) -> anyhow::Result<Place> {
        let chat = self.staff_chat().context("no Telegram staff group")?;
        let id = i32::try_from(thread).context("a stored topic id out of range")?;
        Ok(Place {
            chat,
            thread: Some(ThreadId(MessageId(id))),
        })
    }
}

/// An error of an update listener, as it may be logged: never the Debug form of a Bot API
/// error, which quotes the reply (getUpdates: what users wrote).
trait ListenerError {
    fn failure(&self) -> Failure;
}

impl ListenerError for RequestError {
    fn failure(&self) -> Failure {
        failure(self)
    }
}

impl ListenerError for std::convert::Infallible {
    fn failure(&self) -> Failure {
        match *self {}
    }
}

/// The forum topic a message is in (a reply thread in a plain group is none).
fn topic(message: &Message) -> Option<ThreadId> {
    message.thread_id.filter(|_| message.is_topic_message)
}

/// Removes the keyboard of `message`. Already gone, or too old to edit: the core still refuses
/// its buttons.
async fn remove_keyboard(bot: &TgBot, chat: ChatId, message: MessageId) {
    if let Err(e) = bot.edit_message_reply_markup(chat, message).await {
        debug!(error = %failure(&e), "could not remove a keyboard");
    }
}

/// A Bot API error as it may be logged and stored: its kind, never the reply's body (a JSON
/// error quotes it, with whatever a user wrote) nor a URL.
fn failure(error: &RequestError) -> Failure {
    Failure::new(match error {
        // Telegram's own descriptions can quote the message ("can't parse entities: …"): only
        // the part before the first colon.
        RequestError::Api(teloxide::ApiError::Unknown(description)) => format!(
            "Telegram refused: {}",
            description.split(':').next().unwrap_or_default()
        ),
        RequestError::Api(api) => format!("Telegram refused: {api}"),
        RequestError::MigrateToChatId(_) => "the group became a supergroup".into(),
        RequestError::RetryAfter(wait) => format!("rate limited for {}s", wait.seconds()),
        RequestError::Network(e) if e.is_timeout() => "network: timed out".into(),
        RequestError::Network(e) if e.is_connect() => "network: cannot connect".into(),
        RequestError::Network(_) => "network error".into(),
        RequestError::InvalidJson { .. } => {
            "an answer of the Bot API that is not valid JSON".into()
        }
        RequestError::Io(e) => format!("io: {}", e.kind()),
    })
}

/// Sends a request, retrying network errors and Telegram's own server errors (5xx) with backoff
/// (0.5 s, 1 s, 2 s). `429 retry_after` is waited out by the throttle adaptor; other API errors
/// (bad request, blocked by the user…) are final.
async fn with_retry<R, F>(what: &str, make: F) -> Result<Output<R>, RequestError>
where
    F: Fn() -> R,
    R: Request<Err = RequestError>,
{
    let mut attempt = 1;
    loop {
        match make().send().await {
            Err(e) if attempt < SEND_ATTEMPTS && transient(&e) => {
                let wait = Duration::from_millis(500 << (attempt - 1));
                debug!(what, attempt, error = %failure(&e), "transient error; retrying");
                tokio::time::sleep(wait).await;
                attempt += 1;
            }
            other => return other,
        }
    }
}

/// The question in a group message for the bot `username`: a command (not one for another
/// bot), a text mentioning `@username` (without the mention), or any reply to the bot.
fn addressed_text(text: &str, username: &str, replied_to_bot: bool) -> Option<String> {
    if let Some(command) = text.strip_prefix('/') {
        let (name, rest) = command.split_once(' ').unwrap_or((command, ""));
        let (name, target) = name.split_once('@').unwrap_or((name, ""));
        if !target.is_empty() && !target.eq_ignore_ascii_case(username) {
            return None;
        }
        return Some(format!("/{name} {rest}").trim().to_string());
    }
    // Usernames are ASCII: an ASCII-only lower-casing keeps every byte offset of `text`.
    let mention = format!("@{}", username.to_ascii_lowercase());
    if let Some(start) = text.to_ascii_lowercase().find(&mention) {
        let cleaned = format!("{}{}", &text[..start], &text[start + mention.len()..]);
        return Some(cleaned.trim().to_string());
    }
    replied_to_bot.then(|| text.to_string())
}

/// Network trouble, or a server error of the Bot API (teloxide keeps only the description of a
/// 5xx answer, so it is recognised by it).
fn transient(error: &RequestError) -> bool {
    match error {
        RequestError::Network(_) | RequestError::Io(_) => true,
        RequestError::Api(teloxide::ApiError::Unknown(description)) => [
            "Internal Server Error",
            "Bad Gateway",
            "Service Unavailable",
            "Gateway Timeout",
        ]
        .iter()
        .any(|s| description.contains(s)),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn group_messages_addressed_to_the_bot() {
        let bot = "Alumni_Bot";
        assert_eq!(
            addressed_text("@alumni_bot how do I reset?", bot, false).as_deref(),
            Some("how do I reset?")
        );
        // Text whose lower case is longer than itself ("İ" → "i̇") before the mention.
        assert_eq!(
            addressed_text("İİİ @ALUMNI_BOT hi", bot, false).as_deref(),
            Some("İİİ  hi")
        );
        assert_eq!(
            addressed_text("/help@alumni_bot", bot, false).as_deref(),
            Some("/help")
        );
        assert_eq!(addressed_text("/help@other_bot", bot, false), None);
        assert_eq!(addressed_text("just chatting", bot, false), None);
        assert_eq!(
            addressed_text("thanks!", bot, true).as_deref(),
            Some("thanks!")
        );
    }
}
