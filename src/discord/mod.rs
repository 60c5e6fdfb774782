//! The Discord adapter (serenity): gateway events and interactions become the runner's events,
//! the core's replies become messages with buttons. It decides nothing of what to say, and holds
//! no logic the runner ([`crate::platform`]) has for every platform.
//!
//! - In server channels the bot answers when mentioned and through slash commands (`/ask`,
//!   `/help`, `/contact`, `/ticket`, `/status`, `/language`), registered at start-up in the
//!   configured guild (instant) or globally. In DMs it chats like in a Telegram private chat.
//!   Other talk in a channel is left alone, unrecorded.
//! - Personal data never goes through a server channel: the core offers "continue in a private
//!   chat" there, and pressing it (or `/ticket`, `/status`) opens a DM and carries on in it; the
//!   channel gets an ephemeral note, in the core's words, that only the user sees.
//! - Interactions are acknowledged at once (a button press in a DM by disabling the buttons of
//!   its message, so a finished step cannot be answered twice; a command or a staff button by
//!   deferring), then the runner's answer edits the deferred response.
//! - Staff are members with the staff role, checked from the member in a server and fetched
//!   from the guild in a DM. Each ticket gets a **private** thread in the staff channel: only
//!   staff who can see private threads (Manage Threads) read what users supplied.
//! - serenity's ratelimiter paces REST calls and its shard runner reconnects and resumes the
//!   gateway. `api_url` exists for tests only: it routes REST through a local server and turns
//!   the ratelimiter off (its code path ignores the proxy); production never sets it.

pub mod render;

use std::future::Future;
use std::num::NonZeroU64;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use anyhow::Context as _;
use serenity::all::{
    Attachment, ButtonKind, ChannelId, ChannelType, Command, CommandInteraction, CommandOptionType,
    ComponentInteraction, Context, CreateActionRow, CreateAllowedMentions, CreateAttachment,
    CreateButton, CreateCommand, CreateCommandOption, CreateInteractionResponse,
    CreateInteractionResponseFollowup, CreateInteractionResponseMessage, CreateMessage,
    CreateThread, EditInteractionResponse, EventHandler, GatewayIntents, GuildId, Http,
    HttpBuilder, Interaction, Message, Ready, RoleId, User, UserId,
};
use serenity::async_trait;
use serenity::builder::Builder;
use tracing::{debug, info, warn};

use crate::config;
use crate::core::commands::{DISCORD_LOCALES, describe};
use crate::core::notes::Note;
use crate::core::{Button, ButtonData, Engine, Reply, Sender, staff};
use crate::lang::Lang;
use crate::platform::{self, Event, Events, Failure, IncomingFile, Platform, Sending, What};
use crate::store::Store;

pub const PLATFORM: crate::core::Platform = crate::core::Platform::Discord;

/// Discord's limits on components: custom ids, labels, buttons per row, rows per message.
const MAX_CUSTOM_ID: usize = 100;
const MAX_LABEL: usize = 80;
const BUTTONS_PER_ROW: usize = 5;
const MAX_ROWS: usize = 5;

/// Permits of the events being translated: far above any real concurrency; stopping takes
/// them all, so that every event serenity dispatched reaches the runner.
const MAX_IN_FLIGHT: u32 = 10_000;

/// The bot on Discord.
pub struct Discord {
    http: Arc<Http>,
    settings: config::Discord,
    /// The gateway client, built with the REST client above; taken when receiving starts.
    client: tokio::sync::Mutex<Option<serenity::Client>>,
    /// Where the event handler hands events, once receiving starts.
    events: Arc<OnceLock<Events<Discord>>>,
    in_flight: Arc<tokio::sync::Semaphore>,
}

/// Where a message goes.
#[derive(Clone)]
pub enum Target {
    Channel(ChannelId),
    /// An interaction acknowledged by deferring: the first message edits its response, later
    /// ones follow it up (ephemeral ones only for the user who acted).
    Interaction {
        token: Arc<str>,
        answered: Arc<AtomicBool>,
        ephemeral: bool,
        /// Turns true once the interaction is acknowledged (deferred): its answer may be
        /// edited from then on. The acknowledgement runs beside the event's way to the runner,
        /// so that events reach the runner in the order they came.
        acked: tokio::sync::watch::Receiver<bool>,
    },
}

/// How long an answer waits for its interaction's acknowledgement.
const ACK_WAIT: Duration = Duration::from_secs(5);

/// Who acted: the member's roles where Discord sent them (in a server), else fetched.
pub struct Actor {
    user: UserId,
    roles: Option<Vec<RoleId>>,
}

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
    let events = Arc::new(OnceLock::new());
    let in_flight = Arc::new(tokio::sync::Semaphore::new(MAX_IN_FLIGHT as usize));
    let handler = Handler {
        settings: settings.clone(),
        events: events.clone(),
        me: OnceLock::new(),
        in_flight: in_flight.clone(),
    };
    let client = serenity::all::ClientBuilder::new_with_http(http.build(), intents)
        .event_handler(handler)
        .await
        .map_err(|e| failure(&e))
        .context("building the Discord client")?;
    let discord = Discord {
        http: client.http.clone(),
        settings: settings.clone(),
        client: tokio::sync::Mutex::new(Some(client)),
        events,
        in_flight,
    };
    platform::run(engine, Arc::new(discord), shutdown).await
}

/// Translates serenity's events into the runner's.
struct Handler {
    settings: config::Discord,
    events: Arc<OnceLock<Events<Discord>>>,
    /// The bot's own user, known from READY: mentions of it address the bot.
    me: OnceLock<UserId>,
    in_flight: Arc<tokio::sync::Semaphore>,
}

impl Platform for Discord {
    type Target = Target;
    type File = Attachment;
    type Actor = Actor;

    fn name(&self) -> &'static str {
        PLATFORM.as_str()
    }

    async fn receive(
        self: Arc<Self>,
        events: Events<Self>,
        stop: impl Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        let mut client = self
            .client
            .lock()
            .await
            .take()
            .context("the Discord client is already running")?;
        let _ = self.events.set(events);
        let in_flight = self.in_flight.clone();
        let shards = client.shard_manager.clone();
        let started = {
            let mut start = std::pin::pin!(client.start());
            let mut stop = std::pin::pin!(stop);
            tokio::select! {
                started = &mut start => started,
                () = &mut stop => {
                    info!("discord stopping: closing the gateway");
                    shards.shutdown_all().await;
                    start.await
                }
            }
        };
        // Events already dispatched reach the runner before this returns.
        let _ = tokio::time::timeout(
            Duration::from_secs(30),
            in_flight.acquire_many(MAX_IN_FLIGHT),
        )
        .await;
        started.map_err(|e| anyhow::Error::new(failure(&e)).context("the Discord gateway"))
    }

    async fn send(&self, to: &Target, replies: &[Reply], _: Sending) -> Result<(), Failure> {
        for message in render::messages(replies) {
            let (text, buttons) = (message.text, components(&message.buttons));
            match to {
                Target::Channel(channel) => {
                    let builder = CreateMessage::new()
                        .content(text)
                        .components(buttons)
                        .allowed_mentions(CreateAllowedMentions::new());
                    channel
                        .send_message(&self.http, builder)
                        .await
                        .map_err(|e| failure(&e))?;
                }
                Target::Interaction {
                    token,
                    answered,
                    ephemeral,
                    acked,
                } => {
                    let mut acked = acked.clone();
                    let _ = tokio::time::timeout(ACK_WAIT, acked.wait_for(|a| *a)).await;
                    if !answered.swap(true, Ordering::SeqCst) {
                        EditInteractionResponse::new()
                            .content(text)
                            .components(buttons)
                            .allowed_mentions(CreateAllowedMentions::new())
                            .execute(&self.http, token)
                            .await
                            .map_err(|e| failure(&e))?;
                    } else {
                        CreateInteractionResponseFollowup::new()
                            .content(text)
                            .components(buttons)
                            .ephemeral(*ephemeral)
                            .allowed_mentions(CreateAllowedMentions::new())
                            .execute(&self.http, (None, token))
                            .await
                            .map_err(|e| failure(&e))?;
                    }
                }
            }
        }
        Ok(())
    }

    async fn send_file(
        &self,
        to: &Target,
        caption: &Reply,
        bytes: Vec<u8>,
        name: &'static str,
    ) -> Result<(), Failure> {
        let Target::Channel(channel) = to else {
            return Err(Failure::new("files go to channels only"));
        };
        let messages = render::messages(std::slice::from_ref(caption));
        let last = messages.len().saturating_sub(1);
        let mut file = Some(CreateAttachment::bytes(bytes, name));
        for (i, message) in messages.into_iter().enumerate() {
            let mut builder = CreateMessage::new()
                .content(message.text)
                .allowed_mentions(CreateAllowedMentions::new());
            if i == last
                && let Some(file) = file.take()
            {
                builder = builder.add_file(file);
            }
            channel
                .send_message(&self.http, builder)
                .await
                .map_err(|e| failure(&e))?;
        }
        Ok(())
    }

    async fn download(&self, file: Attachment) -> Result<Vec<u8>, Failure> {
        file.download().await.map_err(|e| failure(&e))
    }

    async fn finish(&self, to: &Target) {
        // A deferred interaction the bot had nothing to say to (a dropped flood, a blocked
        // user, a repeat) would show "thinking…" until Discord gives up: its answer goes.
        if let Target::Interaction {
            token,
            answered,
            acked,
            ..
        } = to
            && !answered.load(Ordering::SeqCst)
        {
            let mut acked = acked.clone();
            let _ = tokio::time::timeout(ACK_WAIT, acked.wait_for(|a| *a)).await;
            if let Err(e) = self.http.delete_original_interaction_response(token).await {
                debug!(error = %failure(&e), "could not close an unanswered interaction");
            }
        }
    }

    async fn typing(&self, to: &Target) {
        if let Target::Channel(channel) = to {
            let _ = channel.broadcast_typing(&self.http).await;
        }
    }

    async fn is_staff(&self, actor: &Actor) -> bool {
        let Some(role) = self.settings.staff_role.map(RoleId::new) else {
            return false;
        };
        if let Some(roles) = &actor.roles {
            return roles.contains(&role);
        }
        // A DM carries no member: the guild says which roles the user has there.
        let Some(guild) = self.settings.guild_id.map(GuildId::new) else {
            debug!("no guild configured: staff cannot act from a DM");
            return false;
        };
        match guild.member(&self.http, actor.user).await {
            Ok(member) => member.roles.contains(&role),
            Err(e) => {
                debug!(error = %failure(&e), "no guild member for a DM's author");
                false
            }
        }
    }

    fn user_chat(&self, chat: &str) -> anyhow::Result<Target> {
        Ok(Target::Channel(channel_id(chat)?))
    }

    fn staff_place(&self) -> Option<Target> {
        staff_channel(&self.settings).map(Target::Channel)
    }

    fn ticket_threads(&self) -> bool {
        self.settings.staff_threads
    }

    async fn open_thread(&self, title: &str) -> Result<i64, Failure> {
        let Some(Target::Channel(channel)) = self.staff_place() else {
            return Err(Failure::new("no staff channel"));
        };
        // Private: a ticket's thread carries everything the user supplied.
        let thread = channel
            .create_thread(
                &self.http,
                CreateThread::new(title)
                    .kind(ChannelType::PrivateThread)
                    .invitable(false),
            )
            .await
            .map_err(|e| failure(&e))?;
        i64::try_from(thread.id.get()).map_err(|_| Failure::new("a thread id out of range"))
    }

    fn staff_thread(&self, thread: i64) -> anyhow::Result<Target> {
        let id = u64::try_from(thread)
            .ok()
            .and_then(NonZeroU64::new)
            .context("a stored thread id that is no id")?;
        Ok(Target::Channel(ChannelId::from(id)))
    }
}

/// The configured staff channel.
fn staff_channel(settings: &config::Discord) -> Option<ChannelId> {
    settings
        .staff_channel
        .and_then(NonZeroU64::new)
        .map(ChannelId::from)
}

/// A channel id kept as text.
fn channel_id(text: &str) -> anyhow::Result<ChannelId> {
    let id: NonZeroU64 = text.parse().context("a stored channel id that is no id")?;
    Ok(ChannelId::from(id))
}

/// A Discord error as it may be logged and stored: its kind and status, never a URL (they hold
/// channel and user ids) nor a body.
fn failure(error: &serenity::Error) -> Failure {
    use serenity::all::HttpError;
    Failure::new(match error {
        serenity::Error::Http(HttpError::UnsuccessfulRequest(response)) => format!(
            "Discord refused: HTTP {} (code {})",
            response.status_code.as_u16(),
            response.error.code
        ),
        serenity::Error::Http(HttpError::Request(e)) if e.is_timeout() => {
            "network: timed out".into()
        }
        serenity::Error::Http(HttpError::Request(e)) if e.is_connect() => {
            "network: cannot connect".into()
        }
        serenity::Error::Http(_) => "an HTTP error".into(),
        serenity::Error::Gateway(e) => format!("gateway: {e}"),
        serenity::Error::Json(_) | serenity::Error::Decode(..) => {
            "an answer of Discord that does not parse".into()
        }
        serenity::Error::Io(e) => format!("io: {}", e.kind()),
        serenity::Error::Tungstenite(_) => "the gateway connection".into(),
        _ => "a Discord client error".into(),
    })
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
        let guild = self.settings.guild_id.map(GuildId::new);
        let registered = match guild {
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
                per_guild = guild.is_some(),
                "slash commands registered"
            ),
            Err(e) => warn!(error = %failure(&e), "slash commands not registered"),
        }
    }

    async fn message(&self, ctx: Context, message: Message) {
        let Ok(_permit) = self.in_flight.acquire().await else {
            return;
        };
        if let Some(event) = self.on_message(&ctx, message).await {
            self.pass(event).await;
        }
    }

    async fn interaction_create(&self, ctx: Context, interaction: Interaction) {
        let Ok(_permit) = self.in_flight.acquire().await else {
            return;
        };
        let event = match interaction {
            Interaction::Command(command) => self.on_command(&ctx, command).await,
            Interaction::Component(press) => self.on_press(&ctx, press).await,
            _ => None,
        };
        if let Some(event) = event {
            self.pass(event).await;
        }
    }
}

impl Handler {
    async fn pass(&self, event: Event<Discord>) {
        let Some(events) = self.events.get() else {
            return;
        };
        if events.send(event).await.is_err() {
            debug!("an event after the runner stopped");
        }
    }

    /// Whether `channel` is the staff channel or a thread in it (a ticket's). Asked of
    /// Discord only for staff commands typed elsewhere than the staff channel: they are rare.
    async fn in_staff_channel(&self, ctx: &Context, channel: ChannelId) -> bool {
        let Some(staff) = staff_channel(&self.settings) else {
            return false;
        };
        if channel == staff {
            return true;
        }
        match channel.to_channel(&ctx.http).await {
            Ok(serenity::all::Channel::Guild(c)) => c.parent_id == Some(staff),
            Ok(_) => false,
            Err(e) => {
                debug!(error = %failure(&e), "could not look up a channel");
                false
            }
        }
    }

    /// A message, if it is for the bot: in a DM, a mention of the bot, or a staff command in
    /// the staff channel or one of its threads (a ticket's).
    async fn on_message(&self, ctx: &Context, message: Message) -> Option<Event<Discord>> {
        let me = *self.me.get()?;
        if message.author.bot {
            return None;
        }
        let public = message.guild_id.is_some();
        let roles = message.member.as_ref().map(|m| m.roles.clone());
        let staff_command = public && staff::parse_command(&message.content).is_some();
        let staff_place = staff_command && self.in_staff_channel(ctx, message.channel_id).await;
        let text = if !public || staff_place {
            message.content.clone()
        } else if message.mentions_user_id(me) {
            // Without the mention itself (`<@id>` or `<@!id>`).
            message
                .content
                .replace(&format!("<@{me}>"), "")
                .replace(&format!("<@!{me}>"), "")
                .trim()
                .to_string()
        } else {
            return None;
        };
        let what = match message.attachments.first() {
            Some(attachment) => {
                let caption = (!text.trim().is_empty()).then(|| text.clone());
                What::File(IncomingFile {
                    size: u64::from(attachment.size),
                    name: attachment.filename.clone(),
                    declared_type: attachment.content_type.clone(),
                    caption,
                    file: attachment.clone(),
                })
            }
            None => What::Text(text),
        };
        let actor = Actor {
            user: message.author.id,
            roles,
        };
        let mut event = Event::new(
            sender(&message.author, message.channel_id, public),
            actor,
            Target::Channel(message.channel_id),
            what,
        )
        .id(format!("m{}", message.id));
        event.staff_place = staff_place;
        Some(event)
    }

    async fn on_command(
        &self,
        ctx: &Context,
        command: CommandInteraction,
    ) -> Option<Event<Discord>> {
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
            _ => return None,
        };
        let id = format!("i{}", command.id);
        // In a server, `/ticket` and `/status` go to the user's DM: only they see it.
        let moving = public && matches!(name, "ticket" | "status");
        let target = defer(ctx, &command.token, command.id, moving);
        let actor = Actor {
            user: command.user.id,
            roles: command.member.as_ref().map(|m| m.roles.clone()),
        };
        let what = What::Text(text);
        if moving {
            let note = if name == "ticket" {
                Note::TicketInDirect
            } else {
                Note::StatusInDirect
            };
            let here = sender(&command.user, command.channel_id, public);
            let event = self.to_dm(ctx, &command.user, here, actor, target, what, note);
            return Some(event.await.id(id));
        }
        let sender = sender(&command.user, command.channel_id, public);
        let mut event = Event::new(sender, actor, target, what).id(id);
        event.locale = Lang::parse(&command.locale);
        Some(event)
    }

    async fn on_press(&self, ctx: &Context, press: ComponentInteraction) -> Option<Event<Discord>> {
        let public = press.guild_id.is_some();
        let data = press.data.custom_id.clone();
        let id = format!("i{}", press.id);
        let actor = Actor {
            user: press.user.id,
            roles: press.member.as_ref().map(|m| m.roles.clone()),
        };
        let sender = sender(&press.user, press.channel_id, public);
        let parsed = data.parse::<ButtonData>();
        if matches!(parsed, Ok(ButtonData::Staff(..))) {
            // Answered to the one who pressed, in the place they pressed it.
            let target = defer(ctx, &press.token, press.id, true);
            return Some(Event::new(sender, actor, target, What::Button(data)).id(id));
        }
        if public && matches!(parsed, Ok(ButtonData::Private(_))) {
            // "Continue in a private chat": the flow starts in the user's DM.
            let target = defer(ctx, &press.token, press.id, true);
            let what = What::Button(data);
            let event = self.to_dm(
                ctx,
                &press.user,
                sender,
                actor,
                target,
                what,
                Note::MovedToDirect,
            );
            return Some(event.await.id(id));
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
        // Beside the event's way to the runner (no wait before it: events keep their order).
        let (http, press_id, token) = (ctx.http.clone(), press.id, press.token.clone());
        tokio::spawn(async move {
            if let Err(e) = ack.execute(&http, (press_id, &token)).await {
                warn!(error = %failure(&e), "could not acknowledge a button press");
            }
        });
        let target = Target::Channel(press.channel_id);
        Some(Event::new(sender, actor, target, What::Button(data)).id(id))
    }

    /// The event that carries on in the user's DM, with `note` said where they acted; or, when
    /// their DMs are closed, the note that says so.
    #[allow(clippy::too_many_arguments)]
    async fn to_dm(
        &self,
        ctx: &Context,
        user: &User,
        from_here: Sender,
        actor: Actor,
        here: Target,
        what: What<Attachment>,
        note: Note,
    ) -> Event<Discord> {
        match user.create_dm_channel(&ctx.http).await {
            Ok(dm) => {
                let mut event = Event::new(
                    sender(user, dm.id, false),
                    actor,
                    Target::Channel(dm.id),
                    what,
                );
                event.moved = Some((here, note));
                event
            }
            Err(e) => {
                debug!(error = %failure(&e), "no DM channel");
                Event::new(from_here, actor, here, What::Note(Note::DirectClosed))
            }
        }
    }
}

/// Acknowledges an interaction within Discord's 3 seconds by deferring its answer (for the
/// user alone when `ephemeral`), beside the event's way to the runner; where its answer goes.
fn defer(ctx: &Context, token: &str, id: serenity::all::InteractionId, ephemeral: bool) -> Target {
    let (acked_tx, acked) = tokio::sync::watch::channel(false);
    let (http, owned_token) = (ctx.http.clone(), token.to_string());
    tokio::spawn(async move {
        let deferred = CreateInteractionResponse::Defer(
            CreateInteractionResponseMessage::new().ephemeral(ephemeral),
        )
        .execute(&http, (id, &owned_token))
        .await;
        if let Err(e) = deferred {
            warn!(error = %failure(&e), "could not acknowledge an interaction");
        }
        let _ = acked_tx.send(true);
    });
    Target::Interaction {
        token: token.into(),
        answered: Arc::new(AtomicBool::new(false)),
        ephemeral,
        acked,
    }
}

fn sender(user: &User, channel: ChannelId, public: bool) -> Sender {
    Sender {
        platform: PLATFORM,
        user: user.id.get().to_string(),
        chat: channel.get().to_string(),
        public,
    }
}

/// Buttons in rows of five; "continue in a private chat" styled as the primary action.
fn components(buttons: &[Button]) -> Vec<CreateActionRow> {
    let buttons: Vec<CreateButton> = buttons
        .iter()
        .filter_map(|b| {
            let data = crate::outgoing::button_data(b, MAX_CUSTOM_ID)?;
            let label: String = b.label.chars().take(MAX_LABEL).collect();
            let style = if matches!(b.data, ButtonData::Private(_)) {
                serenity::all::ButtonStyle::Primary
            } else {
                serenity::all::ButtonStyle::Secondary
            };
            Some(CreateButton::new(data).label(label).style(style))
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
