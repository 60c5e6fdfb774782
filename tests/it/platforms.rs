//! What the one platform runner guarantees every platform, tried through the real clients
//! against the fake servers: floods cut off on arrival, blocked users unanswered, staff answered
//! where they act, a platform that cannot start stopping `serve` with its cause.

use std::sync::Arc;
use std::time::Duration;

use alumni_bot::config;
use alumni_bot::core::limits::Limits;
use alumni_bot::core::{NewTicket, Platform, Sender, TicketStore};
use alumni_bot::store::Store;
use serde_json::json;

use crate::fake_discord::{self, FakeDiscord};
use crate::fake_telegram::{FakeTelegram, TOKEN, text_of};
use crate::helpers::engine_with;

fn ticket(platform: Platform, user: &str, origin: &str) -> NewTicket {
    NewTicket {
        category: "general".into(),
        from: Sender::private(platform, user),
        origin: origin.into(),
        fields: [("description".to_string(), "alias broken".to_string())].into(),
        transcript: vec![],
        attachments: vec![],
        max_open: None,
        lang: Default::default(),
    }
}

/// 40 messages at once from one user: the burst is answered, one "slow down" follows, and
/// nothing else, then or later (the rest was dropped on arrival, not queued behind Telegram's
/// per-chat pace until the allowance came back).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_is_cut_off_on_arrival() {
    let limits = Limits {
        messages_per_minute: 30,
        burst: 3,
        max_open_tickets: 3,
    };
    let bot = crate::telegram::Bot::start_limited(Some(limits), |_| {}).await;
    for _ in 0..40 {
        bot.fake.say(7101, "how do I reset my password");
    }
    let mut texts = Vec::new();
    for _ in 0..4 {
        texts.push(text_of(&bot.fake.next_message().await));
    }
    // Telegram's pace for one chat is a message a second: six seconds would let the allowance
    // refill three times over, had the flood been queued.
    bot.fake.no_message_within(Duration::from_secs(6)).await;
    let answers = texts
        .iter()
        .filter(|t| t.contains("Forgot password"))
        .count();
    let warnings = texts
        .iter()
        .filter(|t| t.contains("faster than I can read"))
        .count();
    assert_eq!((answers, warnings), (3, 1), "{texts:#?}");
    bot.shutdown().await;
}

/// A user whose Telegram is in Chinese is greeted in Chinese on `/start`; what they write
/// decides from then on (an English question gets English).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_first_greeting_is_in_the_language_of_the_users_app() {
    let bot = crate::telegram::Bot::start().await;
    let has_han = |t: &str| t.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c));
    bot.fake.say_in_language(7301, "zh-hk", "/start");
    let greeting = text_of(&bot.fake.next_message().await);
    assert!(has_han(&greeting), "{greeting}");
    bot.fake
        .say_in_language(7301, "zh-hk", "how do I reset my password");
    // The greeting may come in more than one message.
    let mut answer = String::new();
    while !answer.contains("Forgot password") {
        let next = bot.fake.next_message().await;
        if next["chat_id"] == 7301 {
            answer = text_of(&next);
        }
    }
    assert!(!has_han(&answer), "{answer}");
    bot.fake.say_in_language(7302, "en", "/start");
    let mut english = bot.fake.next_message().await;
    while english["chat_id"] != 7302 {
        english = bot.fake.next_message().await;
    }
    let english = text_of(&english);
    assert!(!has_han(&english), "{english}");
    bot.shutdown().await;
}

/// A blocked user gets no reply at all, not even the "slow down" of a flood.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_blocked_user_who_floods_hears_nothing() {
    let limits = Limits {
        messages_per_minute: 30,
        burst: 2,
        max_open_tickets: 3,
    };
    let bot = crate::telegram::Bot::start_limited(Some(limits), |_| {}).await;
    bot.store
        .set_blocked("telegram", "7102", true, "cli", "abuse")
        .await
        .unwrap();
    let mut last = 0;
    for _ in 0..10 {
        last = bot.fake.say(7102, "hello?");
    }
    bot.fake.wait_delivered(last).await;
    bot.fake.no_message_within(Duration::from_secs(2)).await;
    bot.shutdown().await;
}

/// In a forum staff group, the confirmation of a staff command goes to the ticket's topic where
/// it was typed, not to General.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_staff_command_in_a_forum_topic_is_answered_in_that_topic() {
    const STAFF_GROUP: i64 = -100_777;
    let bot = crate::telegram::Bot::start_with(|s| {
        s.staff_chat = Some(STAFF_GROUP);
        s.staff_ids = vec![9100];
        s.staff_topics = true;
    })
    .await;
    let reference = bot
        .store
        .create_ticket(ticket(Platform::Telegram, "7103", "o-topic"))
        .await
        .unwrap();
    // The announcement, in the ticket's topic (the fake makes topic 77).
    let notice = bot.fake.next_message().await;
    assert_eq!(notice["message_thread_id"], 77, "{notice:#}");
    bot.fake
        .say_in_topic(9100, STAFF_GROUP, 77, &format!("/claim {reference}"));
    let confirmation = bot.fake.next_message().await;
    assert!(
        text_of(&confirmation).contains("claim done"),
        "{confirmation:#}"
    );
    assert_eq!(confirmation["chat_id"], STAFF_GROUP);
    assert_eq!(confirmation["message_thread_id"], 77, "{confirmation:#}");
    bot.shutdown().await;
}

/// `serve` with a Telegram webhook whose address is taken logs the cause and exits non-zero,
/// instead of waiting, deaf, for SIGTERM.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_exits_with_the_cause_when_a_platform_cannot_start() {
    let fake = FakeTelegram::start().await;
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = taken.local_addr().unwrap().to_string();
    let dir = tempfile::tempdir().unwrap();
    let (mut child, log) = crate::helpers::spawn_serve(
        dir.path(),
        &[
            ("ALUMNI_BOT_TELEGRAM_TOKEN", TOKEN),
            ("ALUMNI_BOT_TELEGRAM_API_URL", &fake.url),
            (
                "ALUMNI_BOT_TELEGRAM_WEBHOOK_URL",
                "https://bot.example.org/telegram",
            ),
            ("ALUMNI_BOT_TELEGRAM_WEBHOOK_LISTEN", &address),
        ],
    );
    let status = tokio::time::timeout(Duration::from_secs(30), child.wait())
        .await
        .expect("serve exits by itself")
        .unwrap();
    assert!(!status.success(), "{status:?}");
    let logs = std::fs::read_to_string(&log).unwrap();
    assert!(logs.contains("cannot listen on"), "{logs}");
    drop(taken);
}

/// A Discord token the gateway refuses ends `discord::run` with the cause.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_discord_token_ends_the_platform_with_the_cause() {
    let fake = FakeDiscord::start().await;
    fake.refuse_token();
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("bot.db")).await.unwrap();
    let engine = Arc::new(engine_with(store));
    let settings = config::Discord {
        token: Some(config::Secret::new(fake_discord::TOKEN)),
        api_url: Some(fake.url.clone()),
        ..Default::default()
    };
    let ran = tokio::time::timeout(
        Duration::from_secs(20),
        alumni_bot::discord::run(engine, &settings, std::future::pending()),
    )
    .await
    .expect("the platform stops by itself");
    let error = format!("{:#}", ran.expect_err("a refused token is an error"));
    assert!(error.to_lowercase().contains("authentication"), "{error}");
}

/// A member with the staff role acts from a DM, where Discord sends no member: the roles are
/// fetched from the guild.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn discord_staff_act_from_a_dm() {
    const STAFF_ROLE: &str = "660";
    let bot = crate::discord::Bot::start_with(|s| {
        s.staff_role = Some(STAFF_ROLE.parse().unwrap());
    })
    .await;
    let reference = bot
        .store
        .create_ticket(ticket(Platform::Discord, "8400", "o-dm"))
        .await
        .unwrap();
    bot.fake.member("9001", &[STAFF_ROLE]);
    bot.fake
        .say("9001", None, &format!("/claim {reference}"), json!([]));
    let confirmation = bot.fake.next_message().await;
    assert_eq!(confirmation["channel_id"], fake_discord::dm_channel("9001"));
    assert!(
        fake_discord::content(&confirmation).contains("claim done"),
        "{confirmation:#}"
    );
    // Someone without the role is still refused.
    bot.fake.member("9002", &[]);
    bot.fake
        .say("9002", None, &format!("/resolve {reference} x"), json!([]));
    let refused = bot.fake.next_message().await;
    assert!(
        fake_discord::content(&refused).contains("only alumni office staff"),
        "{refused:#}"
    );
    bot.shutdown().await;
}

/// Channel talk not meant for the bot leaves no trace in the database; what is meant for it is
/// recorded once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn discord_channel_talk_not_for_the_bot_writes_nothing() {
    let bot = crate::discord::Bot::start().await;
    for i in 0..5 {
        bot.fake.say(
            "8500",
            Some(fake_discord::CHANNEL),
            &format!("just chatting {i}"),
            json!([]),
        );
    }
    bot.fake.say(
        "8500",
        Some(fake_discord::CHANNEL),
        &format!("<@{}> how do I set up forwarding", fake_discord::BOT_ID),
        json!([]),
    );
    let reply = bot.fake.next_message().await;
    assert!(
        fake_discord::content(&reply).contains("Forwarding"),
        "{reply:#}"
    );
    let (taken,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM processed_updates")
        .fetch_one(bot.store.pool())
        .await
        .unwrap();
    assert_eq!(taken, 1, "only the message for the bot is recorded");
    bot.shutdown().await;
}

/// A platform in the test's hands: events go in through a channel, what the runner sends is
/// recorded. The runner is the real one, on the real engine and store, with no sockets.
mod fake {
    use std::future::Future;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::{Arc, Mutex};
    use std::time::Duration;

    use alumni_bot::core::{Platform as Name, Reply, Sender};
    use alumni_bot::platform::{Event, Events, Failure, IncomingFile, Platform, Sending, What};
    use tokio::sync::{Notify, mpsc};

    pub struct Fake {
        inbox: Mutex<Option<mpsc::UnboundedReceiver<Event<Fake>>>>,
        pub sent: Mutex<Vec<(String, String)>>,
        changed: Notify,
        pub downloads: AtomicUsize,
        pub fail_downloads: bool,
        /// How long each send takes.
        pub send_time: Duration,
    }

    impl Fake {
        pub fn new(fail_downloads: bool) -> (Arc<Self>, mpsc::UnboundedSender<Event<Fake>>) {
            Self::slow(fail_downloads, Duration::ZERO)
        }

        /// A fake whose every send takes `send_time`.
        pub fn slow(
            fail_downloads: bool,
            send_time: Duration,
        ) -> (Arc<Self>, mpsc::UnboundedSender<Event<Fake>>) {
            let (tx, rx) = mpsc::unbounded_channel();
            let fake = Fake {
                inbox: Mutex::new(Some(rx)),
                sent: Mutex::new(Vec::new()),
                changed: Notify::new(),
                downloads: AtomicUsize::new(0),
                fail_downloads,
                send_time,
            };
            (Arc::new(fake), tx)
        }

        /// Waits until `n` messages were sent; what they said, by where they went.
        pub async fn wait_sent(&self, n: usize) -> Vec<(String, String)> {
            let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
            loop {
                let notified = self.changed.notified();
                {
                    let sent = self.sent.lock().unwrap();
                    if sent.len() >= n {
                        return sent.clone();
                    }
                }
                assert!(
                    tokio::time::Instant::now() < deadline,
                    "only {:?}",
                    self.sent.lock().unwrap()
                );
                let _ = tokio::time::timeout(Duration::from_millis(100), notified).await;
            }
        }
    }

    /// A message from `user` in their private chat, with the update id `id`.
    pub fn said(user: &str, id: &str, what: What<Vec<u8>>) -> Event<Fake> {
        let from = Sender::private(Name::Console, user);
        Event::new(from, user.to_string(), user.to_string(), what).id(id)
    }

    pub fn file(size: u64) -> What<Vec<u8>> {
        What::File(IncomingFile {
            file: b"%PDF-1.4\n".to_vec(),
            size,
            name: "id.pdf".into(),
            declared_type: Some("application/pdf".into()),
            caption: None,
        })
    }

    impl Platform for Fake {
        type Target = String;
        type File = Vec<u8>;
        type Actor = String;

        fn name(&self) -> &'static str {
            Name::Console.as_str()
        }

        async fn receive(
            self: Arc<Self>,
            events: Events<Self>,
            stop: impl Future<Output = ()> + Send + 'static,
        ) -> anyhow::Result<()> {
            let mut inbox = self.inbox.lock().unwrap().take().expect("received once");
            let mut stop = std::pin::pin!(stop);
            loop {
                tokio::select! {
                    () = &mut stop => return Ok(()),
                    event = inbox.recv() => match event {
                        Some(event) => events.send(event).await?,
                        None => {
                            stop.await;
                            return Ok(());
                        }
                    },
                }
            }
        }

        async fn send(&self, to: &String, replies: &[Reply], _: Sending) -> Result<(), Failure> {
            tokio::time::sleep(self.send_time).await;
            let text = replies
                .iter()
                .map(|r| r.text.as_str())
                .collect::<Vec<_>>()
                .join("\n");
            self.sent.lock().unwrap().push((to.clone(), text));
            self.changed.notify_waiters();
            Ok(())
        }

        async fn send_file(
            &self,
            to: &String,
            caption: &Reply,
            _: Vec<u8>,
            _: &'static str,
        ) -> Result<(), Failure> {
            self.send(to, std::slice::from_ref(caption), Sending::Notice)
                .await
        }

        async fn download(&self, file: Vec<u8>) -> Result<Vec<u8>, Failure> {
            self.downloads.fetch_add(1, Ordering::SeqCst);
            if self.fail_downloads {
                return Err(Failure::new("network: cannot connect"));
            }
            Ok(file)
        }

        async fn is_staff(&self, actor: &String) -> bool {
            actor == "staff-1"
        }

        fn user_chat(&self, chat: &str) -> anyhow::Result<String> {
            Ok(chat.to_string())
        }

        fn staff_place(&self) -> Option<String> {
            Some("staff".into())
        }
    }
}

/// Starts the runner on a fake platform; the stop signal and the task.
fn run_fake(
    store: Store,
    platform: Arc<fake::Fake>,
) -> (
    tokio::sync::oneshot::Sender<()>,
    tokio::task::JoinHandle<anyhow::Result<()>>,
) {
    let engine = Arc::new(engine_with(store));
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(alumni_bot::platform::run(engine, platform, async {
        let _ = stopped.await;
    }));
    (stop, task)
}

/// An update delivered twice is answered once; one user's messages are answered in order;
/// staff buttons act for staff only, whoever presses them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_runner_answers_once_in_order_and_checks_staff() {
    use alumni_bot::platform::What;
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("bot.db")).await.unwrap();
    let reference = store
        .create_ticket(ticket(Platform::Console, "someone", "o-fake"))
        .await
        .unwrap();
    let (platform, events) = fake::Fake::new(false);
    let (stop, task) = run_fake(store, platform.clone());
    let text = |t: &str| What::Text(t.to_string());
    events
        .send(fake::said("u1", "1", text("how do I reset my password")))
        .unwrap();
    events
        .send(fake::said("u1", "1", text("how do I reset my password")))
        .unwrap();
    events.send(fake::said("u1", "2", text("thanks"))).unwrap();
    let claim = What::Button(format!("staff:claim:{reference}"));
    events.send(fake::said("u2", "3", claim)).unwrap();
    let sent = platform.wait_sent(3).await;
    let of_u1: Vec<&String> = sent
        .iter()
        .filter(|(to, _)| to == "u1")
        .map(|(_, t)| t)
        .collect();
    assert_eq!(of_u1.len(), 2, "{sent:#?}");
    assert!(of_u1[0].contains("Forgot password"), "{sent:#?}");
    assert!(!of_u1[1].contains("Forgot password"), "{sent:#?}");
    let refused = &sent.iter().find(|(to, _)| to == "u2").unwrap().1;
    assert!(refused.contains("only alumni office staff"), "{refused}");
    let claim = What::Button(format!("staff:claim:{reference}"));
    let mut by_staff = fake::said("staff-1", "4", claim);
    by_staff.actor = "staff-1".into();
    events.send(by_staff).unwrap();
    let sent = platform.wait_sent(4).await;
    assert!(sent[3].1.contains("claim done"), "{sent:#?}");
    // Nothing else comes: the repeated update was skipped, not late.
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(platform.sent.lock().unwrap().len(), 4);
    let _ = stop.send(());
    task.await.unwrap().unwrap();
}

/// A file over the core's limit is never downloaded; a download that fails is apologised for,
/// in the core's words.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_runner_keeps_the_file_policy() {
    use std::sync::atomic::Ordering;
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("bot.db")).await.unwrap();
    let (platform, events) = fake::Fake::new(false);
    let (stop, task) = run_fake(store.clone(), platform.clone());
    events
        .send(fake::said("u1", "1", fake::file(50 * 1024 * 1024)))
        .unwrap();
    // Outside a flow the core declines files; what matters here is that none was fetched.
    platform.wait_sent(1).await;
    assert_eq!(platform.downloads.load(Ordering::SeqCst), 0);
    let _ = stop.send(());
    task.await.unwrap().unwrap();

    let (platform, events) = fake::Fake::new(true);
    let (stop, task) = run_fake(store, platform.clone());
    events
        .send(fake::said("u1", "2", fake::file(1000)))
        .unwrap();
    let sent = platform.wait_sent(1).await;
    assert_eq!(platform.downloads.load(Ordering::SeqCst), 1);
    assert!(sent[0].1.contains("couldn't fetch that file"), "{sent:#?}");
    let _ = stop.send(());
    task.await.unwrap().unwrap();
}

/// Shutdown answers every message already taken before the runner returns.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_answers_what_was_taken() {
    use alumni_bot::platform::What;
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("bot.db")).await.unwrap();
    // Answers take a while to send: they are still on their way when shutdown comes.
    let (platform, events) = fake::Fake::slow(false, Duration::from_millis(700));
    let (stop, task) = run_fake(store, platform.clone());
    for i in 0..5 {
        let what = What::Text("which browsers work with office 365".into());
        events
            .send(fake::said(&format!("u{i}"), &i.to_string(), what))
            .unwrap();
    }
    // Taken by the runner (it is waiting for more), then stopped while answers are being sent.
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(platform.sent.lock().unwrap().is_empty(), "still in flight");
    let _ = stop.send(());
    task.await.unwrap().unwrap();
    assert_eq!(platform.sent.lock().unwrap().len(), 5);
}

/// Staff commands are heard in the staff channel and its threads, and in DMs; not in a public
/// channel, even from a member with the staff role (the confirmation would be public).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn discord_staff_commands_are_not_taken_in_public_channels() {
    const STAFF_ROLE: &str = "660";
    let bot = crate::discord::Bot::start_with(|s| {
        s.staff_channel = Some(650);
        s.staff_role = Some(STAFF_ROLE.parse().unwrap());
    })
    .await;
    let reference = bot
        .store
        .create_ticket(ticket(Platform::Discord, "8600", "o-public"))
        .await
        .unwrap();
    // The announcement to the staff channel.
    let notice = bot.fake.next_message().await;
    assert_eq!(notice["channel_id"], "650", "{notice:#}");
    bot.fake.say_with_roles(
        "9001",
        Some(fake_discord::CHANNEL),
        &format!("/claim {reference}"),
        json!([]),
        &[STAFF_ROLE],
    );
    bot.fake
        .no_message_within(Duration::from_millis(1500))
        .await;
    let ticket = bot.store.ticket(reference.as_str()).await.unwrap().unwrap();
    assert_eq!(ticket.summary.status.as_str(), "open");
    bot.shutdown().await;
}

/// A blocked user's slash command gets no answer, and the deferred "thinking…" is taken away
/// rather than left hanging.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_interaction_the_bot_does_not_answer_is_closed() {
    let bot = crate::discord::Bot::start().await;
    bot.store
        .set_blocked("discord", "8700", true, "cli", "abuse")
        .await
        .unwrap();
    bot.fake
        .command("8700", Some(fake_discord::CHANNEL), "help", json!([]));
    let closed = bot.fake.next("DELETE", "/messages/@original").await;
    assert!(closed.path.contains("/webhooks/"), "{closed:#?}");
    bot.shutdown().await;
}
