//! `alumni-bot chat`: the terminal conversation for people, and `--jsonl` for programs.

use std::path::Path;

use serde::Deserialize;
use serde_json::json;
use tokio::io::{AsyncBufRead, AsyncBufReadExt, AsyncWrite, AsyncWriteExt};

use crate::core::{Content, Engine, Inbound, Platform, Reply, Sender, Stores, Upload};
use crate::markup;

pub const PLATFORM: Platform = Platform::Console;

/// Largest file `chat --jsonl` reads from disk; flows apply their own, smaller limits.
const MAX_FILE_BYTES: u64 = 25 * 1024 * 1024;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct JsonInput {
    #[serde(default)]
    user: Option<String>,
    #[serde(default)]
    text: Option<String>,
    #[serde(default)]
    button: Option<String>,
    #[serde(default)]
    file: Option<String>,
}

/// One JSON object a line in, exactly one JSON line out for each, flushed.
pub async fn run_jsonl<S: Stores>(
    engine: &Engine<S>,
    input: impl AsyncBufRead + Unpin,
    mut out: impl AsyncWrite + Unpin,
) -> anyhow::Result<()> {
    let mut lines = input.lines();
    while let Some(line) = next_line(&mut lines).await? {
        let reply = match parse_jsonl(&line).await {
            Ok(inbound) => json!({ "replies": engine.handle(inbound).await }),
            Err(message) => json!({ "error": message }),
        };
        out.write_all(format!("{reply}\n").as_bytes()).await?;
        out.flush().await?;
    }
    Ok(())
}

/// The next line; a line that is not UTF-8 comes back lossily decoded instead of ending input.
async fn next_line(
    lines: &mut tokio::io::Lines<impl AsyncBufRead + Unpin>,
) -> anyhow::Result<Option<String>> {
    match lines.next_line().await {
        Ok(line) => Ok(line),
        Err(e) if e.kind() == std::io::ErrorKind::InvalidData => Ok(Some(String::from("\u{FFFD}"))),
        Err(e) => Err(e.into()),
    }
}

async fn parse_jsonl(line: &str) -> Result<Inbound, String> {
    let input: JsonInput =
        serde_json::from_str(line).map_err(|e| format!("not a valid input line: {e}"))?;
    let user = input.user.unwrap_or_else(|| PLATFORM.as_str().to_string());
    let from = Sender::private(PLATFORM, &user);
    let content = match (input.button, input.file, input.text) {
        (Some(data), None, None) => Content::pressed(&data),
        (None, Some(path), caption) => Content::File(read_upload(Path::new(&path), caption).await?),
        (None, None, Some(text)) => Content::Text(text),
        (None, None, None) => return Err("a line needs one of `text`, `button` or `file`".into()),
        _ => {
            return Err(
                "a line has either `text`, `button`, or `file` (with an optional `text` caption)"
                    .into(),
            );
        }
    };
    Ok(Inbound { from, content })
}

async fn read_upload(path: &Path, caption: Option<String>) -> Result<Upload, String> {
    let meta = tokio::fs::metadata(path)
        .await
        .map_err(|e| format!("cannot read the file: {e}"))?;
    if !meta.is_file() {
        return Err("`file` must name a regular file".into());
    }
    if meta.len() > MAX_FILE_BYTES {
        return Err(format!(
            "the file is larger than {} MB",
            MAX_FILE_BYTES / 1024 / 1024
        ));
    }
    let bytes = tokio::fs::read(path)
        .await
        .map_err(|e| format!("cannot read the file: {e}"))?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    Ok(Upload {
        name,
        declared_type: None,
        declared_size: Some(meta.len()),
        bytes,
        caption,
    })
}

/// The interactive chat: replies as plain text, buttons as numbered choices.
pub async fn run_interactive<S: Stores>(
    engine: &Engine<S>,
    input: impl AsyncBufRead + Unpin,
    mut out: impl AsyncWrite + Unpin,
) -> anyhow::Result<()> {
    let from = Sender::private(PLATFORM, "console");
    out.write_all(
        b"Alumni email assistant. Ask a question about your alumni email account; \
          answer choices by number or label; /file PATH sends a file; /quit leaves.\n\n> ",
    )
    .await?;
    out.flush().await?;
    let mut lines = input.lines();
    while let Some(line) = next_line(&mut lines).await? {
        let trimmed = line.trim();
        if matches!(trimmed, "/quit" | "/exit" | "quit" | "exit") {
            break;
        }
        let content = match trimmed.strip_prefix("/file ") {
            Some(path) => read_upload(Path::new(path.trim()), None)
                .await
                .map(Content::File),
            None => Ok(Content::Text(line.clone())),
        };
        let text = match content {
            Ok(content) => render_plain(
                &engine
                    .handle(Inbound {
                        from: from.clone(),
                        content,
                    })
                    .await,
            ),
            Err(error) => format!("{error}\n"),
        };
        out.write_all(format!("{text}\n> ").as_bytes()).await?;
        out.flush().await?;
    }
    out.write_all(b"\nGoodbye!\n").await?;
    out.flush().await?;
    Ok(())
}

/// Replies as a person reads them in a terminal.
pub fn render_plain(replies: &[Reply]) -> String {
    let mut text = String::new();
    for reply in replies {
        text.push_str(&markup::to_plain(&reply.text));
        text.push('\n');
        for (i, button) in reply.buttons.iter().enumerate() {
            text.push_str(&format!("  {}. {}\n", i + 1, button.label));
        }
    }
    text
}
