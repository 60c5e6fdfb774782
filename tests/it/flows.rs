//! The guided flows through the engine: every branch the FAQ implies, the conversation rules
//! at any step, bad input at every kind of step, and the ticket at the end.

use alumni_bot::core::{
    Content, ConversationStore, Engine, Inbound, MemoryStore, Reply, Sender, Upload,
};

use crate::helpers::{engine, press, say, send, walk};

fn text(replies: &[Reply]) -> String {
    replies
        .iter()
        .map(|r| r.text.as_str())
        .collect::<Vec<_>>()
        .join("\n")
}

/// The data of the offered button whose label contains `label`.
fn button(replies: &[Reply], label: &str) -> String {
    replies
        .iter()
        .flat_map(|r| &r.buttons)
        .find(|b| b.label.contains(label))
        .unwrap_or_else(|| panic!("no button {label:?} in {replies:#?}"))
        .data
        .to_string()
}

fn file(bytes: &[u8]) -> Content {
    Content::File(Upload {
        name: "passport.pdf".into(),
        declared_type: Some("application/pdf".into()),
        declared_size: None,
        bytes: bytes.to_vec(),
        caption: None,
    })
}

async fn in_flow(e: &Engine<MemoryStore>, user: &str) -> Option<(String, String)> {
    let key = Sender::private(alumni_bot::core::Platform::Console, user).conversation_key();
    let c = e.store().load(&key).await.unwrap().unwrap_or_default();
    c.flow.map(|r| (r.flow, r.step))
}

#[tokio::test]
async fn activation_ineligible_users_are_told_kindly_why() {
    let e = engine();
    for (user, who) in [
        ("u1", "exchange-in"),
        ("u2", "visiting scholar"),
        ("u3", "short non-degree"),
    ] {
        let first = say(&e, user, "my alumni account activation keeps failing").await;
        assert!(text(&first).contains("what did you study"), "{first:#?}");
        let r = press(&e, user, &button(&first, who)).await;
        let t = text(&r);
        assert!(
            t.contains("not eligible") && t.contains("degree graduates") && t.contains("sorry"),
            "{t}"
        );
        assert_eq!(in_flow(&e, user).await, None, "the flow ended");
    }
    assert!(e.store().tickets().is_empty());
}

#[tokio::test]
async fn activation_walks_name_then_passport_then_offers_a_correction() {
    let e = engine();
    let r = say(&e, "u1", "why can't I activate my alumni email").await;
    let r = press(&e, "u1", &button(&r, "degree")).await;
    assert!(text(&r).contains("middle name"), "{r:#?}");
    // Typed instead of pressed.
    let r = say(&e, "u1", "no").await;
    assert!(
        text(&r).contains("new number when a passport is renewed"),
        "{r:#?}"
    );
    let r = say(&e, "u1", "nope, still fails").await;
    assert!(text(&r).contains("correction request"), "{r:#?}");
    let r = press(&e, "u1", &button(&r, "start a correction")).await;
    assert!(text(&r).contains("What is wrong"), "{r:#?}");
    assert_eq!(
        in_flow(&e, "u1").await,
        Some(("correct_records".into(), "what".into()))
    );

    // The happy path ends the flow instead.
    let r = say(&e, "u2", "activation failed").await;
    let r = press(&e, "u2", &button(&r, "degree")).await;
    let r = press(&e, "u2", &button(&r, "Yes")).await;
    assert!(text(&r).contains("glad it works"), "{r:#?}");
    assert_eq!(in_flow(&e, "u2").await, None);
}

#[tokio::test]
async fn a_correction_request_validates_every_answer_and_files_one_ticket() {
    let e = engine();
    let r = say(&e, "u1", "please correct my records").await;
    assert!(text(&r).contains("What is wrong"), "{r:#?}");
    let r = press(&e, "u1", &button(&r, "passport number")).await;
    // FAQ 1a first: a renewed passport needs no correction.
    assert!(
        text(&r).contains("as submitted to the Academic Registry Office"),
        "{r:#?}"
    );
    let r = press(&e, "u1", &button(&r, "the record is wrong")).await;
    assert!(text(&r).contains("correct passport number"), "{r:#?}");

    // A file where text is expected; a wrong value; then a right one.
    let r = send(&e, "u1", file(b"%PDF-1.4 x")).await;
    assert!(text(&r).contains("wasn't expecting a file"), "{r:#?}");
    let r = say(&e, "u1", "12").await;
    assert!(text(&r).contains("5 to 20 letters and digits"), "{r:#?}");
    assert!(
        r.last()
            .unwrap()
            .buttons
            .iter()
            .any(|b| b.label == "Talk to a person"),
        "two refusals in a row offer a person: {r:#?}"
    );
    let r = say(&e, "u1", "k 1234-5678").await;
    assert!(text(&r).contains("full name"), "{r:#?}");

    let r = say(&e, "u1", "R2D2").await;
    assert!(text(&r).contains("no digits"), "{r:#?}");
    let r = say(&e, "u1", "CHAN Tai Man Peter").await;
    assert!(text(&r).contains("Which degree"), "{r:#?}");
    let hostile = "BSc <script>alert(1)</script>'); DROP TABLE tickets;-- **x** [y](http://z)";
    let r = say(&e, "u1", hostile).await;
    assert!(text(&r).contains("which year"), "{r:#?}");
    for bad in ["1990", "next year", "20155"] {
        let r = say(&e, "u1", bad).await;
        assert!(text(&r).contains("year"), "{bad}: {r:#?}");
        assert_eq!(
            in_flow(&e, "u1").await.unwrap().1,
            "year",
            "{bad} is re-asked"
        );
    }
    let r = say(&e, "u1", "2012").await;
    assert!(text(&r).contains("email address"), "{r:#?}");
    let r = say(&e, "u1", "peter at gmail").await;
    assert!(text(&r).contains("name@example.com"), "{r:#?}");
    let r = say(&e, "u1", "Peter.Chan@Example.com").await;
    assert!(text(&r).contains("HKID card or passport"), "{r:#?}");

    // Text where a file is expected; files of the wrong type, empty, too large.
    let r = say(&e, "u1", "I will send it later").await;
    assert!(text(&r).contains("as a file"), "{r:#?}");
    let r = send(&e, "u1", file(b"MZ\x90\x00 not a photo")).await;
    assert!(text(&r).contains("only photos"), "{r:#?}");
    let r = send(&e, "u1", file(b"")).await;
    assert!(text(&r).contains("empty"), "{r:#?}");
    let mut big = b"%PDF-".to_vec();
    big.resize(11 * 1024 * 1024, b'x');
    let r = send(&e, "u1", file(&big)).await;
    assert!(text(&r).contains("larger than 10 MB"), "{r:#?}");
    let jpeg = [0xFF, 0xD8, 0xFF, 0xE0, 1, 2, 3, 4];
    let r = send(&e, "u1", file(&jpeg)).await;
    let summary = text(&r);
    assert!(
        summary.contains("received the file") && summary.contains("JPEG photo"),
        "{summary}"
    );
    // The user's words are shown escaped: no bold or link made from them.
    assert!(
        summary.contains("\\*\\*x\\*\\* \\[y\\]\\(http://z\\)"),
        "{summary}"
    );
    assert!(summary.contains("K12345678") && summary.contains("2012"));

    // Edit one answer from the summary, and come back to the summary.
    let r = press(&e, "u1", &button(&r, "Change something")).await;
    let r = press(&e, "u1", &button(&r, "Year of graduation")).await;
    assert!(text(&r).contains("which year"), "{r:#?}");
    let r = say(&e, "u1", "2013").await;
    let summary = r.last().unwrap().clone();
    assert!(summary.text.contains("2013") && !summary.text.contains("2012"));
    let send_data = button(&r, "Send it");

    let r = press(&e, "u1", &send_data).await;
    let done = text(&r);
    assert!(done.contains("Your reference is **T-"), "{done}");
    let tickets = e.store().tickets();
    assert_eq!(tickets.len(), 1);
    let (reference, ticket) = &tickets[0];
    assert!(done.contains(reference.as_str()));
    assert_eq!(ticket.category, "correct_records");
    assert_eq!(ticket.fields["correct_passport"], "K12345678");
    assert_eq!(ticket.fields["full_name"], "CHAN Tai Man Peter");
    assert_eq!(ticket.fields["degree"], hostile, "stored verbatim");
    assert_eq!(ticket.fields["graduation_year"], "2013");
    assert_eq!(ticket.fields["contact_email"], "Peter.Chan@example.com");
    assert_eq!(ticket.attachments.len(), 1);
    assert_eq!(ticket.attachments[0].media_type, "image/jpeg");
    assert!(
        ticket
            .transcript
            .iter()
            .any(|l| l.text == "please correct my records"),
        "the transcript starts where the user asked: {:#?}",
        ticket.transcript
    );

    // The old "Send it" button, pressed again: no second ticket, the reference repeated.
    let again = press(&e, "u1", &send_data).await;
    assert!(
        text(&again).contains("already finished") && text(&again).contains(reference.as_str()),
        "{again:#?}"
    );
    assert_eq!(e.store().tickets().len(), 1);
}

#[tokio::test]
async fn back_help_cancel_and_a_person_work_at_any_step() {
    let e = engine();
    let r = say(&e, "u1", "I need to correct my records").await;
    let r = press(&e, "u1", &button(&r, "My name")).await;
    assert!(text(&r).contains("What should your name be"));
    let r = say(&e, "u1", "Chan Tai Man").await;
    assert!(text(&r).contains("Which degree"));

    let r = say(&e, "u1", "back").await;
    assert!(text(&r).contains("What should your name be"), "{r:#?}");
    let r = say(&e, "u1", "back").await;
    assert!(text(&r).contains("What is wrong"), "{r:#?}");
    let r = say(&e, "u1", "back").await;
    assert!(text(&r).contains("first step"), "{r:#?}");

    let r = say(&e, "u1", "help").await;
    assert!(
        text(&r).contains("middle of **the correction request**")
            && text(&r).contains("What is wrong"),
        "help explains and asks again: {r:#?}"
    );

    let r = say(&e, "u1", "cancel").await;
    assert!(text(&r).contains("nothing was sent"), "{r:#?}");
    assert_eq!(in_flow(&e, "u1").await, None);

    // "talk to a person" in the middle of a value step is not taken as a name.
    let r = say(&e, "u2", "please correct my records").await;
    press(&e, "u2", &button(&r, "My name")).await;
    let r = say(&e, "u2", "talk to a person").await;
    assert!(
        text(&r).contains("alumni@ust.hk") && text(&r).contains("(852) 6359 1911"),
        "{r:#?}"
    );
    assert_eq!(
        in_flow(&e, "u2").await,
        Some(("contact_staff".into(), "how".into()))
    );
    assert!(e.store().tickets().is_empty());
}

#[tokio::test]
async fn a_question_mid_flow_is_answered_and_the_flow_resumes() {
    let e = engine();
    let r = say(&e, "u1", "which login for library wifi").await;
    assert!(text(&r).contains("When was that"), "{r:#?}");
    let r = say(&e, "u1", "how do I set up email forwarding?").await;
    assert!(
        text(&r).contains("Forwarding"),
        "the question answered: {r:#?}"
    );
    assert!(text(&r).contains("Shall we go on"), "{r:#?}");
    let r = press(&e, "u1", &button(&r, "Yes, go on")).await;
    assert!(text(&r).contains("When was that"), "{r:#?}");

    // A button of a step already left is recognised, and the current step shown.
    let old = button(&r, "Before March 2014");
    let r = press(&e, "u1", &old).await;
    assert!(text(&r).contains("@alumni") && text(&r).contains("student login"));
    let r = press(&e, "u1", &old).await;
    assert!(text(&r).contains("earlier step"), "{r:#?}");
    assert!(text(&r).contains("Does the login work now"), "{r:#?}");

    // Gibberish at a choice: asked to choose, then offered a person.
    let r = say(&e, "u1", "blorp").await;
    assert!(text(&r).contains("yes or no"), "{r:#?}");
    let r = say(&e, "u1", "zzzz").await;
    assert!(text(&r).contains("talk to a person"), "{r:#?}");
    let r = say(&e, "u1", "yes").await;
    assert!(text(&r).contains("Glad that sorted it"), "{r:#?}");
}

#[tokio::test]
async fn the_troubleshooting_flows_follow_the_faq() {
    let e = engine();
    // FAQ 4: after March 2014 → @connect.
    let r = say(&e, "a", "should I use alumni or connect for campus wifi").await;
    let r = press(&e, "a", &button(&r, "After March 2014")).await;
    assert!(
        text(&r).contains("@connect") && text(&r).contains("ITSO"),
        "{r:#?}"
    );

    // FAQ 8: forwarding on → how to stop it.
    let r = say(&e, "b", "I'm not receiving any emails").await;
    let r = press(&e, "b", &button(&r, "Yes, it's on")).await;
    assert!(text(&r).contains("Stop forwarding"), "{r:#?}");
    let r = press(&e, "b", &button(&r, "No, still")).await;
    // Only the FAQ's cause, then a person: no invented checks.
    assert!(text(&r).contains("the one cause the FAQ names"), "{r:#?}");
    assert!(!text(&r).contains("Junk"), "{r:#?}");

    // FAQ 5: before March 2014 → the Office 365 upgrade, whose steps the FAQ does not give:
    // said plainly, a person offered. After March 2014 → username/password retrieval.
    let r = say(&e, "c", "my old alumni login says invalid password").await;
    let r = press(&e, "c", &button(&r, "Before March 2014")).await;
    assert!(
        text(&r).contains("March 2014") && text(&r).contains("does not list those steps"),
        "{r:#?}"
    );
    let upgrade = r;
    let r = say(&e, "d", "my old alumni login says invalid password").await;
    let r = press(&e, "d", &button(&r, "In or after March 2014")).await;
    assert!(text(&r).contains("o_login_all"), "{r:#?}");
    let r = press(&e, "c", &button(&upgrade, "talk to a person")).await;
    assert!(
        text(&r).contains("(852) 6359 1911"),
        "hand-off to contact: {r:#?}"
    );
}

#[tokio::test]
async fn contact_staff_opens_a_general_ticket() {
    let e = engine();
    let r = say(&e, "u1", "/contact").await;
    let r = press(&e, "u1", &button(&r, "Open a ticket")).await;
    assert!(text(&r).contains("describe"), "{r:#?}");
    // A description may be a question: it is the message, not a side question.
    let r = say(
        &e,
        "u1",
        "Why does my alias not show as sender? I followed FAQ 14.",
    )
    .await;
    assert!(text(&r).contains("reach you at"), "{r:#?}");
    let summary = say(&e, "u1", "me@example.org").await;
    assert!(text(&summary).contains("me@example.org"), "{summary:#?}");
    let r = say(&e, "u1", "send").await;
    assert!(text(&r).contains("reference is **T-"), "{r:#?}");
    let tickets = e.store().tickets();
    assert_eq!(tickets.len(), 1);
    assert_eq!(tickets[0].1.category, "general");
    assert!(tickets[0].1.fields["description"].contains("FAQ 14"));
}

#[tokio::test]
async fn personal_data_is_never_asked_for_in_a_public_chat() {
    let e = engine();
    let public = Sender {
        platform: alumni_bot::core::Platform::Console,
        user: "u1".into(),
        chat: "group-1".into(),
        public: true,
    };
    let r = e
        .handle(Inbound {
            from: public.clone(),
            content: Content::Text("I need to correct my passport number".into()),
        })
        .await;
    let t = text(&r);
    assert!(
        t.contains("private chat") && t.contains("alumni@ust.hk"),
        "{t}"
    );
    let stored = e
        .store()
        .load(&public.conversation_key())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.flow, None, "no flow runs in public");

    // A flow that asks nothing personal runs in public too.
    let r = e
        .handle(Inbound {
            from: public,
            content: Content::Text("which account for library wifi".into()),
        })
        .await;
    assert!(!r.last().unwrap().buttons.is_empty(), "{r:#?}");
}

#[tokio::test]
async fn users_in_flows_do_not_see_each_others_state() {
    let e = std::sync::Arc::new(engine());
    let mut tasks = Vec::new();
    for i in 0..20 {
        let e = e.clone();
        tasks.push(tokio::spawn(async move {
            let user = format!("user{i}");
            let r = say(&e, &user, "I need to contact staff").await;
            let r = press(&e, &user, &button(&r, "Open a ticket")).await;
            assert!(text(&r).contains("describe"));
            say(&e, &user, &format!("message of user {i}")).await;
            say(&e, &user, &format!("u{i}@example.com")).await;
            let r = say(&e, &user, "send").await;
            assert!(text(&r).contains("reference"), "{r:#?}");
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let tickets = e.store().tickets();
    assert_eq!(tickets.len(), 20);
    for (_, t) in tickets {
        let i = t.from.user.trim_start_matches("user");
        assert_eq!(t.fields["description"], format!("message of user {i}"));
        assert_eq!(t.fields["contact_email"], format!("u{i}@example.com"));
    }
}

/// The whole correction request through the spawned binary, killed with SIGKILL after every
/// message and started again: each step resumes where the user was, and exactly one ticket
/// with its file lands in the database that `tickets list --json` reads.
#[test]
fn a_correction_request_survives_kill_9_after_every_message() {
    use crate::helpers::{Session, bin, buttons, texts};
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("bot.db");
    let id_copy = dir.path().join("id.pdf");
    std::fs::write(&id_copy, b"%PDF-1.7 passport copy").unwrap();
    let start = || {
        let mut cmd = bin();
        cmd.arg("--db").arg(&db).args(["chat", "--jsonl"]);
        Session::spawn(cmd)
    };
    let line = |text: &str| serde_json::json!({"user": "alum", "text": text}).to_string();
    let steps: Vec<(String, &str)> = vec![
        (line("I need to correct my record"), "What is wrong"),
        (line("2"), "Academic Registry Office"),
        (line("1"), "correct passport number"),
        (line("E 7654321"), "full name"),
        (line("Chan Tai Man"), "Which degree"),
        (line("MPhil Physics"), "which year"),
        (line("2010"), "email address"),
        (line("chan@example.net"), "HKID card or passport"),
        (
            serde_json::json!({"user": "alum", "file": id_copy, "text": "my passport"}).to_string(),
            "check your correction request",
        ),
    ];
    let mut last = serde_json::Value::Null;
    for (input, expected) in &steps {
        let mut s = start();
        last = s.ask(input);
        assert!(texts(&last).contains(expected), "{input} → {last}");
        s.child.kill().unwrap(); // SIGKILL: no chance to clean up
    }
    let send = buttons(&last)
        .into_iter()
        .find(|(label, _)| label == "Send it")
        .unwrap()
        .1;
    let mut s = start();
    let done = s.ask(&serde_json::json!({"user": "alum", "button": send}).to_string());
    assert!(texts(&done).contains("reference is **T-"), "{done}");
    drop(s);

    let out = bin()
        .arg("--db")
        .arg(&db)
        .args(["tickets", "list", "--json"])
        .output()
        .unwrap();
    let list: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(list.len(), 1, "{list:#?}");
    let t = &list[0];
    assert!(texts(&done).contains(t["id"].as_str().unwrap()));
    assert_eq!(t["category"], "correct_records");
    assert_eq!(t["platform"], "console");
    assert_eq!(t["fields"]["correct_passport"], "E7654321");
    assert_eq!(t["fields"]["graduation_year"], "2010");
    assert_eq!(t["attachments"], 1);
    let files: Vec<_> = walk(&dir.path().join("bot-files"));
    assert_eq!(files.len(), 1);
    assert_eq!(std::fs::read(&files[0]).unwrap(), b"%PDF-1.7 passport copy");
}

/// Storage that can be told to fail the next save of a conversation.
#[derive(Default)]
struct FlakyStore {
    inner: MemoryStore,
    fail_next_save: std::sync::atomic::AtomicBool,
    /// The disk fails the next file write.
    fail_next_file: std::sync::atomic::AtomicBool,
}

impl ConversationStore for FlakyStore {
    async fn load(&self, key: &str) -> anyhow::Result<Option<alumni_bot::core::Conversation>> {
        self.inner.load(key).await
    }

    async fn save(&self, key: &str, c: &alumni_bot::core::Conversation) -> anyhow::Result<()> {
        if self
            .fail_next_save
            .swap(false, std::sync::atomic::Ordering::SeqCst)
        {
            anyhow::bail!("disk full");
        }
        self.inner.save(key, c).await
    }

    async fn is_blocked(&self, platform: &str, user: &str) -> anyhow::Result<bool> {
        self.inner.is_blocked(platform, user).await
    }

    async fn forget(&self, platform: &str, user: &str, who: &str) -> anyhow::Result<Vec<String>> {
        self.inner.forget(platform, user, who).await
    }
}

impl alumni_bot::core::GapLog for FlakyStore {
    async fn record_gap(&self, gap: alumni_bot::core::Gap) -> anyhow::Result<()> {
        self.inner.record_gap(gap).await
    }
}

impl alumni_bot::core::TicketStore for FlakyStore {
    async fn store_file(
        &self,
        file: alumni_bot::core::Attachment,
    ) -> anyhow::Result<alumni_bot::core::StoredFile> {
        if self
            .fail_next_file
            .swap(false, std::sync::atomic::Ordering::SeqCst)
        {
            anyhow::bail!("I/O error: no space left on device");
        }
        self.inner.store_file(file).await
    }

    async fn create_ticket(
        &self,
        t: alumni_bot::core::NewTicket,
    ) -> Result<String, alumni_bot::core::FilingError> {
        self.inner.create_ticket(t).await
    }

    async fn tickets_of(
        &self,
        platform: &str,
        user: &str,
    ) -> anyhow::Result<Vec<alumni_bot::core::TicketBrief>> {
        self.inner.tickets_of(platform, user).await
    }

    async fn awaiting_ticket(&self, platform: &str, user: &str) -> anyhow::Result<Option<String>> {
        self.inner.awaiting_ticket(platform, user).await
    }

    async fn add_to_ticket(
        &self,
        reference: &str,
        from: &Sender,
        text: Option<&str>,
        file: Option<&alumni_bot::core::StoredFile>,
    ) -> anyhow::Result<bool> {
        self.inner.add_to_ticket(reference, from, text, file).await
    }

    async fn withdraw_ticket(
        &self,
        reference: &str,
        platform: &str,
        user: &str,
    ) -> anyhow::Result<bool> {
        self.inner.withdraw_ticket(reference, platform, user).await
    }
}

#[tokio::test]
async fn a_failed_save_after_filing_does_not_file_twice() {
    let e = crate::helpers::engine_with(FlakyStore::default());
    let from = Sender::private(alumni_bot::core::Platform::Console, "u1");
    let say = |text: &str| Inbound {
        from: from.clone(),
        content: Content::Text(text.into()),
    };
    e.handle(say("/contact")).await;
    e.handle(say("1")).await;
    e.handle(say("please call me back")).await;
    let summary = e.handle(say("me@example.org")).await;
    assert!(
        text(&summary).contains("please call me back"),
        "{summary:#?}"
    );

    e.store()
        .fail_next_save
        .store(true, std::sync::atomic::Ordering::SeqCst);
    let failed = e.handle(say("send")).await;
    assert!(text(&failed).contains("went wrong"), "{failed:#?}");
    assert_eq!(
        e.store().inner.tickets().len(),
        1,
        "filed before the save failed"
    );

    // The user tries again from the same step: the same ticket, not a second one.
    let again = e.handle(say("send")).await;
    let reference = &e.store().inner.tickets()[0].0;
    assert!(text(&again).contains(reference.as_str()), "{again:#?}");
    assert_eq!(e.store().inner.tickets().len(), 1);
}

#[tokio::test]
async fn status_lists_a_users_own_tickets_only_in_private() {
    let e = engine();
    let r = say(&e, "u1", "/status").await;
    assert!(text(&r).contains("no requests"), "{r:#?}");
    say(&e, "u1", "/contact").await;
    say(&e, "u1", "1").await;
    say(&e, "u1", "hello staff").await;
    say(&e, "u1", "u1@example.com").await;
    let done = say(&e, "u1", "send").await;
    let reference = e.store().tickets()[0].0.clone();
    assert!(text(&done).contains(&reference));
    let r = say(&e, "u1", "/status").await;
    assert!(
        text(&r).contains(&reference) && text(&r).contains("waiting for staff"),
        "{r:#?}"
    );
    assert!(text(&say(&e, "u2", "my tickets").await).contains("no requests"));

    let public = Inbound {
        from: Sender {
            platform: alumni_bot::core::Platform::Console,
            user: "u1".into(),
            chat: "group".into(),
            public: true,
        },
        content: Content::Text("/status".into()),
    };
    let r = e.handle(public).await;
    assert!(!text(&r).contains(&reference), "{r:#?}");
}

#[tokio::test]
async fn a_deep_link_from_a_public_chat_starts_the_flow_in_private() {
    let e = engine();
    let public = Sender {
        platform: alumni_bot::core::Platform::Console,
        user: "u1".into(),
        chat: "group".into(),
        public: true,
    };
    let r = e
        .handle(Inbound {
            from: public,
            content: Content::Text("please correct my records".into()),
        })
        .await;
    let private = button(&r, "private chat");
    assert_eq!(private, "private:correct_records");
    // The adapter's deep link arrives in the private chat as `/start f_<flow>`.
    let r = say(&e, "u1", "/start f_correct_records").await;
    assert!(text(&r).contains("What is wrong"), "{r:#?}");
    // The button itself, pressed in private, does the same.
    let r = press(&e, "u2", &private).await;
    assert!(text(&r).contains("What is wrong"), "{r:#?}");
}

#[tokio::test]
async fn a_file_announced_too_large_is_refused_without_its_bytes() {
    let e = engine();
    let r = say(&e, "u1", "I need to correct my records").await;
    let r = press(&e, "u1", &button(&r, "Something else")).await;
    assert!(text(&r).contains("What is wrong, and what should it be"));
    for answer in ["my degree title", "Chan Tai Man", "BA", "2001", "a@b.org"] {
        say(&e, "u1", answer).await;
    }
    let r = send(
        &e,
        "u1",
        Content::File(Upload {
            name: "scan.pdf".into(),
            declared_type: None,
            declared_size: Some(25 * 1024 * 1024),
            bytes: Vec::new(),
            caption: None,
        }),
    )
    .await;
    assert!(text(&r).contains("larger than 10 MB"), "{r:#?}");
}

#[tokio::test]
async fn a_disk_failing_the_id_copy_write_loses_nothing() {
    let e = crate::helpers::engine_with(FlakyStore::default());
    let from = Sender::private(alumni_bot::core::Platform::Console, "u1");
    let send = |content: Content| Inbound {
        from: from.clone(),
        content,
    };
    let say = |t: &str| send(Content::Text(t.into()));
    e.handle(say("I need to correct my records")).await;
    for answer in ["1", "CHAN Tai Man", "BSc", "2010", "a@example.org"] {
        e.handle(say(answer)).await;
    }
    e.store()
        .fail_next_file
        .store(true, std::sync::atomic::Ordering::SeqCst);
    let failed = e.handle(send(file(b"%PDF-1.4 id"))).await;
    assert!(text(&failed).contains("went wrong"), "{failed:#?}");
    // The user is still at the file step, with every earlier answer.
    let again = e.handle(send(file(b"%PDF-1.4 id"))).await;
    let summary = text(&again);
    assert!(
        summary.contains("CHAN Tai Man") && summary.contains("received (PDF"),
        "{summary}"
    );
}

/// Staff asked for more; the user's answer is added, then the conversation fails to save: the
/// user sends it again (after the apology), and it is added once.
#[tokio::test]
async fn a_failed_save_after_adding_to_a_ticket_does_not_add_twice() {
    let e = crate::helpers::engine_with(FlakyStore::default());
    let from = Sender::private(alumni_bot::core::Platform::Console, "u1");
    let say = |text: &str| Inbound {
        from: from.clone(),
        content: Content::Text(text.into()),
    };
    for text in [
        "/contact",
        "1",
        "please call me back",
        "me@example.org",
        "send",
    ] {
        e.handle(say(text)).await;
    }
    let reference = e.store().inner.tickets()[0].0.clone();
    e.store()
        .inner
        .set_status(&reference, alumni_bot::core::TicketStatus::AwaitingUser);

    e.store()
        .fail_next_save
        .store(true, std::sync::atomic::Ordering::SeqCst);
    let failed = e.handle(say("my student number is 1234")).await;
    assert!(text(&failed).contains("went wrong"), "{failed:#?}");
    let again = e.handle(say("my student number is 1234")).await;
    assert!(text(&again).contains("Added to your request"), "{again:#?}");
    assert_eq!(
        e.store().inner.ticket_records()[0].added,
        vec!["my student number is 1234".to_string()]
    );
    // Saved now: the next message is added.
    e.handle(say("and my year is 2010")).await;
    assert_eq!(e.store().inner.ticket_records()[0].added.len(), 2);
}
