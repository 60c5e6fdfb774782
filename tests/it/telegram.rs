//! The Telegram adapter end to end: the real teloxide client against the fake Bot API on
//! 127.0.0.1, with the real core and SQLite store.

use std::sync::Arc;
use std::time::Duration;

use alumni_bot::config;
use alumni_bot::store::Store;
use serde_json::Value;
use tokio::sync::oneshot;

use crate::fake_telegram::{BOT_USERNAME, FakeTelegram, TOKEN, buttons_of, text_of};
use crate::helpers::engine_with;

pub struct Bot {
    pub fake: FakeTelegram,
    pub store: Store,
    stop: Option<oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<anyhow::Result<()>>,
    _dir: tempfile::TempDir,
}

impl Bot {
    pub async fn start() -> Self {
        Self::start_with(|_| {}).await
    }

    pub fn db(&self) -> std::path::PathBuf {
        self._dir.path().join("bot.db")
    }

    pub async fn start_with(configure: impl FnOnce(&mut config::Telegram)) -> Self {
        Self::start_limited(None, configure).await
    }

    /// A bot whose engine has `limits` (the tests' engine has no rate limit otherwise).
    pub async fn start_limited(
        limits: Option<alumni_bot::core::limits::Limits>,
        configure: impl FnOnce(&mut config::Telegram),
    ) -> Self {
        let fake = FakeTelegram::start().await;
        let dir = tempfile::tempdir().unwrap();
        let mut settings = config::Telegram {
            token: Some(config::Secret::new(TOKEN)),
            api_url: Some(fake.url.clone()),
            ..Default::default()
        };
        configure(&mut settings);
        let places = if settings.staff_chat.is_some() {
            vec![alumni_bot::core::Platform::Telegram]
        } else {
            Vec::new()
        };
        let db = dir.path().join("bot.db");
        let store = Store::open(&db).await.unwrap().with_staff_places(places);
        let mut engine = engine_with(store.clone());
        if let Some(limits) = limits {
            engine = engine.with_limits(limits);
        }
        let engine = Arc::new(engine);
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            alumni_bot::telegram::run(engine, &settings, async {
                let _ = stopped.await;
            })
            .await
        });
        Bot {
            fake,
            store,
            stop: Some(stop),
            task,
            _dir: dir,
        }
    }

    pub async fn shutdown(mut self) {
        let _ = self.stop.take().unwrap().send(());
        tokio::time::timeout(Duration::from_secs(20), &mut self.task)
            .await
            .expect("the adapter stops")
            .unwrap()
            .unwrap();
    }
}

fn button(message: &Value, label: &str) -> String {
    buttons_of(message)
        .into_iter()
        .find(|(l, _)| l.contains(label))
        .unwrap_or_else(|| panic!("no button {label:?} in {message:#}"))
        .1
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_question_is_answered_in_html_with_the_command_menu_set() {
    let bot = Bot::start().await;
    bot.fake.say(7001, "how do I reset my password??");
    let reply = bot.fake.next_message().await;
    assert_eq!(reply["chat_id"], 7001);
    assert_eq!(reply["parse_mode"], "HTML");
    let text = text_of(&reply);
    assert!(
        text.contains("<b>Forgot password</b>")
            && text.contains("https://myaccount.ust.hk/passwd/forget?graduate=true"),
        "{text}"
    );
    let commands = bot.fake.calls_of("setMyCommands");
    let names: Vec<&str> = commands[0].body["commands"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["command"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        ["start", "help", "cancel", "contact", "status", "language"]
    );
    // The same menu for Chinese-language Telegram, described in Chinese.
    let chinese = commands
        .iter()
        .find(|c| c.body["language_code"] == "zh")
        .expect("a Chinese command menu");
    assert_eq!(chinese.body["commands"][1]["command"], "help");
    let description = chinese.body["commands"][1]["description"].as_str().unwrap();
    assert!(description.chars().any(|c| c > '\u{3000}'), "{description}");
    assert!(
        bot.fake
            .calls_of("sendChatAction")
            .iter()
            .any(|c| c.body["action"] == "typing")
    );
    bot.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_button_press_advances_a_flow_and_retires_the_old_keyboard() {
    let bot = Bot::start().await;
    bot.fake.say(7002, "I can't activate my alumni account");
    let question = bot.fake.next_message().await;
    assert!(
        text_of(&question).contains("what did you study"),
        "{question:#}"
    );
    let degree = button(&question, "degree");
    let message_id = question["__message_id"].as_i64().unwrap();
    bot.fake.press(7002, message_id, &degree);
    let next = bot.fake.next_message().await;
    assert!(text_of(&next).contains("middle name"), "{next:#}");
    assert!(
        bot.fake
            .calls_of("answerCallbackQuery")
            .iter()
            .any(|c| c.body["callback_query_id"] == format!("cb-{message_id}-{degree}")),
        "the press is acknowledged"
    );
    let edits = bot.fake.calls_of("editMessageReplyMarkup");
    assert!(
        edits
            .iter()
            .any(|c| c.body["message_id"] == message_id && c.body["reply_markup"].is_null()),
        "the answered keyboard is removed: {edits:#?}"
    );
    // Pressed again anyway (an old client): the core knows the step is done.
    bot.fake.press(7002, message_id, &degree);
    let again = bot.fake.next_message().await;
    assert!(text_of(&again).contains("earlier step"), "{again:#}");
    bot.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_document_upload_ends_in_a_ticket_with_the_stored_file() {
    let bot = Bot::start().await;
    let user = 7003;
    bot.fake.say(user, "please correct my records");
    let what = bot.fake.next_message().await;
    bot.fake.press(
        user,
        what["__message_id"].as_i64().unwrap(),
        &button(&what, "passport number"),
    );
    let rule = bot.fake.next_message().await;
    bot.fake.press(
        user,
        rule["__message_id"].as_i64().unwrap(),
        &button(&rule, "the record is wrong"),
    );
    let ask = bot.fake.next_message().await;
    assert!(text_of(&ask).contains("correct passport number"), "{ask:#}");
    for (answer, expect) in [
        ("K1234567", "full name"),
        ("CHAN Tai Man <Peter>", "doesn't look like a name"),
        ("CHAN Tai Man Peter", "Which degree"),
        ("BSc Physics", "which year"),
        ("2011", "email address"),
        ("chan@example.com", "HKID card or passport"),
    ] {
        bot.fake.say(user, answer);
        let reply = bot.fake.next_message().await;
        assert!(text_of(&reply).contains(expect), "{answer}: {reply:#}");
    }
    // A wrong type first, then the real copy.
    bot.fake
        .send_document(user, b"just text", "id.txt", "text/plain");
    let refused = bot.fake.next_message().await;
    assert!(text_of(&refused).contains("only photos"), "{refused:#}");
    let pdf = b"%PDF-1.7 passport of Chan Tai Man";
    bot.fake
        .send_document(user, pdf, "passport.pdf", "application/pdf");
    let summary = bot.fake.next_message().await;
    assert!(text_of(&summary).contains("received (PDF"), "{summary:#}");
    bot.fake.press(
        user,
        summary["__message_id"].as_i64().unwrap(),
        &button(&summary, "Send it"),
    );
    let done = bot.fake.next_message().await;
    assert!(
        text_of(&done).contains("Your reference is <b>T-"),
        "{done:#}"
    );

    let tickets = bot.store.list_tickets().await.unwrap();
    assert_eq!(tickets.len(), 1);
    let detail = bot.store.ticket(&tickets[0].id).await.unwrap().unwrap();
    assert_eq!(detail.summary.platform, "telegram");
    assert_eq!(detail.platform_user, user.to_string());
    assert_eq!(detail.summary.fields["correct_passport"], "K1234567");
    assert_eq!(detail.attachment_files.len(), 1);
    assert_eq!(
        std::fs::read(&detail.attachment_files[0].path).unwrap(),
        pdf
    );
    bot.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn in_a_group_it_answers_only_when_addressed_and_moves_personal_data_to_private() {
    let bot = Bot::start().await;
    let group = -100_500;
    bot.fake
        .say_in_group(7004, group, "anyone know how to set up forwarding?");
    bot.fake
        .no_message_within(Duration::from_millis(1500))
        .await;

    bot.fake.say_in_group(
        7004,
        group,
        &format!("@{BOT_USERNAME} how do I set up email forwarding"),
    );
    let answer = bot.fake.next_message().await;
    assert_eq!(answer["chat_id"], group);
    assert!(text_of(&answer).contains("Forwarding"), "{answer:#}");

    bot.fake
        .say_in_group(7004, group, &format!("/contact@{BOT_USERNAME}"));
    let contact = bot.fake.next_message().await;
    assert!(text_of(&contact).contains("alumni@ust.hk"), "{contact:#}");
    let invitation = bot.fake.next_message().await;
    assert!(
        text_of(&invitation).contains("private chat"),
        "{invitation:#}"
    );
    let link = button(&invitation, "private chat");
    assert_eq!(
        link,
        format!("https://t.me/{BOT_USERNAME}?start=f_contact_staff")
    );

    // The deep link opens the private chat with `/start f_contact_staff`.
    bot.fake.say(7004, "/start f_contact_staff");
    let private = bot.fake.next_message().await;
    assert_eq!(private["chat_id"], 7004);
    assert!(
        buttons_of(&private)
            .iter()
            .any(|(l, _)| l == "Open a ticket")
    );

    // A command for another bot is not ours.
    bot.fake.say_in_group(7004, group, "/help@some_other_bot");
    bot.fake
        .no_message_within(Duration::from_millis(1500))
        .await;
    bot.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_429_is_waited_out_and_the_message_still_arrives() {
    let bot = Bot::start().await;
    bot.fake.refuse_sends(1);
    bot.fake.say(7005, "what is the alumni email account");
    let reply = bot.fake.next_message().await;
    assert!(text_of(&reply).contains("lifelong"), "{reply:#}");
    let sends = bot.fake.calls_of("sendMessage");
    assert!(sends.len() >= 2, "{sends:#?}");
    let waited = sends[1].at.duration_since(sends[0].at);
    assert!(
        waited >= Duration::from_millis(900),
        "retried after retry_after (1 s), not before: {waited:?}"
    );
    bot.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_502_from_telegram_is_retried_and_the_reply_arrives_once() {
    let bot = Bot::start().await;
    bot.fake.break_sends(1);
    bot.fake.say(7008, "how do I reset my password");
    let reply = bot.fake.next_message().await;
    assert!(text_of(&reply).contains("Forgot password"), "{reply:#}");
    let delivered = bot
        .fake
        .calls_of("sendMessage")
        .iter()
        .filter(|c| c.body["__refused"].is_null())
        .count();
    assert_eq!(delivered, 1);
    bot.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn webhook_mode_checks_telegrams_secret() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let bot = Bot::start_with(|s| {
        s.webhook_url = Some(format!("http://127.0.0.1:{port}/telegram/hook"));
        s.webhook_listen = Some(format!("127.0.0.1:{port}"));
        s.webhook_secret = Some(config::Secret::new("s3cret-token"));
    })
    .await;
    bot.fake
        .wait_for("setWebhook", |calls| {
            calls.iter().any(|c| c.method == "setwebhook")
        })
        .await;
    let set = &bot.fake.calls_of("setWebhook")[0];
    assert_eq!(
        set.body["url"],
        format!("http://127.0.0.1:{port}/telegram/hook")
    );
    assert_eq!(set.body["secret_token"], "s3cret-token");

    let client = reqwest::Client::new();
    let hook = format!("http://127.0.0.1:{port}/telegram/hook");
    let post = |secret: &'static str, id: i64, text: &str| {
        client
            .post(&hook)
            .header("X-Telegram-Bot-Api-Secret-Token", secret)
            .json(&FakeTelegram::update_json(7006, id, text))
            .send()
    };
    // The listener may take a moment to bind after setWebhook.
    let mut wrong = None;
    for _ in 0..50 {
        if let Ok(r) = post("wrong", 1, "how do I reset my password").await {
            wrong = Some(r);
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(wrong.expect("webhook listening").status(), 401);
    bot.fake.no_message_within(Duration::from_millis(800)).await;

    let right = post("s3cret-token", 2, "how do I reset my password")
        .await
        .unwrap();
    assert!(right.status().is_success());
    let reply = bot.fake.next_message().await;
    assert!(text_of(&reply).contains("Forgot password"), "{reply:#}");
    bot.shutdown().await;
}

/// The built binary: `alumni-bot serve` configured by environment variables only, answering,
/// then stopped by SIGTERM with a message in flight, which is still answered.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_binary_serves_telegram_and_stops_cleanly_on_sigterm() {
    let fake = FakeTelegram::start().await;
    let dir = tempfile::tempdir().unwrap();
    let (mut child, log) = crate::helpers::spawn_serve(
        dir.path(),
        &[
            ("ALUMNI_BOT_TELEGRAM_TOKEN", TOKEN),
            ("ALUMNI_BOT_TELEGRAM_API_URL", &fake.url),
        ],
    );
    fake.say(7007, "hello");
    let hello = fake.next_message().await;
    assert!(text_of(&hello).contains("Hello"), "{hello:#}");

    let id = fake.say(7007, "which browsers work with office 365");
    fake.wait_delivered(id).await;
    let pid = child.id().unwrap() as i32;
    std::process::Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status()
        .unwrap();
    let in_flight = fake.next_message().await;
    assert!(text_of(&in_flight).contains("Firefox"), "{in_flight:#}");
    let status = tokio::time::timeout(Duration::from_secs(30), child.wait())
        .await
        .expect("exits after SIGTERM")
        .unwrap();
    assert!(status.success(), "{status:?}");

    // Logging at trace: pseudonyms only, no ids, texts or token.
    let logs = std::fs::read_to_string(&log).unwrap();
    assert!(logs.contains("telegram stopped"), "{logs}");
    for secret in ["7007", TOKEN, "which browsers", "Firefox", "Alumna"] {
        assert!(
            !logs.contains(secret),
            "{secret:?} leaked into the logs:\n{logs}"
        );
    }
}

/// After a restart Telegram sends again what was not confirmed; what was answered before is
/// not answered twice (a fresh fake numbers its updates from 1 again, like a redelivery).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_update_redelivered_after_a_restart_is_not_answered_twice() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("bot.db");
    for round in 0..2 {
        let fake = FakeTelegram::start().await;
        let store = Store::open(&db).await.unwrap();
        let engine = Arc::new(engine_with(store));
        let settings = config::Telegram {
            token: Some(config::Secret::new(TOKEN)),
            api_url: Some(fake.url.clone()),
            ..Default::default()
        };
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            alumni_bot::telegram::run(engine, &settings, async {
                let _ = stopped.await;
            })
            .await
        });
        let first = fake.say(7010, "how do I reset my password");
        assert_eq!(first, 1);
        if round == 0 {
            let reply = fake.next_message().await;
            assert!(text_of(&reply).contains("Forgot password"));
        } else {
            fake.wait_delivered(first).await;
            fake.no_message_within(Duration::from_millis(1500)).await;
            // A new update is answered as usual.
            fake.say(7010, "thanks");
            let reply = fake.next_message().await;
            assert!(!text_of(&reply).is_empty());
        }
        let _ = stop.send(());
        task.await.unwrap().unwrap();
    }
}
