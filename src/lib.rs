//! alumni-bot: answers alumni's questions about their lifelong alumni email account.
//!
//! Map of the crate (see ARCHITECTURE.md for the invariants):
//! - [`knowledge`]: reads and checks the YAML knowledge base under `knowledge/`.
//! - [`matcher`]: normalisation, features, linear models, calibrated decisions.
//! - [`core`]: the engine: `Inbound` in, `Reply` out, conversations through a trait.
//! - [`desk`]: the staff web desk (axum, askama): queue, tickets, unanswered questions.
//! - [`store`]: SQLite (sqlx) behind the core's traits; migrations under `migrations/`.
//! - [`markup`]: the answers' small markup and its plain rendering.
//! - [`privacy`]: keyed pseudonyms for logs; [`redact`]: personal data out of kept text.
//! - [`config`], [`telemetry`]: settings and logging, for the binary.
//! - [`cli`]: the terminal and machine interfaces (`chat`, `match`, `kb check`).
//! - [`app`]: wiring the parts together from settings.

pub mod accounts;
pub mod app;
pub mod cli;
pub mod config;
pub mod core;
pub mod desk;
pub mod discord;
pub mod knowledge;
pub mod lang;
pub mod markup;
pub mod matcher;
pub mod outgoing;
pub mod platform;
pub mod privacy;
pub mod redact;
pub mod store;
pub mod telegram;
pub mod telemetry;

/// The intent ids `CONTRACTS.md` fixes; the shipped knowledge base defines every one.
pub const CONTRACT_INTENTS: [&str; 19] = [
    "about_alumni_email",
    "eligibility",
    "activate_account",
    "activation_problem",
    "correct_records",
    "apply_email_alias",
    "username_password",
    "wifi_library_login",
    "old_alumni_login_invalid",
    "update_profile",
    "email_forwarding",
    "not_receiving_email",
    "other_email_clients",
    "office365_browser",
    "outlook_email_calendar_setup",
    "keep_connect_email",
    "office365_services",
    "alias_as_sender",
    "contact_staff",
];
