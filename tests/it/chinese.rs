//! Chinese through the built binary's `chat --jsonl`: whole flows in Cantonese end as they do in
//! English, Simplified in gets Simplified out, `/language` chooses and sticks.

use serde_json::{Value, json};

use crate::helpers::{Session, bin, buttons, texts};

fn session(dir: &std::path::Path) -> Session {
    let mut cmd = bin();
    cmd.args(["--db"])
        .arg(dir.join("bot.db"))
        .args(["chat", "--jsonl"]);
    Session::spawn(cmd)
}

fn say(s: &mut Session, user: &str, text: &str) -> Value {
    s.ask(&json!({"user": user, "text": text}).to_string())
}

fn has_han(text: &str) -> bool {
    text.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c))
}

/// A photo of an ID card, as far as the bot's content check can tell.
fn id_copy(dir: &std::path::Path) -> std::path::PathBuf {
    let path = dir.join("id.png");
    std::fs::write(&path, b"\x89PNG\r\n\x1a\n a photo of an HKID card").unwrap();
    path
}

/// The tickets in the database, as `tickets list --json` prints them.
fn tickets(dir: &std::path::Path) -> Vec<Value> {
    let out = bin()
        .args(["--db"])
        .arg(dir.join("bot.db"))
        .args(["tickets", "list", "--json"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    serde_json::from_slice(&out.stdout).unwrap()
}

/// One correction request, typed as its writer would; the ticket it files.
fn correction(lines: &[&str]) -> (Vec<Value>, Value) {
    let dir = tempfile::tempdir().unwrap();
    let file = id_copy(dir.path());
    let mut s = session(dir.path());
    let mut answers = Vec::new();
    for line in lines {
        let answer = if *line == "<file>" {
            s.ask(&json!({"user": "u", "file": file}).to_string())
        } else {
            say(&mut s, "u", line)
        };
        answers.push(answer);
    }
    drop(s);
    let mut all = tickets(dir.path());
    assert_eq!(all.len(), 1, "{answers:#?}");
    (answers, all.remove(0))
}

#[test]
fn a_whole_correction_request_in_cantonese_ends_as_it_does_in_english() {
    let (zh, zh_ticket) = correction(&[
        "我個名喺記錄度串錯咗，想改返",
        "我叫 CHAN Tai Man Peter 陳大文",
        "BEng 電腦工程",
        "2015年",
        "我個email係 peter.chan@gmail.com",
        "<file>",
        "冇問題，send 啦",
    ]);
    let (en, en_ticket) = correction(&[
        "my name is spelled wrong in my record, I want it corrected",
        "CHAN Tai Man Peter",
        "BEng Computer Engineering",
        "2015",
        "peter.chan@gmail.com",
        "<file>",
        "yes send it",
    ]);
    // Every step answered in the user's language, and the same request filed.
    for answer in &zh {
        assert!(has_han(&texts(answer)), "{answer}");
    }
    for answer in &en {
        assert!(!has_han(&texts(answer)), "{answer}");
    }
    let fields = |t: &Value| {
        t["fields"]
            .as_object()
            .unwrap()
            .keys()
            .cloned()
            .collect::<Vec<_>>()
    };
    assert_eq!(fields(&zh_ticket), fields(&en_ticket));
    assert_eq!(zh_ticket["category"], en_ticket["category"]);
    // Staff read the choice as they wrote it; the name keeps the Chinese beside it.
    assert_eq!(zh_ticket["fields"]["what_is_wrong"], "My name");
    assert_eq!(
        zh_ticket["fields"]["correct_name"],
        "CHAN Tai Man Peter 陳大文"
    );
    assert_eq!(zh_ticket["fields"]["contact_email"], "peter.chan@gmail.com");
    assert_eq!(zh_ticket["attachments"], 1);
    let reference = zh_ticket["id"].as_str().unwrap();
    assert!(
        texts(zh.last().unwrap()).contains(reference),
        "{:?}",
        zh.last()
    );
}

#[test]
fn a_chinese_name_alone_is_asked_again_in_english_letters() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = session(dir.path());
    say(&mut s, "u", "我想更正我個名");
    let refused = texts(&say(&mut s, "u", "陳大文"));
    assert!(
        refused.contains("英文") && refused.contains("CHAN Tai Man Peter 陳大文"),
        "{refused}"
    );
    let next = texts(&say(&mut s, "u", "CHAN Tai Man 陳大文"));
    assert!(next.contains("學位"), "{next}");
}

/// The WiFi flow, answered step by step; the last answer.
fn wifi(lines: &[&str]) -> Vec<Value> {
    let dir = tempfile::tempdir().unwrap();
    let mut s = session(dir.path());
    lines.iter().map(|l| say(&mut s, "u", l)).collect()
}

#[test]
fn the_wifi_flow_in_cantonese_ends_as_it_does_in_english() {
    let zh = wifi(&[
        "喺圖書館用 WiFi 應該用邊個 account 登入？",
        "2012年開通嘅",
        "得咗，唔該",
    ]);
    let en = wifi(&[
        "which account do I use for the library wifi?",
        "I activated it in 2012",
        "yes that worked",
    ]);
    // Asked when; told the @alumni account; asked whether it worked; done.
    assert_eq!(buttons(&zh[0]).len(), buttons(&en[0]).len(), "{zh:?}");
    assert!(texts(&zh[1]).contains("@alumni") && texts(&en[1]).contains("@alumni"));
    assert_eq!(buttons(&zh[1]).len(), 2);
    assert_eq!(buttons(&en[1]).len(), 2);
    assert!(buttons(&zh[2]).is_empty() && buttons(&en[2]).is_empty());
    for answer in &zh {
        assert!(has_han(&texts(answer)), "{answer}");
    }

    // Not remembering, then still failing: the username and password links, in Chinese.
    let zh = wifi(&["校園 wifi 用邊個帳戶登入？", "唔記得咗", "唔得"]);
    let last = texts(&zh[2]);
    assert!(
        last.contains("https://w5.ab.ust.hk/jsan/o_login_all") && has_han(&last),
        "{last}"
    );
}

#[test]
fn simplified_in_simplified_out_and_a_chosen_language_sticks() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = session(dir.path());
    let simplified = texts(&say(&mut s, "u", "请问怎么激活校友邮箱账号？"));
    assert!(has_han(&simplified), "{simplified}");
    assert!(
        !simplified.contains('啟') && !simplified.contains('帳'),
        "{simplified}"
    );

    let traditional = texts(&say(&mut s, "u", "點樣改密碼？"));
    assert!(traditional.contains("密碼"), "{traditional}");
    let english = texts(&say(&mut s, "u", "how do I forward my email to gmail"));
    assert!(!has_han(&english), "{english}");

    // `/language` offers the three; a choice holds whatever the next message is written in.
    let menu = say(&mut s, "u", "/language");
    let offered = buttons(&menu);
    assert_eq!(offered.len(), 3, "{menu}");
    let (_, hans) = offered.iter().find(|(l, _)| l == "简体中文").unwrap();
    let chosen = s.ask(&json!({"user": "u", "button": hans}).to_string());
    assert!(has_han(&texts(&chosen)), "{chosen}");
    let still = texts(&say(&mut s, "u", "how do I reset my password"));
    assert!(has_han(&still) && still.contains("密码"), "{still}");
    let back = texts(&say(&mut s, "u", "/language en"));
    assert!(!has_han(&back), "{back}");
    let english = texts(&say(&mut s, "u", "點樣改密碼？"));
    assert!(!has_han(&english), "{english}");
}

#[test]
fn cantonese_small_talk_and_commands() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = session(dir.path());
    for thanks in ["唔該", "多謝晒", "谢谢"] {
        let reply = texts(&say(&mut s, "u", thanks));
        assert!(
            has_han(&reply) && !reply.contains("不清楚"),
            "{thanks}: {reply}"
        );
    }
    // Inside a flow, typed Chinese commands act.
    say(&mut s, "u", "我個名喺記錄度錯咗");
    let cancelled = texts(&say(&mut s, "u", "取消"));
    assert!(cancelled.contains("已停止"), "{cancelled}");
    let person = texts(&say(&mut s, "u", "搵真人"));
    assert!(
        has_han(&person) && person.contains("alumni@ust.hk"),
        "{person}"
    );
}
