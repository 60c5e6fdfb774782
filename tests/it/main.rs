//! One integration test binary (one link step instead of many): modules by area.

mod accounts;
mod browser;
mod chinese;
mod cli;
mod conversations;
mod desk;
mod discord;
mod engine;
mod facts;
mod fake_discord;
mod fake_telegram;
mod flows;
mod gaps;
mod hardening;
mod helpers;
mod matching;
mod platforms;
mod staff;
mod store;
mod telegram;
mod tickets;
