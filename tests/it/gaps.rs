//! Unanswered questions: what users typed that the bot fell back on or clarified, recorded
//! redacted (never the raw text), grouped by `kb gaps`, deleted by retention, not kept at all
//! when switched off; a failure to record them changes no reply. And the engine's metrics.

use std::path::Path;

use alumni_bot::core::{Gap, GapKind, GapLog, Nearest, Redacted};
use alumni_bot::lang::Lang;
use alumni_bot::store::Store;
use serde_json::Value;

use crate::helpers::{bin, buttons, engine, press, run_with_stdin, say, texts};

const EMAIL: &str = "peter.chan@gmail.com";
const PHONE: &str = "9123 4567";
const WITH_CONTACTS: &str =
    "My email is peter.chan@gmail.com and my phone is 9123 4567, can you order a pizza for me?";

/// Out-of-scope questions (two wordings of one), one with an email and a phone number, a
/// Cantonese one, an ambiguous word; then a button, a command and a question the bot answers.
fn conversation() -> String {
    [
        serde_json::json!({"user": "u1", "text": "what is the weather today?"}),
        serde_json::json!({"user": "u2", "text": "what will the weather be like today"}),
        serde_json::json!({"user": "u3", "text": WITH_CONTACTS}),
        serde_json::json!({"user": "u4", "text": "今日天氣點樣呀？"}),
        serde_json::json!({"user": "u5", "text": "email"}),
        serde_json::json!({"user": "u5", "button": "none"}),
        serde_json::json!({"user": "u6", "text": "/help"}),
        serde_json::json!({"user": "u6", "text": "I forgot my password"}),
    ]
    .iter()
    .map(|l| format!("{l}\n"))
    .collect()
}

/// `chat --jsonl` on `db` with `input`: the answers, one a line.
fn chat(db: &Path, env: &[(&str, &str)], input: &str) -> (Vec<Value>, String) {
    let mut cmd = bin();
    cmd.arg("--db").arg(db).args(["chat", "--jsonl"]);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = run_with_stdin(cmd, input);
    assert!(out.status.success(), "{out:?}");
    let answers = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    (answers, String::from_utf8(out.stderr).unwrap())
}

fn kb_gaps(db: &Path, args: &[&str]) -> String {
    let out = bin()
        .arg("--db")
        .arg(db)
        .args(["kb", "gaps"])
        .args(args)
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    String::from_utf8(out.stdout).unwrap()
}

fn group_of<'a>(groups: &'a [Value], text: &str) -> &'a Value {
    groups
        .iter()
        .find(|g| g["examples"].as_array().unwrap().iter().any(|e| e == text))
        .unwrap_or_else(|| panic!("no group has {text:?}: {groups:#?}"))
}

/// Every byte of the database: the file and its WAL.
fn database_bytes(db: &Path) -> Vec<u8> {
    let mut bytes = Vec::new();
    for suffix in ["", "-wal", "-shm", "-journal"] {
        let mut path = db.as_os_str().to_owned();
        path.push(suffix);
        if let Ok(b) = std::fs::read(&path) {
            bytes.extend(b);
        }
    }
    bytes
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|w| w == needle.as_bytes())
}

#[tokio::test(flavor = "multi_thread")]
async fn the_binary_records_unanswered_questions_redacted_and_groups_them() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("bot.db");

    let (answers, _) = chat(&db, &[], &conversation());

    for (i, answer) in answers[..3].iter().enumerate() {
        assert!(texts(answer).contains("I don't know"), "{i}: {answer}");
    }
    assert!(texts(&answers[3]).contains("不清楚"), "{}", answers[3]);
    assert!(
        texts(&answers[4]).contains("Did you mean"),
        "{}",
        answers[4]
    );
    let first_choice = buttons(&answers[4])[0].1.clone();
    let groups: Vec<Value> = serde_json::from_str(&kb_gaps(&db, &["--json"])).unwrap();
    // Five questions typed and not answered; the button, /help and the answered question are
    // not among them. The two wordings of the weather question are one group.
    let total: u64 = groups.iter().map(|g| g["count"].as_u64().unwrap()).sum();
    assert_eq!(total, 5, "{groups:#?}");
    assert_eq!(groups.len(), 4, "{groups:#?}");
    let weather = &groups[0];
    assert_eq!(weather["count"], 2);
    assert_eq!(weather["kinds"]["fallback"], 2);
    assert_eq!(weather["langs"]["en"], 2);
    assert!(
        group_of(&groups, "what is the weather today?") == weather
            && group_of(&groups, "what will the weather be like today") == weather
    );
    let redacted = "My email is [email] and my phone is [number], can you order a pizza for me?";
    let contacts = group_of(&groups, redacted);
    assert_eq!(contacts["count"], 1);
    assert_eq!(contacts["representative"], redacted);
    let cantonese = group_of(&groups, "今日天氣點樣呀？");
    assert_eq!(cantonese["langs"]["zh-Hant"], 1);
    assert_eq!(cantonese["kinds"]["fallback"], 1);
    let ambiguous = group_of(&groups, "email");
    assert_eq!(ambiguous["kinds"]["clarify"], 1);
    assert_eq!(ambiguous["kinds"]["fallback"], 0);
    assert_eq!(
        format!("intent:{}", ambiguous["nearest_intent"].as_str().unwrap()),
        first_choice,
        "a \"did you mean\" is nearest to its first choice"
    );
    assert_eq!(ambiguous["nearest_intent_count"], 1);
    let json = serde_json::to_string(&groups).unwrap();
    assert!(!json.contains(EMAIL) && !json.contains(PHONE), "{json}");

    let table = kb_gaps(&db, &["--days", "7"]);
    assert!(
        table.starts_with("5 unanswered question(s) in the last 7 days, in 4 group(s):"),
        "{table}"
    );
    assert!(table.contains(redacted), "{table}");
    assert!(table.contains("今日天氣點樣呀？"), "{table}");

    // The conversation keeps what the user wrote (its transcript is what a ticket would carry):
    // the raw text is in the file until the user is forgotten.
    assert!(contains(&database_bytes(&db), EMAIL));
    let out = bin()
        .arg("--db")
        .arg(&db)
        .args(["users", "forget", "console:u3"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    // Then, once freed pages are gone, nothing in the file holds the email or the number; the
    // question is still there, redacted.
    {
        let store = Store::open(&db).await.unwrap();
        sqlx::query("VACUUM").execute(store.pool()).await.unwrap();
        sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
            .execute(store.pool())
            .await
            .unwrap();
        store.pool().close().await;
    }
    let bytes = database_bytes(&db);
    assert!(contains(&bytes, redacted));
    for personal in [EMAIL, "peter.chan", PHONE, "91234567"] {
        assert!(
            !contains(&bytes, personal),
            "{personal:?} is in the database"
        );
    }
    let after: Vec<Value> = serde_json::from_str(&kb_gaps(&db, &["--json"])).unwrap();
    assert_eq!(
        after, groups,
        "forgetting a user leaves the questions, which name no one"
    );
}

#[test]
fn switched_off_nothing_is_recorded() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("bot.db");

    let (answers, _) = chat(&db, &[("ALUMNI_BOT_RECORD_GAPS", "0")], &conversation());

    assert!(
        texts(&answers[0]).contains("I don't know"),
        "{}",
        answers[0]
    );
    assert!(
        texts(&answers[4]).contains("Did you mean"),
        "{}",
        answers[4]
    );
    assert_eq!(kb_gaps(&db, &["--json"]), "[]\n");
    assert_eq!(kb_gaps(&db, &[]), "No unanswered questions recorded.\n");
}

/// The table is gone (a broken database): the user is answered as ever, the conversation is
/// saved, and the failure is logged without what the user wrote.
#[tokio::test(flavor = "multi_thread")]
async fn a_question_that_cannot_be_recorded_changes_no_reply() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("bot.db");
    {
        let store = Store::open(&db).await.unwrap();
        sqlx::query("DROP TABLE kb_gaps")
            .execute(store.pool())
            .await
            .unwrap();
        store.pool().close().await;
    }
    let line = serde_json::json!({"user": "u3", "text": WITH_CONTACTS}).to_string();

    let (answers, log) = chat(&db, &[("RUST_LOG", "trace")], &format!("{line}\n{line}\n"));

    assert!(
        texts(&answers[0]).contains("I don't know"),
        "{}",
        answers[0]
    );
    // The second time, the bot offers a person: it remembered the first miss.
    assert!(
        texts(&answers[1]).contains("A person at the alumni office"),
        "{}",
        answers[1]
    );
    assert!(
        log.contains("recording an unanswered question failed"),
        "{log}"
    );
    for personal in [EMAIL, PHONE, "pizza"] {
        assert!(!log.contains(personal), "{personal:?} logged: {log}");
    }
}

#[tokio::test]
async fn typed_questions_not_answered_are_recorded_redacted() {
    let engine = engine();

    let fallback = say(
        &engine,
        "a",
        "my passport K12345678 expired, can you order a taxi?",
    )
    .await;
    let clarify = say(&engine, "b", "email").await;

    assert!(texts_of(&fallback).contains("I don't know"));
    let gaps = engine.store().gaps();
    assert_eq!(gaps.len(), 2, "{gaps:#?}");
    assert_eq!(gaps[0].kind, GapKind::Fallback);
    assert_eq!(
        gaps[0].text.as_str(),
        "my passport [id] expired, can you order a taxi?"
    );
    assert_eq!(gaps[0].lang, Lang::En);
    let nearest = gaps[0]
        .nearest
        .as_ref()
        .expect("the matcher's best candidate");
    assert!(nearest.score > 0.0 && nearest.score < 1.0, "{nearest:?}");
    assert_eq!(gaps[1].kind, GapKind::Clarify);
    assert_eq!(gaps[1].text.as_str(), "email");
    let first_choice = &clarify[0].buttons[0].data;
    assert_eq!(
        first_choice.to_string(),
        format!("intent:{}", gaps[1].nearest.as_ref().unwrap().intent)
    );
}

#[tokio::test]
async fn buttons_commands_and_answers_are_not_recorded() {
    let engine = engine();

    say(&engine, "a", "email").await;
    // The button "None of these", typed.
    say(&engine, "a", "None of these").await;
    press(&engine, "c", "none").await;
    say(&engine, "b", "/help").await;
    say(&engine, "b", "/start").await;
    say(&engine, "b", "how do I reset my password?").await;

    let gaps = engine.store().gaps();
    assert_eq!(gaps.len(), 1, "only the typed \"email\": {gaps:#?}");
}

#[tokio::test]
async fn switched_off_the_engine_keeps_nothing() {
    let engine = engine().with_gap_log(false);

    let replies = say(&engine, "a", "what is the weather today?").await;

    assert!(texts_of(&replies).contains("I don't know"));
    assert!(engine.store().gaps().is_empty());
    assert_eq!(engine.metrics().messages(), 1);
}

#[tokio::test]
async fn the_metrics_count_what_the_engine_did() {
    let engine = engine();

    say(&engine, "a", "what is the weather today?").await;
    say(&engine, "b", "email").await;
    say(&engine, "c", "how do I reset my password?").await;
    say(&engine, "d", "/start").await;

    let mut out = String::new();
    engine.metrics().render(&mut out);
    assert!(out.contains("\nalumni_bot_messages_total 4\n"), "{out}");
    assert!(out.contains("\nalumni_bot_fallbacks_total 1\n"), "{out}");
    assert!(
        out.contains("\nalumni_bot_clarifications_total 1\n"),
        "{out}"
    );
    assert!(
        out.contains("\nalumni_bot_answers_total{intent=\"username_password\"} 1\n"),
        "{out}"
    );
    assert!(
        out.contains("alumni_bot_turn_seconds_bucket{le=\"+Inf\"} 4\n"),
        "{out}"
    );
    assert!(out.contains("\nalumni_bot_turn_seconds_count 4\n"), "{out}");
    assert!(!out.contains("weather"), "no text of the user: {out}");
}

/// Retention deletes questions older than its days; `--days` shows only recent ones.
#[tokio::test]
async fn retention_and_days_apply_to_questions() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("bot.db")).await.unwrap();
    let asked = |days_ago: i64, text: &str| Gap {
        at: chrono::Utc::now() - chrono::Duration::days(days_ago),
        kind: GapKind::Fallback,
        text: Redacted::new(text),
        lang: Lang::En,
        nearest: Some(Nearest {
            intent: "eligibility".into(),
            score: 0.25,
        }),
    };
    store.record_gap(asked(100, "order a pizza")).await.unwrap();
    store.record_gap(asked(40, "book a flight")).await.unwrap();
    store.record_gap(asked(1, "weather today")).await.unwrap();

    let recent = store.gap_groups(Some(30)).await.unwrap();
    assert_eq!(recent.len(), 1);
    assert_eq!(recent[0].representative, "weather today");
    assert_eq!(recent[0].nearest_intent.as_deref(), Some("eligibility"));
    let report = store.purge(90, "test").await.unwrap();
    assert_eq!(report.gaps, 1);
    let kept = store.gaps(None).await.unwrap();
    assert_eq!(
        kept.iter().map(|g| g.text.as_str()).collect::<Vec<_>>(),
        ["book a flight", "weather today"]
    );
    assert_eq!(kept[0].nearest.as_ref().unwrap().score, 0.25);
}

fn texts_of(replies: &[alumni_bot::core::Reply]) -> String {
    replies
        .iter()
        .map(|r| r.text.as_str())
        .collect::<Vec<_>>()
        .join("\n")
}
