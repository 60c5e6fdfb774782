//! `alumni-bot serve`: every chat platform whose token is configured, in one process with one
//! core, until SIGTERM or ctrl-c; then each platform finishes the messages in flight. A platform
//! that fails (a refused token, a webhook address taken) stops the others, and `serve` exits
//! non-zero with the cause.

use std::sync::Arc;

use tokio::sync::watch;
use tracing::{error, info};

use crate::config::Settings;
use crate::core::Engine;
use crate::store::Store;
use crate::{desk, telegram};

/// Runs the configured platforms; returns when all have stopped.
pub async fn run(engine: Arc<Engine<Store>>, settings: &Settings) -> anyhow::Result<()> {
    let (stop_tx, stop_rx) = watch::channel(false);
    let mut platforms = tokio::task::JoinSet::new();
    if settings.telegram.token.is_some() {
        let engine = engine.clone();
        let telegram = settings.telegram.clone();
        let stop = stopped(stop_rx.clone());
        platforms.spawn(async move { ("telegram", telegram::run(engine, &telegram, stop).await) });
    }
    if settings.discord.token.is_some() {
        let engine = engine.clone();
        let discord = settings.discord.clone();
        let stop = stopped(stop_rx.clone());
        platforms
            .spawn(async move { ("discord", crate::discord::run(engine, &discord, stop).await) });
    }
    if platforms.is_empty() && settings.desk.listen.is_none() {
        anyhow::bail!(
            "no chat platform is configured: set ALUMNI_BOT_TELEGRAM_TOKEN and/or ALUMNI_BOT_DISCORD_TOKEN (see README), or use `alumni-bot chat`"
        );
    }
    if settings.desk.listen.is_some() {
        // The staff desk, beside the platforms, on the same engine and store.
        let listener = desk::bind(&settings.desk).await?;
        let state = desk::Desk::new(engine.store().clone(), Some(engine.clone()), &settings.desk)?;
        let stop = stopped(stop_rx.clone());
        platforms.spawn(async move { ("desk", desk::serve(listener, state, stop).await) });
    }
    tokio::spawn(maintenance(
        engine.store().clone(),
        settings.retention_days,
        stop_rx.clone(),
    ));
    // A platform that fails stops the others: the service manager sees the bot exit non-zero
    // with the cause logged, and restarts it whole, rather than a bot that is silently deaf.
    // A second signal while the platforms drain ends at once (an operator who means it).
    let mut signal = Box::pin(shutdown_signal());
    let mut stopping = false;
    let mut failed = None;
    loop {
        tokio::select! {
            () = &mut signal => {
                if stopping {
                    error!("a second shutdown signal: exiting without waiting for the platforms");
                    anyhow::bail!("stopped by a second signal before the platforms finished");
                }
                info!("shutdown requested");
                stopping = true;
                let _ = stop_tx.send(true);
                signal = Box::pin(shutdown_signal());
            }
            done = platforms.join_next() => match done {
                None => break,
                Some(Ok((name, Ok(())))) => info!(platform = name, "stopped"),
                Some(Ok((name, Err(e)))) => {
                    error!(platform = name, error = %format!("{e:#}"), "platform failed; stopping the others");
                    failed.get_or_insert(e.context(format!("{name} failed")));
                    stopping = true;
                    let _ = stop_tx.send(true);
                }
                Some(Err(e)) => {
                    error!(error = %e, "a platform task panicked; stopping the others");
                    failed.get_or_insert(anyhow::anyhow!("a platform task panicked: {e}"));
                    stopping = true;
                    let _ = stop_tx.send(true);
                }
            },
        }
    }
    match failed {
        Some(e) => Err(e),
        None => Ok(()),
    }
}

/// Daily maintenance, also at start, until `stop` turns true: attachments of long-closed
/// tickets purged, records of old updates dropped.
pub async fn maintenance(store: Store, days: u32, mut stop: watch::Receiver<bool>) {
    loop {
        match store.purge(days, "system").await {
            Ok(report) => info!(
                attachments = report.attachments,
                files = report.files_deleted,
                gaps = report.gaps,
                "retention purge"
            ),
            Err(e) => error!(error = %e, "retention purge failed"),
        }
        if let Err(e) = store.prune_updates().await {
            error!(error = %e, "pruning processed updates failed");
        }
        tokio::select! {
            _ = stop.wait_for(|s| *s) => return,
            () = tokio::time::sleep(std::time::Duration::from_secs(24 * 3600)) => {}
        }
    }
}

/// Resolves when `stop` turns true.
async fn stopped(mut stop: watch::Receiver<bool>) {
    let _ = stop.wait_for(|s| *s).await;
}

/// SIGTERM (service managers) or ctrl-c (people).
pub async fn shutdown_signal() {
    #[cfg(unix)]
    {
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
            .expect("installing the SIGTERM handler");
        tokio::select! {
            _ = term.recv() => {}
            _ = tokio::signal::ctrl_c() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = tokio::signal::ctrl_c().await;
}
