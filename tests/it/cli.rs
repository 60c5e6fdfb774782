//! The machine interfaces of CONTRACTS.md, end to end through the built binary.

use std::process::Stdio;

use serde_json::Value;

use crate::helpers::{Session, bin, buttons, run_with_stdin, texts};

#[test]
fn match_writes_one_json_object_per_line() {
    let mut cmd = bin();
    cmd.arg("match");
    let mut s = Session::spawn(cmd);
    let a = s.ask("I forgot my password");
    assert_eq!(a["text"], "I forgot my password");
    assert_eq!(a["intent"], "username_password");
    assert_eq!(a["decision"], "answer");
    let score = a["score"].as_f64().unwrap();
    assert!((0.0..=1.0).contains(&score));
    let candidates = a["candidates"].as_array().unwrap();
    assert!(!candidates.is_empty() && candidates.len() <= 5);
    assert_eq!(candidates[0]["intent"], "username_password");
    assert!(a["micros"].as_f64().unwrap() > 0.0);

    let oos = s.ask("what's the weather in paris tomorrow");
    assert_eq!(oos["intent"], Value::Null);
    assert_eq!(oos["decision"], "fallback");
    let empty = s.ask("");
    assert_eq!(empty["decision"], "fallback");
}

#[test]
fn match_train_builds_from_a_labelled_file() {
    let dir = tempfile::tempdir().unwrap();
    let train = dir.path().join("train.jsonl");
    let lines = [
        r#"{"text": "play some jazz", "intent": "music"}"#,
        r#"{"text": "put on a song", "intent": "music"}"#,
        r#"{"text": "start my playlist", "intent": "music"}"#,
        r#"{"text": "will it rain today", "intent": "weather"}"#,
        r#"{"text": "how hot is it outside", "intent": "weather"}"#,
        r#"{"text": "forecast for tomorrow", "intent": "weather"}"#,
        r#"{"text": "book me a taxi", "intent": null}"#,
    ];
    std::fs::write(&train, lines.join("\n")).unwrap();
    let mut cmd = bin();
    cmd.args(["match", "--train"])
        .arg(&train)
        .arg("--calibrate")
        .arg(&train);
    let out = run_with_stdin(cmd, "play a song\nis it going to rain\n");
    assert!(out.status.success());
    let answers: Vec<Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(answers.len(), 2);
    assert_eq!(answers[0]["candidates"][0]["intent"], "music");
    assert_eq!(answers[1]["candidates"][0]["intent"], "weather");
}

#[test]
fn chat_jsonl_keeps_context_and_survives_bad_lines() {
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = bin();
    cmd.arg("chat")
        .arg("--jsonl")
        .arg("--db")
        .arg(dir.path().join("bot.db"));
    let mut s = Session::spawn(cmd);

    let answer = s.ask(r#"{"user": "u1", "text": "how do I set up forwarding to my gmail"}"#);
    assert!(texts(&answer).contains("Forwarding"), "{answer}");

    assert!(s.ask("this is not json")["error"].is_string());
    assert!(s.ask(r#"{"user": "u1"}"#)["error"].is_string());
    assert!(s.ask(r#"{"user": "u1", "text": "x", "button": "y"}"#)["error"].is_string());
    assert!(s.ask(r#"{"user": 5, "text": "x"}"#)["error"].is_string());

    // u1 gets choices; u2 talks in between; u1 answers "1".
    let lost = s.ask(r#"{"user": "u1", "text": "blorp"}"#);
    let offered = buttons(&lost);
    assert!(!offered.is_empty(), "{lost}");
    s.ask(r#"{"text": "hello"}"#);
    let picked = s.ask(r#"{"user": "u1", "text": "1"}"#);
    let by_button = s.ask(&serde_json::json!({"user": "u3", "button": offered[0].1}).to_string());
    assert_eq!(texts(&picked), texts(&by_button));

    let huge = serde_json::json!({"user": "u1", "text": "x".repeat(100_000)}).to_string();
    assert!(texts(&s.ask(&huge)).contains("too long"));
    let emoji = s.ask(r#"{"user": "u1", "text": "🙂🙂"}"#);
    assert!(texts(&emoji).contains("didn't catch"), "{emoji}");
}

#[test]
fn chat_context_survives_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("bot.db");
    let start = |db: &std::path::Path| {
        let mut cmd = bin();
        cmd.args(["--db"]).arg(db).args(["chat", "--jsonl"]);
        Session::spawn(cmd)
    };
    let mut first = start(&db);
    let offered = buttons(&first.ask(r#"{"user": "u1", "text": "blorp"}"#));
    // kill -9: no chance to clean up.
    first.child.kill().unwrap();
    drop(first);
    let mut second = start(&db);
    let picked = second.ask(r#"{"user": "u1", "text": "2"}"#);
    let expected =
        second.ask(&serde_json::json!({"user": "u9", "button": offered[1].1}).to_string());
    assert_eq!(texts(&picked), texts(&expected));
}

#[test]
fn interactive_chat_numbers_the_choices() {
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = bin();
    cmd.arg("--db").arg(dir.path().join("bot.db"));
    let out = run_with_stdin(cmd, "zorblax\n1\n/quit\n");
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(out.status.success());
    assert!(text.contains("  1. ") && text.contains("  2. "), "{text}");
    assert!(!text.contains("**"), "markup must be rendered: {text}");
    assert!(text.trim_end().ends_with("Goodbye!"), "{text}");
}

#[test]
fn a_broken_knowledge_base_is_reported_and_refused() {
    let dir = tempfile::tempdir().unwrap();
    let kb = dir.path().join("kb");
    std::fs::create_dir(&kb).unwrap();
    std::fs::write(
        kb.join("a.yaml"),
        "intents:\n  - id: one\n    title: One\n    examples: []\n    answer: x\n",
    )
    .unwrap();
    std::fs::write(
        kb.join("b.yaml"),
        "intents:\n  - id: two\n    title: [oops\n",
    )
    .unwrap();
    let check = bin()
        .arg("--knowledge")
        .arg(&kb)
        .args(["kb", "check"])
        .output()
        .unwrap();
    assert_eq!(check.status.code(), Some(1));
    let report = String::from_utf8(check.stdout).unwrap();
    assert!(
        report.contains("a.yaml:2: intent `one`: there are no examples"),
        "{report}"
    );
    assert!(
        report.contains("b.yaml:3:") || report.contains("b.yaml:4:"),
        "{report}"
    );

    let chat = bin()
        .arg("--knowledge")
        .arg(&kb)
        .arg("--db")
        .arg(dir.path().join("x.db"))
        .args(["chat", "--jsonl"])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(!chat.status.success());
    let err = String::from_utf8(chat.stderr).unwrap();
    assert!(
        err.contains("a.yaml:2:") && err.contains("problem"),
        "{err}"
    );
    assert!(
        !dir.path().join("x.db").exists(),
        "nothing is created before the knowledge base is sound"
    );

    let ok = bin().args(["kb", "check"]).output().unwrap();
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stdout)
    );
}

#[test]
fn global_options_go_before_or_after_the_subcommand() {
    let dir = tempfile::tempdir().unwrap();
    for args in [
        vec!["--db", "a.db", "chat", "--jsonl"],
        vec!["chat", "--jsonl", "--db", "b.db"],
    ] {
        let out = bin()
            .current_dir(dir.path())
            .args(&args)
            .stdin(Stdio::null())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    assert!(dir.path().join("a.db").exists() && dir.path().join("b.db").exists());
}

#[test]
fn trace_logs_carry_no_message_text_or_ids() {
    let dir = tempfile::tempdir().unwrap();
    let input = [
        r#"{"user": "98765432", "text": "my passport number K1234567 is wrong, my name is Chan Tai Man"}"#,
        r#"{"user": "98765432", "text": "write to peter.chan@example.com please"}"#,
        r#"{"user": "98765432", "text": "1"}"#,
    ]
    .join("\n");
    let mut cmd = bin();
    cmd.env("RUST_LOG", "trace")
        .arg("--db")
        .arg(dir.path().join("bot.db"))
        .args(["chat", "--jsonl"]);
    let out = run_with_stdin(cmd, &input);
    assert!(out.status.success());
    let logs = String::from_utf8_lossy(&out.stderr);
    assert!(
        logs.contains("matched") && logs.contains("u:"),
        "logging was on, with pseudonyms: {logs}"
    );
    for secret in [
        "98765432",
        "K1234567",
        "Chan Tai Man",
        "peter.chan",
        "passport number",
    ] {
        assert!(!logs.contains(secret), "{secret:?} leaked into the logs");
    }
}
