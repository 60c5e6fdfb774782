//! Staff at work, end to end: a ticket opened on Telegram is announced in the fake staff group;
//! staff answer from the CLI (another process, through the outbox) and from the group; the
//! user's answer goes to the ticket; outsiders are refused and audited; retention purges files.

use std::time::Instant;

use alumni_bot::core::{Attachment, NewTicket, Sender, TicketStatus, TicketStore};
use alumni_bot::store::Store;

use crate::fake_telegram::text_of;
use crate::helpers::bin;
use crate::telegram::Bot;

const STAFF_GROUP: i64 = -900;
const STAFF: u64 = 555;
const ALUMNA: i64 = 8001;

fn cli(db: &std::path::Path, args: &[&str]) -> std::process::Output {
    bin().arg("--db").arg(db).args(args).output().unwrap()
}

/// The messages read so far, per chat: each chat is read in its own order.
/// Keyed by the fake's URL too: tests run in parallel, each with its own fake.
static SEEN: std::sync::Mutex<Vec<(String, i64, usize)>> = std::sync::Mutex::new(Vec::new());

/// The next message sent to `chat` (messages to other chats are left for their readers).
async fn next_to(bot: &Bot, chat: i64) -> serde_json::Value {
    let fake = bot.fake.url.clone();
    let seen = SEEN
        .lock()
        .unwrap()
        .iter()
        .find(|(f, c, _)| *f == fake && *c == chat)
        .map_or(0, |(_, _, n)| *n);
    let pick = |calls: &[crate::fake_telegram::Call]| {
        calls
            .iter()
            .filter(|c| {
                c.method == "sendmessage"
                    && c.body["chat_id"] == chat
                    && c.body["__refused"].is_null()
            })
            .nth(seen)
            .map(|c| c.body.clone())
    };
    bot.fake
        .wait_for(&format!("message {seen} to {chat}"), |calls| {
            pick(calls).is_some()
        })
        .await;
    let mut all = SEEN.lock().unwrap();
    all.retain(|(f, c, _)| !(*f == fake && *c == chat));
    all.push((fake, chat, seen + 1));
    pick(&bot.fake.calls()).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_telegram_ticket_reaches_staff_and_their_answers_reach_the_user() {
    let bot = Bot::start_with(|s| {
        s.staff_chat = Some(STAFF_GROUP);
        s.staff_ids = vec![STAFF];
    })
    .await;
    // The user opens a ticket.
    bot.fake.say(ALUMNA, "/contact");
    let how = next_to(&bot, ALUMNA).await;
    let open = crate::fake_telegram::buttons_of(&how)
        .into_iter()
        .find(|(l, _)| l == "Open a ticket")
        .unwrap()
        .1;
    bot.fake
        .press(ALUMNA, how["__message_id"].as_i64().unwrap(), &open);
    next_to(&bot, ALUMNA).await;
    bot.fake.say(
        ALUMNA,
        "My alias stopped working after I changed my password.",
    );
    next_to(&bot, ALUMNA).await;
    bot.fake.say(ALUMNA, "alumna@example.com");
    next_to(&bot, ALUMNA).await;
    bot.fake.say(ALUMNA, "send");
    let filed = next_to(&bot, ALUMNA).await;
    let reference = bot.store.list_tickets().await.unwrap()[0].id.clone();
    assert!(text_of(&filed).contains(&reference));

    // Staff are told, with what the user supplied and buttons to act.
    let notice = next_to(&bot, STAFF_GROUP).await;
    let text = text_of(&notice);
    assert!(
        text.contains(&format!("New ticket {reference}"))
            && text.contains("alumna@example.com")
            && text.contains("alias stopped working"),
        "{text}"
    );
    assert!(
        crate::fake_telegram::buttons_of(&notice)
            .iter()
            .any(|(l, d)| l == "Claim" && d == &format!("staff:claim:{reference}"))
    );

    // A staff reply from the CLI, another process, reaches the user through the outbox. (After
    // a pause: Telegram's one-message-a-second-per-chat throttle would otherwise add its wait.)
    tokio::time::sleep(std::time::Duration::from_millis(1200)).await;
    let sent = Instant::now();
    let out = cli(
        &bot.db(),
        &[
            "tickets",
            "reply",
            &reference,
            "Please sign out and in again.",
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let reply = next_to(&bot, ALUMNA).await;
    let latency = sent.elapsed();
    eprintln!("CLI reply reached the user in {latency:?} (including the CLI process)");
    assert!(
        text_of(&reply).contains("Please sign out and in again."),
        "{reply:#}"
    );

    // Staff ask for more; the user's next messages go to the ticket (and to staff).
    let out = cli(
        &bot.db(),
        &[
            "tickets",
            "request-info",
            &reference,
            "Which alias do you use?",
        ],
    );
    assert!(out.status.success());
    let question = next_to(&bot, ALUMNA).await;
    assert!(text_of(&question).contains("Which alias do you use?"));
    bot.fake.say(ALUMNA, "how do I reset my password");
    let added = next_to(&bot, ALUMNA).await;
    assert!(
        text_of(&added).contains(&format!("Added to your request <b>{reference}</b>")),
        "not matched as a question while staff wait: {added:#}"
    );
    let relayed = next_to(&bot, STAFF_GROUP).await;
    assert!(
        text_of(&relayed).contains("how do I reset my password"),
        "{relayed:#}"
    );
    let pdf = b"%PDF-1.4 alias screenshot";
    bot.fake
        .send_document(ALUMNA, pdf, "screenshot.pdf", "application/pdf");
    next_to(&bot, ALUMNA).await;
    let file_notice = next_to(&bot, STAFF_GROUP).await;
    assert!(
        text_of(&file_notice).contains("(a file: PDF"),
        "{file_notice:#}"
    );
    bot.fake
        .wait_for("the file sent to staff", |calls| {
            calls
                .iter()
                .any(|c| c.method == "senddocument" && c.body["chat_id"] == STAFF_GROUP)
        })
        .await;

    // An outsider in the staff group cannot act; it is refused and audited.
    bot.fake
        .say_in_group(666, STAFF_GROUP, &format!("/resolve {reference} hacked"));
    let refused = next_to(&bot, STAFF_GROUP).await;
    assert!(
        text_of(&refused).contains("only alumni office staff"),
        "{refused:#}"
    );

    // Staff resolve from the group; the user is told.
    bot.fake.say_in_group(
        STAFF as i64,
        STAFF_GROUP,
        &format!("/resolve {reference} Your alias works again."),
    );
    let done = next_to(&bot, STAFF_GROUP).await;
    assert!(text_of(&done).contains("resolved"), "{done:#}");
    let resolved = next_to(&bot, ALUMNA).await;
    assert!(
        text_of(&resolved).contains("Your alias works again."),
        "{resolved:#}"
    );
    // After resolution the user's words are questions again.
    bot.fake.say(ALUMNA, "how do I reset my password");
    let answer = next_to(&bot, ALUMNA).await;
    assert!(text_of(&answer).contains("Forgot password"), "{answer:#}");

    // Refused: audited under the pseudonym of whoever tried (not staff: no platform id kept).
    let audit = bot.store.audit_log().await.unwrap();
    assert!(
        audit.iter().all(|e| e.actor != "telegram:666"),
        "{audit:#?}"
    );
    assert!(
        audit
            .iter()
            .any(|e| e.actor.starts_with("u:") && !e.allowed && e.action == "resolve"),
        "{audit:#?}"
    );
    assert!(
        audit
            .iter()
            .any(|e| e.actor == format!("telegram:{STAFF}") && e.allowed && e.action == "resolve")
    );
    assert!(
        audit
            .iter()
            .any(|e| e.actor.starts_with("cli:") && e.action == "reply")
    );
    let detail = bot.store.ticket(&reference).await.unwrap().unwrap();
    assert_eq!(detail.summary.status, TicketStatus::Resolved);
    assert_eq!(
        detail.attachment_files.len(),
        1,
        "the user's file joined the ticket"
    );
    outbox_drains(&bot.store).await;
    bot.shutdown().await;
}

#[tokio::test]
async fn wrong_transitions_and_unknown_tickets_are_refused_from_the_cli() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("bot.db");
    let store = Store::open(&db).await.unwrap();
    let reference = store
        .create_ticket(NewTicket {
            category: "general".into(),
            from: Sender::private(alumni_bot::core::Platform::Console, "u1"),
            origin: "o1".into(),
            fields: Default::default(),
            transcript: vec![],
            attachments: vec![],
            max_open: None,
            lang: Default::default(),
        })
        .await
        .unwrap();
    drop(store);
    let reopen = cli(&db, &["tickets", "reopen", &reference]);
    assert_eq!(reopen.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&reopen.stdout).contains("is open"));
    let missing = cli(&db, &["tickets", "claim", "T-NOPE22"]);
    assert_eq!(missing.status.code(), Some(1));
    assert!(cli(&db, &["tickets", "claim", &reference]).status.success());
    let audit = cli(&db, &["tickets", "audit", "--json"]);
    let entries: Vec<serde_json::Value> = serde_json::from_slice(&audit.stdout).unwrap();
    let refused = entries.iter().filter(|e| e["allowed"] == false).count();
    assert_eq!(refused, 2, "{entries:#?}");
    let export = cli(&db, &["tickets", "export", &reference]);
    let exported: Vec<serde_json::Value> = serde_json::from_slice(&export.stdout).unwrap();
    assert_eq!(exported[0]["status"], "claimed");
}

#[tokio::test]
async fn purge_deletes_the_files_of_long_closed_tickets_only() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("bot.db");
    let store = Store::open(&db).await.unwrap();
    let mut files = Vec::new();
    let mut references = Vec::new();
    for (i, bytes) in [b"%PDF-1.4 old closed".as_slice(), b"%PDF-1.4 still open"]
        .iter()
        .enumerate()
    {
        let file = store
            .store_file(Attachment::parse(bytes.to_vec()).unwrap())
            .await
            .unwrap();
        files.push(store.attachment_path(&file.hash));
        references.push(
            store
                .create_ticket(NewTicket {
                    category: "correct_records".into(),
                    from: Sender::private(alumni_bot::core::Platform::Console, "u1"),
                    origin: format!("o{i}"),
                    fields: Default::default(),
                    transcript: vec![],
                    attachments: vec![file],
                    max_open: None,
                    lang: Default::default(),
                })
                .await
                .unwrap(),
        );
    }
    alumni_bot::core::staff::act(
        &store,
        "test",
        true,
        &references[0].parse().unwrap(),
        alumni_bot::core::staff::Action::Resolve("done".into()),
    )
    .await
    .unwrap()
    .unwrap();
    // Resolved 100 days ago; its file sent before that.
    let long_ago = std::time::SystemTime::now() - std::time::Duration::from_secs(200 * 86_400);
    std::fs::File::options()
        .append(true)
        .open(&files[0])
        .unwrap()
        .set_modified(long_ago)
        .unwrap();
    sqlx::query("UPDATE tickets SET updated_at = '2020-01-01T00:00:00.000Z' WHERE reference = ?")
        .bind(&references[0])
        .execute(store.pool())
        .await
        .unwrap();
    drop(store);
    let out = cli(&db, &["purge", "--days", "90"]);
    assert!(out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("Purged 1 attachment"),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert!(!files[0].exists(), "the old ticket's file is gone");
    assert!(files[1].exists(), "the open ticket's file stays");
    let store = Store::open(&db).await.unwrap();
    let audit = store.audit_log().await.unwrap();
    assert!(audit.iter().any(|e| e.action == "purge"), "{audit:#?}");
}

/// The platform fails (502) when a staff reply is first delivered: the outbox keeps it and
/// delivers it on a later attempt; nothing is lost or sent twice.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_delivery_is_retried_until_sent() {
    let bot = Bot::start().await;
    let store = &bot.store;
    let reference = store
        .create_ticket(NewTicket {
            category: "general".into(),
            from: Sender::private(alumni_bot::core::Platform::Telegram, "8100"),
            origin: "o-retry".into(),
            fields: Default::default(),
            transcript: vec![],
            attachments: vec![],
            max_open: None,
            lang: Default::default(),
        })
        .await
        .unwrap();
    bot.fake.break_sends(1);
    alumni_bot::core::staff::act(
        store,
        "cli:test",
        true,
        &reference.parse().unwrap(),
        alumni_bot::core::staff::Action::Reply("We are on it.".into()),
    )
    .await
    .unwrap()
    .unwrap();
    let reply = next_to(&bot, 8100).await;
    assert!(text_of(&reply).contains("We are on it."), "{reply:#}");
    let attempts = bot
        .fake
        .calls_of("sendMessage")
        .iter()
        .filter(|c| c.body["chat_id"] == 8100)
        .count();
    assert_eq!(attempts, 2, "one failure, one success");
    outbox_drains(store).await;
    bot.shutdown().await;
}

#[tokio::test]
async fn users_add_to_and_withdraw_their_tickets_from_status() {
    let e = crate::helpers::engine();
    let say = |t: &'static str| crate::helpers::say(&e, "u1", t);
    say("/contact").await;
    say("1").await;
    say("please check my alias").await;
    say("me@example.org").await;
    say("send").await;
    let reference = e.store().tickets()[0].0.clone();
    let status = say("/status").await;
    let buttons = &status[0].buttons;
    let add = buttons
        .iter()
        .find(|b| b.label.starts_with("Add to"))
        .unwrap()
        .data
        .to_string();
    let withdraw = buttons
        .iter()
        .find(|b| b.label.starts_with("Withdraw"))
        .unwrap()
        .data
        .to_string();
    let ask = crate::helpers::press(&e, "u1", &add).await;
    assert!(
        ask[0].text.contains("What would you like to add"),
        "{ask:?}"
    );
    let added = say("it is peter.chan@alumni.ust.hk").await;
    assert!(added[0].text.contains("Added to your request"), "{added:?}");
    let records = e.store().ticket_records();
    assert_eq!(records[0].added, ["it is peter.chan@alumni.ust.hk"]);
    // Someone else cannot add to it.
    let other = crate::helpers::press(&e, "u2", &add).await;
    assert!(other[0].text.contains("can't find"), "{other:?}");
    let gone = crate::helpers::press(&e, "u1", &withdraw).await;
    assert!(gone[0].text.contains("withdrawn"), "{gone:?}");
    assert_eq!(e.store().ticket_records()[0].status, TicketStatus::Closed);
    let status = say("/status").await;
    assert!(status[0].text.contains(&reference) && status[0].text.contains("closed"));
    assert!(
        status[0].buttons.is_empty(),
        "nothing to do on a closed request"
    );
}

/// Waits until every outbox message is marked delivered (right after it is sent).
async fn outbox_drains(store: &Store) {
    let deadline = Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let pending = store.pending_outbox().await.unwrap();
        if pending.is_empty() {
            return;
        }
        assert!(Instant::now() < deadline, "still pending: {pending:?}");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn in_a_forum_staff_group_each_ticket_gets_its_topic() {
    let bot = Bot::start_with(|s| {
        s.staff_chat = Some(STAFF_GROUP);
        s.staff_ids = vec![STAFF];
        s.staff_topics = true;
    })
    .await;
    let from = Sender::private(alumni_bot::core::Platform::Telegram, "8200");
    let reference = bot
        .store
        .create_ticket(NewTicket {
            category: "general".into(),
            from: from.clone(),
            origin: "o-topic".into(),
            fields: [("description".to_string(), "help".to_string())].into(),
            transcript: vec![],
            attachments: vec![],
            max_open: None,
            lang: Default::default(),
        })
        .await
        .unwrap();
    let notice = next_to(&bot, STAFF_GROUP).await;
    assert_eq!(notice["message_thread_id"], 77, "{notice:#}");
    let topics = bot.fake.calls_of("createForumTopic");
    assert_eq!(topics.len(), 1);
    assert_eq!(topics[0].body["name"], format!("Ticket {reference}"));
    bot.store
        .add_to_ticket(&reference, &from, Some("more details"), None)
        .await
        .unwrap();
    let added = next_to(&bot, STAFF_GROUP).await;
    assert_eq!(added["message_thread_id"], 77, "the same topic: {added:#}");
    assert_eq!(bot.fake.calls_of("createForumTopic").len(), 1);
    bot.shutdown().await;
}

/// A reply on the web desk reaches the user on Telegram, through the outbox the running bot
/// delivers; staff in the Telegram group hear what was done on the desk.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reply_on_the_web_desk_reaches_the_user_on_telegram() {
    use crate::desk::{Client, PASSWORD, add_staff, file_ticket};
    const USER: i64 = 8002;
    let bot = Bot::start_with(|s| {
        s.staff_chat = Some(STAFF_GROUP);
        s.staff_ids = vec![STAFF];
    })
    .await;
    let reference = file_ticket(
        &bot.store,
        &USER.to_string(),
        "Chan Tai Man",
        "correct_records",
    )
    .await;
    assert!(text_of(&next_to(&bot, STAFF_GROUP).await).contains(&reference));

    add_staff(&bot.store, "alice").await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let state = alumni_bot::desk::Desk::new(
        bot.store.clone(),
        None,
        &alumni_bot::config::Desk::default(),
    )
    .unwrap();
    let (_stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(alumni_bot::desk::serve(listener, state, async {
        let _ = stopped.await;
    }));
    let mut desk = Client::new(&base);
    desk.sign_in("alice", PASSWORD).await;
    let csrf = desk
        .get(&format!("/tickets/{reference}"))
        .await
        .hidden("csrf");
    let replied = desk
        .post(
            &format!("/tickets/{reference}/actions"),
            &[
                ("csrf", csrf.as_str()),
                ("action", "reply"),
                ("text", "Your name is corrected."),
            ],
        )
        .await;
    assert_eq!(replied.status, reqwest::StatusCode::SEE_OTHER);
    let reply = next_to(&bot, USER).await;
    assert!(
        text_of(&reply).contains("Your name is corrected."),
        "{reply:#}"
    );
    assert!(text_of(&reply).contains(&reference));
    let told = text_of(&next_to(&bot, STAFF_GROUP).await);
    assert!(
        told.contains("on the web desk") && told.contains("staff:alice"),
        "{told}"
    );
}
