//! The store's consistency under failures and concurrency: idempotent additions, purge around
//! its commit, one staff thread per ticket, dead letters, retention.

use alumni_bot::core::{Conversation, ConversationStore, NewTicket, Sender, TicketStore};
use alumni_bot::store::Store;

/// A store on a fresh file whose tickets are announced to a Telegram staff place.
async fn store(dir: &tempfile::TempDir) -> Store {
    Store::open(&dir.path().join("bot.db"))
        .await
        .unwrap()
        .with_staff_places(vec!["telegram".into()])
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
    let from = Sender::private("telegram", "4100");
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
    let from = Sender::private("telegram", "4200");
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
