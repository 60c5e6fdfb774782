//! Delivering the outbox: every message the bot owes (a staff reply, a ticket announced to
//! staff) is a row written with the change that caused it; the running platform sends its rows
//! and marks them delivered, retrying failures with backoff. The CLI and `serve` can be separate
//! processes: the CLI writes, the bot delivers.
//!
//! Users' messages and the staff place's are delivered by two loops, so that a slow staff
//! place (Telegram paces a group to 20 messages a minute) never holds up a reply to a user.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use tracing::{info, warn};

use super::{Platform, Sending};
use crate::core::staff;
use crate::store::{OutboxItem, STAFF_CHAT, Store};

/// How often the outbox is looked at.
const POLL: Duration = Duration::from_millis(250);

/// Rows taken at a time.
const BATCH: i64 = 20;

/// The longest one delivery may take (files included); past it, it counts as failed and is
/// tried again later.
const DELIVERY: Duration = Duration::from_secs(60);

/// Delivers the platform's messages, users' and staff's side by side, until `stop` resolves.
pub(super) async fn run<P: Platform>(
    store: Store,
    platform: Arc<P>,
    stop: impl Future<Output = ()> + Send,
) {
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let stopped = |mut rx: tokio::sync::watch::Receiver<bool>| async move {
        let _ = rx.wait_for(|s| *s).await;
    };
    let users = deliver_loop(&store, &*platform, false, stopped(stop_rx.clone()));
    let staff = deliver_loop(&store, &*platform, true, stopped(stop_rx));
    let signal = async move {
        stop.await;
        let _ = stop_tx.send(true);
    };
    tokio::join!(users, staff, signal);
}

async fn deliver_loop<P: Platform>(
    store: &Store,
    platform: &P,
    to_staff: bool,
    stop: impl Future<Output = ()> + Send,
) {
    let name = platform.name();
    let mut stop = std::pin::pin!(stop);
    loop {
        match store.due_outbox(name, to_staff, BATCH).await {
            Ok(items) => {
                for item in items {
                    let delivered = tokio::time::timeout(DELIVERY, deliver(store, platform, &item))
                        .await
                        .unwrap_or_else(|_| Err(anyhow::anyhow!("timed out")));
                    match delivered {
                        Ok(()) => {
                            if let Err(e) = store.delivered(item.id).await {
                                warn!(error = %e, "outbox: could not mark delivered");
                            }
                            info!(platform = name, id = item.id, "outbox message delivered");
                        }
                        Err(e) => {
                            let error = format!("{e:#}");
                            match store.delivery_failed(item.id, &error).await {
                                Ok(dead) => warn!(
                                    platform = name,
                                    id = item.id,
                                    attempts = item.attempts + 1,
                                    error,
                                    "outbox delivery failed; {}",
                                    if dead { "given up" } else { "will retry" }
                                ),
                                Err(e) => warn!(error = %e, "outbox: could not record a failure"),
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

/// Sends one outbox message: to a user's chat, or to the staff place (in the ticket's thread
/// where the platform makes one per ticket), with the ticket's file if it has one.
async fn deliver<P: Platform>(
    store: &Store,
    platform: &P,
    item: &OutboxItem,
) -> anyhow::Result<()> {
    let name = platform.name();
    let target = if item.chat == STAFF_CHAT {
        let place = platform
            .staff_place()
            .with_context(|| format!("no {name} staff place is configured"))?;
        match &item.ticket {
            Some((ticket, reference)) if platform.ticket_threads() => {
                let title = staff::thread_title(reference);
                let thread = store
                    .thread_for(*ticket, name, || async {
                        Ok(platform.open_thread(&title).await?)
                    })
                    .await?;
                platform.staff_thread(thread)?
            }
            _ => place,
        }
    } else {
        platform.user_chat(&item.chat)?
    };
    match &item.attachment {
        None => {
            platform
                .send(
                    &target,
                    std::slice::from_ref(&item.message),
                    Sending::Notice,
                )
                .await?
        }
        Some((path, media_type)) => {
            let bytes = tokio::fs::read(path)
                .await
                .context("reading a ticket's file")?;
            platform
                .send_file(&target, &item.message, bytes, file_name(media_type))
                .await?
        }
    }
    Ok(())
}

/// The name a ticket's file is sent to staff under: by its type, never the user's file name.
fn file_name(media_type: &str) -> &'static str {
    match media_type {
        "application/pdf" => "id-copy.pdf",
        "image/png" => "id-copy.png",
        "image/webp" => "id-copy.webp",
        _ => "id-copy.jpg",
    }
}
