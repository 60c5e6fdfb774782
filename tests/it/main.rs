//! One integration test binary (one link step instead of many): modules by area.

mod cli;
mod discord;
mod engine;
mod fake_discord;
mod fake_telegram;
mod flows;
mod hardening;
mod helpers;
mod matching;
mod staff;
mod telegram;
mod tickets;
