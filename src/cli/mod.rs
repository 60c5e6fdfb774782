//! The terminal and machine interfaces of `CONTRACTS.md`: `chat`, `chat --jsonl`, `match`,
//! `kb check`. Each takes its input and output as parameters, so tests can drive them.

pub mod chat;
pub mod desk;
pub mod kb;
pub mod matching;
pub mod serve;
pub mod staff;
pub mod tickets;
