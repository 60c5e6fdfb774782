//! `alumni-bot desk`: the staff web desk alone, on the same database as `serve` (for an
//! office without chat platforms, or a desk on another machine sharing the file), until
//! SIGTERM or ctrl-c. It prints where it listens.

use std::io::Write;

use tokio::sync::watch;

use crate::config::Settings;
use crate::desk;
use crate::store::Store;

pub async fn run(settings: &Settings, out: &mut impl Write) -> anyhow::Result<()> {
    // The staff places of the configured platforms hear what is done on the desk.
    let store = Store::open(&settings.db)
        .await?
        .with_staff_places(crate::app::staff_places(settings));
    let listener = desk::bind(&settings.desk).await?;
    let address = listener.local_addr()?;
    writeln!(
        out,
        "The staff desk is at http://{address}/ (ctrl-c to stop)."
    )?;
    if store.staff_accounts().await?.is_empty() {
        writeln!(
            out,
            "No staff account yet: add one with `alumni-bot staff add LOGIN`."
        )?;
    }
    out.flush()?;
    let state = desk::Desk::new(store.clone(), None, &settings.desk)?;
    let (stop_tx, stop_rx) = watch::channel(false);
    tokio::spawn(super::serve::maintenance(
        store,
        settings.retention_days,
        stop_rx,
    ));
    let served = desk::serve(listener, state, super::serve::shutdown_signal()).await;
    let _ = stop_tx.send(true);
    served
}
