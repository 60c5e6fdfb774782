//! Delivering the outbox: every message the bot owes (a staff reply, a ticket announced to
//! staff) is a row written with the change that caused it; each running platform sends its rows
//! and marks them delivered, retrying failures with backoff. The CLI and `serve` can be separate
//! processes: the CLI writes, the bot delivers.

use std::future::Future;
use std::time::Duration;

use tracing::{info, warn};

use crate::store::{OutboxItem, Store};

/// How often the outbox is looked at.
pub const POLL: Duration = Duration::from_millis(250);

/// A platform's way of sending one outbox message.
pub trait Deliver: Send + Sync {
    fn deliver(&self, item: &OutboxItem) -> impl Future<Output = anyhow::Result<()>> + Send;
}

/// The name a ticket's file is sent to staff under: by its type, never the user's file name.
pub fn file_name(media_type: &str) -> &'static str {
    match media_type {
        "application/pdf" => "id-copy.pdf",
        "image/png" => "id-copy.png",
        "image/webp" => "id-copy.webp",
        _ => "id-copy.jpg",
    }
}

/// Delivers `platform`'s messages until `stop` resolves.
pub async fn run(
    store: Store,
    platform: &str,
    deliver: impl Deliver,
    stop: impl Future<Output = ()> + Send,
) {
    let mut stop = std::pin::pin!(stop);
    loop {
        match store.due_outbox(platform, 20).await {
            Ok(items) => {
                for item in items {
                    match deliver.deliver(&item).await {
                        Ok(()) => {
                            if let Err(e) = store.delivered(item.id).await {
                                warn!(error = %e, "outbox: could not mark delivered");
                            }
                            info!(platform, id = item.id, "outbox message delivered");
                        }
                        Err(e) => {
                            warn!(platform, id = item.id, attempts = item.attempts + 1, error = %e, "outbox delivery failed; will retry");
                            if let Err(e) = store.delivery_failed(item.id, &e.to_string()).await {
                                warn!(error = %e, "outbox: could not record a failure");
                            }
                        }
                    }
                }
            }
            Err(e) => warn!(error = %e, "outbox: could not read"),
        }
        tokio::select! {
            () = &mut stop => return,
            () = tokio::time::sleep(POLL) => {}
        }
    }
}
