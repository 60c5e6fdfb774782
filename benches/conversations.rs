//! The conversation load benchmark: `cargo bench --bench conversations [-- USERS]`.
//!
//! Simulated users talk to the core through the real SQLite store on disk (WAL, migrations,
//! files), on a two-worker tokio runtime. Each user asks an FAQ question, mistypes one, then
//! goes through the contact flow to a ticket: 7 messages, every one loaded and saved. Three runs:
//! - **one user at a time**: the time a message takes, persistence included, with no queueing;
//! - **USERS (default 1,000) at once, paced**: each user waits 0.5–1.5 s between messages, as
//!   people do (about USERS messages a second offered): latency under that load;
//! - **USERS at once, flat out**: no pauses at all, so the latency is mostly queueing
//!   (Little's law); this gives the most messages per second the core sustains.
//!
//! Each run reports latency percentiles (overall and for each message of the script),
//! messages per second, tickets written and errors (replies that apologise); a missing ticket
//! fails the benchmark.

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use alumni_bot::core::{Content, Engine, Inbound, Sender};
use alumni_bot::privacy::Pseudonymizer;
use alumni_bot::store::Store;

const SCRIPT: [&str; 7] = [
    "how do I reset my password",
    "how do i set up forwrding to gmail",
    "I want to talk to a person",
    "1",
    "My alias does not show as the sender, please help.",
    "someone@example.org",
    "send",
];

fn main() {
    let users: usize = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(1_000);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(run(users));
}

async fn run(users: usize) {
    let kb = alumni_bot::knowledge::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("knowledge"))
        .expect("the shipped knowledge base loads");
    let kb = Arc::new(kb);
    let matcher = Arc::new(alumni_bot::app::build_matcher(&kb));
    for (title, users, pause) in [
        ("one user at a time (200 conversations in a row)", 1, None),
        (
            &*format!("{users} concurrent users, 0.5-1.5 s between messages"),
            users,
            Some((500, 1500)),
        ),
        (&*format!("{users} concurrent users, flat out"), users, None),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("load.db")).await.unwrap();
        let engine = Arc::new(Engine::new(
            kb.clone(),
            matcher.clone(),
            store,
            Pseudonymizer::from_secret("bench"),
        ));
        let rounds = if users == 1 { 200 } else { 1 };
        let started = Instant::now();
        let mut tasks = Vec::with_capacity(users);
        for u in 0..users {
            let engine = engine.clone();
            tasks.push(tokio::spawn(async move {
                let mut latencies: Vec<(usize, Duration)> =
                    Vec::with_capacity(SCRIPT.len() * rounds);
                let mut errors = 0;
                let mut rng = alumni_bot::matcher::model::XorShift(u as u64 * 7919 + 1);
                for round in 0..rounds {
                    let from = Sender::private(
                        alumni_bot::core::Platform::Console,
                        &format!("user{u}-{round}"),
                    );
                    for (step, text) in SCRIPT.iter().enumerate() {
                        if let Some((low, high)) = pause {
                            let wait = low + rng.next_u64() % (high - low);
                            tokio::time::sleep(Duration::from_millis(wait)).await;
                        }
                        let sent = Instant::now();
                        let replies = engine
                            .handle(Inbound {
                                from: from.clone(),
                                content: Content::Text(text.to_string()),
                            })
                            .await;
                        latencies.push((step, sent.elapsed()));
                        if replies.iter().any(|r| r.text.contains("went wrong")) {
                            errors += 1;
                        }
                    }
                }
                (latencies, errors)
            }));
        }
        let mut latencies: Vec<Duration> = Vec::new();
        let mut by_step: Vec<Vec<Duration>> = vec![Vec::new(); SCRIPT.len()];
        let mut errors = 0;
        for t in tasks {
            let (l, e) = t.await.unwrap();
            for (step, d) in l {
                latencies.push(d);
                by_step[step].push(d);
            }
            errors += e;
        }
        let elapsed = started.elapsed();
        latencies.sort();
        let pct =
            |p: f64| latencies[((latencies.len() as f64 * p) as usize).min(latencies.len() - 1)];
        let tickets = engine.store().list_tickets().await.unwrap().len();
        let (rows, bytes): (i64, Option<f64>) =
            sqlx::query_as("SELECT COUNT(*), AVG(LENGTH(state)) FROM conversations")
                .fetch_one(engine.store().pool())
                .await
                .unwrap();
        println!("== {title} ==");
        println!(
            "per message incl. load+save: median {:.2} ms, p90 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
            ms(pct(0.5)),
            ms(pct(0.9)),
            ms(pct(0.99)),
            ms(*latencies.last().unwrap())
        );
        println!(
            "{:.0} messages/s ({} messages in {:.2} s); tickets written: {tickets} of {}; errors: {errors}",
            latencies.len() as f64 / elapsed.as_secs_f64(),
            latencies.len(),
            elapsed.as_secs_f64(),
            users * rounds
        );
        println!(
            "conversations stored: {rows}, {:.0} bytes of state each on average; process RSS now {:.0} MB",
            bytes.unwrap_or(0.0),
            rss_mb()
        );
        for (i, mut l) in by_step.into_iter().enumerate() {
            l.sort();
            println!(
                "  message {} ({:?}): median {:.2} ms, p99 {:.2} ms",
                i + 1,
                SCRIPT[i],
                ms(l[l.len() / 2]),
                ms(l[(l.len() * 99 / 100).min(l.len() - 1)])
            );
        }
        assert_eq!(
            tickets,
            users * rounds,
            "every conversation's ticket is written"
        );
    }
}

/// The resident memory of this process, from /proc (0 where there is none).
fn rss_mb() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
        })
        .map_or(0.0, |kb| kb / 1024.0)
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}
