//! The Discord adapter end to end: the real serenity client against the fake REST API and
//! gateway on 127.0.0.1, with the real core and SQLite store.

use std::sync::Arc;
use std::time::Duration;

use alumni_bot::config;
use alumni_bot::store::Store;
use serde_json::{Value, json};
use tokio::sync::oneshot;

use crate::fake_discord::{
    BOT_ID, CHANNEL, FakeDiscord, GUILD, TOKEN, buttons, content, dm_channel,
};
use crate::helpers::engine_with;

pub struct Bot {
    pub fake: FakeDiscord,
    pub store: Store,
    stop: Option<oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<anyhow::Result<()>>,
    _dir: tempfile::TempDir,
}

impl Bot {
    pub async fn start() -> Self {
        Self::start_with(|_| {}).await
    }

    pub async fn start_with(configure: impl FnOnce(&mut config::Discord)) -> Self {
        let fake = FakeDiscord::start().await;
        let dir = tempfile::tempdir().unwrap();
        let mut settings = config::Discord {
            token: Some(config::Secret::new(TOKEN)),
            api_url: Some(fake.url.clone()),
            guild_id: Some(GUILD.parse().unwrap()),
            ..Default::default()
        };
        configure(&mut settings);
        let places = if settings.staff_channel.is_some() {
            vec![alumni_bot::core::Platform::Discord]
        } else {
            Vec::new()
        };
        let store = Store::open(&dir.path().join("bot.db"))
            .await
            .unwrap()
            .with_staff_places(places);
        let engine = Arc::new(engine_with(store.clone()));
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            alumni_bot::discord::run(engine, &settings, async {
                let _ = stopped.await;
            })
            .await
        });
        fake.connected().await;
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
    buttons(message)
        .into_iter()
        .find(|(l, _, _)| l.contains(label))
        .unwrap_or_else(|| panic!("no button {label:?} in {message:#}"))
        .1
}

fn mention(text: &str) -> String {
    format!("<@{BOT_ID}> {text}")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_mention_is_answered_in_the_channel_and_other_talk_is_left_alone() {
    let bot = Bot::start().await;
    let registered = bot
        .fake
        .next("PUT", &format!("/guilds/{GUILD}/commands"))
        .await;
    let names: Vec<&str> = registered
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        ["ask", "help", "contact", "ticket", "status", "language"]
    );
    // Descriptions localised for Discord's Chinese locales.
    let help = &registered.body[1];
    for locale in ["zh-TW", "zh-CN"] {
        let description = help["description_localizations"][locale].as_str().unwrap();
        assert!(description.chars().any(|c| c > '\u{3000}'), "{help}");
    }

    bot.fake
        .say("1", Some(CHANNEL), "how do i reset my password", json!([]));
    bot.fake
        .no_message_within(Duration::from_millis(1500))
        .await;

    bot.fake.say(
        "1",
        Some(CHANNEL),
        &mention("how do i reset my password"),
        json!([]),
    );
    let answer = bot.fake.next_message().await;
    assert_eq!(answer["channel_id"], CHANNEL);
    assert!(content(&answer).contains("Forgot password"), "{answer:#}");
    assert_eq!(
        answer["allowed_mentions"]["parse"],
        json!([]),
        "never pings anyone"
    );
    bot.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slash_command_is_deferred_then_answered() {
    let bot = Bot::start().await;
    let id = bot.fake.command(
        "2",
        Some(CHANNEL),
        "ask",
        json!([{"name": "question", "type": 3, "value": "which browsers work for office 365"}]),
    );
    let ack = bot
        .fake
        .next("POST", &format!("/interactions/{id}/token-{id}/callback"))
        .await;
    assert_eq!(ack.body["type"], 5, "deferred within the time limit");
    let answer = bot.fake.next("PATCH", "/messages/@original").await;
    assert!(
        answer.body["content"].as_str().unwrap().contains("Firefox"),
        "{answer:#?}"
    );
    bot.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_button_press_in_a_dm_advances_the_flow_and_disables_the_buttons() {
    let bot = Bot::start().await;
    bot.fake
        .say("3", None, "I cannot activate my alumni account", json!([]));
    let question = bot.fake.next_message().await;
    assert_eq!(question["channel_id"], dm_channel("3"));
    assert!(
        content(&question).contains("what did you study"),
        "{question:#}"
    );
    let degree = button(&question, "degree");
    let id = bot.fake.press("3", None, &question, &degree);
    let ack = bot
        .fake
        .next("POST", &format!("/interactions/{id}/token-{id}/callback"))
        .await;
    assert_eq!(ack.body["type"], 7, "the pressed message is updated");
    assert!(
        buttons(&ack.body["data"])
            .iter()
            .all(|(_, _, disabled)| *disabled)
            && !buttons(&ack.body["data"]).is_empty(),
        "its buttons are disabled: {:#}",
        ack.body
    );
    let next = bot.fake.next_message().await;
    assert!(content(&next).contains("middle name"), "{next:#}");
    bot.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flow_needing_personal_data_moves_from_the_channel_to_a_dm() {
    let bot = Bot::start().await;
    bot.fake.say(
        "4",
        Some(CHANNEL),
        &mention("please correct my records"),
        json!([]),
    );
    let mut invitation = bot.fake.next_message().await;
    if !content(&invitation).contains("private chat") {
        invitation = bot.fake.next_message().await;
    }
    assert_eq!(invitation["channel_id"], CHANNEL);
    let private = button(&invitation, "private chat");
    assert_eq!(private, "private:correct_records");

    let id = bot.fake.press("4", Some(CHANNEL), &invitation, &private);
    // The acknowledgement and the DM's opening run side by side: in either order.
    let callback = format!("/interactions/{id}/token-{id}/callback");
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    let (note, dm) = loop {
        let calls = bot.fake.calls();
        let find = |path: &str| calls.iter().find(|c| c.path.ends_with(path)).cloned();
        if let (Some(note), Some(dm)) = (find(&callback), find("/users/@me/channels")) {
            break (note, dm);
        }
        assert!(std::time::Instant::now() < deadline, "{calls:#?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(dm.body["recipient_id"], "4");
    assert_eq!(note.body["type"], 5, "deferred within the time limit");
    assert_eq!(
        note.body["data"]["flags"], 64,
        "ephemeral: only the user sees it"
    );
    let said = bot.fake.next("PATCH", "/messages/@original").await;
    assert!(
        content(&said.body).contains("direct message"),
        "the note, in the deferred answer: {said:#?}"
    );
    let started = bot.fake.next_message().await;
    assert_eq!(started["channel_id"], dm_channel("4"));
    assert!(content(&started).contains("What is wrong"), "{started:#}");
    // Nothing personal was posted in the channel.
    for call in bot.fake.calls() {
        if call.path.contains(&format!("/channels/{CHANNEL}/")) {
            assert!(!content(&call.body).contains("What is wrong"), "{call:#?}");
        }
    }
    bot.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_attachment_is_downloaded_and_stored_with_the_ticket() {
    let bot = Bot::start().await;
    let user = "5";
    bot.fake
        .say(user, None, "I need to correct my records", json!([]));
    let what = bot.fake.next_message().await;
    bot.fake.press(user, None, &what, &button(&what, "My name"));
    let ask = bot.fake.next_message().await;
    assert!(
        content(&ask).contains("What should your name be"),
        "{ask:#}"
    );
    for (answer, expect) in [
        ("CHAN Siu Ming", "Which degree"),
        ("MBA", "which year"),
        ("2019", "email address"),
        ("siu.ming@example.com", "HKID card or passport"),
    ] {
        bot.fake.say(user, None, answer, json!([]));
        let reply = bot.fake.next_message().await;
        assert!(content(&reply).contains(expect), "{answer}: {reply:#}");
    }
    let png = b"\x89PNG\r\n\x1a\n a photo of an HKID card";
    let attachment = bot.fake.attachment(png, "hkid.png", "image/png");
    bot.fake.say(user, None, "", attachment);
    let summary = bot.fake.next_message().await;
    assert!(
        content(&summary).contains("received (PNG image"),
        "{summary:#}"
    );
    bot.fake
        .press(user, None, &summary, &button(&summary, "Send it"));
    let done = bot.fake.next_message().await;
    assert!(
        content(&done).contains("Your reference is **T-"),
        "{done:#}"
    );

    let tickets = bot.store.list_tickets().await.unwrap();
    assert_eq!(tickets.len(), 1);
    let detail = bot.store.ticket(&tickets[0].id).await.unwrap().unwrap();
    assert_eq!(detail.summary.platform, "discord");
    assert_eq!(detail.summary.fields["correct_name"], "CHAN Siu Ming");
    assert_eq!(detail.attachment_files[0].media_type, "image/png");
    assert_eq!(
        std::fs::read(&detail.attachment_files[0].path).unwrap(),
        png
    );
    bot.shutdown().await;
}

/// The built binary, configured by environment variables only.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_binary_serves_discord_and_stops_on_sigterm() {
    let fake = FakeDiscord::start().await;
    let dir = tempfile::tempdir().unwrap();
    let (mut child, log) = crate::helpers::spawn_serve(
        dir.path(),
        &[
            ("ALUMNI_BOT_DISCORD_TOKEN", TOKEN),
            ("ALUMNI_BOT_DISCORD_API_URL", &fake.url),
        ],
    );
    fake.connected().await;
    fake.say(
        "98765",
        None,
        "how can I forward my alumni email to gmail",
        json!([]),
    );
    let reply = fake.next_message().await;
    assert!(content(&reply).contains("Forwarding"), "{reply:#}");
    std::process::Command::new("kill")
        .args(["-TERM", &child.id().unwrap().to_string()])
        .status()
        .unwrap();
    let status = tokio::time::timeout(Duration::from_secs(30), child.wait())
        .await
        .expect("exits after SIGTERM")
        .unwrap();
    assert!(status.success(), "{status:?}");
    let logs = std::fs::read_to_string(&log).unwrap();
    assert!(logs.contains("discord stopped"), "{logs}");
    for secret in ["98765", TOKEN, "forward my alumni", "alum98765"] {
        assert!(
            !logs.contains(secret),
            "{secret:?} leaked into the logs:\n{logs}"
        );
    }
}

/// Staff on Discord: a ticket gets its own thread in the staff channel; a staff member (by
/// role) replies inside it and the reply reaches the user; someone without the role is refused.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_ticket_gets_a_staff_thread_where_staff_act() {
    const STAFF_CHANNEL: &str = "650";
    const STAFF_ROLE: &str = "660";
    let bot = Bot::start_with(|s| {
        s.staff_channel = Some(STAFF_CHANNEL.parse().unwrap());
        s.staff_role = Some(STAFF_ROLE.parse().unwrap());
        s.staff_threads = true;
    })
    .await;
    let reference = alumni_bot::core::TicketStore::create_ticket(
        &bot.store,
        alumni_bot::core::NewTicket {
            category: "general".into(),
            from: alumni_bot::core::Sender::private(alumni_bot::core::Platform::Discord, "8300"),
            origin: "o-thread".into(),
            fields: [("description".to_string(), "alias broken".to_string())].into(),
            transcript: vec![],
            attachments: vec![],
            max_open: None,
            lang: Default::default(),
        },
    )
    .await
    .unwrap();
    let thread = bot
        .fake
        .next("POST", &format!("/channels/{STAFF_CHANNEL}/threads"))
        .await;
    assert_eq!(thread.body["name"], format!("Ticket {reference}"));
    assert_eq!(
        thread.body["type"], 12,
        "a private thread: it carries everything the user supplied"
    );
    let thread_id = thread.response["id"].as_str().unwrap().to_string();
    let notice = bot.fake.next_message().await;
    assert_eq!(notice["channel_id"], thread_id.as_str(), "{notice:#}");
    assert!(content(&notice).contains("alias broken"));

    bot.fake.say_with_roles(
        "9001",
        Some(&thread_id),
        &format!("/reply {reference} Fixed, please try again."),
        json!([]),
        &[STAFF_ROLE],
    );
    // The confirmation to staff, in the thread, and the reply to the user.
    let mut to_user = None;
    for _ in 0..2 {
        let m = bot.fake.next_message().await;
        if m["channel_id"] == "8300" {
            to_user = Some(m);
        }
    }
    let to_user = to_user.expect("the reply reached the user");
    assert!(
        content(&to_user).contains("Fixed, please try again."),
        "{to_user:#}"
    );

    bot.fake.say(
        "9002",
        Some(STAFF_CHANNEL),
        &format!("/resolve {reference} nope"),
        json!([]),
    );
    let refused = bot.fake.next_message().await;
    assert!(
        content(&refused).contains("only alumni office staff"),
        "{refused:#}"
    );
    bot.shutdown().await;
}
