//! The SQLite ticket log and migrations, on real files.

use std::collections::BTreeMap;
use std::path::Path;

use alumni_bot::core::{
    Attachment, Author, Conversation, ConversationStore, NewTicket, Sender, StoredFile,
    TicketStore, TranscriptLine,
};
use alumni_bot::store::Store;
use serde_json::Value;

use crate::helpers::bin;

/// `alumni-bot --db DB ARGS…`, run to the end.
fn tickets_cli(db: &Path, args: &[&str]) -> std::process::Output {
    bin().arg("--db").arg(db).args(args).output().unwrap()
}

fn ticket(user: &str, passport: &str, attachments: Vec<StoredFile>) -> NewTicket {
    let fields = BTreeMap::from([
        ("full_name".to_string(), "Chan Tai Man Peter".to_string()),
        ("passport_number".to_string(), passport.to_string()),
        (
            "note".to_string(),
            "'; DROP TABLE tickets; -- <b>x</b>".to_string(),
        ),
    ]);
    NewTicket {
        category: "correct_records".into(),
        from: Sender::private(alumni_bot::core::Platform::Telegram, user),
        origin: format!("run-{user}-{passport}"),
        fields,
        transcript: vec![
            TranscriptLine {
                author: Author::User,
                text: "my passport number is wrong".into(),
            },
            TranscriptLine {
                author: Author::Bot,
                text: "Let's fix that.".into(),
            },
        ],
        attachments,
        max_open: None,
        lang: Default::default(),
    }
}

#[tokio::test]
async fn a_ticket_is_stored_whole_and_listed_newest_first() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("bot.db");
    let store = Store::open(&db).await.unwrap();
    let pdf = b"%PDF-1.7 a passport copy".to_vec();
    let file = store
        .store_file(Attachment::parse(pdf.clone()).unwrap())
        .await
        .unwrap();
    let first = store
        .create_ticket(ticket("111", "K1234567", vec![file.clone()]))
        .await
        .unwrap();
    // Filed again from the same origin (a retry after a crash): the same ticket, not a second.
    assert_eq!(
        store
            .create_ticket(ticket("111", "K1234567", vec![file]))
            .await
            .unwrap(),
        first
    );
    let second = store
        .create_ticket(ticket("222", "E7654321", vec![]))
        .await
        .unwrap();
    assert!(first.starts_with("T-") && first.len() == 8, "{first}");
    assert_ne!(first, second);

    // The file is stored under its content hash.
    let detail = store
        .ticket(&first.to_lowercase())
        .await
        .unwrap()
        .expect("found by reference, any case");
    assert_eq!(detail.attachment_files.len(), 1);
    let stored = &detail.attachment_files[0];
    assert_eq!(std::fs::read(&stored.path).unwrap(), pdf);
    assert_eq!(stored.hash, blake3::hash(&pdf).to_hex().to_string());
    assert_eq!(stored.media_type, "application/pdf");
    assert_eq!(detail.transcript.len(), 2);
    assert_eq!(detail.events[0].action, "created");
    drop(store);

    // The CLI, another process, sees the same file.
    let out = tickets_cli(&db, &["tickets", "list", "--json"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let list: Vec<Value> = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(list.len(), 2);
    assert_eq!(list[0]["id"], second.as_str(), "newest first");
    assert_eq!(list[1]["id"], first.as_str());
    for t in &list {
        assert_eq!(t["status"], "open");
        assert_eq!(t["category"], "correct_records");
        assert_eq!(t["platform"], "telegram");
        chrono::DateTime::parse_from_rfc3339(t["created_at"].as_str().unwrap()).expect("RFC 3339");
    }
    assert_eq!(list[1]["fields"]["passport_number"], "K1234567");
    assert_eq!(
        list[1]["fields"]["note"], "'; DROP TABLE tickets; -- <b>x</b>",
        "stored verbatim"
    );

    let show = tickets_cli(&db, &["tickets", "show", &first]);
    let text = String::from_utf8(show.stdout).unwrap();
    assert!(
        text.contains("K1234567") && text.contains("application/pdf"),
        "{text}"
    );
    let missing = tickets_cli(&db, &["tickets", "show", "T-NOPE00"]);
    assert_eq!(missing.status.code(), Some(1));
}

#[tokio::test]
async fn migrations_apply_to_an_empty_and_to_an_older_database() {
    let dir = tempfile::tempdir().unwrap();
    // Empty: everything applied, tickets list is an empty array.
    let empty = dir.path().join("empty.db");
    let out = tickets_cli(&empty, &["tickets", "list", "--json"]);
    assert_eq!(String::from_utf8(out.stdout).unwrap().trim(), "[]");

    // Older: a database made by the first two migrations only, with a conversation and a ticket.
    let older = dir.path().join("older.db");
    let first_only = dir.path().join("migrations");
    std::fs::create_dir(&first_only).unwrap();
    for name in ["0001_conversations.sql", "0002_tickets.sql"] {
        let source = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("migrations")
            .join(name);
        std::fs::copy(source, first_only.join(name)).unwrap();
    }
    {
        let options = sqlx::sqlite::SqliteConnectOptions::new()
            .filename(&older)
            .create_if_missing(true);
        let pool = sqlx::SqlitePool::connect_with(options).await.unwrap();
        sqlx::migrate::Migrator::new(first_only.as_path())
            .await
            .unwrap()
            .run(&pool)
            .await
            .unwrap();
        sqlx::query("INSERT INTO conversations (key, state, updated_at) VALUES ('console:u:u', '{\"misunderstood\":1}', 'x')")
            .execute(&pool)
            .await
            .unwrap();
        sqlx::query("INSERT INTO tickets (reference, category, platform, platform_user, platform_chat, created_at, updated_at) VALUES ('T-OLD222', 'general', 'console', 'u', 'u', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z')")
            .execute(&pool)
            .await
            .unwrap();
        pool.close().await;
    }
    let store = Store::open(&older).await.unwrap();
    let kept = store
        .load("console:u:u")
        .await
        .unwrap()
        .expect("the conversation survives the upgrade");
    assert_eq!(
        kept,
        Conversation {
            misunderstood: 1,
            ..Default::default()
        }
    );
    let old = store.list_tickets().await.unwrap();
    assert_eq!(old.len(), 1, "the ticket survives the upgrade");
    assert_eq!(old[0].id, "T-OLD222");
    store
        .create_ticket(ticket("333", "X1", vec![]))
        .await
        .unwrap();
    drop(store);
    // Opening again applies nothing twice.
    assert_eq!(
        Store::open(&older)
            .await
            .unwrap()
            .list_tickets()
            .await
            .unwrap()
            .len(),
        2
    );
}
