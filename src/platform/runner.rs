//! The one runner every chat platform goes through: events in, the core's replies out.
//!
//! - **Supervision.** The platform's receiving, the outbox and the messages in flight run side
//!   by side. Receiving that fails (a refused token, a listen address taken) or ends by itself
//!   stops the platform with the cause, so that `serve` reports it and exits non-zero.
//! - **Arrival.** The message rate is judged when a message arrives ([`Engine::rate`]): over it,
//!   the user is told once to slow down and the rest is dropped there, building up no backlog.
//! - **Order.** One conversation's messages are handled in the order they came; different
//!   conversations in parallel.
//! - **Once.** An update the platform delivers again (after a restart or a gateway resume) is
//!   skipped if it was answered before (`processed_updates`).
//! - **Staff.** Staff commands (in a private chat or the staff place) and staff buttons act on
//!   tickets; the answer goes where they acted (the ticket's thread or topic).
//! - **Files.** A file over the core's limit is not downloaded (the core hears its size and
//!   says so); a download that fails is apologised for; files in public places are never
//!   taken.
//! - **Shutdown.** No new updates are taken; every message already taken is answered; then the
//!   outbox stops.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{mpsc, watch};
use tokio::task::JoinSet;
use tracing::{debug, error, info, warn};

use super::order::Order;
use super::{Event, IncomingFile, Platform, Sending, What, delivery, health};
use crate::core::limits::Verdict;
use crate::core::notes::Note;
use crate::core::staff;
use crate::core::ticket::MAX_ATTACHMENT_BYTES;
use crate::core::{ButtonData, Content, Engine, Inbound, Reply, Sender, Upload};
use crate::markup;
use crate::store::Store;

/// Events taken from the platform and not yet given their turn.
const QUEUE: usize = 1_024;

/// How long shutdown waits for the messages in flight, then for the outbox's last round.
const DRAIN: Duration = Duration::from_secs(30);

/// The longest one message may take, sends included (Telegram's pace for a group is 20
/// messages a minute): past it the turn is given up, logged, and the conversation's next
/// message goes on. A platform call that never returns cannot hold a user up for good.
const TURN: Duration = Duration::from_secs(120);

/// Runs `platform` on `engine` until `shutdown` resolves (then drains and returns `Ok`) or a
/// part of it fails (receiving, or the outbox task: then it drains and returns the cause).
pub async fn run<P: Platform>(
    engine: Arc<Engine<Store>>,
    platform: Arc<P>,
    shutdown: impl Future<Output = ()> + Send,
) -> anyhow::Result<()> {
    let name = platform.name();
    let (events_tx, mut events) = mpsc::channel::<Event<P>>(QUEUE);
    let (stop_tx, stop_rx) = watch::channel(false);
    // The outbox stops after the drain: answers of the last messages may owe staff notices.
    let (outbox_stop_tx, outbox_stop_rx) = watch::channel(false);
    let stopped = |mut rx: watch::Receiver<bool>| async move {
        let _ = rx.wait_for(|s| *s).await;
    };
    let mut outbox = tokio::spawn(delivery::run(
        engine.store().clone(),
        platform.clone(),
        stopped(outbox_stop_rx),
    ));
    health::set(name, health::State::Running);
    let receiving = platform.clone().receive(events_tx, stopped(stop_rx));
    let mut receiving = std::pin::pin!(receiving);
    let mut shutdown = std::pin::pin!(shutdown);
    let mut stopping = false;
    let mut received: Option<anyhow::Result<()>> = None;
    let mut failed: Option<anyhow::Error> = None;
    let mut outbox_done = false;
    let mut open = true;
    let mut order = Order::default();
    let mut turns = JoinSet::new();
    while received.is_none() || open {
        tokio::select! {
            () = &mut shutdown, if !stopping => {
                info!(platform = name, "stopping: no new messages, finishing those in flight");
                stopping = true;
                let _ = stop_tx.send(true);
            }
            result = &mut receiving, if received.is_none() => {
                let result = match result {
                    Ok(()) if !stopping => Err(anyhow::anyhow!("stopped receiving updates by itself")),
                    other => other,
                };
                if let Err(e) = &result {
                    error!(platform = name, error = %format!("{e:#}"), "platform failed");
                    stopping = true;
                    let _ = stop_tx.send(true);
                }
                received = Some(result);
                // What was taken is still answered; nothing more comes.
                events.close();
            }
            // The outbox ends only when told to: ending before is a failure of the platform.
            done = &mut outbox, if !outbox_done => {
                outbox_done = true;
                let cause = match done {
                    Err(e) => anyhow::anyhow!("the outbox task failed: {e}"),
                    Ok(()) => anyhow::anyhow!("the outbox stopped by itself"),
                };
                error!(platform = name, error = %cause, "platform failed");
                failed = Some(cause);
                stopping = true;
                let _ = stop_tx.send(true);
            }
            event = events.recv(), if open => match event {
                Some(event) => arrive(&engine, &platform, &mut order, &mut turns, event),
                None => open = false,
            },
            Some(done) = turns.join_next(), if !turns.is_empty() => log_panic(name, done),
        }
    }
    let drained = tokio::time::timeout(DRAIN, async {
        while let Some(done) = turns.join_next().await {
            log_panic(name, done);
        }
    })
    .await;
    if drained.is_err() {
        warn!(
            platform = name,
            left = turns.len(),
            "shutdown: messages still in flight were dropped"
        );
        turns.abort_all();
    }
    let _ = outbox_stop_tx.send(true);
    if !outbox_done {
        match tokio::time::timeout(DRAIN, &mut outbox).await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => error!(platform = name, error = %e, "the outbox task failed"),
            Err(_) => {
                warn!(platform = name, "shutdown: the outbox did not stop in time");
                outbox.abort();
            }
        }
    }
    info!(platform = name, "{name} stopped");
    let result = match (failed, received) {
        (Some(e), _) => Err(e),
        (None, received) => received.unwrap_or(Ok(())),
    };
    let state = match &result {
        Ok(()) => health::State::Stopped,
        Err(_) => health::State::Failed,
    };
    health::set(name, state);
    result
}

fn log_panic(platform: &str, done: Result<(), tokio::task::JoinError>) {
    if let Err(e) = done {
        error!(platform, error = %e, "a message's task failed");
    }
}

/// An event comes in: judged against the rate now, then queued behind its conversation.
fn arrive<P: Platform>(
    engine: &Arc<Engine<Store>>,
    platform: &Arc<P>,
    order: &mut Order,
    turns: &mut JoinSet<()>,
    event: Event<P>,
) {
    let verdict = engine.rate(&event.from, event.at);
    let platform = platform.clone();
    if verdict == Verdict::Drop {
        // Nothing is said; an interaction waiting for an answer is closed.
        turns.spawn(async move { platform.finish(&event.reply_to).await });
        return;
    }
    let place = order.join(event.from.conversation_key());
    let engine = engine.clone();
    turns.spawn(async move {
        let done = place.wait().await;
        let reply_to = event.reply_to.clone();
        if tokio::time::timeout(TURN, once(&engine, &*platform, event, verdict))
            .await
            .is_err()
        {
            warn!(
                platform = platform.name(),
                "a message took too long; given up"
            );
        }
        platform.finish(&reply_to).await;
        drop(done);
    });
}

/// Handles an event unless it was handled before.
async fn once<P: Platform>(
    engine: &Engine<Store>,
    platform: &P,
    event: Event<P>,
    verdict: Verdict,
) {
    let store = engine.store();
    let name = platform.name();
    let id = event.id.clone();
    if let Some(id) = &id {
        match store.begin_update(name, id).await {
            Ok(true) => {}
            Ok(false) => {
                info!(platform = name, "update seen before; skipped");
                return;
            }
            Err(e) => warn!(error = %e, "could not record an update; handling it anyway"),
        }
    }
    turn(engine, platform, event, verdict).await;
    if let Some(id) = &id
        && let Err(e) = store.finish_update(name, id).await
    {
        warn!(error = %e, "could not record an update as done");
    }
}

async fn turn<P: Platform>(
    engine: &Engine<Store>,
    platform: &P,
    event: Event<P>,
    verdict: Verdict,
) {
    let Event {
        from,
        actor,
        reply_to,
        staff_place,
        what,
        moved,
        locale,
        ..
    } = event;
    if verdict == Verdict::SlowDown {
        let note = engine.note(&from, Note::SlowDown).await;
        send(platform, &reply_to, &note, Sending::Answer).await;
        return;
    }
    if let Some(answer) = staff_act(engine, platform, &from, &actor, staff_place, &what).await {
        send(platform, &reply_to, &answer, Sending::Answer).await;
        return;
    }
    if let Some((here, note)) = moved {
        let said = engine.note(&from, note).await;
        send(platform, &here, &said, Sending::Answer).await;
    }
    platform.typing(&reply_to).await;
    let content = match what {
        What::Text(text) => Content::Text(text),
        What::Button(data) => Content::pressed(&data),
        // Never personal data in a public place: only the words that came with the file.
        What::File(file) if from.public => Content::Text(file.caption.unwrap_or_default()),
        What::Note(note) => {
            let said = engine.note(&from, note).await;
            send(platform, &reply_to, &said, Sending::Answer).await;
            return;
        }
        What::File(file) => match fetch(platform, file).await {
            Ok(upload) => Content::File(upload),
            Err(e) => {
                warn!(platform = platform.name(), error = %e, "a file could not be fetched");
                let sorry = engine.note(&from, Note::FileNotFetched).await;
                send(platform, &reply_to, &sorry, Sending::Answer).await;
                return;
            }
        },
    };
    let (replies, _) = engine.handle_in(Inbound { from, content }, locale).await;
    send(platform, &reply_to, &replies, Sending::Answer).await;
}

/// A staff command or button, acted on; what to tell the one who acted (nothing, for a blocked
/// user). `None` if the event is none (or a command typed in a public place that is not the
/// staff place). Someone who is not staff is refused (and audited under their pseudonym), never
/// shown staff usage.
async fn staff_act<P: Platform>(
    engine: &Engine<Store>,
    platform: &P,
    from: &Sender,
    actor: &P::Actor,
    staff_place: bool,
    what: &What<P::File>,
) -> Option<Vec<Reply>> {
    let parsed = match what {
        What::Text(text) if !from.public || staff_place => staff::parse_command(text)?,
        What::Button(data) => match data.parse() {
            Ok(ButtonData::Staff(button, reference)) => {
                Ok((reference, staff::button_action(button)))
            }
            _ => return None,
        },
        _ => return None,
    };
    match engine
        .store()
        .blocked(from.platform.as_str(), &from.user)
        .await
    {
        Ok(false) => {}
        Ok(true) => return Some(Vec::new()),
        Err(e) => warn!(error = %e, "could not read the block list"),
    }
    let is_staff = platform.is_staff(actor).await;
    // Staff are named by their platform id (the office needs to know who acted); anyone else
    // by their pseudonym, like everywhere else in the logs and the audit.
    let who = if is_staff {
        format!("{}:{}", platform.name(), from.user)
    } else {
        engine.pseudonym(from)
    };
    let answer = match parsed {
        Ok((reference, action)) => {
            staff::answer(engine.store(), &who, is_staff, &reference, action).await
        }
        Err(usage) if is_staff => usage,
        Err(_) => staff::not_staff(),
    };
    Some(vec![Reply::text(markup::escape(&answer))])
}

/// The file the user sent, downloaded unless it is over the core's limit (then the core hears
/// only its size, and says so).
async fn fetch<P: Platform>(
    platform: &P,
    file: IncomingFile<P::File>,
) -> Result<Upload, super::Failure> {
    let mut upload = Upload {
        name: file.name,
        declared_type: file.declared_type,
        declared_size: Some(file.size),
        bytes: Vec::new(),
        caption: file.caption,
    };
    if file.size <= MAX_ATTACHMENT_BYTES as u64 {
        let bytes = platform.download(file.file).await?;
        upload.declared_size = Some(bytes.len() as u64);
        upload.bytes = bytes;
    }
    Ok(upload)
}

async fn send<P: Platform>(platform: &P, to: &P::Target, replies: &[Reply], sending: Sending) {
    if replies.is_empty() {
        return;
    }
    if let Err(e) = platform.send(to, replies, sending).await {
        // Without the text: it may hold what the user typed.
        warn!(platform = platform.name(), error = %e, "a message was not delivered");
    } else {
        debug!(platform = platform.name(), messages = replies.len(), "sent");
    }
}
