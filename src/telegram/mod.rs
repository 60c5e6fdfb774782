//! The Telegram adapter (teloxide): updates in, [`Inbound`] to the core, [`Reply`]s out as
//! messages with inline keyboards. It decides nothing of what to say.
//!
//! - Updates come by long polling, or by webhook when a public URL is configured (Telegram's
//!   secret-token header checked by teloxide's axum listener: a wrong one gets 401).
//! - Each update is handled in its own task; the core orders one user's messages. On shutdown
//!   the listener stops taking updates and every update already taken is answered before
//!   [`run`] returns (polling then confirms the offset, so nothing is lost or repeated).
//! - Outgoing requests go through teloxide's `Throttle` (Telegram's per-chat and global limits,
//!   and a wait-and-retry on `429 retry_after`); network errors are retried with backoff.
//! - In groups the bot answers only when mentioned, replied to, or commanded; the core never
//!   asks for personal data there, and its "continue in a private chat" button becomes a deep
//!   link `t.me/<bot>?start=f_<flow>` that opens the flow in a private chat.

pub mod render;

use std::collections::HashMap;
use std::future::Future;
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
    BotCommand, ChatAction, InlineKeyboardButton, InlineKeyboardMarkup, MessageId, ParseMode,
    ThreadId, UpdateKind,
};
use teloxide::update_listeners::{UpdateListener, webhooks};
use tokio::sync::oneshot;
use tracing::{debug, info, warn};

use crate::config;
use crate::core::commands::describe;
use crate::core::engine::{PRIVATE_PREFIX, PRIVATE_START};
use crate::core::staff;
use crate::core::ticket::MAX_ATTACHMENT_BYTES;
use crate::core::{Content, Engine, Inbound, Reply, Sender, Upload};
use crate::lang::Lang;
use crate::outbox::{self, Deliver};
use crate::outgoing::Outgoing;
use crate::store::{OutboxItem, STAFF_CHAT, Store};

pub const PLATFORM: &str = "telegram";

/// Telegram refuses callback data over 64 bytes.
const MAX_CALLBACK_DATA: usize = 64;
/// The commands of Telegram's menu, in order.
const MENU: [&str; 6] = ["start", "help", "cancel", "contact", "status", "language"];

/// Sends that fail on the network are tried this many times in all.
const SEND_ATTEMPTS: u32 = 4;

type TgBot = Throttle<Bot>;

/// Everything a handler needs, shared by the update tasks.
struct Adapter {
    engine: Arc<Engine<Store>>,
    bot: TgBot,
    /// The plain bot, for file downloads (the throttle limits sends, not downloads).
    raw: Bot,
    username: String,
    /// The message whose keyboard is live, per private chat: removed when a newer one comes,
    /// so an old step's buttons cannot be pressed again.
    keyboards: Mutex<HashMap<ChatId, MessageId>>,
    /// The staff group, and who is staff.
    staff_chat: Option<ChatId>,
    staff_ids: Vec<u64>,
    /// A forum topic per ticket in the staff group.
    staff_topics: bool,
}

/// Runs the bot until `shutdown` resolves; then answers the updates in flight and returns.
pub async fn run(
    engine: Arc<Engine<Store>>,
    settings: &config::Telegram,
    shutdown: impl Future<Output = ()> + Send,
) -> anyhow::Result<()> {
    let token = settings
        .token
        .as_ref()
        .context("no Telegram token (ALUMNI_BOT_TELEGRAM_TOKEN)")?;
    let mut raw = Bot::new(token.expose());
    if let Some(url) = &settings.api_url {
        raw = raw.set_api_url(
            url::Url::parse(url).with_context(|| "ALUMNI_BOT_TELEGRAM_API_URL is not a URL")?,
        );
    }
    let bot = raw.clone().throttle(Limits::default());
    let me = with_retry("getMe", || bot.get_me())
        .await
        .context("Telegram did not accept the token (getMe failed)")?;
    let username = me.username().to_string();
    info!(bot = username, "telegram connected");
    // The menu in English for everyone, and in Chinese for users whose Telegram is in Chinese
    // (Telegram keys command lists by two-letter language code: Traditional, Hong Kong's).
    let menu = |lang: Lang| -> Vec<BotCommand> {
        MENU.iter()
            .filter_map(|name| Some(BotCommand::new(*name, describe(name, lang)?)))
            .collect()
    };
    let (english, chinese) = (menu(Lang::En), menu(Lang::ZhHant));
    if let Err(e) = with_retry("setMyCommands", || bot.set_my_commands(english.clone())).await {
        warn!(error = %e, "could not set the command menu");
    }
    if let Err(e) = with_retry("setMyCommands", || {
        bot.set_my_commands(chinese.clone()).language_code("zh")
    })
    .await
    {
        warn!(error = %e, "could not set the Chinese command menu");
    }
    let adapter = Arc::new(Adapter {
        engine,
        bot: bot.clone(),
        raw,
        username,
        keyboards: Mutex::new(HashMap::new()),
        staff_chat: settings.staff_chat.map(ChatId),
        staff_ids: settings.staff_ids.clone(),
        staff_topics: settings.staff_topics,
    });
    // One stop signal for the listener and the outbox.
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let stopped = move || {
        let mut rx = stop_rx.clone();
        async move {
            let _ = rx.wait_for(|s| *s).await;
        }
    };
    let store = adapter.engine.store().clone();
    let delivery = outbox::run(store, PLATFORM, Delivery(adapter.clone()), stopped());
    let signal = async move {
        shutdown.await;
        let _ = stop_tx.send(true);
    };
    let listening = listen(adapter, settings, bot, stopped());
    let ((), (), listened) = tokio::join!(signal, delivery, listening);
    listened
}

/// Takes updates by webhook or polling until `shutdown`.
async fn listen(
    adapter: Arc<Adapter>,
    settings: &config::Telegram,
    bot: TgBot,
    shutdown: impl Future<Output = ()> + Send,
) -> anyhow::Result<()> {
    match &settings.webhook_url {
        Some(url) => {
            let url = url::Url::parse(url).context("the Telegram webhook URL")?;
            let listen: SocketAddr = settings
                .webhook_listen
                .as_deref()
                .unwrap_or("0.0.0.0:8443")
                .parse()
                .context("the Telegram webhook listen address")?;
            let mut options = webhooks::Options::new(listen, url);
            options = match &settings.webhook_secret {
                Some(secret) => options.secret_token(secret.expose().to_string()),
                None => {
                    options.get_or_gen_secret_token();
                    options
                }
            };
            let listener = webhooks::axum(bot, options)
                .await
                .context("setting the Telegram webhook")?;
            info!(%listen, "telegram webhook listening");
            listen_until(adapter, listener, shutdown).await
        }
        None => {
            // Telegram holds each getUpdates up to `timeout`; backoff on errors is exponential.
            let listener = teloxide::update_listeners::Polling::builder(bot)
                .timeout(Duration::from_secs(25))
                .build();
            listen_until(adapter, listener, shutdown).await
        }
    }
    Ok(())
}

async fn listen_until<L>(
    adapter: Arc<Adapter>,
    mut listener: L,
    shutdown: impl Future<Output = ()> + Send,
) where
    L: UpdateListener,
    L::Err: std::fmt::Debug,
{
    let stop = listener.stop_token();
    let mut updates = std::pin::pin!(listener.as_stream());
    let mut shutdown = std::pin::pin!(shutdown);
    let mut stopping = false;
    let mut tasks = tokio::task::JoinSet::new();
    // One chat's updates are handled in the order they came (a button press, then the text
    // typed right after it); different chats in parallel. Each task waits for the previous one
    // of its chat.
    let mut last_of_chat: HashMap<i64, oneshot::Receiver<()>> = HashMap::new();
    loop {
        tokio::select! {
            () = &mut shutdown, if !stopping => {
                info!("telegram stopping: no new updates, finishing those in flight");
                stopping = true;
                stop.stop();
            }
            next = updates.next() => match next {
                Some(Ok(update)) => {
                    let adapter = adapter.clone();
                    let (done, next) = oneshot::channel::<()>();
                    let previous = match update.chat() {
                        Some(chat) => {
                            if last_of_chat.len() > 10_000 {
                                last_of_chat.retain(|_, r| r.try_recv() == Err(oneshot::error::TryRecvError::Empty));
                            }
                            last_of_chat.insert(chat.id.0, next)
                        }
                        None => None,
                    };
                    tasks.spawn(async move {
                        if let Some(previous) = previous {
                            let _ = previous.await;
                        }
                        adapter.on_update(update).await;
                        drop(done);
                    });
                }
                Some(Err(e)) => warn!(error = ?e, "telegram update listener"),
                None => break,
            },
            Some(done) = tasks.join_next(), if !tasks.is_empty() => {
                if let Err(e) = done {
                    warn!(error = %e, "a telegram update task failed");
                }
            }
        }
    }
    while let Some(done) = tasks.join_next().await {
        if let Err(e) = done {
            warn!(error = %e, "a telegram update task failed");
        }
    }
    info!("telegram stopped");
}

impl Adapter {
    /// Handles an update once: one redelivered after a restart (Telegram resends what was not
    /// confirmed) is skipped if it was answered before.
    async fn on_update(&self, update: Update) {
        let id = update.id.0.to_string();
        let store = self.engine.store();
        match store.begin_update(PLATFORM, &id).await {
            Ok(true) => {}
            Ok(false) => {
                info!("telegram update seen before; skipped");
                return;
            }
            Err(e) => warn!(error = %e, "could not record an update; handling it anyway"),
        }
        match update.kind {
            UpdateKind::Message(message) => self.on_message(message).await,
            UpdateKind::CallbackQuery(query) => self.on_callback(query).await,
            _ => {}
        }
        if let Err(e) = store.finish_update(PLATFORM, &id).await {
            warn!(error = %e, "could not record an update as done");
        }
    }

    async fn on_message(&self, message: Message) {
        let Some(from) = message.from.as_ref() else {
            return;
        };
        if from.is_bot {
            return;
        }
        let private = message.chat.is_private();
        let sender = Sender {
            platform: PLATFORM.into(),
            user: from.id.0.to_string(),
            chat: message.chat.id.0.to_string(),
            public: !private,
        };
        let text = message.text().or(message.caption()).unwrap_or("");
        // Staff commands: in the staff group or a private chat; refused (and audited) for others.
        if let Some(parsed) = staff::parse_command(text)
            && (private || Some(message.chat.id) == self.staff_chat)
        {
            let answer = match parsed {
                Ok((reference, action)) => self.staff_act(from.id.0, &reference, action).await,
                Err(usage) => usage,
            };
            self.send(
                message.chat.id,
                &[Reply::text(crate::markup::escape(&answer))],
            )
            .await;
            return;
        }
        let file = message.document().map(|d| {
            (
                d.file.id.clone(),
                d.file.size,
                d.mime_type.as_ref().map(|m| m.to_string()),
                d.file_name.clone().unwrap_or_default(),
            )
        });
        let photo = message.photo().and_then(|sizes| sizes.last()).map(|p| {
            (
                p.file.id.clone(),
                p.file.size,
                Some("image/jpeg".to_string()),
                "photo.jpg".to_string(),
            )
        });
        if !private {
            // In a group: only what is addressed to the bot, and never a file.
            let addressed = self.addressed(&message, text);
            let Some(question) = addressed else {
                return;
            };
            self.converse(&message.chat.id, sender, Content::Text(question))
                .await;
            return;
        }
        let content = match file.or(photo) {
            Some((id, size, declared_type, name)) => {
                let caption = (!text.is_empty()).then(|| text.to_string());
                match self
                    .fetch(id, u64::from(size), declared_type, name, caption)
                    .await
                {
                    Ok(upload) => Content::File(upload),
                    Err(e) => {
                        warn!(error = %e, "telegram file download failed");
                        self.send(
                            message.chat.id,
                            &[Reply::text(
                                "Sorry, I couldn't fetch that file from Telegram. Please send it again.",
                            )],
                        )
                        .await;
                        return;
                    }
                }
            }
            None if text.is_empty() => {
                // Stickers, voice, locations…: said in words by the core.
                Content::Text(String::new())
            }
            None => Content::Text(text.to_string()),
        };
        self.converse(&message.chat.id, sender, content).await;
    }

    /// The question in a group message, if it is meant for the bot: a command, a mention of
    /// the bot, or a reply to one of its messages.
    fn addressed(&self, message: &Message, text: &str) -> Option<String> {
        let replied_to_bot = message
            .reply_to_message()
            .and_then(|m| m.from.as_ref())
            .is_some_and(|u| u.is_bot && u.username.as_deref() == Some(self.username.as_str()));
        addressed_text(text, &self.username, replied_to_bot)
    }

    /// Downloads a file the user sent, unless it is over the core's limit (then only its size
    /// goes to the core, which tells the user).
    async fn fetch(
        &self,
        id: teloxide::types::FileId,
        size: u64,
        declared_type: Option<String>,
        name: String,
        caption: Option<String>,
    ) -> anyhow::Result<Upload> {
        let mut upload = Upload {
            name,
            declared_type,
            declared_size: Some(size),
            bytes: Vec::new(),
            caption,
        };
        if size > MAX_ATTACHMENT_BYTES as u64 {
            return Ok(upload);
        }
        let file = with_retry("getFile", || self.bot.get_file(id.clone())).await?;
        let mut bytes = Vec::with_capacity(file.size as usize);
        self.raw.download_file(&file.path, &mut bytes).await?;
        upload.declared_size = Some(bytes.len() as u64);
        upload.bytes = bytes;
        Ok(upload)
    }

    async fn on_callback(&self, query: CallbackQuery) {
        // Answer at once: the user's client shows a spinner until then.
        if let Err(e) = self.bot.answer_callback_query(query.id.clone()).await {
            debug!(error = %e, "answerCallbackQuery failed");
        }
        let (Some(data), Some(message)) = (query.data.as_ref(), query.message.as_ref()) else {
            return;
        };
        let chat = message.chat().clone();
        if let Some((reference, action)) = staff::parse_button(data) {
            let answer = self.staff_act(query.from.id.0, &reference, action).await;
            self.send(chat.id, &[Reply::text(crate::markup::escape(&answer))])
                .await;
            return;
        }
        if chat.is_private() {
            // The pressed message's keyboard goes: a step is answered once.
            self.remove_keyboard(chat.id, message.id()).await;
        }
        let sender = Sender {
            platform: PLATFORM.into(),
            user: query.from.id.0.to_string(),
            chat: chat.id.0.to_string(),
            public: !chat.is_private(),
        };
        self.converse(&chat.id, sender, Content::Button(data.clone()))
            .await;
    }

    /// The staff group's forum topic for a ticket, made on first use.
    async fn topic(&self, chat: ChatId, ticket: i64, reference: &str) -> anyhow::Result<ThreadId> {
        let id = self
            .engine
            .store()
            .thread_for(ticket, PLATFORM, || async {
                let topic = with_retry("createForumTopic", || {
                    self.bot
                        .create_forum_topic(chat, format!("Ticket {reference}"))
                })
                .await?;
                Ok(i64::from(topic.thread_id.0.0))
            })
            .await?;
        Ok(ThreadId(MessageId(
            i32::try_from(id).context("a stored topic id")?,
        )))
    }

    /// A staff action by the Telegram user `user`; what to tell them.
    async fn staff_act(&self, user: u64, reference: &str, action: staff::Action) -> String {
        let is_staff = self.staff_ids.contains(&user);
        let actor = format!("{PLATFORM}:{user}");
        staff::answer(self.engine.store(), &actor, is_staff, reference, action).await
    }

    /// One message through the core, "typing…" while it works, the replies sent.
    async fn converse(&self, chat: &ChatId, sender: Sender, content: Content) {
        let _ = self.bot.send_chat_action(*chat, ChatAction::Typing).await;
        let public = sender.public;
        let replies = self.engine.handle(Inbound {
            from: sender,
            content,
        });
        let replies = replies.await;
        if !public {
            self.retire_keyboard(*chat).await;
        }
        self.send(*chat, &replies).await;
    }

    /// Removes the keyboard of the last message that had one in this chat.
    async fn retire_keyboard(&self, chat: ChatId) {
        let last = self.keyboards.lock().expect("poisoned").remove(&chat);
        if let Some(message) = last {
            self.remove_keyboard(chat, message).await;
        }
    }

    async fn remove_keyboard(&self, chat: ChatId, message: MessageId) {
        {
            let mut keyboards = self.keyboards.lock().expect("poisoned");
            if keyboards.get(&chat) == Some(&message) {
                keyboards.remove(&chat);
            }
        }
        if let Err(e) = self.bot.edit_message_reply_markup(chat, message).await {
            // Already gone, or too old to edit: the core still refuses its buttons.
            debug!(error = %e, "could not remove a keyboard");
        }
    }

    async fn send(&self, chat: ChatId, replies: &[Reply]) {
        if let Err(e) = self.try_send(chat, None, replies).await {
            // Logged without the text: it may hold what the user typed.
            warn!(error = %e, "telegram message not delivered");
        }
    }

    /// Sends the replies in order; stops at the first that cannot be delivered.
    async fn try_send(
        &self,
        chat: ChatId,
        thread: Option<ThreadId>,
        replies: &[Reply],
    ) -> Result<(), RequestError> {
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
                    .send_message(chat, html.clone())
                    .parse_mode(ParseMode::Html)
                    .link_preview_options(teloxide::types::LinkPreviewOptions {
                        is_disabled: true,
                        url: None,
                        prefer_small_media: false,
                        prefer_large_media: false,
                        show_above_text: false,
                    });
                let request = match thread {
                    Some(thread) => request.message_thread_id(thread),
                    None => request,
                };
                match keyboard.clone() {
                    Some(k) => request.reply_markup(k),
                    None => request,
                }
            })
            .await;
            let message = sent?;
            if has_keyboard {
                self.keyboards
                    .lock()
                    .expect("poisoned")
                    .insert(chat, message.id);
            }
        }
        Ok(())
    }

    /// Buttons one per row (labels are sentences); "continue in a private chat" as a deep link.
    fn keyboard(&self, buttons: &[crate::core::Button]) -> Option<InlineKeyboardMarkup> {
        let rows: Vec<Vec<InlineKeyboardButton>> = buttons
            .iter()
            .filter_map(|b| {
                if let Some(flow) = b.data.strip_prefix(PRIVATE_PREFIX) {
                    let link =
                        format!("https://t.me/{}?start={PRIVATE_START}{flow}", self.username);
                    return url::Url::parse(&link)
                        .ok()
                        .map(|u| vec![InlineKeyboardButton::url(b.label.clone(), u)]);
                }
                if b.data.len() > MAX_CALLBACK_DATA {
                    warn!(
                        bytes = b.data.len(),
                        "a button's data is too long for Telegram"
                    );
                    return None;
                }
                Some(vec![InlineKeyboardButton::callback(
                    b.label.clone(),
                    b.data.clone(),
                )])
            })
            .collect();
        (!rows.is_empty()).then(|| InlineKeyboardMarkup::new(rows))
    }
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
                debug!(what, attempt, error = %e, "transient error; retrying");
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

/// Sends outbox messages: to a user's chat, or to the staff group (with the ticket's file).
struct Delivery(Arc<Adapter>);

impl Deliver for Delivery {
    async fn deliver(&self, item: &OutboxItem) -> anyhow::Result<()> {
        let adapter = &self.0;
        let staff = item.chat == STAFF_CHAT;
        let chat = if staff {
            adapter
                .staff_chat
                .context("no Telegram staff chat is configured")?
        } else {
            ChatId(item.chat.parse().context("an outbox chat id")?)
        };
        let thread = match (&item.ticket, staff && adapter.staff_topics) {
            (Some((ticket, reference)), true) => {
                Some(adapter.topic(chat, *ticket, reference).await?)
            }
            _ => None,
        };
        match &item.attachment {
            None => {
                adapter
                    .try_send(chat, thread, std::slice::from_ref(&item.message))
                    .await?
            }
            Some((path, media_type)) => {
                let bytes = tokio::fs::read(path)
                    .await
                    .context("reading a ticket's file")?;
                let name = outbox::file_name(media_type);
                let caption = render::to_html(&item.message.text);
                with_retry("sendDocument", || {
                    let request = adapter
                        .bot
                        .send_document(
                            chat,
                            teloxide::types::InputFile::memory(bytes.clone()).file_name(name),
                        )
                        .caption(caption.clone())
                        .parse_mode(ParseMode::Html);
                    match thread {
                        Some(thread) => request.message_thread_id(thread),
                        None => request,
                    }
                })
                .await?;
            }
        }
        Ok(())
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
