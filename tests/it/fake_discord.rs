//! A fake Discord on 127.0.0.1: the REST calls the adapter makes, recorded, and a gateway that
//! says hello, answers Identify with READY and heartbeats with ACKs, and dispatches the events
//! the tests push. The real serenity client connects to it.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::extract::ws::{Message as WsMessage, WebSocket, WebSocketUpgrade};
use axum::http::{Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::{Value, json};
use tokio::sync::{Notify, mpsc};

pub const TOKEN: &str = "discord-test-token";
pub const BOT_ID: &str = "900";
pub const GUILD: &str = "500";
pub const CHANNEL: &str = "600";

#[derive(Debug, Clone)]
pub struct Call {
    pub method: String,
    pub path: String,
    pub body: Value,
    /// What the fake answered (for messages: the message, with its id).
    pub response: Value,
}

#[derive(Default)]
struct Inner {
    calls: Vec<Call>,
    next_id: u64,
    files: HashMap<String, Vec<u8>>,
    /// The gateway connection's event sender, once the bot has connected.
    gateway: Option<mpsc::UnboundedSender<Value>>,
    identified: bool,
    /// Roles of guild members, as `GET /guilds/{guild}/members/{user}` answers.
    members: HashMap<String, Vec<String>>,
    /// The token is refused (401) everywhere.
    refuse_token: bool,
    /// Threads made, by id: their parent channel.
    threads: HashMap<String, String>,
}

#[derive(Default)]
struct Shared {
    inner: Mutex<Inner>,
    changed: Notify,
    base: Mutex<String>,
}

pub struct FakeDiscord {
    pub url: String,
    shared: Arc<Shared>,
    cursor: Mutex<usize>,
}

impl FakeDiscord {
    pub async fn start() -> Self {
        let shared = Arc::new(Shared::default());
        let app = Router::new()
            .route("/gw", get(gateway))
            .fallback(rest)
            .with_state(shared.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        *shared.base.lock().unwrap() = url.clone();
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        FakeDiscord {
            url,
            shared,
            cursor: Mutex::new(0),
        }
    }

    /// Waits until the bot has identified on the gateway.
    pub async fn connected(&self) {
        let deadline = Instant::now() + Duration::from_secs(20);
        while !self.shared.inner.lock().unwrap().identified {
            assert!(Instant::now() < deadline, "the bot never identified");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    fn next_id(&self) -> String {
        let mut inner = self.shared.inner.lock().unwrap();
        inner.next_id += 1;
        (10_000 + inner.next_id).to_string()
    }

    fn dispatch(&self, event: &str, data: Value) {
        let inner = self.shared.inner.lock().unwrap();
        let gateway = inner.gateway.as_ref().expect("the bot is connected");
        gateway
            .send(json!({"op": 0, "t": event, "d": data}))
            .expect("gateway open");
    }

    pub fn user(id: &str) -> Value {
        json!({"id": id, "username": format!("alum{id}"), "discriminator": "0",
               "global_name": null, "avatar": null, "bot": false})
    }

    /// A message from `user` in the server channel (mentioning the bot when `mention`) or, with
    /// `channel: None`, in their DM with the bot.
    pub fn say(&self, user: &str, channel: Option<&str>, text: &str, attachments: Value) {
        self.say_with_roles(user, channel, text, attachments, &[]);
    }

    /// `say`, by a server member holding `roles`.
    pub fn say_with_roles(
        &self,
        user: &str,
        channel: Option<&str>,
        text: &str,
        attachments: Value,
        roles: &[&str],
    ) {
        let mentions = if text.contains(&format!("<@{BOT_ID}>")) {
            json!([{"id": BOT_ID, "username": "alumnibot", "discriminator": "0", "global_name": null, "avatar": null, "bot": true}])
        } else {
            json!([])
        };
        let mut message = message_json(
            &self.next_id(),
            channel.unwrap_or(&dm_channel(user)),
            Self::user(user),
            text,
            attachments,
        );
        message["mentions"] = mentions;
        if channel.is_some() {
            message["guild_id"] = json!(GUILD);
            message["member"] = json!({"roles": roles, "joined_at": "2026-01-01T00:00:00.000000+00:00",
                                       "deaf": false, "mute": false, "flags": 0});
        }
        self.dispatch("MESSAGE_CREATE", message);
    }

    /// An attachment served by the fake's CDN, as a message's `attachments`.
    pub fn attachment(&self, bytes: &[u8], name: &str, mime: &str) -> Value {
        let id = self.next_id();
        self.shared
            .inner
            .lock()
            .unwrap()
            .files
            .insert(id.clone(), bytes.to_vec());
        json!([{"id": id, "filename": name, "size": bytes.len(), "content_type": mime,
                "url": format!("{}/attachments/{id}", self.url),
                "proxy_url": format!("{}/attachments/{id}", self.url)}])
    }

    fn interaction(&self, user: &str, channel: Option<&str>, kind: u8, data: Value) -> Value {
        let id = self.next_id();
        let mut interaction = json!({
            "id": id, "application_id": BOT_ID, "type": kind, "data": data,
            "channel_id": channel.map_or_else(|| dm_channel(user), str::to_string),
            "token": format!("token-{id}"), "version": 1, "locale": "en-US",
            "entitlements": [], "attachment_size_limit": 10_485_760,
            "app_permissions": "0", "authorizing_integration_owners": {},
        });
        match channel {
            Some(_) => {
                interaction["guild_id"] = json!(GUILD);
                interaction["member"] = json!({"user": Self::user(user), "roles": [],
                    "joined_at": "2026-01-01T00:00:00.000000+00:00", "deaf": false, "mute": false,
                    "flags": 0, "permissions": "0"});
            }
            None => interaction["user"] = Self::user(user),
        }
        interaction
    }

    /// A slash command; returns the interaction id.
    pub fn command(&self, user: &str, channel: Option<&str>, name: &str, options: Value) -> String {
        let interaction = self.interaction(
            user,
            channel,
            2,
            json!({"id": "1", "name": name, "type": 1, "options": options}),
        );
        let id = interaction["id"].as_str().unwrap().to_string();
        self.dispatch("INTERACTION_CREATE", interaction);
        id
    }

    /// A press of the button `custom_id` on the bot's `message` (a recorded message body with
    /// its id); returns the interaction id.
    pub fn press(
        &self,
        user: &str,
        channel: Option<&str>,
        message: &Value,
        custom_id: &str,
    ) -> String {
        let mut interaction = self.interaction(
            user,
            channel,
            3,
            json!({"custom_id": custom_id, "component_type": 2}),
        );
        interaction["message"] = message.clone();
        let id = interaction["id"].as_str().unwrap().to_string();
        self.dispatch("INTERACTION_CREATE", interaction);
        id
    }

    /// `user` is a member of the guild with `roles`.
    pub fn member(&self, user: &str, roles: &[&str]) {
        self.shared.inner.lock().unwrap().members.insert(
            user.to_string(),
            roles.iter().map(|r| r.to_string()).collect(),
        );
    }

    /// Refuse the bot's token from now on: REST calls get 401, the gateway closes with 4004.
    pub fn refuse_token(&self) {
        self.shared.inner.lock().unwrap().refuse_token = true;
    }

    pub fn calls(&self) -> Vec<Call> {
        self.shared.inner.lock().unwrap().calls.clone()
    }

    /// Waits for the next call (after those already read) matching `method` and a path ending.
    pub async fn next(&self, method: &str, path_ends: &str) -> Call {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let notified = self.shared.changed.notified();
            {
                let calls = self.calls();
                let mut cursor = self.cursor.lock().unwrap();
                if let Some(offset) = calls[*cursor..]
                    .iter()
                    .position(|c| c.method == method && c.path.ends_with(path_ends))
                {
                    let call = calls[*cursor + offset].clone();
                    *cursor += offset + 1;
                    return call;
                }
            }
            assert!(
                Instant::now() < deadline,
                "no {method} …{path_ends}; calls: {:#?}",
                self.calls()
            );
            let _ = tokio::time::timeout(Duration::from_millis(200), notified).await;
        }
    }

    /// The next message the bot posted (any channel), as Discord returned it (with its id and
    /// channel), plus the `allowed_mentions` it was sent with.
    pub async fn next_message(&self) -> Value {
        let call = self.next("POST", "/messages").await;
        let mut message = call.response;
        message["allowed_mentions"] = call.body["allowed_mentions"].clone();
        message
    }

    pub async fn no_message_within(&self, wait: Duration) {
        tokio::time::sleep(wait).await;
        let cursor = *self.cursor.lock().unwrap();
        let posted: Vec<Call> = self.calls()[cursor..]
            .iter()
            .filter(|c| c.path.ends_with("/messages"))
            .cloned()
            .collect();
        assert!(posted.is_empty(), "unexpected messages: {posted:#?}");
    }
}

pub fn dm_channel(user: &str) -> String {
    format!("7{user}")
}

pub fn content(message: &Value) -> String {
    message["content"].as_str().unwrap_or_default().to_string()
}

/// (label, custom_id, disabled) of every button of a message body.
pub fn buttons(message: &Value) -> Vec<(String, String, bool)> {
    message["components"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|row| row["components"].as_array().cloned().unwrap_or_default())
        .map(|b| {
            (
                b["label"].as_str().unwrap_or_default().to_string(),
                b["custom_id"].as_str().unwrap_or_default().to_string(),
                b["disabled"].as_bool().unwrap_or(false),
            )
        })
        .collect()
}

fn message_json(id: &str, channel: &str, author: Value, text: &str, attachments: Value) -> Value {
    json!({
        "id": id, "channel_id": channel, "author": author, "content": text,
        "timestamp": "2026-11-28T00:00:00.000000+00:00", "edited_timestamp": null,
        "tts": false, "mention_everyone": false, "mentions": [], "mention_roles": [],
        "attachments": attachments, "embeds": [], "pinned": false, "type": 0,
    })
}

fn bot_user() -> Value {
    json!({"id": BOT_ID, "username": "alumnibot", "discriminator": "0", "global_name": null,
           "avatar": null, "bot": true})
}

async fn rest(
    State(shared): State<Arc<Shared>>,
    method: Method,
    uri: Uri,
    body: Bytes,
) -> Response {
    let path = uri.path().to_string();
    if let Some(id) = path.strip_prefix("/attachments/") {
        return match shared.inner.lock().unwrap().files.get(id) {
            Some(bytes) => bytes.clone().into_response(),
            None => StatusCode::NOT_FOUND.into_response(),
        };
    }
    let body: Value = match serde_json::from_slice(&body) {
        Ok(v) => v,
        // Multipart (files): the JSON part.
        Err(_) => Value::Null,
    };
    let base = shared.base.lock().unwrap().clone();
    let mut inner = shared.inner.lock().unwrap();
    inner.next_id += 1;
    let new_id = (20_000 + inner.next_id).to_string();
    let member = path
        .strip_prefix(&format!("/api/v10/guilds/{GUILD}/members/"))
        .map(str::to_string);
    let (status, response) = match (method.as_str(), path.as_str()) {
        _ if inner.refuse_token && !path.starts_with("/api/v10/gateway") => (
            StatusCode::UNAUTHORIZED,
            json!({"message": "401: Unauthorized", "code": 0}),
        ),
        ("GET", _)
            if member
                .as_ref()
                .is_some_and(|u| inner.members.contains_key(u)) =>
        {
            let user = member.unwrap_or_default();
            (
                StatusCode::OK,
                json!({"user": FakeDiscord::user(&user), "roles": inner.members[&user].clone(),
                       "joined_at": "2024-01-01T00:00:00Z", "deaf": false, "mute": false,
                       "flags": 0}),
            )
        }
        ("GET", "/api/v10/gateway") | ("GET", "/api/v10/gateway/bot") => (
            StatusCode::OK,
            json!({"url": format!("{}/gw", base.replace("http://", "ws://")), "shards": 1,
                   "session_start_limit": {"total": 1000, "remaining": 1000, "reset_after": 0, "max_concurrency": 1}}),
        ),
        ("POST", "/api/v10/users/@me/channels") => {
            let user = body["recipient_id"]
                .as_str()
                .unwrap_or_default()
                .to_string();
            (
                StatusCode::OK,
                json!({"id": dm_channel(&user), "type": 1, "last_message_id": null,
                       "recipients": [FakeDiscord::user(&user)]}),
            )
        }
        ("PUT", p) if p.ends_with("/commands") => (StatusCode::OK, json!([])),
        ("POST", p) if p.starts_with("/api/v10/channels/") && p.ends_with("/threads") => {
            let parent = p.split('/').nth(4).unwrap_or_default().to_string();
            inner.threads.insert(new_id.clone(), parent.clone());
            (
                StatusCode::CREATED,
                json!({"id": new_id, "type": 11, "guild_id": GUILD, "parent_id": parent,
                       "name": body["name"].clone()}),
            )
        }
        ("GET", p)
            if p.strip_prefix("/api/v10/channels/")
                .is_some_and(|id| inner.threads.contains_key(id)) =>
        {
            let id = p.trim_start_matches("/api/v10/channels/").to_string();
            (
                StatusCode::OK,
                json!({"id": id, "type": 12, "guild_id": GUILD, "parent_id": inner.threads[&id],
                       "name": "Ticket"}),
            )
        }
        ("GET", p) if p.starts_with("/api/v10/channels/") && !p.contains("/messages") => {
            let id = p.trim_start_matches("/api/v10/channels/").to_string();
            (
                StatusCode::OK,
                json!({"id": id, "type": 0, "guild_id": GUILD, "name": "general"}),
            )
        }
        ("DELETE", p) if p.starts_with("/api/v10/webhooks/") => {
            (StatusCode::NO_CONTENT, Value::Null)
        }
        ("POST", p) if p.ends_with("/typing") => (StatusCode::NO_CONTENT, Value::Null),
        ("POST", p) if p.ends_with("/callback") => (StatusCode::NO_CONTENT, Value::Null),
        ("POST", p) if p.starts_with("/api/v10/channels/") && p.ends_with("/messages") => {
            let channel = p.split('/').nth(4).unwrap_or_default();
            let mut message = message_json(
                &new_id,
                channel,
                bot_user(),
                body["content"].as_str().unwrap_or(""),
                json!([]),
            );
            message["components"] = body["components"].clone();
            (StatusCode::OK, message)
        }
        ("PATCH", p) | ("POST", p) if p.starts_with("/api/v10/webhooks/") => {
            let mut message = message_json(
                &new_id,
                CHANNEL,
                bot_user(),
                body["content"].as_str().unwrap_or(""),
                json!([]),
            );
            message["components"] = body["components"].clone();
            (StatusCode::OK, message)
        }
        _ => (
            StatusCode::NOT_FOUND,
            json!({"message": format!("fake: no route {method} {path}"), "code": 0}),
        ),
    };
    inner.calls.push(Call {
        method: method.to_string(),
        path,
        body,
        response: response.clone(),
    });
    drop(inner);
    shared.changed.notify_waiters();
    if status == StatusCode::NO_CONTENT {
        return status.into_response();
    }
    (status, axum::Json(response)).into_response()
}

async fn gateway(State(shared): State<Arc<Shared>>, upgrade: WebSocketUpgrade) -> Response {
    upgrade.on_upgrade(move |socket| session(shared, socket))
}

async fn session(shared: Arc<Shared>, mut socket: WebSocket) {
    let hello = json!({"op": 10, "d": {"heartbeat_interval": 41250}});
    if socket
        .send(WsMessage::Text(hello.to_string().into()))
        .await
        .is_err()
    {
        return;
    }
    let (events, mut pending) = mpsc::unbounded_channel::<Value>();
    let mut seq = 0u64;
    loop {
        tokio::select! {
            incoming = socket.recv() => {
                let Some(Ok(WsMessage::Text(text))) = incoming else { return };
                let frame: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
                match frame["op"].as_u64() {
                    Some(2) | Some(6) if shared.inner.lock().unwrap().refuse_token => {
                        // What Discord does with a bad token: close 4004, "Authentication failed".
                        let close = axum::extract::ws::CloseFrame {
                            code: 4004,
                            reason: "Authentication failed.".into(),
                        };
                        let _ = socket.send(WsMessage::Close(Some(close))).await;
                        return;
                    }
                    Some(2) | Some(6) => {
                        seq += 1;
                        let ready = json!({"op": 0, "s": seq, "t": "READY", "d": {
                            "v": 10, "user": bot_user(), "guilds": [], "session_id": "session-1",
                            "resume_gateway_url": format!("{}/gw", shared.base.lock().unwrap().replace("http://", "ws://")),
                            "shard": [0, 1], "application": {"id": BOT_ID, "flags": 0},
                            "private_channels": [], "presences": [], "relationships": [],
                        }});
                        if socket.send(WsMessage::Text(ready.to_string().into())).await.is_err() {
                            return;
                        }
                        let mut inner = shared.inner.lock().unwrap();
                        inner.gateway = Some(events.clone());
                        inner.identified = true;
                    }
                    Some(1) => {
                        let ack = json!({"op": 11});
                        if socket.send(WsMessage::Text(ack.to_string().into())).await.is_err() {
                            return;
                        }
                    }
                    _ => {}
                }
            }
            Some(mut event) = pending.recv() => {
                seq += 1;
                event["s"] = json!(seq);
                if socket.send(WsMessage::Text(event.to_string().into())).await.is_err() {
                    return;
                }
            }
        }
    }
}
