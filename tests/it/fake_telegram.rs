//! A fake Telegram Bot API on 127.0.0.1: enough of getMe / getUpdates / sendMessage / files for
//! the real teloxide client to run against, recording every call for the tests to inspect.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Value, json};
use tokio::sync::Notify;

pub const BOT_USERNAME: &str = "alumni_test_bot";
pub const TOKEN: &str = "123456:TEST-TOKEN";

#[derive(Debug, Clone)]
pub struct Call {
    /// Lower case: teloxide capitalises method names.
    pub method: String,
    pub body: Value,
    pub at: Instant,
}

#[derive(Default)]
struct Inner {
    updates: Vec<Value>,
    next_update_id: i64,
    next_message_id: i64,
    calls: Vec<Call>,
    files: HashMap<String, Vec<u8>>,
    /// sendMessage calls still to refuse with 429.
    refuse_sends: u32,
    /// sendMessage calls still to fail with 502 Bad Gateway.
    break_sends: u32,
    /// The highest update id handed out by getUpdates.
    delivered: i64,
}

#[derive(Default)]
struct Shared {
    inner: Mutex<Inner>,
    changed: Notify,
}

pub struct FakeTelegram {
    pub url: String,
    shared: Arc<Shared>,
    /// Index into the calls up to which replies were read by `next_message`.
    cursor: Mutex<usize>,
}

impl FakeTelegram {
    pub async fn start() -> Self {
        let shared = Arc::new(Shared::default());
        let app = Router::new()
            .route("/{bot}/{method}", post(method))
            .route("/file/{bot}/{*path}", get(file))
            .with_state(shared.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        FakeTelegram {
            url,
            shared,
            cursor: Mutex::new(0),
        }
    }

    fn push(&self, mut update: Value) -> i64 {
        let mut inner = self.shared.inner.lock().unwrap();
        inner.next_update_id += 1;
        let id = inner.next_update_id;
        update["update_id"] = json!(id);
        inner.updates.push(update);
        drop(inner);
        self.shared.changed.notify_waiters();
        id
    }

    fn message(&self, user: i64, chat: Value, extra: Value) -> i64 {
        let mut message = json!({
            "message_id": 1000 + self.shared.inner.lock().unwrap().next_update_id,
            "date": 1_700_000_000,
            "chat": chat,
            "from": {"id": user, "is_bot": false, "first_name": "Alumna"},
        });
        for (k, v) in extra.as_object().unwrap() {
            message[k] = v.clone();
        }
        self.push(json!({ "message": message }))
    }

    fn private_chat(user: i64) -> Value {
        json!({"id": user, "type": "private", "first_name": "Alumna"})
    }

    /// A text message from `user` in their private chat with the bot.
    pub fn say(&self, user: i64, text: &str) -> i64 {
        self.message(user, Self::private_chat(user), json!({ "text": text }))
    }

    /// A message in a group, with entities for @mentions of the bot.
    pub fn say_in_group(&self, user: i64, group: i64, text: &str) -> i64 {
        let mention = format!("@{BOT_USERNAME}");
        let entities: Vec<Value> = text
            .match_indices(&mention)
            .map(|(at, m)| json!({"type": "mention", "offset": at, "length": m.len()}))
            .collect();
        self.message(
            user,
            json!({"id": group, "type": "supergroup", "title": "HKUST Alumni"}),
            json!({ "text": text, "entities": entities }),
        )
    }

    /// A text message from `user` whose Telegram app is set to `language_code`.
    pub fn say_in_language(&self, user: i64, language_code: &str, text: &str) -> i64 {
        self.message(
            user,
            Self::private_chat(user),
            json!({ "text": text, "from": {"id": user, "is_bot": false, "first_name": "Alumna",
                                           "language_code": language_code} }),
        )
    }

    /// A message in a forum topic `thread` of the supergroup `group`.
    pub fn say_in_topic(&self, user: i64, group: i64, thread: i64, text: &str) -> i64 {
        self.message(
            user,
            json!({"id": group, "type": "supergroup", "title": "Staff", "is_forum": true}),
            json!({ "text": text, "message_thread_id": thread, "is_topic_message": true }),
        )
    }

    /// A document from `user`, served back by the fake's file endpoint.
    pub fn send_document(&self, user: i64, bytes: &[u8], name: &str, mime: &str) -> i64 {
        let file_id = format!("file-{}", self.shared.inner.lock().unwrap().files.len() + 1);
        self.shared
            .inner
            .lock()
            .unwrap()
            .files
            .insert(file_id.clone(), bytes.to_vec());
        self.message(
            user,
            Self::private_chat(user),
            json!({"document": {
                "file_id": file_id, "file_unique_id": format!("u{file_id}"),
                "file_name": name, "mime_type": mime, "file_size": bytes.len(),
            }}),
        )
    }

    /// A press of the button with `data` under the bot's message `message_id`.
    pub fn press(&self, user: i64, message_id: i64, data: &str) -> i64 {
        self.push(json!({"callback_query": {
            "id": format!("cb-{message_id}-{data}"),
            "from": {"id": user, "is_bot": false, "first_name": "Alumna"},
            "chat_instance": "ci",
            "data": data,
            "message": {
                "message_id": message_id, "date": 1_700_000_000,
                "chat": Self::private_chat(user),
                "from": {"id": 42, "is_bot": true, "first_name": "Alumni", "username": BOT_USERNAME},
                "text": "(a question)",
            },
        }}))
    }

    /// An update as Telegram would POST it to a webhook.
    pub fn update_json(user: i64, update_id: i64, text: &str) -> Value {
        json!({"update_id": update_id, "message": {
            "message_id": update_id, "date": 1_700_000_000,
            "chat": Self::private_chat(user),
            "from": {"id": user, "is_bot": false, "first_name": "Alumna"},
            "text": text,
        }})
    }

    /// The next `n` sendMessage calls are refused with `429 retry_after: 1`.
    pub fn refuse_sends(&self, n: u32) {
        self.shared.inner.lock().unwrap().refuse_sends = n;
    }

    /// The next `n` sendMessage calls fail with `502 Bad Gateway`.
    pub fn break_sends(&self, n: u32) {
        self.shared.inner.lock().unwrap().break_sends = n;
    }

    pub fn calls(&self) -> Vec<Call> {
        self.shared.inner.lock().unwrap().calls.clone()
    }

    pub fn calls_of(&self, method: &str) -> Vec<Call> {
        self.calls()
            .into_iter()
            .filter(|c| c.method == method.to_lowercase())
            .collect()
    }

    /// Waits until a call satisfies `check`.
    pub async fn wait_for(&self, what: &str, check: impl Fn(&[Call]) -> bool) {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let notified = self.shared.changed.notified();
            if check(&self.calls()) {
                return;
            }
            if Instant::now() > deadline {
                panic!("timed out waiting for {what}; calls: {:#?}", self.calls());
            }
            let _ = tokio::time::timeout(Duration::from_millis(200), notified).await;
        }
    }

    /// Waits until getUpdates has handed out the update `id`.
    pub async fn wait_delivered(&self, id: i64) {
        let deadline = Instant::now() + Duration::from_secs(20);
        while self.shared.inner.lock().unwrap().delivered < id {
            assert!(Instant::now() < deadline, "update {id} never fetched");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// The body of the next successful sendMessage not read yet.
    pub async fn next_message(&self) -> Value {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let notified = self.shared.changed.notified();
            {
                let calls = self.calls();
                let mut cursor = self.cursor.lock().unwrap();
                if let Some(offset) = calls[*cursor..]
                    .iter()
                    .position(|c| c.method == "sendmessage" && c.body["__refused"].is_null())
                {
                    let call = calls[*cursor + offset].clone();
                    *cursor += offset + 1;
                    return call.body;
                }
            }
            if Instant::now() > deadline {
                panic!("no message sent; calls: {:#?}", self.calls());
            }
            let _ = tokio::time::timeout(Duration::from_millis(200), notified).await;
        }
    }

    /// Asserts that no message is sent within `wait`.
    pub async fn no_message_within(&self, wait: Duration) {
        tokio::time::sleep(wait).await;
        let cursor = *self.cursor.lock().unwrap();
        let sent: Vec<Call> = self.calls()[cursor..]
            .iter()
            .filter(|c| c.method == "sendmessage")
            .cloned()
            .collect();
        assert!(sent.is_empty(), "unexpected messages: {sent:#?}");
    }
}

/// The text of a sent message, and its buttons as (label, callback data or url).
pub fn text_of(message: &Value) -> String {
    message["text"].as_str().unwrap_or_default().to_string()
}

pub fn buttons_of(message: &Value) -> Vec<(String, String)> {
    let markup = match &message["reply_markup"] {
        Value::String(s) => serde_json::from_str(s).unwrap(),
        other => other.clone(),
    };
    markup["inline_keyboard"]
        .as_array()
        .map(|rows| {
            rows.iter()
                .flat_map(|r| r.as_array().unwrap().clone())
                .map(|b| {
                    let target = b["callback_data"]
                        .as_str()
                        .or(b["url"].as_str())
                        .unwrap_or_default();
                    (b["text"].as_str().unwrap().to_string(), target.to_string())
                })
                .collect()
        })
        .unwrap_or_default()
}

/// The text fields of a multipart/form-data body (teloxide sends `setWebhook` that way).
fn multipart_fields(body: &[u8]) -> Value {
    let text = String::from_utf8_lossy(body);
    let Some(boundary) = text.lines().next().map(str::trim) else {
        return Value::Null;
    };
    let mut fields = serde_json::Map::new();
    for part in text.split(boundary) {
        let Some((head, value)) = part.split_once("\r\n\r\n") else {
            continue;
        };
        let Some(name) = head
            .split("name=\"")
            .nth(1)
            .and_then(|n| n.split('"').next())
        else {
            continue;
        };
        let value = value.trim_end_matches("\r\n").trim_end_matches("--");
        let value = serde_json::from_str(value).unwrap_or_else(|_| json!(value));
        fields.insert(name.to_string(), value);
    }
    Value::Object(fields)
}

fn ok(result: Value) -> Response {
    axum::Json(json!({"ok": true, "result": result})).into_response()
}

fn bot_user() -> Value {
    json!({
        "id": 42, "is_bot": true, "first_name": "Alumni", "username": BOT_USERNAME,
        "can_join_groups": true, "can_read_all_group_messages": false,
        "supports_inline_queries": false, "can_connect_to_business": false,
        "has_main_web_app": false,
    })
}

async fn method(
    State(shared): State<Arc<Shared>>,
    Path((bot, method)): Path<(String, String)>,
    body: Bytes,
) -> Response {
    if bot != format!("bot{TOKEN}") {
        return (
            StatusCode::UNAUTHORIZED,
            axum::Json(json!({"ok": false, "error_code": 401, "description": "Unauthorized"})),
        )
            .into_response();
    }
    let method = method.to_lowercase();
    let mut body: Value = serde_json::from_slice(&body).unwrap_or_else(|_| multipart_fields(&body));
    if method == "getupdates" {
        return get_updates(&shared, &body).await;
    }
    let mut inner = shared.inner.lock().unwrap();
    let response = match method.as_str() {
        "getme" => ok(bot_user()),
        "getwebhookinfo" => ok(json!({"url": "", "has_custom_certificate": false, "pending_update_count": 0})),
        "setwebhook" | "deletewebhook" | "setmycommands" | "answercallbackquery"
        | "sendchataction" => ok(json!(true)),
        "sendmessage" if inner.break_sends > 0 => {
            inner.break_sends -= 1;
            body["__refused"] = json!(true);
            (
                StatusCode::BAD_GATEWAY,
                axum::Json(json!({"ok": false, "error_code": 502, "description": "Bad Gateway"})),
            )
                .into_response()
        }
        "sendmessage" if inner.refuse_sends > 0 => {
            inner.refuse_sends -= 1;
            body["__refused"] = json!(true);
            (
                StatusCode::TOO_MANY_REQUESTS,
                axum::Json(json!({
                    "ok": false, "error_code": 429,
                    "description": "Too Many Requests: retry after 1",
                    "parameters": {"retry_after": 1},
                })),
            )
                .into_response()
        }
        "createforumtopic" => ok(json!({
            "message_thread_id": 77, "name": body["name"].clone(), "icon_color": 7_322_096,
        })),
        "senddocument" => {
            inner.next_message_id += 1;
            let chat = body["chat_id"].as_i64().unwrap_or(0);
            ok(json!({
                "message_id": inner.next_message_id, "date": 1_700_000_000,
                "chat": {"id": chat, "type": "supergroup", "title": "x"},
                "from": bot_user(),
                "document": {"file_id": "sent", "file_unique_id": "sent"},
            }))
        }
        "sendmessage" | "editmessagereplymarkup" => {
            inner.next_message_id += 1;
            let id = if method == "sendmessage" {
                inner.next_message_id
            } else {
                body["message_id"].as_i64().unwrap_or(0)
            };
            body["__message_id"] = json!(id);
            let chat = body["chat_id"].as_i64().unwrap_or(0);
            ok(json!({
                "message_id": id, "date": 1_700_000_000,
                "chat": {"id": chat, "type": if chat < 0 { "supergroup" } else { "private" }, "title": "x", "first_name": "x"},
                "from": bot_user(),
                "text": body["text"].as_str().unwrap_or("(keyboard)"),
            }))
        }
        "getfile" => {
            let id = body["file_id"].as_str().unwrap_or_default().to_string();
            match inner.files.get(&id) {
                Some(bytes) => ok(json!({
                    "file_id": id, "file_unique_id": format!("u{id}"),
                    "file_size": bytes.len(), "file_path": format!("documents/{id}"),
                })),
                None => (
                    StatusCode::BAD_REQUEST,
                    axum::Json(json!({"ok": false, "error_code": 400, "description": "Bad Request: invalid file_id"})),
                )
                    .into_response(),
            }
        }
        _ => (
            StatusCode::NOT_FOUND,
            axum::Json(json!({"ok": false, "error_code": 404, "description": format!("Not Found: {method}")})),
        )
            .into_response(),
    };
    inner.calls.push(Call {
        method,
        body,
        at: Instant::now(),
    });
    drop(inner);
    shared.changed.notify_waiters();
    response
}

/// Holds the request up to 1 s until an update at or after `offset` exists.
async fn get_updates(shared: &Shared, body: &Value) -> Response {
    let offset = body["offset"].as_i64().unwrap_or(0);
    let deadline = Instant::now() + Duration::from_secs(1);
    loop {
        let notified = shared.changed.notified();
        {
            let mut inner = shared.inner.lock().unwrap();
            inner
                .updates
                .retain(|u| u["update_id"].as_i64().unwrap() >= offset);
            if !inner.updates.is_empty() || Instant::now() > deadline {
                let updates = inner.updates.clone();
                if let Some(last) = updates.last() {
                    inner.delivered = inner.delivered.max(last["update_id"].as_i64().unwrap());
                }
                inner.calls.push(Call {
                    method: "getupdates".into(),
                    body: body.clone(),
                    at: Instant::now(),
                });
                return ok(Value::Array(updates));
            }
        }
        let _ = tokio::time::timeout(Duration::from_millis(100), notified).await;
    }
}

async fn file(
    State(shared): State<Arc<Shared>>,
    Path((bot, path)): Path<(String, String)>,
) -> Response {
    let inner = shared.inner.lock().unwrap();
    let id = path.trim_start_matches("documents/");
    match inner.files.get(id) {
        Some(bytes) if bot == format!("bot{TOKEN}") => bytes.clone().into_response(),
        _ => StatusCode::NOT_FOUND.into_response(),
    }
}
