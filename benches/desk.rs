//! The staff desk's benchmark: `cargo bench --bench desk [-- TICKETS]`.
//!
//! A real SQLite file with TICKETS (default 10,000) tickets of every status, category and
//! platform, opened over the last 60 days, each with fields, one or two files, a transcript and
//! events; the desk
//! served in-process on 127.0.0.1 with a signed-in staff member. It times, over loopback, the
//! pages staff open most (the queue as it first opens, the queue with filters, a far page, a
//! search, one ticket), 400 requests each, one at a time: the time from sending the request to
//! the last byte of the page, so the server's time plus a loopback round trip. Then it starts
//! the release binary's `serve` with only the desk on that database and reports its resident
//! memory idle, and after 200 queue pages.

use std::path::Path;
use std::time::{Duration, Instant};

use alumni_bot::accounts::{self, Login, Password};
use alumni_bot::config;
use alumni_bot::desk::{self, Desk};
use alumni_bot::store::Store;

const PASSWORD: &str = "correct horse battery staple";
const REQUESTS: usize = 400;

fn main() {
    let tickets: usize = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(10_000);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(run(tickets));
}

async fn fill(store: &Store, tickets: usize) -> Vec<String> {
    const STATUSES: [&str; 5] = ["open", "claimed", "awaiting_user", "resolved", "closed"];
    const CATEGORIES: [&str; 4] = [
        "correct_records",
        "contact_staff",
        "activation_problem",
        "not_receiving_email",
    ];
    const PLATFORMS: [&str; 3] = ["telegram", "discord", "console"];
    let now = chrono::Utc::now();
    let mut tx = store.pool().begin().await.unwrap();
    let mut references = Vec::with_capacity(tickets);
    for i in 0..tickets {
        let reference = format!("T-B{i:06}");
        let status = STATUSES[i % 5];
        let at = (now - chrono::Duration::minutes((i as i64 * 8640) % (60 * 24 * 60)))
            .to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
        let assignee = (status != "open").then(|| format!("staff:member{}", i % 7));
        let fields = serde_json::json!({
            "full_name": format!("Alumnus Number {i}"),
            "passport_number": format!("K{:07}", i),
            "contact_email": format!("alumnus{i}@example.com"),
        })
        .to_string();
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO tickets (reference, status, category, platform, platform_user,
                 platform_chat, fields, created_at, updated_at, lang, assignee)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'en', ?) RETURNING id",
        )
        .bind(&reference)
        .bind(status)
        .bind(CATEGORIES[i % 4])
        .bind(PLATFORMS[i % 3])
        .bind(format!("{}", 100_000 + i))
        .bind(format!("{}", 100_000 + i))
        .bind(&fields)
        .bind(&at)
        .bind(&at)
        .bind(assignee)
        .fetch_one(&mut *tx)
        .await
        .unwrap();
        for (seq, (author, text)) in [
            ("user", "my name is wrong in the records"),
            ("bot", "I'll collect what the alumni office needs."),
            ("user", "Alumnus Number"),
        ]
        .iter()
        .enumerate()
        {
            sqlx::query(
                "INSERT INTO ticket_transcript (ticket_id, seq, author, text) VALUES (?, ?, ?, ?)",
            )
            .bind(id)
            .bind(seq as i64)
            .bind(author)
            .bind(text)
            .execute(&mut *tx)
            .await
            .unwrap();
        }
        // Every correction request carries a copy of an ID (rows only: the page lists them).
        for _ in 0..(i % 4 == 0) as usize + 1 {
            sqlx::query(
                "INSERT INTO ticket_attachments (ticket_id, hash, media_type, size, created_at)
                 VALUES (?, ?, 'image/jpeg', 250000, ?)",
            )
            .bind(id)
            .bind(blake3::hash(reference.as_bytes()).to_hex().to_string())
            .bind(&at)
            .execute(&mut *tx)
            .await
            .unwrap();
        }
        sqlx::query(
            "INSERT INTO ticket_events (ticket_id, at, actor, action, detail)
             VALUES (?, ?, 'system', 'opened', '')",
        )
        .bind(id)
        .bind(&at)
        .execute(&mut *tx)
        .await
        .unwrap();
        references.push(reference);
    }
    tx.commit().await.unwrap();
    references
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i].as_secs_f64() * 1000.0
}

async fn time_page(http: &reqwest::Client, base: &str, cookie: &str, path: &str) {
    let mut times = Vec::with_capacity(REQUESTS);
    let mut bytes = 0;
    for _ in 0..REQUESTS {
        let start = Instant::now();
        let response = http
            .get(format!("{base}{path}"))
            .header("cookie", cookie)
            .send()
            .await
            .unwrap();
        assert!(
            response.status().is_success(),
            "{path}: {}",
            response.status()
        );
        bytes = response.bytes().await.unwrap().len();
        times.push(start.elapsed());
    }
    times.sort();
    println!(
        "  {path:<58} p50 {:>6.2} ms  p90 {:>6.2} ms  p99 {:>6.2} ms  max {:>6.2} ms  ({} KB)",
        percentile(&times, 0.5),
        percentile(&times, 0.9),
        percentile(&times, 0.99),
        percentile(&times, 1.0),
        bytes / 1024
    );
}

async fn sign_in(http: &reqwest::Client, base: &str) -> String {
    let form = http.get(format!("{base}/login")).send().await.unwrap();
    let pre = form.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_string();
    let csrf = pre.split('=').nth(1).unwrap().to_string();
    let signed_in = http
        .post(format!("{base}/login"))
        .header("cookie", &pre)
        .form(&[
            ("username", "bench"),
            ("password", PASSWORD),
            ("csrf", &csrf),
        ])
        .send()
        .await
        .unwrap();
    signed_in
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap())
        .find(|c| c.starts_with(desk::SESSION_COOKIE))
        .expect("signed in")
        .split(';')
        .next()
        .unwrap()
        .to_string()
}

fn rss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

async fn run(tickets: usize) {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("bot.db");
    let store = Store::open(&db).await.unwrap();
    let started = Instant::now();
    let references = fill(&store, tickets).await;
    println!(
        "{tickets} tickets written in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    let hash = accounts::hash(&Password::new(PASSWORD).unwrap()).unwrap();
    let login: Login = "bench".parse().unwrap();
    store.add_staff(&login, &hash, "bench").await.unwrap();

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let state = Desk::new(store.clone(), None, &config::Desk::default()).unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(desk::serve(listener, state, async {
        let _ = stopped.await;
    }));
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let cookie = sign_in(&http, &base).await;
    println!("\nDesk pages, {REQUESTS} requests each, one at a time (request to last byte):");
    let middle = &references[references.len() / 2];
    for path in [
        "/tickets".to_string(),
        "/tickets?status=all".into(),
        "/tickets?status=all&category=contact_staff&platform=discord&age=7d".into(),
        "/tickets?status=claimed&assignee=staff%3Amember3".into(),
        format!("/tickets?status=all&page={}", tickets / 50 / 2),
        "/tickets?status=all&q=B0042".into(),
        format!("/tickets/{middle}"),
    ] {
        time_page(&http, &base, &cookie, &path).await;
    }
    let _ = stop.send(());
    let _ = server.await;

    // `serve` with only the desk, from the release build if there is one.
    let binary = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/release/alumni-bot");
    if !binary.exists() {
        println!(
            "\n(no target/release/alumni-bot: build it with `cargo build --release` for the memory figures)"
        );
        return;
    }
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let mut serve = std::process::Command::new(&binary)
        .arg("--db")
        .arg(&db)
        .arg("serve")
        .env("ALUMNI_BOT_DESK_LISTEN", format!("127.0.0.1:{port}"))
        .env_remove("ALUMNI_BOT_TELEGRAM_TOKEN")
        .env_remove("ALUMNI_BOT_DISCORD_TOKEN")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let base = format!("http://127.0.0.1:{port}");
    for _ in 0..100 {
        if http.get(format!("{base}/healthz")).send().await.is_ok() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    tokio::time::sleep(Duration::from_secs(3)).await;
    let idle = rss_kib(serve.id());
    let cookie = sign_in(&http, &base).await;
    for i in 0..200 {
        let path = format!("/tickets?status=all&page={}", i % (tickets / 50).max(1));
        let page = http
            .get(format!("{base}{path}"))
            .header("cookie", &cookie)
            .send()
            .await
            .unwrap();
        assert!(page.status().is_success());
        let _ = page.bytes().await;
    }
    let busy = rss_kib(serve.id());
    println!(
        "\n`alumni-bot serve` (release, desk only, {tickets} tickets): resident memory {:.1} MiB idle, {:.1} MiB after 200 queue pages",
        idle as f64 / 1024.0,
        busy as f64 / 1024.0
    );
    let _ = serve.kill();
    let _ = serve.wait();
}
