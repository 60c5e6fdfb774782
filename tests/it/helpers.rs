//! Shared helpers: the shipped knowledge base, a spawned binary with a fresh database.

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::sync::{Arc, OnceLock};

use alumni_bot::core::{Content, Engine, Inbound, MemoryStore, Reply, Sender};
use alumni_bot::knowledge::{self, KnowledgeBase};
use alumni_bot::matcher::Matcher;
use alumni_bot::privacy::Pseudonymizer;
use serde_json::Value;

pub fn knowledge_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("knowledge")
}

/// The shipped knowledge base and its matcher, built once for all tests of the binary.
pub fn shipped() -> (Arc<KnowledgeBase>, Arc<Matcher>) {
    static CELL: OnceLock<(Arc<KnowledgeBase>, Arc<Matcher>)> = OnceLock::new();
    CELL.get_or_init(|| {
        let kb = knowledge::load(&knowledge_dir()).expect("the shipped knowledge base loads");
        let matcher = alumni_bot::app::build_matcher(&kb);
        (Arc::new(kb), Arc::new(matcher))
    })
    .clone()
}

pub fn engine() -> Engine<MemoryStore> {
    engine_with(MemoryStore::default())
}

/// The shipped knowledge base's engine on `store`. Tests type faster than people: no rate limit
/// (it has its own test).
pub fn engine_with<S: alumni_bot::core::Stores>(store: S) -> Engine<S> {
    let (kb, matcher) = shipped();
    Engine::new(kb, matcher, store, Pseudonymizer::from_secret("test")).with_limits(
        alumni_bot::core::limits::Limits {
            messages_per_minute: 0,
            ..Default::default()
        },
    )
}

pub async fn send(engine: &Engine<MemoryStore>, user: &str, content: Content) -> Vec<Reply> {
    engine
        .handle(Inbound {
            from: Sender::private(alumni_bot::core::Platform::Console, user),
            content,
        })
        .await
}

pub async fn say(engine: &Engine<MemoryStore>, user: &str, text: &str) -> Vec<Reply> {
    send(engine, user, Content::Text(text.into())).await
}

pub async fn press(engine: &Engine<MemoryStore>, user: &str, data: &str) -> Vec<Reply> {
    send(engine, user, Content::pressed(data)).await
}

pub fn bin() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_alumni-bot"));
    cmd.env_remove("RUST_LOG")
        .env_remove("ALUMNI_BOT_CONFIG")
        .env_remove("ALUMNI_BOT_DB");
    cmd.env("ALUMNI_BOT_KNOWLEDGE", knowledge_dir());
    cmd
}

/// `alumni-bot serve` on a fresh database in `dir`, configured by `env` only, logging at
/// `trace` into `dir/stderr.log` (returned) so tests can search the log for personal data.
pub fn spawn_serve(dir: &Path, env: &[(&str, &str)]) -> (tokio::process::Child, PathBuf) {
    let log = dir.join("stderr.log");
    let mut cmd = tokio::process::Command::from(bin());
    cmd.arg("serve")
        .env("RUST_LOG", "trace")
        .env("ALUMNI_BOT_DB", dir.join("bot.db"))
        .stderr(std::fs::File::create(&log).unwrap())
        .stdin(Stdio::null());
    for (k, v) in env {
        cmd.env(k, v);
    }
    (cmd.spawn().expect("spawn alumni-bot serve"), log)
}

fn spawn_piped(mut cmd: Command, stderr: Stdio) -> Child {
    cmd.stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(stderr)
        .spawn()
        .expect("spawn alumni-bot")
}

/// Runs `cmd` to the end with `input` on its stdin; stdout and stderr captured.
pub fn run_with_stdin(cmd: Command, input: &str) -> std::process::Output {
    let mut child = spawn_piped(cmd, Stdio::piped());
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

/// A running `alumni-bot` with piped stdin/stdout, answering one line per line.
pub struct Session {
    pub child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
}

impl Session {
    /// Its stderr goes to the test's, unread: a pipe nobody drains could fill and stall it.
    pub fn spawn(cmd: Command) -> Self {
        let mut child = spawn_piped(cmd, Stdio::inherit());
        let stdin = child.stdin.take().unwrap();
        let stdout = BufReader::new(child.stdout.take().unwrap());
        Session {
            child,
            stdin,
            stdout,
        }
    }

    /// Sends one line and reads the one JSON line that answers it.
    pub fn ask(&mut self, line: &str) -> Value {
        writeln!(self.stdin, "{line}").unwrap();
        self.stdin.flush().unwrap();
        let mut out = String::new();
        self.stdout.read_line(&mut out).unwrap();
        serde_json::from_str(&out).unwrap_or_else(|e| panic!("not JSON ({e}): {out:?}"))
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The texts of a `chat --jsonl` answer, joined.
pub fn texts(answer: &Value) -> String {
    answer["replies"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["text"].as_str().unwrap())
        .collect::<Vec<_>>()
        .join("\n")
}

pub fn buttons(answer: &Value) -> Vec<(String, String)> {
    answer["replies"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|r| r["buttons"].as_array().cloned().unwrap_or_default())
        .map(|b| {
            (
                b["label"].as_str().unwrap().to_string(),
                b["data"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

/// Every file below `dir`, in no particular order.
pub fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(walk(&path));
        } else {
            out.push(path);
        }
    }
    out
}
