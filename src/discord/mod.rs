//! The Discord adapter (serenity): gateway events and interactions in, [`Inbound`] to the core,
//! [`Reply`]s out as messages with buttons. It decides nothing of what to say.
//!
//! - In server channels the bot answers when mentioned and through slash commands (`/ask`,
//!   `/help`, `/contact`, `/ticket`, `/status`), registered at start-up in the configured guild
//!   (instant) or globally. In DMs it chats like in a Telegram private chat.
//! - Personal data never goes through a server channel: the core offers "continue in a private
//!   chat" there, and pressing it (or `/ticket`) opens a DM and carries on in it; the channel gets
//!   an ephemeral note that only the user sees. `/status` answers ephemerally.
//! - Interactions are acknowledged at once (a button press by disabling the buttons of its
//!   message, so a finished step cannot be answered twice; a command by deferring), then the
//!   core's replies follow.
//! - Attachments are downloaded when the message arrives (Discord's CDN links expire).
//! - serenity's ratelimiter paces REST calls and its shard runner reconnects and resumes the
//!   gateway. `api_url` exists for tests only: it routes REST through a local server and turns
//!   the ratelimiter off (its code path ignores the proxy); production never sets it.

pub mod render;

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::Context as _;
use serenity::all::{
    ButtonKind, ChannelId, Command, CommandInteraction, CommandOptionType, ComponentInteraction,
    Context, CreateActionRow, CreateAllowedMentions, CreateButton, CreateCommand,
    CreateCommandOption, CreateInteractionResponse, CreateInteractionResponseFollowup,
    CreateInteractionResponseMessage, CreateMessage, EventHandler, GatewayIntents, GuildId,
    HttpBuilder, Interaction, Message, Ready, User, UserId,
};
use serenity::async_trait;
use tracing::{debug, info, warn};

use crate::config;
use crate::core::commands::{DISCORD_LOCALES, describe};
use crate::core::engine::PRIVATE_PREFIX;
use crate::core::staff;
use crate::core::ticket::MAX_ATTACHMENT_BYTES;
use crate::core::{Button, Content, Engine, Inbound, Reply, Sender, Upload};
use crate::lang::Lang;
use crate::outbox::{self, Deliver};
use crate::store::{OutboxItem, STAFF_CHAT, Store};

pub const PLATFORM: &str = "discord";

/// Discord's limits on components: custom ids, labels, buttons per row, rows per message.
const MAX_CUSTOM_ID: usize = 100;
const MAX_LABEL: usize = 80;
const BUTTONS_PER_ROW: usize = 5;
const MAX_ROWS: usize = 5;

/// Held while one message of a user in a channel is handled.
type TurnLock = Arc<tokio::sync::Mutex<()>>;

struct Handler {
    engine: Arc<Engine<Store>>,
    guild: Option<GuildId>,
    /// One lock per channel and user: events arrive as separate tasks; this keeps one user's
    /// messages in a channel in order (tokio's mutex is first come, first served).
    turns: Mutex<HashMap<(u64, u64), TurnLock>>,
    /// Handlers in progress, so shutdown can wait for them.
    in_flight: Arc<tokio::sync::Semaphore>,
    /// The bot's own user, known from READY: mentions of it address the bot.
    me: std::sync::OnceLock<UserId>,
    staff_channel: Option<ChannelId>,
    staff_role: Option<serenity::all::RoleId>,
}

/// Permits in `in_flight`: far above any real concurrency; shutdown takes them all.
const MAX_IN_FLIGHT: u32 = 10_000;

/// Runs the bot until `shutdown` resolves; then finishes the events in flight and returns.
pub async fn run(
    engine: Arc<Engine<Store>>,
    settings: &config::Discord,
    shutdown: impl Future<Output = ()> + Send,
) -> anyhow::Result<()> {
    let token = settings
        .token
        .as_ref()
        .context("no Discord token (ALUMNI_BOT_DISCORD_TOKEN)")?;
    let mut http = HttpBuilder::new(token.expose());
    if let Some(url) = &settings.api_url {
        http = http
            .proxy(url.trim_end_matches('/'))
            .ratelimiter_disabled(true);
    }
    let intents = GatewayIntents::GUILD_MESSAGES
        | GatewayIntents::DIRECT_MESSAGES
        | GatewayIntents::MESSAGE_CONTENT;
    let in_flight = Arc::new(tokio::sync::Semaphore::new(MAX_IN_FLIGHT as usize));
    let handler = Handler {
        engine,
        guild: settings.guild_id.map(GuildId::new),
        turns: Mutex::new(HashMap::new()),
        in_flight: in_flight.clone(),
        me: std::sync::OnceLock::new(),
        staff_channel: settings.staff_channel.map(ChannelId::new),
        staff_role: settings.staff_role.map(serenity::all::RoleId::new),
    };
    let store = handler.engine.store().clone();
    let staff_channel = handler.staff_channel;
    let staff_threads = settings.staff_threads;
    let mut client = serenity::all::ClientBuilder::new_with_http(http.build(), intents)
        .event_handler(handler)
        .await
        .context("building the Discord client")?;
    let shards = client.shard_manager.clone();
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let delivery = outbox::run(
        store.clone(),
        PLATFORM,
        Delivery {
            http: client.http.clone(),
            staff_channel,
            staff_threads,
            store,
        },
        async move {
            let mut rx = stop_rx;
            let _ = rx.wait_for(|s| *s).await;
        },
    );
    let stop = async move {
        shutdown.await;
        info!("discord stopping: closing the gateway, finishing events in flight");
        let _ = stop_tx.send(true);
        shards.shutdown_all().await;
    };
    let (started, (), ()) = tokio::join!(client.start(), stop, delivery);
    // Events already dispatched run to the end before we return.
    let _ = tokio::time::timeout(
        Duration::from_secs(30),
        in_flight.acquire_many(MAX_IN_FLIGHT),
    )
    .await;
    info!("discord stopped");
    started.context("the Discord gateway")
}

/// The slash commands, as users see them in the command picker.
/// Descriptions in English, localised for Discord's Chinese locales.
fn commands() -> Vec<CreateCommand> {
    let described = |name: &str| {
        let english = describe(name, Lang::En).unwrap_or_default();
        DISCORD_LOCALES.iter().fold(
            CreateCommand::new(name).description(english),
            |c, (locale, lang)| {
                c.description_localized(*locale, describe(name, *lang).unwrap_or_default())
            },
        )
    };
    let question = DISCORD_LOCALES.iter().fold(
        CreateCommandOption::new(
            CommandOptionType::String,
            "question",
            describe("question", Lang::En).unwrap_or_default(),
        )
        .required(true),
        |o, (locale, lang)| {
            o.description_localized(*locale, describe("question", *lang).unwrap_or_default())
        },
    );
    vec![
        described("ask").add_option(question),
        described("help"),
        described("contact"),
        described("ticket"),
        described("status"),
        described("language"),
    ]
}

#[async_trait]
impl EventHandler for Handler {
    async fn ready(&self, ctx: Context, ready: Ready) {
        info!(guilds = ready.guilds.len(), "discord connected");
        let _ = self.me.set(ready.user.id);
        let registered = match self.guild {
            Some(guild) => guild
                .set_commands(&ctx.http, commands())
                .await
                .map(|c| c.len()),
            None => Command::set_global_commands(&ctx.http, commands())
                .await
                .map(|c| c.len()),
        };
        match registered {
            Ok(n) => info!(
                commands = n,
                per_guild = self.guild.is_some(),
                "slash commands registered"
            ),
            Err(e) => warn!(error = %e, "slash commands not registered"),
        }
    }

    async fn message(&self, ctx: Context, message: Message) {
        let Ok(_permit) = self.in_flight.acquire().await else {
            return;
        };
        if message.author.bot {
            return;
        }
        // A message replayed after a gateway resume or restart is answered once.
        let id = format!("m{}", message.id);
        if !self.first_time(&id).await {
            return;
        }
        self.on_message(&ctx, message).await;
        self.done(&id).await;
    }

    async fn interaction_create(&self, ctx: Context, interaction: Interaction) {
        let Ok(_permit) = self.in_flight.acquire().await else {
            return;
        };
        let id = format!("i{}", interaction.id());
        if !self.first_time(&id).await {
            return;
        }
        match interaction {
            Interaction::Command(command) => self.on_command(&ctx, command).await,
            Interaction::Component(press) => self.on_press(&ctx, press).await,
            _ => {}
        }
        self.done(&id).await;
    }
}

impl Handler {
    async fn first_time(&self, id: &str) -> bool {
        match self.engine.store().begin_update(PLATFORM, id).await {
            Ok(first) => {
                if !first {
                    info!("discord event seen before; skipped");
                }
                first
            }
            Err(e) => {
                warn!(error = %e, "could not record an event; handling it anyway");
                true
            }
        }
    }

    async fn done(&self, id: &str) {
        if let Err(e) = self.engine.store().finish_update(PLATFORM, id).await {
            warn!(error = %e, "could not record an event as done");
        }
    }

    async fn on_message(&self, ctx: &Context, message: Message) {
        let ctx = ctx.clone();
        let Some(&me) = self.me.get() else {
            return;
        };
        let public = message.guild_id.is_some();
        // Staff commands: typed in the staff channel, a ticket's thread (by staff), or a DM;
        // staff by role.
        let roles = message
            .member
            .as_ref()
            .map(|m| m.roles.clone())
            .unwrap_or_default();
        let has_staff_role = self.staff_role.is_some_and(|r| roles.contains(&r));
        if let Some(parsed) = staff::parse_command(&message.content)
            && (!public || Some(message.channel_id) == self.staff_channel || has_staff_role)
        {
            let answer = match parsed {
                Ok((reference, action)) => {
                    self.staff_act(message.author.id, &roles, &reference, action)
                        .await
                }
                Err(usage) => usage,
            };
            send(
                &ctx,
                message.channel_id,
                &[Reply::text(crate::markup::escape(&answer))],
            )
            .await;
            return;
        }
        let text = if public {
            if !message.mentions_user_id(me) {
                return;
            }
            // Without the mention itself (`<@id>` or `<@!id>`).
            message
                .content
                .replace(&format!("<@{me}>"), "")
                .replace(&format!("<@!{me}>"), "")
                .trim()
                .to_string()
        } else {
            message.content.clone()
        };
        let _turn = self.turn(message.channel_id, &message.author).await;
        let sender = sender(&message.author, message.channel_id, public);
        let _ = message.channel_id.broadcast_typing(&ctx.http).await;
        let content = match message.attachments.first() {
            // Files only in DMs: never personal data in a server channel.
            Some(attachment) if !public => {
                let caption = (!text.trim().is_empty()).then(|| text.clone());
                let mut upload = Upload {
                    name: attachment.filename.clone(),
                    declared_type: attachment.content_type.clone(),
                    declared_size: Some(u64::from(attachment.size)),
                    bytes: Vec::new(),
                    caption,
                };
                if upload.declared_size <= Some(MAX_ATTACHMENT_BYTES as u64) {
                    match attachment.download().await {
                        Ok(bytes) => {
                            upload.declared_size = Some(bytes.len() as u64);
                            upload.bytes = bytes;
                        }
                        Err(e) => {
                            warn!(error = %e, "discord attachment download failed");
                            send(
                                &ctx,
                                message.channel_id,
                                &[Reply::text(
                                    "Sorry, I couldn't fetch that file from Discord. Please send it again.",
                                )],
                            )
                            .await;
                            return;
                        }
                    }
                }
                Content::File(upload)
            }
            _ => Content::Text(text),
        };
        let replies = self
            .engine
            .handle(Inbound {
                from: sender,
                content,
            })
            .await;
        send(&ctx, message.channel_id, &replies).await;
    }
}

impl Handler {
    async fn turn(&self, channel: ChannelId, user: &User) -> tokio::sync::OwnedMutexGuard<()> {
        let lock = {
            let mut turns = self.turns.lock().expect("poisoned");
            if turns.len() > 10_000 {
                turns.retain(|_, l| Arc::strong_count(l) > 1);
            }
            turns
                .entry((channel.get(), user.id.get()))
                .or_default()
                .clone()
        };
        lock.lock_owned().await
    }

    async fn on_command(&self, ctx: &Context, command: CommandInteraction) {
        let public = command.guild_id.is_some();
        let name = command.data.name.as_str();
        let text = match name {
            "ask" => command
                .data
                .options
                .iter()
                .find(|o| o.name == "question")
                .and_then(|o| o.value.as_str())
                .unwrap_or("")
                .to_string(),
            "help" | "contact" | "status" | "language" => format!("/{name}"),
            "ticket" => "/contact".to_string(),
            _ => return,
        };
        // In a server, `/ticket` and `/status` go to the user's DM: only they see it.
        if public && matches!(name, "ticket" | "status") {
            let note = if name == "ticket" {
                "I've sent you a direct message to write your request there, where your details stay private."
            } else {
                "I've sent your requests to you in a direct message."
            };
            self.move_to_dm(
                ctx,
                &command.user,
                Content::Text(text),
                |content| {
                    command.create_response(
                        &ctx.http,
                        CreateInteractionResponse::Message(
                            CreateInteractionResponseMessage::new()
                                .content(content)
                                .ephemeral(true),
                        ),
                    )
                },
                note,
            )
            .await;
            return;
        }
        // Acknowledge within Discord's 3 seconds, then answer.
        if let Err(e) = command
            .create_response(
                &ctx.http,
                CreateInteractionResponse::Defer(CreateInteractionResponseMessage::new()),
            )
            .await
        {
            warn!(error = %e, "could not acknowledge a command");
            return;
        }
        let _turn = self.turn(command.channel_id, &command.user).await;
        let replies = self
            .engine
            .handle(Inbound {
                from: sender(&command.user, command.channel_id, public),
                content: Content::Text(text),
            })
            .await;
        for (i, message) in render::messages(&replies).into_iter().enumerate() {
            let result = if i == 0 {
                command
                    .edit_response(
                        &ctx.http,
                        serenity::all::EditInteractionResponse::new()
                            .content(message.text)
                            .components(components(&message.buttons))
                            .allowed_mentions(CreateAllowedMentions::new()),
                    )
                    .await
                    .map(|_| ())
            } else {
                command
                    .create_followup(
                        &ctx.http,
                        CreateInteractionResponseFollowup::new()
                            .content(message.text)
                            .components(components(&message.buttons))
                            .allowed_mentions(CreateAllowedMentions::new()),
                    )
                    .await
                    .map(|_| ())
            };
            if let Err(e) = result {
                warn!(error = %e, "a command's answer was not delivered");
            }
        }
    }

    async fn on_press(&self, ctx: &Context, press: ComponentInteraction) {
        let public = press.guild_id.is_some();
        let data = press.data.custom_id.clone();
        if let Some((reference, action)) = staff::parse_button(&data) {
            let roles = press
                .member
                .as_ref()
                .map(|m| m.roles.clone())
                .unwrap_or_default();
            let answer = self
                .staff_act(press.user.id, &roles, &reference, action)
                .await;
            let _ = press
                .create_response(
                    &ctx.http,
                    CreateInteractionResponse::Message(
                        CreateInteractionResponseMessage::new()
                            .content(crate::markup::escape(&answer))
                            .ephemeral(true),
                    ),
                )
                .await;
            return;
        }
        if public && data.starts_with(PRIVATE_PREFIX) {
            // "Continue in a private chat": the flow starts in the user's DM.
            self.move_to_dm(ctx, &press.user, Content::Button(data), |content| {
                press.create_response(
                    &ctx.http,
                    CreateInteractionResponse::Message(
                        CreateInteractionResponseMessage::new()
                            .content(content)
                            .ephemeral(true),
                    ),
                )
            }, "I've sent you a direct message: let's continue there, where your details stay private.")
            .await;
            return;
        }
        // The acknowledgement disables this message's buttons (in a DM: a step answers once;
        // in a channel the FAQ buttons stay for others).
        let ack = if public {
            CreateInteractionResponse::Acknowledge
        } else {
            CreateInteractionResponse::UpdateMessage(
                CreateInteractionResponseMessage::new().components(disabled(&press.message)),
            )
        };
        if let Err(e) = press.create_response(&ctx.http, ack).await {
            warn!(error = %e, "could not acknowledge a button press");
        }
        let _turn = self.turn(press.channel_id, &press.user).await;
        let replies = self
            .engine
            .handle(Inbound {
                from: sender(&press.user, press.channel_id, public),
                content: Content::Button(data),
            })
            .await;
        send(ctx, press.channel_id, &replies).await;
    }

    /// A staff action by a member with `roles`; what to tell them.
    async fn staff_act(
        &self,
        user: UserId,
        roles: &[serenity::all::RoleId],
        reference: &str,
        action: staff::Action,
    ) -> String {
        let is_staff = self.staff_role.is_some_and(|r| roles.contains(&r));
        let actor = format!("{PLATFORM}:{user}");
        staff::answer(self.engine.store(), &actor, is_staff, reference, action).await
    }

    /// Opens (or finds) the user's DM, hands `content` to the core as said there, sends the
    /// replies there, and answers the interaction with an ephemeral `note` (or the reason it
    /// could not: DMs closed).
    async fn move_to_dm<F, Fut>(
        &self,
        ctx: &Context,
        user: &User,
        content: Content,
        respond: F,
        note: &str,
    ) where
        F: FnOnce(String) -> Fut,
        Fut: Future<Output = serenity::Result<()>>,
    {
        let dm = match user.create_dm_channel(&ctx.http).await {
            Ok(dm) => dm,
            Err(e) => {
                debug!(error = %e, "no DM channel");
                let _ = respond("I can't send you a direct message. Please allow direct messages from server members, then try again.".into()).await;
                return;
            }
        };
        if let Err(e) = respond(note.to_string()).await {
            warn!(error = %e, "could not acknowledge an interaction");
        }
        let _turn = self.turn(dm.id, user).await;
        let replies = self
            .engine
            .handle(Inbound {
                from: sender(user, dm.id, false),
                content,
            })
            .await;
        send(ctx, dm.id, &replies).await;
    }
}

fn sender(user: &User, channel: ChannelId, public: bool) -> Sender {
    Sender {
        platform: PLATFORM.into(),
        user: user.id.get().to_string(),
        chat: channel.get().to_string(),
        public,
    }
}

async fn send(ctx: &Context, channel: ChannelId, replies: &[Reply]) {
    if let Err(e) = try_send(&ctx.http, channel, replies, None).await {
        // Logged without the text: it may hold what the user typed.
        warn!(error = %e, "discord message not delivered");
    }
}

/// Sends the replies in order, a file attached to the last; stops at the first failure.
async fn try_send(
    http: &serenity::all::Http,
    channel: ChannelId,
    replies: &[Reply],
    file: Option<serenity::all::CreateAttachment>,
) -> serenity::Result<()> {
    let messages = render::messages(replies);
    let last = messages.len().saturating_sub(1);
    let mut file = file;
    for (i, message) in messages.into_iter().enumerate() {
        let mut builder = CreateMessage::new()
            .content(message.text)
            .components(components(&message.buttons))
            .allowed_mentions(CreateAllowedMentions::new());
        if i == last
            && let Some(file) = file.take()
        {
            builder = builder.add_file(file);
        }
        channel.send_message(http, builder).await?;
    }
    Ok(())
}

/// Sends outbox messages: to a user's DM, or to the staff channel (with the ticket's file).
struct Delivery {
    http: Arc<serenity::all::Http>,
    staff_channel: Option<ChannelId>,
    /// A thread per ticket in the staff channel.
    staff_threads: bool,
    store: Store,
}

impl Delivery {
    /// The staff channel's thread for a ticket, made on first use.
    async fn thread(
        &self,
        channel: ChannelId,
        ticket: i64,
        reference: &str,
    ) -> anyhow::Result<ChannelId> {
        let id = self
            .store
            .thread_for(ticket, PLATFORM, || async {
                let thread = channel
                    .create_thread(
                        &self.http,
                        serenity::all::CreateThread::new(format!("Ticket {reference}"))
                            .kind(serenity::all::ChannelType::PublicThread),
                    )
                    .await?;
                i64::try_from(thread.id.get()).context("a thread id")
            })
            .await?;
        Ok(ChannelId::new(
            u64::try_from(id).context("a stored thread id")?,
        ))
    }
}

impl Deliver for Delivery {
    async fn deliver(&self, item: &OutboxItem) -> anyhow::Result<()> {
        let staff = item.chat == STAFF_CHAT;
        let mut channel = if staff {
            self.staff_channel
                .context("no Discord staff channel is configured")?
        } else {
            ChannelId::new(item.chat.parse().context("an outbox channel id")?)
        };
        if let (true, true, Some((ticket, reference))) = (staff, self.staff_threads, &item.ticket) {
            channel = self.thread(channel, *ticket, reference).await?;
        }
        let file = match &item.attachment {
            Some((path, media_type)) => {
                let bytes = tokio::fs::read(path)
                    .await
                    .context("reading a ticket's file")?;
                let name = outbox::file_name(media_type);
                Some(serenity::all::CreateAttachment::bytes(bytes, name))
            }
            None => None,
        };
        try_send(
            &self.http,
            channel,
            std::slice::from_ref(&item.message),
            file,
        )
        .await?;
        Ok(())
    }
}

/// Buttons in rows of five; "continue in a private chat" styled as the primary action.
fn components(buttons: &[Button]) -> Vec<CreateActionRow> {
    let buttons: Vec<CreateButton> = buttons
        .iter()
        .filter(|b| {
            let fits = b.data.len() <= MAX_CUSTOM_ID;
            if !fits {
                warn!(
                    bytes = b.data.len(),
                    "a button's data is too long for Discord"
                );
            }
            fits
        })
        .map(|b| {
            let label: String = b.label.chars().take(MAX_LABEL).collect();
            let style = if b.data.starts_with(PRIVATE_PREFIX) {
                serenity::all::ButtonStyle::Primary
            } else {
                serenity::all::ButtonStyle::Secondary
            };
            CreateButton::new(b.data.clone()).label(label).style(style)
        })
        .collect();
    buttons
        .chunks(BUTTONS_PER_ROW)
        .take(MAX_ROWS)
        .map(|row| CreateActionRow::Buttons(row.to_vec()))
        .collect()
}

/// The message's buttons again, all disabled.
fn disabled(message: &Message) -> Vec<CreateActionRow> {
    message
        .components
        .iter()
        .map(|row| {
            CreateActionRow::Buttons(
                row.components
                    .iter()
                    .filter_map(|c| match c {
                        serenity::all::ActionRowComponent::Button(b) => match &b.data {
                            ButtonKind::NonLink { custom_id, style } => Some(
                                CreateButton::new(custom_id.clone())
                                    .label(b.label.clone().unwrap_or_default())
                                    .style(*style)
                                    .disabled(true),
                            ),
                            _ => None,
                        },
                        _ => None,
                    })
                    .collect(),
            )
        })
        .collect()
}
