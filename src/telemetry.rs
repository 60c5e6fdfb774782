//! Logging set-up. The sink is a parameter so tests can capture what is logged.
//!
//! What may be logged is an invariant of the whole code base: pseudonyms, intents, decisions,
//! flow steps and timings — never message text, names, ID numbers, emails, file names or raw
//! platform ids.

use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::{EnvFilter, fmt};

/// Installs the global subscriber. `RUST_LOG`, if set, wins over `filter`.
pub fn init<W>(filter: &str, json: bool, sink: W)
where
    W: for<'a> MakeWriter<'a> + Send + Sync + 'static,
{
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(filter));
    let builder = fmt()
        .with_env_filter(filter)
        .with_writer(sink)
        .with_target(true);
    // A second init (tests) keeps the first subscriber.
    let _ = if json {
        builder.json().try_init()
    } else {
        builder.try_init()
    };
}
