//! The staff web desk over real HTTP on 127.0.0.1, on a real SQLite file: every route signed
//! in and out, sign-in and its limits, sessions, CSRF, the queue's filters, a ticket worked
//! from the desk through the outbox, escaping, files, health and metrics.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::Path;

use alumni_bot::accounts::{self, Login, Password};
use alumni_bot::config;
use alumni_bot::core::{
    Attachment, Author, NewTicket, Platform, Sender, StoredFile, TicketStore, TranscriptLine,
};
use alumni_bot::desk::{self, Desk};
use alumni_bot::store::Store;
use reqwest::StatusCode;
use reqwest::header::{self, HeaderMap};

pub const PASSWORD: &str = "correct horse battery staple";

/// A desk on a fresh database in `dir`, with the staff account `alice`; stops when dropped.
pub struct Running {
    pub store: Store,
    pub base: String,
    _stop: tokio::sync::oneshot::Sender<()>,
}

pub async fn start(dir: &Path, settings: config::Desk) -> Running {
    let store = Store::open(&dir.join("bot.db")).await.unwrap();
    add_staff(&store, "alice").await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address: SocketAddr = listener.local_addr().unwrap();
    let state = Desk::new(store.clone(), None, &settings).unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(desk::serve(listener, state, async {
        let _ = stopped.await;
    }));
    Running {
        store,
        base: format!("http://{address}"),
        _stop: stop,
    }
}

pub async fn add_staff(store: &Store, login: &str) {
    let hash = accounts::hash(&Password::new(PASSWORD).unwrap()).unwrap();
    let login: Login = login.parse().unwrap();
    assert!(store.add_staff(&login, &hash, "cli:test").await.unwrap());
}

/// A ticket as a correction request files it, with a photo of the ID.
pub async fn file_ticket(store: &Store, user: &str, name: &str, category: &str) -> String {
    let photo = store
        .store_file(Attachment::parse(png()).unwrap())
        .await
        .unwrap();
    file_with(store, user, name, category, Platform::Telegram, vec![photo]).await
}

pub async fn file_with(
    store: &Store,
    user: &str,
    name: &str,
    category: &str,
    platform: Platform,
    attachments: Vec<StoredFile>,
) -> String {
    let fields = BTreeMap::from([
        ("full_name".to_string(), name.to_string()),
        ("passport_number".to_string(), "K1234567".to_string()),
    ]);
    store
        .create_ticket(NewTicket {
            category: category.into(),
            from: Sender::private(platform, user),
            origin: format!("run-{user}-{name}-{category}"),
            fields,
            transcript: vec![
                TranscriptLine {
                    author: Author::User,
                    text: format!("my name should be {name}"),
                },
                TranscriptLine {
                    author: Author::Bot,
                    text: "I'll send this to the alumni office.".into(),
                },
            ],
            attachments,
            max_open: None,
            lang: Default::default(),
        })
        .await
        .unwrap()
}

/// The smallest PNG: one transparent pixel.
pub fn png() -> Vec<u8> {
    vec![
        0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x48, 0x44,
        0x52, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1F,
        0x15, 0xC4, 0x89, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9C, 0x63, 0x00,
        0x01, 0x00, 0x00, 0x05, 0x00, 0x01, 0x0D, 0x0A, 0x2D, 0xB4, 0x00, 0x00, 0x00, 0x00, 0x49,
        0x45, 0x4E, 0x44, 0xAE, 0x42, 0x60, 0x82,
    ]
}

/// A browser-like client: keeps the cookies it is given, sends `Origin` with its forms, follows
/// no redirect by itself.
pub struct Client {
    http: reqwest::Client,
    base: String,
    cookies: BTreeMap<String, String>,
}

pub struct Answer {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: String,
}

impl Answer {
    pub fn location(&self) -> &str {
        self.headers
            .get(header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }

    /// The value of the hidden input `name` in the page.
    pub fn hidden(&self, name: &str) -> String {
        let marker = format!("name=\"{name}\" value=\"");
        let at = self.body.find(&marker).expect("the hidden input") + marker.len();
        self.body[at..at + self.body[at..].find('"').unwrap()].to_string()
    }
}

impl Client {
    pub fn new(base: &str) -> Self {
        Client {
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            base: base.to_string(),
            cookies: BTreeMap::new(),
        }
    }

    async fn send(&mut self, request: reqwest::RequestBuilder) -> Answer {
        let cookie = self
            .cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ");
        let response = request.header(header::COOKIE, cookie).send().await.unwrap();
        for set in response.headers().get_all(header::SET_COOKIE) {
            let set = set.to_str().unwrap();
            let pair = set.split(';').next().unwrap();
            let (k, v) = pair.split_once('=').unwrap();
            if v.is_empty() || set.contains("Max-Age=0") {
                self.cookies.remove(k);
            } else {
                self.cookies.insert(k.into(), v.into());
            }
        }
        Answer {
            status: response.status(),
            headers: response.headers().clone(),
            body: response.text().await.unwrap(),
        }
    }

    pub async fn get(&mut self, path: &str) -> Answer {
        let request = self.http.get(format!("{}{path}", self.base));
        self.send(request).await
    }

    /// A form posted as a browser posts it: with its page's `Origin`.
    pub async fn post(&mut self, path: &str, form: &[(&str, &str)]) -> Answer {
        let request = self
            .http
            .post(format!("{}{path}", self.base))
            .header(header::ORIGIN, self.base.clone())
            .form(form);
        self.send(request).await
    }

    pub async fn sign_in(&mut self, login: &str, password: &str) -> Answer {
        let form = self.get("/login").await;
        let csrf = form.hidden("csrf");
        self.post(
            "/login",
            &[("username", login), ("password", password), ("csrf", &csrf)],
        )
        .await
    }

    pub fn has_cookie(&self, name: &str) -> bool {
        self.cookies.contains_key(name)
    }
}

#[tokio::test]
async fn signed_out_every_route_but_sign_in_is_closed() {
    let dir = tempfile::tempdir().unwrap();
    let desk = start(dir.path(), config::Desk::default()).await;
    let reference = file_ticket(&desk.store, "501", "Chan Tai Man", "correct_records").await;
    let hash = desk
        .store
        .ticket(&reference)
        .await
        .unwrap()
        .unwrap()
        .attachment_files[0]
        .hash
        .clone();
    let mut client = Client::new(&desk.base);
    for path in [
        "/".to_string(),
        "/tickets".into(),
        "/tickets?status=all".into(),
        format!("/tickets/{reference}"),
        format!("/tickets/{reference}/files/{hash}"),
        "/gaps".into(),
        "/no/such/page".into(),
    ] {
        let answer = client.get(&path).await;
        assert_eq!(answer.status, StatusCode::SEE_OTHER, "{path}");
        assert!(
            answer.location().starts_with("/login") || path == "/",
            "{path}: {}",
            answer.location()
        );
        assert!(!answer.body.contains(&reference), "{path}");
    }
    // Sign-in comes back to the page asked for.
    assert_eq!(
        client.get("/tickets?status=all").await.location(),
        "/login?next=%2Ftickets%3Fstatus%3Dall"
    );
    let metrics = client.get("/metrics").await;
    assert_eq!(metrics.status, StatusCode::UNAUTHORIZED);
    assert!(!metrics.body.contains("alumni_bot_tickets"));
    for path in [
        format!("/tickets/{reference}/actions"),
        "/logout".to_string(),
    ] {
        let answer = client
            .post(
                &path,
                &[("action", "resolve"), ("text", "x"), ("csrf", "x")],
            )
            .await;
        assert_eq!(answer.status, StatusCode::FORBIDDEN, "{path}");
    }
    // Open: the sign-in page, the style sheet and the health check (which names no ticket).
    assert_eq!(client.get("/login").await.status, StatusCode::OK);
    let css = client.get("/static/desk.css").await;
    assert_eq!(css.status, StatusCode::OK);
    let health = client.get("/healthz").await;
    assert_eq!(health.status, StatusCode::OK, "{}", health.body);
    assert!(
        health.body.contains("\"database\":\"ok\""),
        "{}",
        health.body
    );
    // Nothing was done to the ticket.
    let t = desk.store.ticket(&reference).await.unwrap().unwrap();
    assert_eq!(t.summary.status.as_str(), "open");
    assert!(desk.store.pending_outbox().await.unwrap().is_empty());
}

#[tokio::test]
async fn staff_sign_in_work_a_ticket_and_sign_out() {
    let dir = tempfile::tempdir().unwrap();
    let desk = start(dir.path(), config::Desk::default()).await;
    let reference = file_ticket(&desk.store, "502", "Wong Siu Ming", "correct_records").await;
    let mut client = Client::new(&desk.base);

    // Wrong password, unknown account, a form without its token: refused, no session.
    assert_eq!(
        client.sign_in("alice", "wrong password here").await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        client.sign_in("mallory", PASSWORD).await.status,
        StatusCode::UNAUTHORIZED
    );
    let forged = client
        .post(
            "/login",
            &[
                ("username", "alice"),
                ("password", PASSWORD),
                ("csrf", "forged"),
            ],
        )
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    assert!(!client.has_cookie(desk::SESSION_COOKIE));

    let signed_in = client.sign_in("Alice", PASSWORD).await;
    assert_eq!(
        signed_in.status,
        StatusCode::SEE_OTHER,
        "{}",
        signed_in.body
    );
    assert_eq!(signed_in.location(), "/tickets");
    let cookie = signed_in
        .headers
        .get_all(header::SET_COOKIE)
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .find(|c| c.starts_with(desk::SESSION_COOKIE))
        .unwrap();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"),
        "{cookie}"
    );
    assert!(!cookie.contains("Secure"), "plain http: {cookie}");

    // The queue lists the ticket; its page shows what the user supplied and the ID photo.
    let queue = client.get("/tickets").await;
    assert_eq!(queue.status, StatusCode::OK);
    assert!(queue.body.contains(&reference), "{}", queue.body);
    assert!(queue.body.contains("http-equiv=\"refresh\""));
    let page = client.get(&format!("/tickets/{reference}")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("Wong Siu Ming"));
    assert!(page.body.contains("K1234567"));
    assert!(page.body.contains("my name should be Wong Siu Ming"));
    let image = format!("/tickets/{reference}/files/");
    let at = page
        .body
        .find(&format!("<img src=\"{image}"))
        .expect("the photo inline")
        + 10;
    let src = &page.body[at..at + page.body[at..].find('"').unwrap()];
    let file = client.get(src).await;
    assert_eq!(file.status, StatusCode::OK);
    assert_eq!(file.headers[header::CONTENT_TYPE], "image/png");
    assert!(
        file.headers[header::CACHE_CONTROL]
            .to_str()
            .unwrap()
            .contains("no-store")
    );
    // The file through another ticket, a hash that is no file, or a malformed one: not found.
    let other = file_with(
        &desk.store,
        "503",
        "Lee",
        "correct_records",
        Platform::Telegram,
        vec![],
    )
    .await;
    let hash = src.rsplit('/').next().unwrap();
    let elsewhere = client.get(&format!("/tickets/{other}/files/{hash}")).await;
    assert_eq!(elsewhere.status, StatusCode::NOT_FOUND);
    let nothing = client
        .get(&format!("/tickets/{reference}/files/{}", "0".repeat(64)))
        .await;
    assert_eq!(nothing.status, StatusCode::NOT_FOUND);
    assert_eq!(
        client
            .get(&format!("/tickets/{reference}/files/{hash}x"))
            .await
            .status,
        StatusCode::NOT_FOUND
    );

    // Actions need the page's token: a forged form does nothing.
    let csrf = page.hidden("csrf");
    let path = format!("/tickets/{reference}/actions");
    let forged = client
        .post(&path, &[("csrf", "nope"), ("action", "claim")])
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    assert_eq!(
        desk.store
            .ticket(&reference)
            .await
            .unwrap()
            .unwrap()
            .summary
            .assignee,
        None
    );
    // A reply with nothing in it is refused, and says so.
    let empty = client
        .post(
            &path,
            &[("csrf", &csrf), ("action", "reply"), ("text", "  ")],
        )
        .await;
    assert_eq!(empty.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(empty.body.contains("Write the message to the user first."));

    let claimed = client
        .post(&path, &[("csrf", &csrf), ("action", "claim")])
        .await;
    assert_eq!(claimed.status, StatusCode::SEE_OTHER);
    assert_eq!(
        claimed.location(),
        format!("/tickets/{reference}?done=claim")
    );
    assert!(
        client
            .get(claimed.location())
            .await
            .body
            .contains("You claimed this ticket.")
    );
    let replied = client
        .post(
            &path,
            &[
                ("csrf", &csrf),
                ("action", "reply"),
                ("text", "We have fixed your name."),
            ],
        )
        .await;
    assert_eq!(replied.status, StatusCode::SEE_OTHER);
    let resolved = client
        .post(
            &path,
            &[
                ("csrf", &csrf),
                ("action", "resolve"),
                ("text", "Done, thank you."),
            ],
        )
        .await;
    assert_eq!(resolved.status, StatusCode::SEE_OTHER);
    // A second resolve is refused with the reason, on the page.
    let again = client
        .post(
            &path,
            &[
                ("csrf", &csrf),
                ("action", "resolve"),
                ("text", "Done again."),
            ],
        )
        .await;
    assert_eq!(again.status, StatusCode::CONFLICT);
    assert!(again.body.contains("Not done: ticket"), "{}", again.body);
    assert!(again.body.contains("Done again."), "what was typed is kept");

    // The same outbox as the staff chats: two messages to the user's Telegram chat.
    let t = desk.store.ticket(&reference).await.unwrap().unwrap();
    assert_eq!(t.summary.status.as_str(), "resolved");
    assert_eq!(t.summary.assignee.as_deref(), Some("staff:alice"));
    let to_user: Vec<_> = desk
        .store
        .pending_outbox()
        .await
        .unwrap()
        .into_iter()
        .filter(|(platform, chat, _, _)| platform == "telegram" && chat == "502")
        .collect();
    assert_eq!(to_user.len(), 2, "{to_user:?}");
    // The audit names the staff member, via the desk, for every action and every view.
    let audit = desk.store.audit_of(&reference).await.unwrap();
    for action in ["claim", "reply", "resolve", "view"] {
        assert!(
            audit.iter().any(|e| e.action == action
                && e.actor == "staff:alice"
                && e.via.as_deref() == Some("desk")),
            "{action}: {audit:?}"
        );
    }
    assert!(
        audit.iter().any(|e| e.detail.starts_with("file ")),
        "{audit:?}"
    );
    let events = t
        .events
        .iter()
        .map(|e| e.actor.as_str())
        .collect::<Vec<_>>();
    assert!(events.contains(&"staff:alice"), "{events:?}");

    // A file deleted by the retention rule is no longer served.
    sqlx::query("UPDATE ticket_attachments SET purged_at = '2026-01-01T00:00:00.000Z'")
        .execute(desk.store.pool())
        .await
        .unwrap();
    assert_eq!(client.get(src).await.status, StatusCode::NOT_FOUND);

    // A sign-out form from elsewhere does nothing.
    let forged = client.post("/logout", &[("csrf", "forged")]).await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    assert_eq!(client.get("/tickets").await.status, StatusCode::OK);

    // Signing out ends the session: the old cookie opens nothing.
    let out = client.post("/logout", &[("csrf", &csrf)]).await;
    assert_eq!(out.status, StatusCode::SEE_OTHER);
    assert!(!client.has_cookie(desk::SESSION_COOKIE));
    let mut stale = Client::new(&desk.base);
    stale.cookies.insert(
        desk::SESSION_COOKIE.into(),
        cookie.split(['=', ';']).nth(1).unwrap().into(),
    );
    assert_eq!(stale.get("/tickets").await.status, StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn what_users_typed_is_escaped_on_every_page() {
    let dir = tempfile::tempdir().unwrap();
    let desk = start(dir.path(), config::Desk::default()).await;
    let evil = "<script>alert('x')</script>";
    let reference = file_ticket(&desk.store, "504", evil, "<img src=x onerror=alert(1)>").await;
    let mut client = Client::new(&desk.base);
    client.sign_in("alice", PASSWORD).await;
    for path in [
        "/tickets".to_string(),
        format!("/tickets/{reference}"),
        format!("/tickets?q={}", "%3Cscript%3E"),
    ] {
        let page = client.get(&path).await;
        assert_eq!(page.status, StatusCode::OK, "{path}");
        assert!(!page.body.contains("<script"), "{path}: {}", page.body);
        assert!(!page.body.contains("<img src=x"), "{path}");
        let csp = page.headers[header::CONTENT_SECURITY_POLICY]
            .to_str()
            .unwrap();
        assert!(
            csp.contains("default-src 'none'") && !csp.contains("unsafe-inline"),
            "{csp}"
        );
    }
    let page = client.get(&format!("/tickets/{reference}")).await;
    assert!(
        page.body.contains("&#60;script&#62;") || page.body.contains("&lt;script&gt;"),
        "{}",
        page.body
    );
}

#[tokio::test]
async fn sign_in_attempts_are_limited_and_sessions_end_with_the_password() {
    let dir = tempfile::tempdir().unwrap();
    let desk = start(dir.path(), config::Desk::default()).await;
    let mut client = Client::new(&desk.base);
    for _ in 0..5 {
        assert_eq!(
            client.sign_in("alice", "not the password").await.status,
            StatusCode::UNAUTHORIZED
        );
    }
    // The right password is refused too while the limit holds.
    let limited = client.sign_in("alice", PASSWORD).await;
    assert_eq!(limited.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(limited.body.contains("Too many failed attempts"));
    // Refused sign-ins are audited under the account, never with what was typed.
    let audit = desk.store.audit_log().await.unwrap();
    assert!(
        audit
            .iter()
            .any(|e| e.action == "sign in" && !e.allowed && e.actor == "staff:alice")
    );
    assert!(audit.iter().all(|e| !e.detail.contains("not the password")));

    // Another member signs in; a password reset ends their session.
    add_staff(&desk.store, "bob").await;
    let mut bob = Client::new(&desk.base);
    assert_eq!(
        bob.sign_in("bob", PASSWORD).await.status,
        StatusCode::SEE_OTHER
    );
    assert_eq!(bob.get("/tickets").await.status, StatusCode::OK);
    let hash = accounts::hash(&Password::new("another long passphrase").unwrap()).unwrap();
    desk.store
        .set_staff_password(&"bob".parse().unwrap(), &hash, "cli:test")
        .await
        .unwrap();
    assert_eq!(bob.get("/tickets").await.status, StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn the_queue_filters_counts_and_finds_by_reference() {
    let dir = tempfile::tempdir().unwrap();
    let desk = start(dir.path(), config::Desk::default()).await;
    let a = file_ticket(&desk.store, "601", "A", "correct_records").await;
    let b = file_with(
        &desk.store,
        "602",
        "B",
        "contact_staff",
        Platform::Discord,
        vec![],
    )
    .await;
    let c = file_with(
        &desk.store,
        "603",
        "C",
        "contact_staff",
        Platform::Telegram,
        vec![],
    )
    .await;
    // An old one: opened ten days ago.
    sqlx::query("UPDATE tickets SET created_at = '2020-01-01T00:00:00.000Z' WHERE reference = ?")
        .bind(&c)
        .execute(desk.store.pool())
        .await
        .unwrap();
    let mut client = Client::new(&desk.base);
    client.sign_in("alice", PASSWORD).await;
    let csrf = client.get(&format!("/tickets/{a}")).await.hidden("csrf");
    client
        .post(
            &format!("/tickets/{a}/actions"),
            &[("csrf", &csrf), ("action", "claim")],
        )
        .await;

    let open = client.get("/tickets").await.body;
    assert!(
        open.contains(&b) && open.contains(&c) && !open.contains(&a),
        "{open}"
    );
    // Oldest first.
    assert!(open.find(&c).unwrap() < open.find(&b).unwrap());
    assert!(
        open.contains("Open <span class=\"count\">2</span>"),
        "{open}"
    );
    assert!(
        open.contains("Claimed <span class=\"count\">1</span>"),
        "{open}"
    );
    let claimed = client
        .get("/tickets?status=claimed&assignee=staff%3Aalice")
        .await
        .body;
    assert!(claimed.contains(&a) && !claimed.contains(&b), "{claimed}");
    let nobody = client.get("/tickets?status=all&assignee=none").await.body;
    assert!(!nobody.contains(&a) && nobody.contains(&b));
    let discord = client
        .get("/tickets?status=all&platform=discord")
        .await
        .body;
    assert!(discord.contains(&b) && !discord.contains(&c) && !discord.contains(&a));
    let category = client
        .get("/tickets?status=all&category=contact_staff")
        .await
        .body;
    assert!(category.contains(&b) && category.contains(&c) && !category.contains(&a));
    let old = client.get("/tickets?status=all&age=7d").await.body;
    assert!(old.contains(&c) && !old.contains(&b));
    // A whole reference opens the ticket; a part of one filters.
    let found = client
        .get(&format!("/tickets?q={}", b.to_lowercase()))
        .await;
    assert_eq!(found.location(), format!("/tickets/{b}"));
    let part = client
        .get(&format!("/tickets?status=all&q={}", &b[2..6]))
        .await
        .body;
    assert!(part.contains(&b));
    // Unknown references are not found; a nonsense filter shows the open queue.
    assert_eq!(
        client.get("/tickets/T-NOSUCH").await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        client.get("/tickets?status=bogus&age=x").await.status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn metrics_need_a_session_or_the_token_and_name_no_one() {
    let dir = tempfile::tempdir().unwrap();
    let settings = config::Desk {
        metrics_token: Some(config::Secret::new("monitoring-token-123")),
        ..config::Desk::default()
    };
    let desk = start(dir.path(), settings).await;
    file_ticket(&desk.store, "701", "Chan Tai Man", "correct_records").await;
    let http = reqwest::Client::new();
    let url = format!("{}/metrics", desk.base);
    let wrong = http.get(&url).bearer_auth("nope").send().await.unwrap();
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    let right = http
        .get(&url)
        .bearer_auth("monitoring-token-123")
        .send()
        .await
        .unwrap();
    assert_eq!(right.status(), StatusCode::OK);
    let text = right.text().await.unwrap();
    assert!(
        text.contains("alumni_bot_tickets{status=\"open\"} 1"),
        "{text}"
    );
    assert!(text.contains("alumni_bot_outbox_pending"), "{text}");
    assert!(!text.contains("Chan") && !text.contains("K1234567") && !text.contains("701"));
    // Signed in, no token needed.
    let mut client = Client::new(&desk.base);
    client.sign_in("alice", PASSWORD).await;
    assert_eq!(client.get("/metrics").await.status, StatusCode::OK);
}

#[tokio::test]
async fn a_public_https_desk_marks_its_cookies_secure() {
    let dir = tempfile::tempdir().unwrap();
    let settings = config::Desk {
        public_url: Some("https://desk.alumni.example".into()),
        ..config::Desk::default()
    };
    let desk = start(dir.path(), settings).await;
    let mut client = Client::new(&desk.base);
    let form = client.get("/login").await;
    let cookie = form.headers[header::SET_COOKIE].to_str().unwrap();
    assert!(cookie.contains("; Secure"), "{cookie}");
    let signed_in = client.sign_in("alice", PASSWORD).await;
    let cookies: Vec<&str> = signed_in
        .headers
        .get_all(header::SET_COOKIE)
        .iter()
        .map(|v| v.to_str().unwrap())
        .collect();
    assert!(
        cookies
            .iter()
            .any(|c| c.starts_with(desk::SESSION_COOKIE) && c.contains("; Secure")),
        "{cookies:?}"
    );
}

#[tokio::test]
async fn sign_in_comes_back_to_the_page_asked_for_and_never_elsewhere() {
    let dir = tempfile::tempdir().unwrap();
    let desk = start(dir.path(), config::Desk::default()).await;
    let mut client = Client::new(&desk.base);
    let asked = client.get("/tickets?status=all").await;
    let next = asked.location().to_string();
    let form = client.get(&next).await;
    assert_eq!(form.hidden("next"), "/tickets?status=all");
    let csrf = form.hidden("csrf");
    let back = client
        .post(
            "/login",
            &[
                ("username", "alice"),
                ("password", PASSWORD),
                ("csrf", &csrf),
                ("next", "/tickets?status=all"),
            ],
        )
        .await;
    assert_eq!(back.location(), "/tickets?status=all");
    for elsewhere in [
        "//evil.example/",
        "/\t/evil.example",
        "https://evil.example/",
    ] {
        let mut other = Client::new(&desk.base);
        let csrf = other.get("/login").await.hidden("csrf");
        let answer = other
            .post(
                "/login",
                &[
                    ("username", "alice"),
                    ("password", PASSWORD),
                    ("csrf", &csrf),
                    ("next", elsewhere),
                ],
            )
            .await;
        assert_eq!(answer.location(), "/tickets", "{elsewhere}");
    }
}

#[tokio::test]
async fn parallel_guesses_get_no_more_tries_than_one_at_a_time() {
    let dir = tempfile::tempdir().unwrap();
    let desk = start(dir.path(), config::Desk::default()).await;
    let mut client = Client::new(&desk.base);
    let csrf = client.get("/login").await.hidden("csrf");
    let cookie = format!("desk_sign_in={csrf}");
    let http = reqwest::Client::new();
    let guesses = (0..20).map(|i| {
        let request = http
            .post(format!("{}/login", desk.base))
            .header(header::COOKIE, cookie.clone())
            .form(&[
                ("username", "alice".to_string()),
                ("password", format!("guess number {i} here")),
                ("csrf", csrf.clone()),
            ]);
        async move { request.send().await.unwrap().status() }
    });
    let answers = futures_util::future::join_all(guesses).await;
    let checked = answers
        .iter()
        .filter(|s| **s == StatusCode::UNAUTHORIZED)
        .count();
    assert!(checked <= 5, "{answers:?}");
    assert!(
        answers.iter().all(|s| [
            StatusCode::UNAUTHORIZED,
            StatusCode::TOO_MANY_REQUESTS,
            StatusCode::SERVICE_UNAVAILABLE
        ]
        .contains(s)),
        "{answers:?}"
    );
}

#[tokio::test]
async fn a_linked_chat_account_is_the_same_staff_member_in_the_audit() {
    use alumni_bot::core::staff::{self, Action};
    let dir = tempfile::tempdir().unwrap();
    let desk = start(dir.path(), config::Desk::default()).await;
    let reference = file_ticket(&desk.store, "801", "Ho", "correct_records").await;
    let alice: Login = "alice".parse().unwrap();
    assert!(
        desk.store
            .link_staff(&alice, "telegram:42", "cli:test")
            .await
            .unwrap()
    );
    let r = reference.parse().unwrap();
    staff::act(&desk.store, "telegram:42", true, &r, Action::Claim)
        .await
        .unwrap()
        .unwrap();
    staff::act(
        &desk.store,
        "telegram:99",
        true,
        &r,
        Action::Reply("hi".into()),
    )
    .await
    .unwrap()
    .unwrap();
    let audit = desk.store.audit_of(&reference).await.unwrap();
    assert!(audit.iter().any(|e| e.action == "claim"
        && e.actor == "staff:alice"
        && e.via.as_deref() == Some("telegram:42")));
    assert!(
        audit
            .iter()
            .any(|e| e.action == "reply" && e.actor == "telegram:99" && e.via.is_none())
    );
    let t = desk.store.ticket(&reference).await.unwrap().unwrap();
    assert_eq!(t.summary.assignee.as_deref(), Some("staff:alice"));
}

#[tokio::test]
async fn unanswered_questions_and_the_engines_counts_reach_the_desk() {
    use alumni_bot::core::{Content, Inbound};
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("bot.db")).await.unwrap();
    add_staff(&store, "alice").await;
    let engine = std::sync::Arc::new(crate::helpers::engine_with(store.clone()));
    for (user, text) in [
        ("901", "what's the weather like in Sha Tin today"),
        (
            "902",
            "is it going to rain in sha tin today? mail me at kc.wong@example.com",
        ),
        ("903", "how do I reset my password"),
    ] {
        engine
            .handle(Inbound {
                from: Sender::private(Platform::Telegram, user),
                content: Content::Text(text.into()),
            })
            .await;
    }
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let settings = config::Desk::default();
    let state = Desk::new(store.clone(), Some(engine.clone()), &settings).unwrap();
    let (_stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(desk::serve(listener, state, async {
        let _ = stopped.await;
    }));
    let mut client = Client::new(&base);
    client.sign_in("alice", PASSWORD).await;

    let gaps = client.get("/gaps").await;
    assert_eq!(gaps.status, StatusCode::OK);
    assert!(gaps.body.contains("weather"), "{}", gaps.body);
    assert!(
        !gaps.body.contains("kc.wong@example.com"),
        "redacted before it was kept"
    );
    assert!(
        !gaps.body.contains("reset my password"),
        "an answered question is no gap"
    );
    assert_eq!(client.get("/gaps?days=7").await.status, StatusCode::OK);

    let metrics = client.get("/metrics").await.body;
    assert!(metrics.contains("alumni_bot_messages_total 3"), "{metrics}");
    assert!(
        metrics.contains("alumni_bot_answers_total{intent=\"username_password\"} 1"),
        "{metrics}"
    );
    assert!(
        metrics.contains("alumni_bot_turn_seconds_count 3"),
        "{metrics}"
    );
    assert!(!metrics.contains("weather") && !metrics.contains("901"));
}

#[tokio::test]
async fn staff_in_the_chats_hear_what_was_done_on_the_desk() {
    use alumni_bot::core::staff::{self, Action};
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("bot.db"))
        .await
        .unwrap()
        .with_staff_places(vec![Platform::Telegram]);
    let reference = file_ticket(&store, "951", "Yip", "correct_records").await;
    let staff_rows = |store: Store| async move {
        let rows: Vec<(String,)> = sqlx::query_as(
            "SELECT message FROM outbox WHERE platform = 'telegram' AND chat = 'staff' ORDER BY id",
        )
        .fetch_all(store.pool())
        .await
        .unwrap();
        rows.into_iter().map(|(m,)| m).collect::<Vec<_>>()
    };
    let before = staff_rows(store.clone()).await.len();
    let r = reference.parse().unwrap();
    // From a staff chat: staff there saw it happen; nothing more is sent.
    staff::act(&store, "telegram:42", true, &r, Action::Claim)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(staff_rows(store.clone()).await.len(), before);
    // From the desk: the staff places are told, with the words sent to the user.
    staff::act(
        &store,
        "desk:alice",
        true,
        &r,
        Action::Reply("We <b>fixed</b> it.".into()),
    )
    .await
    .unwrap()
    .unwrap();
    let rows = staff_rows(store.clone()).await;
    assert_eq!(rows.len(), before + 1, "{rows:?}");
    let last = rows.last().unwrap();
    assert!(
        last.contains("replied to the user by staff:alice on the web desk"),
        "{last}"
    );
    assert!(last.contains("fixed"), "{last}");
}

/// `serve` runs the desk when `ALUMNI_BOT_DESK_LISTEN` is set (here with no chat platform);
/// an address taken stops it with the cause.
#[tokio::test]
async fn serve_runs_the_desk_on_its_address() {
    let dir = tempfile::tempdir().unwrap();
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let address = format!("127.0.0.1:{port}");
    let (serve, _log) =
        crate::helpers::spawn_serve(dir.path(), &[("ALUMNI_BOT_DESK_LISTEN", &address)]);
    // Stopped however the test ends.
    struct Stop(tokio::process::Child);
    impl Drop for Stop {
        fn drop(&mut self) {
            let _ = self.0.start_kill();
        }
    }
    let _serve = Stop(serve);
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    // The engine is built first (the matcher's calibration takes seconds in a debug build).
    let mut health = None;
    for _ in 0..600 {
        if let Ok(r) = http.get(format!("http://{address}/healthz")).send().await {
            health = Some(r);
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let health = health.expect("the desk answers");
    assert_eq!(health.status(), StatusCode::OK);
    let queue = http
        .get(format!("http://{address}/tickets"))
        .send()
        .await
        .unwrap();
    assert_eq!(queue.status(), StatusCode::SEE_OTHER);

    // A second `serve` on the same address fails at once, naming it.
    let other = tempfile::tempdir().unwrap();
    let (mut second, log) =
        crate::helpers::spawn_serve(other.path(), &[("ALUMNI_BOT_DESK_LISTEN", &address)]);
    let status = tokio::time::timeout(std::time::Duration::from_secs(60), second.wait())
        .await
        .expect("exits")
        .unwrap();
    assert!(!status.success());
    let said = std::fs::read_to_string(log).unwrap();
    assert!(said.contains(&address), "{said}");
}

#[tokio::test]
async fn a_script_signs_in_with_username_and_password_a_forged_browser_form_does_not() {
    let dir = tempfile::tempdir().unwrap();
    let desk = start(dir.path(), config::Desk::default()).await;
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let url = format!("{}/login", desk.base);
    // A script (no Origin, no Sec-Fetch-Site) posting the two inputs CONTRACTS.md names.
    let scripted = http
        .post(&url)
        .form(&[("username", "alice"), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(scripted.status(), StatusCode::SEE_OTHER);
    let session = scripted
        .headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .find(|c| c.starts_with(desk::SESSION_COOKIE))
        .expect("a session");
    let queue = http
        .get(format!("{}/tickets", desk.base))
        .header(header::COOKIE, session.split(';').next().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(queue.status(), StatusCode::OK);
    // The same post from another site's page in someone's browser is refused.
    for (name, value) in [
        ("origin", "https://evil.example"),
        ("sec-fetch-site", "cross-site"),
    ] {
        let forged = http
            .post(&url)
            .header(name, value)
            .form(&[("username", "alice"), ("password", PASSWORD)])
            .send()
            .await
            .unwrap();
        assert_eq!(forged.status(), StatusCode::FORBIDDEN, "{name}");
        assert!(
            forged
                .headers()
                .get_all(header::SET_COOKIE)
                .iter()
                .all(|c| !c.to_str().unwrap().starts_with(desk::SESSION_COOKIE)),
            "{name}"
        );
    }
}
