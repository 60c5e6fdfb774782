//! Logging set-up. The sink is a parameter so tests can capture what is logged.
//!
//! What may be logged is an invariant of the whole code base: pseudonyms, intents, decisions,
//! flow steps and timings — never message text, names, ID numbers, emails, file names or raw
//! platform ids.

use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::{EnvFilter, fmt};

/// Libraries whose debug and trace output can carry message contents, URLs or headers: held at
/// `info` unless the filter names them itself.
const QUIET_LIBRARIES: [&str; 12] = [
    "hyper",
    "hyper_util",
    "h2",
    "reqwest",
    "rustls",
    "teloxide",
    "teloxide_core",
    "sqlx",
    "axum",
    "serenity",
    "tungstenite",
    "tokio_tungstenite",
];

/// `filter` plus an `info` cap for each library in [`QUIET_LIBRARIES`] it does not name.
pub fn with_quiet_libraries(filter: &str) -> String {
    let mut directives = vec![filter.to_string()];
    for library in QUIET_LIBRARIES {
        if !filter.contains(library) {
            directives.push(format!("{library}=info"));
        }
    }
    directives.join(",")
}

/// Installs the global subscriber. `RUST_LOG`, if set, wins over `filter`.
pub fn init<W>(filter: &str, json: bool, sink: W)
where
    W: for<'a> MakeWriter<'a> + Send + Sync + 'static,
{
    let filter = std::env::var("RUST_LOG")
        .ok()
        .filter(|f| !f.is_empty())
        .unwrap_or_else(|| filter.to_string());
    let filter = EnvFilter::try_new(with_quiet_libraries(&filter))
        .unwrap_or_else(|_| EnvFilter::new(with_quiet_libraries("warn")));
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
