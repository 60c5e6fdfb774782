//! Abuse limits, the block list, `/forget`, redelivered updates, and inputs that try to break
//! things (property tests: arbitrary text through the normaliser, the matcher and the engine;
//! arbitrary YAML through the loader; arbitrary lines through `chat --jsonl`).

use alumni_bot::core::{Content, Engine, Inbound, MemoryStore, Reply, Sender};
use alumni_bot::store::Store;
use proptest::prelude::*;

use crate::helpers::{engine, engine_with, say, shipped};

fn text(replies: &[Reply]) -> String {
    replies
        .iter()
        .map(|r| r.text.as_str())
        .collect::<Vec<_>>()
        .join("\n")
}

#[tokio::test]
async fn blocked_users_are_ignored_and_blocking_is_audited() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("bot.db")).await.unwrap();
    let e = engine_with(store.clone());
    let from = Sender::private(alumni_bot::core::Platform::Telegram, "4242");
    let ask = || Inbound {
        from: from.clone(),
        content: Content::Text("how do I reset my password".into()),
    };
    assert!(!e.handle(ask()).await.is_empty());
    drop(e);
    let db = dir.path().join("bot.db");
    let out = crate::helpers::bin()
        .arg("--db")
        .arg(&db)
        .args(["users", "block", "telegram:4242", "--reason", "spam"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let e = engine_with(store.clone());
    assert!(e.handle(ask()).await.is_empty(), "blocked: no reply");
    let out = crate::helpers::bin()
        .arg("--db")
        .arg(&db)
        .args(["users", "unblock", "telegram:4242"])
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(!e.handle(ask()).await.is_empty(), "unblocked");
    let audit = store.audit_log().await.unwrap();
    let actions: Vec<&str> = audit.iter().map(|a| a.action.as_str()).collect();
    assert_eq!(actions, ["block", "unblock"]);
    assert!(audit[0].actor.starts_with("cli:") && audit[0].detail.contains("spam"));
}

/// Files a general ticket through the contact flow; the replies to "send".
async fn file_general(e: &Engine<MemoryStore>, user: &str, message: &str) -> Vec<Reply> {
    say(e, user, "/contact").await;
    say(e, user, "1").await;
    say(e, user, message).await;
    say(e, user, "me@example.org").await;
    say(e, user, "send").await
}

#[tokio::test]
async fn open_tickets_per_user_are_capped() {
    let e = engine();
    for i in 0..3 {
        let r = file_general(&e, "u1", &format!("request {i}")).await;
        assert!(text(&r).contains("reference"), "{r:?}");
    }
    let r = file_general(&e, "u1", "request 4").await;
    assert!(text(&r).contains("already have 3 open requests"), "{r:?}");
    assert_eq!(e.store().tickets().len(), 3);
    // Once one is resolved, there is room again.
    let first = e.store().tickets()[0].0.clone();
    e.store()
        .set_status(&first, alumni_bot::core::TicketStatus::Resolved);
    let r = file_general(&e, "u1", "request 5").await;
    assert!(text(&r).contains("reference"), "{r:?}");
}

#[tokio::test]
async fn forget_deletes_what_it_can_and_says_what_it_kept() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("bot.db")).await.unwrap();
    let e = engine_with(store.clone());
    let from = Sender::private(alumni_bot::core::Platform::Telegram, "77");
    let say = |t: &str| {
        let e = &e;
        let inbound = Inbound {
            from: from.clone(),
            content: Content::Text(t.into()),
        };
        async move { e.handle(inbound).await }
    };
    let mut references = Vec::new();
    for message in ["my passport is K1234567, please fix", "second thing"] {
        say("/contact").await;
        say("1").await;
        say(message).await;
        say("me@example.org").await;
        say("send").await;
        references.push(store.list_tickets().await.unwrap()[0].id.clone());
    }
    alumni_bot::core::staff::act(
        &store,
        "staff",
        true,
        &references[0].parse().unwrap(),
        alumni_bot::core::staff::Action::Resolve("done".into()),
    )
    .await
    .unwrap()
    .unwrap();
    say("I need to correct my records").await;
    // Another user, and the same id on another platform: not theirs to forget.
    for from in [
        Sender::private(alumni_bot::core::Platform::Telegram, "177"),
        Sender::private(alumni_bot::core::Platform::Discord, "77"),
    ] {
        e.handle(Inbound {
            from,
            content: Content::Text("hello".into()),
        })
        .await;
    }
    let r = say("/forget").await;
    assert!(
        text(&r).contains("kept your open request(s)") && text(&r).contains(&references[1]),
        "{r:?}"
    );
    let left = store.list_tickets().await.unwrap();
    assert_eq!(left.len(), 1, "the finished ticket is gone");
    assert_eq!(left[0].id, references[1]);
    let key = from.conversation_key();
    let conversation = alumni_bot::core::ConversationStore::load(&store, &key)
        .await
        .unwrap()
        .unwrap_or_default();
    assert_eq!(
        conversation,
        Default::default(),
        "nothing of the conversation is kept"
    );
    for other in ["telegram:177:177", "discord:77:77"] {
        let kept = alumni_bot::core::ConversationStore::load(&store, other)
            .await
            .unwrap();
        assert!(
            kept.is_some_and(|c| !c.transcript.is_empty()),
            "{other} kept"
        );
    }

    // Staff can do the same from the CLI for a user who asks them.
    drop(e);
    let out = crate::helpers::bin()
        .arg("--db")
        .arg(dir.path().join("bot.db"))
        .args(["users", "forget", "telegram:77"])
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && said.contains(&references[1]),
        "{said}"
    );
}

proptest! {
    // 256 cases in CI; `PROPTEST_CASES=100000` for a long fuzzing run.
    #![proptest_config(ProptestConfig {
        cases: std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(256),
        .. ProptestConfig::default()
    })]

    #[test]
    fn the_normaliser_and_matcher_take_any_text(input in any::<String>()) {
        let (_, matcher) = shipped();
        let tokens = alumni_bot::matcher::normalize::tokenize(&input);
        prop_assert!(tokens.iter().all(|t| !t.is_empty()));
        let outcome = matcher.classify(&input);
        prop_assert!(outcome.candidates.len() <= 5);
        prop_assert!(outcome.choices <= outcome.candidates.len());
    }

    #[test]
    fn the_loader_reports_instead_of_panicking(yaml in "(intents|flows|synonyms|out_of_scope|  - |id: |step: |say: |choices|next: |[a-z_]{1,6}|:|\n|\\[|\\]|\\{|\\}|,| ){0,60}") {
        let file = std::path::Path::new("x.yaml");
        if let Err(e) = alumni_bot::knowledge::load_sources(&[(file, yaml.as_str())]) {
            prop_assert!(!e.problems.is_empty());
            prop_assert!(e.problems.iter().all(|p| p.file == file && !p.message.is_empty()));
        }
    }

    #[test]
    fn the_engine_answers_any_message(input in any::<String>(), button in any::<String>()) {
        let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
        let e = engine();
        rt.block_on(async {
            let r = say(&e, "p", &input).await;
            prop_assert!(!r.is_empty());
            let r = crate::helpers::press(&e, "p", &button).await;
            prop_assert!(!r.is_empty());
            Ok(())
        })?;
    }
}

#[test]
fn chat_jsonl_answers_every_line_of_garbage() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;
    let mut runner = TestRunner::deterministic();
    let lines: Vec<String> = (0..200)
        .map(|_| {
            let s = prop_oneof![
                any::<String>(),
                "\\{\"(user|text|button|file)\": ?(\"[^\"\\\\]{0,20}\"|[0-9]{1,3}|null|\\[\\])\\}",
                "\\{\"text\": \"[a-z ]{0,30}\", \"user\": \"u[0-9]\"\\}",
            ];
            s.new_tree(&mut runner)
                .unwrap()
                .current()
                .replace(['\n', '\r'], " ")
        })
        .collect();
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = crate::helpers::bin();
    cmd.arg("--db")
        .arg(dir.path().join("bot.db"))
        .args(["chat", "--jsonl"]);
    let out = crate::helpers::run_with_stdin(cmd, &(lines.join("\n") + "\n"));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let answers: Vec<serde_json::Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).expect("every answer is JSON"))
        .collect();
    assert_eq!(answers.len(), lines.len(), "exactly one answer per line");
    for a in &answers {
        assert!(a["replies"].is_array() || a["error"].is_string(), "{a}");
    }
}

/// Another process holds the database's write lock longer than the bot waits (5 s): the user
/// gets an apology with a reference, nothing panics, and once the lock is gone all works.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_locked_database_gets_an_apology_then_recovers() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("bot.db");
    let store = Store::open(&db).await.unwrap();
    let e = engine_with(store);
    let ask = || Inbound {
        from: Sender::private(alumni_bot::core::Platform::Telegram, "1"),
        content: Content::Text("how do I reset my password".into()),
    };
    let options = sqlx::sqlite::SqliteConnectOptions::new().filename(&db);
    let mut other = sqlx::ConnectOptions::connect(&options).await.unwrap();
    sqlx::query("BEGIN EXCLUSIVE")
        .execute(&mut other)
        .await
        .unwrap();
    let locked = e.handle(ask()).await;
    assert!(
        text(&locked).contains("went wrong") && text(&locked).contains("quote reference"),
        "{locked:?}"
    );
    sqlx::query("COMMIT").execute(&mut other).await.unwrap();
    let fine = e.handle(ask()).await;
    assert!(text(&fine).contains("Forgot password"), "{fine:?}");
}
