//! Each chat platform's state, as the runner last set it, for the desk's `/healthz`. One
//! table for the process: `serve` runs each platform once.

use std::collections::BTreeMap;
use std::sync::Mutex;

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum State {
    /// Connected (Telegram's token checked; Discord's gateway being joined) and receiving.
    Running,
    /// Stopped on request.
    Stopped,
    /// Stopped by a failure (a refused token, an address taken, the outbox task died).
    Failed,
}

static STATES: Mutex<BTreeMap<&'static str, State>> = Mutex::new(BTreeMap::new());

pub fn set(platform: &'static str, state: State) {
    STATES.lock().expect("poisoned").insert(platform, state);
}

/// Every platform that has run in this process, by name.
pub fn all() -> Vec<(&'static str, State)> {
    STATES
        .lock()
        .expect("poisoned")
        .iter()
        .map(|(k, v)| (*k, *v))
        .collect()
}
