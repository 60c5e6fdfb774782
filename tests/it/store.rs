//! The store's consistency under failures and concurrency: idempotent additions, purge around
//! its commit, one staff thread per ticket, dead letters, retention.

use alumni_bot::core::{Conversation, ConversationStore, NewTicket, Sender, TicketStore};
use alumni_bot::store::Store;

/// A store on a fresh file whose tickets are announced to a Telegram staff place.
async fn store(dir: &tempfile::TempDir) -> Store {
    Store::open(&dir.path().join("bot.db"))
        .await
        .unwrap()
        .with_staff_places(vec![alumni_bot::core::Platform::Telegram])
}

async fn file_ticket(store: &Store, from: &Sender, origin: &str) -> String {
    store
        .create_ticket(NewTicket {
            category: "general".into(),
            from: from.clone(),
            origin: origin.into(),
            fields: [("description".to_string(), "help".to_string())].into(),
            transcript: vec![],
            attachments: vec![],
            max_open: None,
            lang: Default::default(),
        })
        .await
        .unwrap()
}

async fn count(store: &Store, sql: &'static str) -> i64 {
    let (n,): (i64,) = sqlx::query_as(sql).fetch_one(store.pool()).await.unwrap();
    n
}

/// The user adds to their ticket; the conversation then fails to save, so the user's retry
/// comes from the same stored state: it adds nothing and tells staff nothing a second time.
/// Once the conversation is saved, the same words are a new addition.
#[tokio::test]
async fn an_addition_retried_after_a_failed_save_is_added_once() {
    let dir = tempfile::tempdir().unwrap();
    let store = store(&dir).await;
    let from = Sender::private(alumni_bot::core::Platform::Telegram, "4100");
    let reference = file_ticket(&store, &from, "o-add").await;
    let key = from.conversation_key();
    store.save(&key, &Conversation::default()).await.unwrap();
    let lines: &'static str = "SELECT COUNT(*) FROM ticket_transcript";
    let notices: &'static str = "SELECT COUNT(*) FROM outbox WHERE chat = 'staff'";
    let before = count(&store, notices).await;

    for _ in 0..2 {
        let added = store
            .add_to_ticket(&reference, &from, Some("my new passport is K7"), None)
            .await
            .unwrap();
        assert!(added, "a retry is answered as added");
    }
    assert_eq!(count(&store, lines).await, 1, "one transcript line");
    assert_eq!(count(&store, notices).await, before + 1, "one staff notice");

    // Saved this time: the next message, even with the same words, is a new addition.
    store.save(&key, &Conversation::default()).await.unwrap();
    store
        .add_to_ticket(&reference, &from, Some("my new passport is K7"), None)
        .await
        .unwrap();
    assert_eq!(count(&store, lines).await, 2);
    assert_eq!(count(&store, notices).await, before + 2);

    // Different words from the same state (the user rephrased after the apology) are added.
    store
        .add_to_ticket(&reference, &from, Some("sorry: K8"), None)
        .await
        .unwrap();
    assert_eq!(count(&store, lines).await, 3);
}

/// A conversation never saved (new, forgotten or purged) is no exception.
#[tokio::test]
async fn an_addition_without_a_stored_conversation_is_added_once_too() {
    let dir = tempfile::tempdir().unwrap();
    let store = store(&dir).await;
    let from = Sender::private(alumni_bot::core::Platform::Telegram, "4200");
    let reference = file_ticket(&store, &from, "o-add2").await;
    for _ in 0..2 {
        assert!(
            store
                .add_to_ticket(&reference, &from, Some("here it is"), None)
                .await
                .unwrap()
        );
    }
    assert_eq!(
        count(&store, "SELECT COUNT(*) FROM ticket_transcript").await,
        1
    );
    // The retry loads the conversation the engine started from: a fresh one.
    assert_eq!(
        store
            .load(&from.conversation_key())
            .await
            .unwrap()
            .unwrap_or_default(),
        Conversation::default()
    );
}

/// A resolved ticket with a file, resolved long ago: what purge works on. Returns the file.
async fn long_resolved_ticket_with_a_file(store: &Store, user: &str) -> std::path::PathBuf {
    let file = store
        .store_file(
            alumni_bot::core::Attachment::parse(format!("%PDF-1.4 {user}").into_bytes()).unwrap(),
        )
        .await
        .unwrap();
    let path = store.attachment_path(&file.hash);
    let reference = store
        .create_ticket(NewTicket {
            category: "correct_records".into(),
            from: Sender::private(alumni_bot::core::Platform::Console, user),
            origin: format!("o-{user}"),
            fields: Default::default(),
            transcript: vec![],
            attachments: vec![file],
            max_open: None,
            lang: Default::default(),
        })
        .await
        .unwrap();
    sqlx::query(
        "UPDATE tickets SET status = 'resolved', updated_at = '2020-01-01T00:00:00.000Z' WHERE reference = ?",
    )
    .bind(&reference)
    .execute(store.pool())
    .await
    .unwrap();
    // Sent before the ticket was resolved.
    set_old(&path);
    path
}

/// Sets a file's time 200 days back.
fn set_old(path: &std::path::Path) {
    let old = std::time::SystemTime::now() - std::time::Duration::from_secs(200 * 86_400);
    std::fs::File::options()
        .append(true)
        .open(path)
        .unwrap()
        .set_modified(old)
        .unwrap();
}

/// The purge's transaction fails at its end (here: the audit log refuses it): nothing is
/// marked purged, so no file may be gone. Files are deleted only after the commit.
#[tokio::test]
async fn a_purge_that_does_not_commit_deletes_no_file() {
    let dir = tempfile::tempdir().unwrap();
    let store = store(&dir).await;
    let path = long_resolved_ticket_with_a_file(&store, "u1").await;
    sqlx::query(
        "CREATE TRIGGER audit_broken BEFORE INSERT ON audit_log WHEN NEW.action = 'purge'
         BEGIN SELECT RAISE(ABORT, 'audit log unavailable'); END",
    )
    .execute(store.pool())
    .await
    .unwrap();

    assert!(store.purge(90, "test").await.is_err());
    assert_eq!(
        count(
            &store,
            "SELECT COUNT(*) FROM ticket_attachments WHERE purged_at IS NULL"
        )
        .await,
        1,
        "rolled back"
    );
    assert!(path.exists(), "a row that is not purged keeps its file");

    sqlx::query("DROP TRIGGER audit_broken")
        .execute(store.pool())
        .await
        .unwrap();
    let report = store.purge(90, "test").await.unwrap();
    assert_eq!((report.attachments, report.files_deleted), (1, 1));
    assert!(!path.exists());
}

/// A file purged with its old ticket's rows but sent again since (a new flow holds it, no
/// ticket yet) stays; a file of purged rows that a purge left behind goes at the next one.
#[tokio::test]
async fn a_purge_keeps_a_file_sent_again_and_sweeps_one_left_behind() {
    let dir = tempfile::tempdir().unwrap();
    let store = store(&dir).await;
    let path = long_resolved_ticket_with_a_file(&store, "u2").await;
    let bytes = std::fs::read(&path).unwrap();
    // Left behind: the rows are marked purged, the file was never deleted; it is old.
    sqlx::query("UPDATE ticket_attachments SET purged_at = '2020-06-01T00:00:00.000Z'")
        .execute(store.pool())
        .await
        .unwrap();
    set_old(&path);
    assert_eq!(store.purge(90, "test").await.unwrap().files_deleted, 1);
    assert!(!path.exists());

    // The same copy sent again in a flow: stored, not yet a ticket's.
    store
        .store_file(alumni_bot::core::Attachment::parse(bytes.clone()).unwrap())
        .await
        .unwrap();
    set_old(&path);
    // ...and once more, the way a user resends it: touched, not rewritten.
    store
        .store_file(alumni_bot::core::Attachment::parse(bytes).unwrap())
        .await
        .unwrap();
    store.purge(90, "test").await.unwrap();
    assert!(path.exists(), "a file a flow may hold stays");
}

/// Two deliveries for one ticket at once, from two processes (two handles on one file): one
/// staff thread is made; the other delivery is told to retry, then finds it. A failed creation
/// leaves no claim behind.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_staff_thread_per_ticket_under_concurrent_deliveries() {
    use std::sync::atomic::{AtomicUsize, Ordering};
    let dir = tempfile::tempdir().unwrap();
    let one = store(&dir).await;
    let two = Store::open(&dir.path().join("bot.db")).await.unwrap();
    file_ticket(
        &one,
        &Sender::private(alumni_bot::core::Platform::Telegram, "4300"),
        "o-thread",
    )
    .await;
    let (ticket,): (i64,) = sqlx::query_as("SELECT id FROM tickets")
        .fetch_one(one.pool())
        .await
        .unwrap();
    let calls = AtomicUsize::new(0);
    let create = || async {
        calls.fetch_add(1, Ordering::SeqCst);
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        Ok(77)
    };
    let (a, b) = tokio::join!(
        one.thread_for(ticket, "telegram", create),
        two.thread_for(ticket, "telegram", create)
    );
    assert_eq!(
        calls.load(Ordering::SeqCst),
        1,
        "one thread made: {a:?} {b:?}"
    );
    let made: Vec<i64> = [&a, &b]
        .iter()
        .filter_map(|r| r.as_ref().ok().copied())
        .collect();
    assert_eq!(
        made,
        vec![77],
        "one made it, the other is told to retry: {a:?} {b:?}"
    );
    assert_eq!(
        two.thread_for(ticket, "telegram", create).await.unwrap(),
        77
    );
    assert_eq!(calls.load(Ordering::SeqCst), 1);

    // A creation that fails leaves no claim: the next delivery makes the thread.
    let failed = one
        .thread_for(ticket, "discord", || async {
            anyhow::bail!("502 Bad Gateway")
        })
        .await;
    assert!(failed.is_err());
    assert_eq!(two.thread_for(ticket, "discord", create).await.unwrap(), 77);
    assert_eq!(calls.load(Ordering::SeqCst), 2);
}

/// A staff reply the user's platform keeps refusing: after the last attempt it is dead (never
/// tried again), `tickets show` says so, and staff are told to reach the user another way.
#[tokio::test]
async fn a_message_undelivered_after_the_last_attempt_is_dead_and_staff_are_told() {
    use alumni_bot::store::MAX_DELIVERY_ATTEMPTS;
    let dir = tempfile::tempdir().unwrap();
    let store = store(&dir).await;
    let reference = file_ticket(
        &store,
        &Sender::private(alumni_bot::core::Platform::Telegram, "4400"),
        "o-dead",
    )
    .await;
    alumni_bot::core::staff::act(
        &store,
        "test",
        true,
        &reference.parse().unwrap(),
        alumni_bot::core::staff::Action::Reply("We fixed it.".into()),
    )
    .await
    .unwrap()
    .unwrap();
    let (reply,): (i64,) = sqlx::query_as("SELECT id FROM outbox WHERE chat <> 'staff'")
        .fetch_one(store.pool())
        .await
        .unwrap();
    let staff_notices: &'static str = "SELECT COUNT(*) FROM outbox WHERE chat = 'staff'";
    let before = count(&store, staff_notices).await;

    for _ in 1..MAX_DELIVERY_ATTEMPTS {
        store
            .delivery_failed(reply, "Forbidden: bot was blocked")
            .await
            .unwrap();
    }
    let pending = store.pending_outbox().await.unwrap();
    assert!(
        pending.iter().any(|p| p.0 == "telegram" && p.1 == "4400"),
        "still tried: {pending:?}"
    );
    assert_eq!(count(&store, staff_notices).await, before);

    store
        .delivery_failed(reply, "Forbidden: bot was blocked")
        .await
        .unwrap();
    let pending = store.pending_outbox().await.unwrap();
    assert!(
        !pending.iter().any(|p| p.1 == "4400"),
        "dead, not pending: {pending:?}"
    );
    sqlx::query("UPDATE outbox SET next_attempt_at = '2000-01-01T00:00:00.000Z'")
        .execute(store.pool())
        .await
        .unwrap();
    let mut due = store.due_outbox("telegram", true, 100).await.unwrap();
    due.extend(store.due_outbox("telegram", false, 100).await.unwrap());
    assert!(due.iter().all(|item| item.id != reply), "never tried again");
    let told: Vec<_> = due.iter().filter(|item| item.chat == "staff").collect();
    assert_eq!(
        told.len(),
        2,
        "the new ticket and the dead letter: {due:#?}"
    );
    let notice = &told[1].message.text;
    assert!(
        notice.contains(&reference)
            && notice.contains(&format!("after {MAX_DELIVERY_ATTEMPTS} attempts"))
            && notice.contains("another way"),
        "{notice}"
    );
    assert!(
        !notice.contains("4400"),
        "no raw id in the notice: {notice}"
    );

    let shown = store.ticket(&reference).await.unwrap().unwrap();
    let json = serde_json::to_value(&shown).unwrap();
    let messages = json["messages"].as_array().unwrap();
    let to_user: Vec<_> = messages.iter().filter(|m| m["to"] == "user").collect();
    assert_eq!(to_user.len(), 1, "{messages:#?}");
    assert_eq!(to_user[0]["state"], "dead");
    assert_eq!(to_user[0]["attempts"], MAX_DELIVERY_ATTEMPTS);
    assert!(
        messages
            .iter()
            .any(|m| m["to"] == "staff" && m["state"] == "pending")
    );
    let mut out = Vec::new();
    alumni_bot::cli::tickets::show(&store, &reference, false, &mut out)
        .await
        .unwrap();
    let out = String::from_utf8(out).unwrap();
    assert!(out.contains("dead"), "{out}");
}

/// Retention: conversations idle longer than the retention and messages delivered (or given
/// up) longer ago are deleted; recent ones and messages still owed stay. Conversations saved
/// by older versions (RFC 3339 with nanoseconds and `+00:00`) are compared by time, not text.
#[tokio::test]
async fn purge_deletes_idle_conversations_and_old_delivered_messages() {
    let dir = tempfile::tempdir().unwrap();
    let store = store(&dir).await;
    let days_ago = |d: i64| chrono::Utc::now() - chrono::Duration::days(d);
    for key in [
        "t:old:old",
        "t:older-format:x",
        "t:recent:r",
        "t:recent-older-format:y",
    ] {
        store.save(key, &Conversation::default()).await.unwrap();
    }
    for (key, at) in [
        (
            "t:old:old",
            days_ago(100).to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        ),
        ("t:older-format:x", days_ago(91).to_rfc3339()),
        ("t:recent-older-format:y", days_ago(89).to_rfc3339()),
    ] {
        sqlx::query("UPDATE conversations SET updated_at = ? WHERE key = ?")
            .bind(at)
            .bind(key)
            .execute(store.pool())
            .await
            .unwrap();
    }
    // Three staff notices of a ticket: one delivered long ago, one lately, one never.
    let reference = file_ticket(
        &store,
        &Sender::private(alumni_bot::core::Platform::Telegram, "4500"),
        "o-ret",
    )
    .await;
    for _ in 0..2 {
        alumni_bot::core::staff::act(
            &store,
            "test",
            true,
            &reference.parse().unwrap(),
            alumni_bot::core::staff::Action::Reply("ok".into()),
        )
        .await
        .unwrap()
        .unwrap();
    }
    let ids: Vec<(i64,)> = sqlx::query_as("SELECT id FROM outbox ORDER BY id")
        .fetch_all(store.pool())
        .await
        .unwrap();
    assert_eq!(ids.len(), 3);
    store.delivered(ids[0].0).await.unwrap();
    store.delivered(ids[1].0).await.unwrap();
    sqlx::query("UPDATE outbox SET delivered_at = ?, created_at = ? WHERE id = ?")
        .bind(days_ago(95).to_rfc3339_opts(chrono::SecondsFormat::Millis, true))
        .bind(days_ago(95).to_rfc3339_opts(chrono::SecondsFormat::Millis, true))
        .bind(ids[0].0)
        .execute(store.pool())
        .await
        .unwrap();

    let report = store.purge(90, "test").await.unwrap();

    let keys: Vec<(String,)> = sqlx::query_as("SELECT key FROM conversations ORDER BY key")
        .fetch_all(store.pool())
        .await
        .unwrap();
    let keys: Vec<&str> = keys.iter().map(|(k,)| k.as_str()).collect();
    assert_eq!(keys, ["t:recent-older-format:y", "t:recent:r"]);
    let left: Vec<(i64,)> = sqlx::query_as("SELECT id FROM outbox ORDER BY id")
        .fetch_all(store.pool())
        .await
        .unwrap();
    assert_eq!(left, ids[1..], "the recent and the undelivered stay");
    assert_eq!((report.conversations, report.outbox_messages), (2, 1));
}

/// Conversations are saved with the tables' timestamps (UTC, milliseconds, `Z`).
#[tokio::test]
async fn conversations_are_saved_with_the_tables_timestamps() {
    let dir = tempfile::tempdir().unwrap();
    let store = store(&dir).await;
    store.save("t:a:a", &Conversation::default()).await.unwrap();
    let (at,): (String,) = sqlx::query_as("SELECT updated_at FROM conversations")
        .fetch_one(store.pool())
        .await
        .unwrap();
    assert!(at.len() == 24 && at.ends_with('Z'), "{at}");
}

/// `/forget` is audited under the user's pseudonym: no audit row holds their platform id.
#[tokio::test]
async fn forget_is_audited_without_the_raw_user_id() {
    use alumni_bot::core::{Content, Inbound};
    let dir = tempfile::tempdir().unwrap();
    let e = crate::helpers::engine_with(store(&dir).await);
    let from = Sender::private(alumni_bot::core::Platform::Telegram, "987654321");
    // Rows that name the user by platform id before they ask to be forgotten: a block and an
    // unblock by staff, and an attempt at a staff command (as older versions audited it).
    let store = e.store();
    store
        .set_blocked("telegram", "987654321", true, "cli:staff", "spam")
        .await
        .unwrap();
    store
        .set_blocked("telegram", "987654321", false, "cli:staff", "")
        .await
        .unwrap();
    alumni_bot::core::staff::TicketDesk::audit_refusal(
        store,
        "telegram:987654321",
        "claim",
        None,
        "not staff",
    )
    .await
    .unwrap();
    for text in ["how do I reset my password", "/forget"] {
        e.handle(Inbound {
            from: from.clone(),
            content: Content::Text(text.into()),
        })
        .await;
    }
    let audit = e.store().audit_log().await.unwrap();
    let forget = audit
        .iter()
        .find(|a| a.action == "forget")
        .expect("audited");
    let tag = alumni_bot::privacy::Pseudonymizer::from_secret("test").tag("telegram", "987654321");
    assert!(forget.actor.contains(&tag), "{forget:?}");
    let rows: Vec<(String,)> = sqlx::query_as(
        "SELECT at || ' ' || actor || ' ' || action || ' ' || COALESCE(ticket, '') || ' ' || detail FROM audit_log",
    )
    .fetch_all(e.store().pool())
    .await
    .unwrap();
    assert!(!rows.is_empty());
    for (row,) in rows {
        assert!(!row.contains("987654321"), "{row}");
    }
}

/// What the store logs, captured for the test's thread.
#[derive(Clone, Default)]
struct Captured(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Captured {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

/// Stored rows that no longer parse hold personal data, and serde's errors quote what they
/// could not read: neither the log nor an error's chain may carry it.
#[tokio::test]
async fn a_stored_row_that_does_not_parse_is_reported_without_its_contents() {
    let log = Captured::default();
    let sink = log.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || sink.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);
    let dir = tempfile::tempdir().unwrap();
    let store = store(&dir).await;

    sqlx::query("INSERT INTO conversations (key, state, updated_at) VALUES ('t:1:1', ?, '')")
        .bind(r#"{"misunderstood": "CHAN Tai Man"}"#)
        .execute(store.pool())
        .await
        .unwrap();
    assert_eq!(store.load("t:1:1").await.unwrap(), None, "starts afresh");
    assert!(log.text().contains("no longer parses"), "{}", log.text());
    assert!(!log.text().contains("CHAN"), "{}", log.text());

    file_ticket(
        &store,
        &Sender::private(alumni_bot::core::Platform::Telegram, "4600"),
        "o-corrupt",
    )
    .await;
    sqlx::query("UPDATE outbox SET message = ?")
        .bind(r#"{"text": "hi", "buttons": "WONG Siu Ming"}"#)
        .execute(store.pool())
        .await
        .unwrap();
    // The unreadable message is given up at once (it can never be sent) instead of holding up
    // the outbox on every look; what is kept of it names the fault, not the contents.
    let due = store.due_outbox("telegram", true, 10).await.unwrap();
    assert!(due.is_empty(), "{due:?}");
    let (error, dead): (String, Option<String>) =
        sqlx::query_as("SELECT last_error, dead_at FROM outbox")
            .fetch_one(store.pool())
            .await
            .unwrap();
    assert!(error.contains("outbox message"), "{error}");
    assert!(!error.contains("WONG"), "{error}");
    assert!(dead.is_some(), "dead");
    assert!(!log.text().contains("WONG"), "{}", log.text());
}

/// The open-ticket cap holds in the SQLite store, checked in the filing transaction: the
/// fourth live ticket is refused as such (a typed error, not a storage failure), a repeat of an
/// earlier filing is not, and a closed ticket frees a place. The transcript is kept in order.
#[tokio::test]
async fn the_open_ticket_cap_holds_in_the_store() {
    use alumni_bot::core::{Author, FilingError, TranscriptLine};
    let dir = tempfile::tempdir().unwrap();
    let store = store(&dir).await;
    let from = Sender::private(alumni_bot::core::Platform::Telegram, "4700");
    let filing = |origin: &str| NewTicket {
        category: "general".into(),
        from: from.clone(),
        origin: origin.into(),
        fields: [("description".to_string(), "help".to_string())].into(),
        transcript: vec![
            TranscriptLine {
                author: Author::User,
                text: "first".into(),
            },
            TranscriptLine {
                author: Author::Bot,
                text: "second".into(),
            },
        ],
        attachments: vec![],
        max_open: Some(3),
        lang: Default::default(),
    };
    let mut references = Vec::new();
    for i in 0..3 {
        references.push(
            store
                .create_ticket(filing(&format!("o-cap-{i}")))
                .await
                .unwrap(),
        );
    }
    match store.create_ticket(filing("o-cap-3")).await {
        Err(FilingError::TooManyOpen(3)) => {}
        other => panic!("expected the cap, got {other:?}"),
    }
    assert_eq!(
        store.create_ticket(filing("o-cap-0")).await.unwrap(),
        references[0],
        "a repeat of an earlier filing is never refused"
    );
    assert!(
        store
            .withdraw_ticket(&references[1], "telegram", "4700")
            .await
            .unwrap()
    );
    store.create_ticket(filing("o-cap-4")).await.unwrap();
    let lines: Vec<(i64, String, String)> = sqlx::query_as(
        "SELECT seq, author, text FROM ticket_transcript
         WHERE ticket_id = (SELECT id FROM tickets WHERE reference = ?) ORDER BY seq",
    )
    .bind(&references[0])
    .fetch_all(store.pool())
    .await
    .unwrap();
    assert_eq!(
        lines,
        [
            (0, "user".to_string(), "first".to_string()),
            (1, "bot".to_string(), "second".to_string())
        ]
    );
}
