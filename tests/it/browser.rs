//! The staff desk in a real browser: headless Chromium driven over WebDriver (Debian's
//! `chromium` and `chromium-driver`; `.ci/run` installs them). A correction request is filed
//! through `chat --jsonl` with a photo of the ID; a staff member signs in, finds it in the
//! queue, opens it, sees the photo, replies and resolves; the reply is in the user's outbox and
//! the ticket is resolved.
//!
//! Without chromedriver on the machine the test says so and passes, unless
//! `ALUMNI_BOT_REQUIRE_BROWSER=1` (set by `.ci/run`), which makes it fail instead. With
//! `ALUMNI_BOT_SCREENSHOTS=DIR` it saves the queue and the ticket page as PNGs there (the
//! README's pictures come from `docs/screenshots`).

use std::io::{BufRead, BufReader};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use base64::Engine as _;
use serde_json::{Value, json};

use crate::desk::PASSWORD;
use crate::helpers::{Session, bin, run_with_stdin, texts};

const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
const CHROMIUM: &str = "/usr/bin/chromium";
const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

/// A process killed when dropped.
struct Process(Child);

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// chromedriver in a process group of its own, killed whole when dropped: Chromium, which it
/// starts, goes with it even when the test fails before closing the session.
struct Driver(Child);

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-KILL", "--", &format!("-{}", self.0.id())])
            .status();
        let _ = self.0.wait();
    }
}

/// A WebDriver session in headless Chromium.
struct Browser {
    http: reqwest::Client,
    session: String,
    _driver: Driver,
}

impl Browser {
    async fn start(profile: &Path) -> Browser {
        let port = {
            let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            l.local_addr().unwrap().port()
        };
        let driver = Driver(
            Command::new(CHROMEDRIVER)
                .arg(format!("--port={port}"))
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .process_group(0)
                .spawn()
                .expect("start chromedriver"),
        );
        let http = reqwest::Client::new();
        let base = format!("http://127.0.0.1:{port}");
        for _ in 0..100 {
            if http.get(format!("{base}/status")).send().await.is_ok() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        // The flags keep Chromium off the network (this machine's is closed) and as root.
        let capabilities = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": CHROMIUM,
                "args": [
                    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                    "--no-first-run", "--disable-background-networking",
                    "--disable-component-update", "--disable-sync",
                    "--disable-dev-shm-usage", "--window-size=1280,1000",
                    format!("--user-data-dir={}", profile.display()),
                ]
            }
        }}});
        let created: Value = http
            .post(format!("{base}/session"))
            .json(&capabilities)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let session = created["value"]["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("no WebDriver session: {created}"))
            .to_string();
        Browser {
            http,
            session: format!("{base}/session/{session}"),
            _driver: driver,
        }
    }

    async fn call(&self, method: reqwest::Method, path: &str, body: Value) -> Value {
        let url = format!("{}{path}", self.session);
        let request = self.http.request(method, url);
        let request = if body.is_null() {
            request
        } else {
            request.json(&body)
        };
        let answer: Value = request.send().await.unwrap().json().await.unwrap();
        if answer["value"].get("error").is_some() {
            panic!("WebDriver {path}: {answer}");
        }
        answer["value"].clone()
    }

    async fn go(&self, url: &str) {
        self.call(reqwest::Method::POST, "/url", json!({ "url": url }))
            .await;
    }

    async fn url(&self) -> String {
        self.call(reqwest::Method::GET, "/url", Value::Null)
            .await
            .as_str()
            .unwrap()
            .to_string()
    }

    /// Waits up to 10 s for the browser to be at an address containing `part`.
    async fn reach(&self, part: &str) {
        for _ in 0..100 {
            if self.url().await.contains(part) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("not at …{part} within 10 s but at {}", self.url().await);
    }

    async fn source(&self) -> String {
        self.call(reqwest::Method::GET, "/source", Value::Null)
            .await
            .as_str()
            .unwrap()
            .to_string()
    }

    /// The element under `css`, waited for up to 10 s (a click that submits a form may return
    /// before the next page is there).
    async fn find(&self, css: &str) -> String {
        let url = format!("{}/element", self.session);
        for _ in 0..100 {
            let answer: Value = self
                .http
                .post(&url)
                .json(&json!({"using": "css selector", "value": css}))
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            if let Some(element) = answer["value"][ELEMENT].as_str() {
                return element.to_string();
            }
            assert_eq!(answer["value"]["error"], "no such element", "{answer}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("no element {css} within 10 s: {}", self.source().await);
    }

    /// A WebDriver command on the element under `css` (`suffix`: `/value`, `/click`, …).
    async fn on(&self, css: &str, method: reqwest::Method, suffix: &str, body: Value) -> Value {
        let element = self.find(css).await;
        self.call(method, &format!("/element/{element}{suffix}"), body)
            .await
    }

    async fn type_into(&self, css: &str, text: &str) {
        self.on(
            css,
            reqwest::Method::POST,
            "/value",
            json!({ "text": text }),
        )
        .await;
    }

    async fn click(&self, css: &str) {
        self.on(css, reqwest::Method::POST, "/click", json!({}))
            .await;
    }

    async fn text(&self, css: &str) -> String {
        let text = self
            .on(css, reqwest::Method::GET, "/text", Value::Null)
            .await;
        text.as_str().unwrap().to_string()
    }

    /// Whether the image under `css` was loaded and decoded (its natural width).
    async fn image_width(&self, css: &str) -> u64 {
        let width = self
            .on(
                css,
                reqwest::Method::GET,
                "/property/naturalWidth",
                Value::Null,
            )
            .await;
        width.as_u64().unwrap_or(0)
    }

    async fn screenshot(&self, to: &Path) {
        let png = self
            .call(reqwest::Method::GET, "/screenshot", Value::Null)
            .await;
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(png.as_str().unwrap())
            .unwrap();
        assert!(bytes.starts_with(b"\x89PNG"), "a PNG screenshot");
        std::fs::write(to, bytes).unwrap();
    }

    async fn close(self) {
        let _ = self.http.delete(&self.session).send().await;
    }
}

/// A photo of an "ID": a 320×200 PNG.
fn id_photo(dir: &Path) -> PathBuf {
    // Each row: filter type 0, then 320 pixels of one blue.
    let row: Vec<u8> = std::iter::once(0u8)
        .chain([30u8, 90, 160].repeat(320))
        .collect();
    let raw = row.repeat(200);
    // Stored (uncompressed) deflate blocks inside a zlib stream.
    let mut zlib = vec![0x78, 0x01];
    let chunks: Vec<&[u8]> = raw.chunks(65_535).collect();
    for (i, chunk) in chunks.iter().enumerate() {
        zlib.push(u8::from(i == chunks.len() - 1));
        let len = chunk.len() as u16;
        zlib.extend_from_slice(&len.to_le_bytes());
        zlib.extend_from_slice(&(!len).to_le_bytes());
        zlib.extend_from_slice(chunk);
    }
    let adler = {
        let (mut a, mut b) = (1u32, 0u32);
        for byte in &raw {
            a = (a + u32::from(*byte)) % 65_521;
            b = (b + a) % 65_521;
        }
        (b << 16) | a
    };
    zlib.extend_from_slice(&adler.to_be_bytes());
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut chunk = |kind: &[u8], data: &[u8]| {
        png.extend_from_slice(&(data.len() as u32).to_be_bytes());
        let mut crc_input = kind.to_vec();
        crc_input.extend_from_slice(data);
        png.extend_from_slice(&crc_input);
        png.extend_from_slice(&crc32(&crc_input).to_be_bytes());
    };
    let mut header = Vec::new();
    header.extend_from_slice(&320u32.to_be_bytes());
    header.extend_from_slice(&200u32.to_be_bytes());
    header.extend_from_slice(&[8, 2, 0, 0, 0]);
    chunk(b"IHDR", &header);
    chunk(b"IDAT", &zlib);
    chunk(b"IEND", &[]);
    let path = dir.join("hkid.png");
    std::fs::write(&path, png).unwrap();
    path
}

fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for byte in bytes {
        crc ^= u32::from(*byte);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// Files a correction request as user `u42` through `chat --jsonl`; returns its reference.
fn file_through_chat(db: &Path, photo: &Path) -> String {
    let mut cmd = bin();
    cmd.arg("--db").arg(db).args(["chat", "--jsonl"]);
    let mut chat = Session::spawn(cmd);
    let mut last = Value::Null;
    for line in [
        json!({"user": "u42", "text": "my name is wrong in your records, can you fix it"}),
        json!({"user": "u42", "text": "Chan Tai Man Peter"}),
        json!({"user": "u42", "text": "BEng Computer Engineering"}),
        json!({"user": "u42", "text": "2015"}),
        json!({"user": "u42", "text": "peter.chan@example.com"}),
        json!({"user": "u42", "file": photo}),
        json!({"user": "u42", "text": "yes, send it"}),
    ] {
        last = chat.ask(&line.to_string());
    }
    let said = texts(&last);
    let at = said
        .find("T-")
        .unwrap_or_else(|| panic!("no reference in {said}"));
    said[at..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '-')
        .collect()
}

#[tokio::test]
async fn staff_work_a_ticket_in_a_real_browser() {
    if !Path::new(CHROMEDRIVER).exists() || !Path::new(CHROMIUM).exists() {
        assert!(
            std::env::var("ALUMNI_BOT_REQUIRE_BROWSER").is_err(),
            "ALUMNI_BOT_REQUIRE_BROWSER is set but {CHROMEDRIVER} or {CHROMIUM} is missing"
        );
        eprintln!("skipped: no Chromium/chromedriver (apt-get install chromium chromium-driver)");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("bot.db");
    let photo = id_photo(dir.path());
    let reference = file_through_chat(&db, &photo);

    let mut add = bin();
    add.arg("--db")
        .arg(&db)
        .args(["staff", "add", "mandy", "--password-stdin"]);
    let added = run_with_stdin(add, &format!("{PASSWORD}\n"));
    assert!(added.status.success(), "{added:?}");

    // `alumni-bot desk` on a port of its choosing; it prints where.
    let mut desk = bin();
    let log = dir.path().join("desk.log");
    desk.arg("--db")
        .arg(&db)
        .arg("desk")
        .env("ALUMNI_BOT_DESK_LISTEN", "127.0.0.1:0")
        .env("ALUMNI_BOT_LOG", "trace")
        .stdout(Stdio::piped())
        .stderr(std::fs::File::create(&log).unwrap());
    let mut desk = Process(desk.spawn().unwrap());
    let mut first = String::new();
    BufReader::new(desk.0.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    let at = first.find("http://").expect("the desk's address");
    let base = first[at..]
        .split_whitespace()
        .next()
        .unwrap()
        .trim_end_matches('/')
        .to_string();

    let browser = Browser::start(&dir.path().join("profile")).await;
    let shots = std::env::var_os("ALUMNI_BOT_SCREENSHOTS").map(PathBuf::from);

    // Signed out, the queue sends the browser to sign in, and back after.
    browser.go(&format!("{base}/tickets")).await;
    assert!(
        browser.url().await.contains("/login"),
        "{}",
        browser.url().await
    );
    browser.type_into("#username", "mandy").await;
    browser.type_into("#password", PASSWORD).await;
    browser.click("button[type=submit]").await;
    browser.reach("/tickets").await;
    assert!(
        browser.url().await.ends_with("/tickets"),
        "{}",
        browser.source().await
    );
    let queue = browser.source().await;
    assert!(queue.contains(&reference), "the queue lists {reference}");
    if let Some(dir) = &shots {
        std::fs::create_dir_all(dir).unwrap();
        browser.screenshot(&dir.join("desk-queue.png")).await;
    }

    // The ticket: what the user supplied and their ID photo, loaded.
    browser
        .click(&format!("a.ref[href='/tickets/{reference}']"))
        .await;
    browser.reach(&format!("/tickets/{reference}")).await;
    assert!(
        browser
            .url()
            .await
            .ends_with(&format!("/tickets/{reference}"))
    );
    let page = browser.source().await;
    assert!(page.contains("Chan Tai Man Peter"), "the name supplied");
    assert!(page.contains("peter.chan@example.com"));
    assert_eq!(
        browser.image_width(".file img").await,
        320,
        "the ID photo shown"
    );
    if let Some(dir) = &shots {
        browser.screenshot(&dir.join("desk-ticket.png")).await;
    }

    // Reply, then resolve with a note.
    browser
        .type_into("#text", "Thank you Peter, we have corrected your name.")
        .await;
    browser.click("button[value=reply]").await;
    browser.reach("done=reply").await;
    assert!(
        browser
            .text(".notice")
            .await
            .contains("on its way to the user"),
        "the reply confirmed"
    );
    browser
        .type_into("#text", "Your record now reads Chan Tai Man Peter.")
        .await;
    browser.click("button[value=resolve]").await;
    browser.reach("done=resolve").await;
    assert!(browser.text(".notice").await.contains("Resolved"));
    assert_eq!(browser.text("h1 .status").await, "Resolved");
    browser.close().await;
    drop(desk);

    // The user's outbox holds both messages, on the platform they came from; the ticket is
    // resolved, and the audit names mandy via the desk.
    let show = bin()
        .arg("--db")
        .arg(&db)
        .args(["tickets", "show", &reference, "--json"])
        .output()
        .unwrap();
    let ticket: Value = serde_json::from_slice(&show.stdout).unwrap();
    assert_eq!(ticket["status"], "resolved", "{ticket}");
    let to_user = ticket["messages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["to"] == "user")
        .count();
    assert_eq!(to_user, 2, "{ticket}");
    // The desk logged at trace level and never what users or staff typed.
    let logged = std::fs::read_to_string(&log).unwrap();
    assert!(logged.contains("staff desk listening"), "{logged}");
    for private in [
        "Chan Tai Man",
        "peter.chan@example.com",
        PASSWORD,
        "corrected your name",
        "u42",
    ] {
        assert!(!logged.contains(private), "{private} in the desk's log");
    }
    let store = alumni_bot::store::Store::open(&db).await.unwrap();
    let owed: Vec<(String,)> = sqlx::query_as(
        "SELECT message FROM outbox WHERE platform = 'console' AND chat = 'u42' ORDER BY id",
    )
    .fetch_all(store.pool())
    .await
    .unwrap();
    assert!(
        owed[0].0.contains("we have corrected your name"),
        "{owed:?}"
    );
    assert!(owed[1].0.contains("has been resolved"), "{owed:?}");
    let audit = store.audit_of(&reference).await.unwrap();
    assert!(audit.iter().any(|e| e.action == "resolve"
        && e.actor == "staff:mandy"
        && e.via.as_deref() == Some("desk")));
}
