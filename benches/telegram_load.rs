//! Load through Telegram: `cargo bench --bench telegram_load [-- USERS]`.
//!
//! USERS (default 300) users each send a question at once to the fake Bot API on 127.0.0.1; the
//! real teloxide client polls it, the core answers, replies go out through the throttle.
//! Reports the time from a message being available to its reply reaching the fake (median,
//! p99), replies per second, and errors. Telegram allows a bot about 30 messages a second in
//! all; the throttle keeps to that, so that limit, not the bot, sets the throughput here.

#[path = "../tests/it/fake_telegram.rs"]
#[allow(dead_code)]
mod fake_telegram;

use std::sync::Arc;
use std::time::{Duration, Instant};

use alumni_bot::config;
use alumni_bot::core::Engine;
use alumni_bot::core::limits::Limits;
use alumni_bot::privacy::Pseudonymizer;
use alumni_bot::store::Store;
use fake_telegram::{FakeTelegram, TOKEN};

fn main() {
    let users: i64 = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(300);
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
        .block_on(run(users));
}

async fn run(users: i64) {
    let fake = FakeTelegram::start().await;
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("load.db")).await.unwrap();
    let kb = alumni_bot::knowledge::load(
        &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("knowledge"),
    )
    .unwrap();
    let matcher = alumni_bot::app::build_matcher(&kb);
    let engine = Arc::new(
        Engine::new(
            Arc::new(kb),
            Arc::new(matcher),
            store,
            Pseudonymizer::from_secret("b"),
        )
        .with_limits(Limits::default()),
    );
    let settings = config::Telegram {
        token: Some(config::Secret::new(TOKEN)),
        api_url: Some(fake.url.clone()),
        ..Default::default()
    };
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        alumni_bot::telegram::run(engine, &settings, async {
            let _ = stopped.await;
        })
        .await
    });
    // Let the bot start polling.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let questions = [
        "how do I reset my password",
        "how to set up forwarding",
        "what is the alumni email account",
        "which browsers work with office 365",
    ];
    let started = Instant::now();
    let mut pushed = Vec::new();
    for u in 0..users {
        fake.say(100_000 + u, questions[u as usize % questions.len()]);
        pushed.push(Instant::now());
    }
    let deadline = Instant::now() + Duration::from_secs(120);
    let mut latencies = Vec::new();
    let mut seen = std::collections::HashSet::new();
    while (seen.len() as i64) < users && Instant::now() < deadline {
        for call in fake.calls_of("sendMessage") {
            let chat = call.body["chat_id"].as_i64().unwrap_or(0);
            if call.body["__refused"].is_null() && seen.insert(chat) {
                let i = (chat - 100_000) as usize;
                latencies.push(call.at.duration_since(pushed[i]));
            }
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let elapsed = started.elapsed();
    latencies.sort();
    let pct = |p: f64| latencies[((latencies.len() as f64 * p) as usize).min(latencies.len() - 1)];
    println!("== {users} Telegram users, one question each, through the fake Bot API ==");
    println!(
        "answered {} of {users} in {:.1} s: {:.1} replies/s; message to reply: median {:.0} ms, p99 {:.0} ms; errors: {}",
        latencies.len(),
        elapsed.as_secs_f64(),
        latencies.len() as f64 / elapsed.as_secs_f64(),
        pct(0.5).as_secs_f64() * 1000.0,
        pct(0.99).as_secs_f64() * 1000.0,
        users - latencies.len() as i64
    );
    let _ = stop.send(());
    task.await.unwrap().unwrap();
}
