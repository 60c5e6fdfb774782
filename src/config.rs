//! Settings, layered as users expect: built-in defaults, then a YAML config file, then
//! environment variables (`ALUMNI_BOT_*`), then command-line flags. Secrets are held in
//! [`Secret`], which never prints its value.

use std::fmt;
use std::path::{Path, PathBuf};

use anyhow::Context;
use serde::Deserialize;

/// A value that must not reach logs or error messages.
#[derive(Clone, Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

#[derive(Debug, Clone)]
pub struct Settings {
    pub knowledge: PathBuf,
    pub db: PathBuf,
    /// A `tracing` filter, e.g. `info` or `alumni_bot=debug`.
    pub log: String,
    /// Logs as JSON lines instead of text.
    pub log_json: bool,
    /// Key for log pseudonyms; without it, a random key per run.
    pub pseudonym_secret: Option<Secret>,
    /// Telegram runs in `serve` when its token is set.
    pub telegram: Telegram,
    /// Discord runs in `serve` when its token is set.
    pub discord: Discord,
    /// Attachments of tickets resolved or closed this many days ago are deleted by `purge`.
    pub retention_days: u32,
    /// Abuse limits on the chat platforms.
    pub limits: crate::core::limits::Limits,
    /// Questions the bot could not answer are kept, redacted, for `kb gaps` and the web desk.
    pub record_gaps: bool,
    /// The staff web desk.
    pub desk: Desk,
}

/// The staff web desk (`serve` runs it when `listen` is set; `alumni-bot desk` runs it alone).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Desk {
    /// The address it listens on, e.g. `127.0.0.1:8088`.
    pub listen: Option<String>,
    /// The address staff open it at, e.g. `https://desk.alumni.example`: with https, its
    /// cookies are marked Secure.
    pub public_url: Option<String>,
    /// How long a sign-in lasts, in hours (default 12).
    pub session_hours: Option<u32>,
    /// A bearer token that lets monitoring read `/metrics` without signing in.
    pub metrics_token: Option<Secret>,
    /// Reverse proxies in front of the desk: from them, `X-Forwarded-For` names the client
    /// (for the sign-in limits).
    #[serde(default)]
    pub trusted_proxies: Vec<std::net::IpAddr>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Discord {
    pub token: Option<Secret>,
    /// Tests only: REST through this base URL, with serenity's ratelimiter off (it ignores the
    /// override). Never set in production.
    pub api_url: Option<String>,
    /// Register the slash commands in this server (instant); without it, globally.
    pub guild_id: Option<u64>,
    /// The staff channel's id: new tickets are announced there, staff act there.
    pub staff_channel: Option<u64>,
    /// The role that makes a member alumni office staff.
    pub staff_role: Option<u64>,
    /// Each ticket gets its own thread in the staff channel.
    #[serde(default)]
    pub staff_threads: bool,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Telegram {
    pub token: Option<Secret>,
    /// The Bot API base URL; default the public one. Tests point it at a local fake.
    pub api_url: Option<String>,
    /// Webhook mode: the public HTTPS URL Telegram posts updates to. Without it, long polling.
    pub webhook_url: Option<String>,
    /// Webhook mode: the address the bot listens on (default 0.0.0.0:8443).
    pub webhook_listen: Option<String>,
    /// Webhook mode: the secret Telegram sends in `X-Telegram-Bot-Api-Secret-Token`; without
    /// it, a random one per run.
    pub webhook_secret: Option<Secret>,
    /// The staff group's chat id: new tickets are announced there, staff act there.
    pub staff_chat: Option<i64>,
    /// The Telegram user ids of alumni office staff.
    #[serde(default)]
    pub staff_ids: Vec<u64>,
    /// The staff group is a forum: each ticket gets its own topic.
    #[serde(default)]
    pub staff_topics: bool,
}

/// The config file: every field optional, unknown fields refused.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileSettings {
    knowledge: Option<PathBuf>,
    db: Option<PathBuf>,
    log: Option<String>,
    log_json: Option<bool>,
    pseudonym_secret: Option<Secret>,
    telegram: Option<Telegram>,
    discord: Option<Discord>,
    retention_days: Option<u32>,
    rate_limit_per_minute: Option<u32>,
    rate_limit_burst: Option<u32>,
    max_open_tickets: Option<usize>,
    desk: Option<Desk>,
    record_gaps: Option<bool>,
}

/// Command-line overrides.
#[derive(Debug, Default, Clone)]
pub struct Overrides {
    pub config: Option<PathBuf>,
    pub knowledge: Option<PathBuf>,
    pub db: Option<PathBuf>,
}

pub const DEFAULT_CONFIG_FILE: &str = "alumni-bot.yaml";
pub const DEFAULT_DB: &str = "alumni-bot.db";

impl Settings {
    /// Defaults < config file < environment < flags. The config file is `--config`, else
    /// `$ALUMNI_BOT_CONFIG`, else `alumni-bot.yaml` if it exists in the working directory.
    pub fn load(overrides: &Overrides) -> anyhow::Result<Self> {
        Self::load_with(overrides, |name| std::env::var(name).ok())
    }

    pub fn load_with(
        overrides: &Overrides,
        env: impl Fn(&str) -> Option<String>,
    ) -> anyhow::Result<Self> {
        let mut s = Settings {
            knowledge: default_knowledge(),
            db: PathBuf::from(DEFAULT_DB),
            log: "warn".into(),
            log_json: false,
            pseudonym_secret: None,
            telegram: Telegram::default(),
            discord: Discord::default(),
            retention_days: 90,
            limits: crate::core::limits::Limits::default(),
            desk: Desk::default(),
            record_gaps: true,
        };
        let file = overrides
            .config
            .clone()
            .or_else(|| env("ALUMNI_BOT_CONFIG").map(PathBuf::from));
        let file = match file {
            Some(f) => Some(f),
            None => Some(PathBuf::from(DEFAULT_CONFIG_FILE)).filter(|f| f.exists()),
        };
        if let Some(path) = file {
            let text = std::fs::read_to_string(&path)
                .with_context(|| format!("reading {}", path.display()))?;
            let f: FileSettings = serde_yaml_ng::from_str::<Option<FileSettings>>(&text)
                .with_context(|| format!("in the config file {}", path.display()))?
                .unwrap_or_default();
            let base = path.parent().unwrap_or(Path::new("."));
            if let Some(k) = f.knowledge {
                s.knowledge = base.join(k);
            }
            if let Some(d) = f.db {
                s.db = base.join(d);
            }
            s.log = f.log.unwrap_or(s.log);
            s.log_json = f.log_json.unwrap_or(s.log_json);
            s.pseudonym_secret = f.pseudonym_secret.or(s.pseudonym_secret);
            s.telegram = f.telegram.unwrap_or_default();
            s.discord = f.discord.unwrap_or_default();
            s.retention_days = f.retention_days.unwrap_or(s.retention_days);
            s.limits.messages_per_minute = f
                .rate_limit_per_minute
                .unwrap_or(s.limits.messages_per_minute);
            s.limits.burst = f.rate_limit_burst.unwrap_or(s.limits.burst);
            s.limits.max_open_tickets = f.max_open_tickets.unwrap_or(s.limits.max_open_tickets);
            s.desk = f.desk.unwrap_or_default();
            s.record_gaps = f.record_gaps.unwrap_or(s.record_gaps);
        }
        if let Some(v) = env("ALUMNI_BOT_KNOWLEDGE") {
            s.knowledge = v.into();
        }
        if let Some(v) = env("ALUMNI_BOT_DB") {
            s.db = v.into();
        }
        if let Some(v) = env("ALUMNI_BOT_LOG") {
            s.log = v;
        }
        if let Some(v) = env("ALUMNI_BOT_LOG_JSON") {
            s.log_json = matches!(v.as_str(), "1" | "true" | "yes");
        }
        if let Some(v) = env("ALUMNI_BOT_PSEUDONYM_SECRET") {
            s.pseudonym_secret = Some(Secret::new(v));
        }
        let t = &mut s.telegram;
        let set = |slot: &mut Option<String>, name: &str| {
            if let Some(v) = env(name).filter(|v| !v.is_empty()) {
                *slot = Some(v);
            }
        };
        set(&mut t.api_url, "ALUMNI_BOT_TELEGRAM_API_URL");
        set(&mut t.webhook_url, "ALUMNI_BOT_TELEGRAM_WEBHOOK_URL");
        set(&mut t.webhook_listen, "ALUMNI_BOT_TELEGRAM_WEBHOOK_LISTEN");
        if let Some(v) = env("ALUMNI_BOT_TELEGRAM_TOKEN").filter(|v| !v.is_empty()) {
            t.token = Some(Secret::new(v));
        }
        if let Some(v) = env("ALUMNI_BOT_TELEGRAM_WEBHOOK_SECRET").filter(|v| !v.is_empty()) {
            t.webhook_secret = Some(Secret::new(v));
        }
        if let Some(v) = env("ALUMNI_BOT_TELEGRAM_STAFF_CHAT").filter(|v| !v.is_empty()) {
            t.staff_chat = Some(
                v.parse()
                    .context("ALUMNI_BOT_TELEGRAM_STAFF_CHAT is not a chat id")?,
            );
        }
        if let Some(v) = env("ALUMNI_BOT_TELEGRAM_STAFF_TOPICS").filter(|v| !v.is_empty()) {
            t.staff_topics = matches!(v.as_str(), "1" | "true" | "yes");
        }
        if let Some(v) = env("ALUMNI_BOT_TELEGRAM_STAFF_IDS").filter(|v| !v.is_empty()) {
            t.staff_ids = v
                .split(',')
                .map(|id| id.trim().parse())
                .collect::<Result<_, _>>()
                .context(
                    "ALUMNI_BOT_TELEGRAM_STAFF_IDS is not a comma-separated list of user ids",
                )?;
        }
        if let Some(v) = env("ALUMNI_BOT_RETENTION_DAYS").filter(|v| !v.is_empty()) {
            s.retention_days = v
                .parse()
                .context("ALUMNI_BOT_RETENTION_DAYS is not a number of days")?;
        }
        if let Some(v) = env("ALUMNI_BOT_RATE_LIMIT_PER_MINUTE").filter(|v| !v.is_empty()) {
            s.limits.messages_per_minute = v.parse().context("ALUMNI_BOT_RATE_LIMIT_PER_MINUTE")?;
        }
        if let Some(v) = env("ALUMNI_BOT_RATE_LIMIT_BURST").filter(|v| !v.is_empty()) {
            s.limits.burst = v.parse().context("ALUMNI_BOT_RATE_LIMIT_BURST")?;
        }
        if let Some(v) = env("ALUMNI_BOT_MAX_OPEN_TICKETS").filter(|v| !v.is_empty()) {
            s.limits.max_open_tickets = v.parse().context("ALUMNI_BOT_MAX_OPEN_TICKETS")?;
        }
        if let Some(v) = env("ALUMNI_BOT_RECORD_GAPS").filter(|v| !v.is_empty()) {
            s.record_gaps = switch(&v).context("ALUMNI_BOT_RECORD_GAPS")?;
        }
        let d = &mut s.discord;
        if let Some(v) = env("ALUMNI_BOT_DISCORD_TOKEN").filter(|v| !v.is_empty()) {
            d.token = Some(Secret::new(v));
        }
        if let Some(v) = env("ALUMNI_BOT_DISCORD_API_URL").filter(|v| !v.is_empty()) {
            d.api_url = Some(v);
        }
        if let Some(v) = env("ALUMNI_BOT_DISCORD_STAFF_CHANNEL").filter(|v| !v.is_empty()) {
            d.staff_channel = Some(
                v.parse()
                    .context("ALUMNI_BOT_DISCORD_STAFF_CHANNEL is not a channel id")?,
            );
        }
        if let Some(v) = env("ALUMNI_BOT_DISCORD_STAFF_THREADS").filter(|v| !v.is_empty()) {
            d.staff_threads = matches!(v.as_str(), "1" | "true" | "yes");
        }
        if let Some(v) = env("ALUMNI_BOT_DISCORD_STAFF_ROLE").filter(|v| !v.is_empty()) {
            d.staff_role = Some(
                v.parse()
                    .context("ALUMNI_BOT_DISCORD_STAFF_ROLE is not a role id")?,
            );
        }
        if let Some(v) = env("ALUMNI_BOT_DISCORD_GUILD_ID").filter(|v| !v.is_empty()) {
            d.guild_id = Some(
                v.parse()
                    .context("ALUMNI_BOT_DISCORD_GUILD_ID is not a server id")?,
            );
        }
        let desk = &mut s.desk;
        set(&mut desk.listen, "ALUMNI_BOT_DESK_LISTEN");
        set(&mut desk.public_url, "ALUMNI_BOT_DESK_PUBLIC_URL");
        if let Some(v) = env("ALUMNI_BOT_DESK_METRICS_TOKEN").filter(|v| !v.is_empty()) {
            desk.metrics_token = Some(Secret::new(v));
        }
        if let Some(v) = env("ALUMNI_BOT_DESK_TRUSTED_PROXIES").filter(|v| !v.is_empty()) {
            desk.trusted_proxies = v
                .split(',')
                .map(|a| a.trim().parse())
                .collect::<Result<_, _>>()
                .context(
                    "ALUMNI_BOT_DESK_TRUSTED_PROXIES is not a comma-separated list of IP addresses",
                )?;
        }
        if let Some(v) = env("ALUMNI_BOT_DESK_SESSION_HOURS").filter(|v| !v.is_empty()) {
            desk.session_hours = Some(
                v.parse()
                    .context("ALUMNI_BOT_DESK_SESSION_HOURS is not a number of hours")?,
            );
        }
        if let Some(k) = &overrides.knowledge {
            s.knowledge = k.clone();
        }
        if let Some(d) = &overrides.db {
            s.db = d.clone();
        }
        Ok(s)
    }
}

/// An on/off variable: `1`, `true`, `yes`, `on` or `0`, `false`, `no`, `off` (any case).
fn switch(value: &str) -> anyhow::Result<bool> {
    match value.trim().to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" | "on" => Ok(true),
        "0" | "false" | "no" | "off" => Ok(false),
        other => anyhow::bail!("{other:?} is neither on (1, true, yes) nor off (0, false, no)"),
    }
}

/// `knowledge/` in the working directory, else the one of the checkout the binary was built from.
fn default_knowledge() -> PathBuf {
    let here = PathBuf::from("knowledge");
    if here.is_dir() {
        here
    } else {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("knowledge")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layers_apply_in_order_and_secrets_stay_hidden() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("c.yaml");
        std::fs::write(
            &file,
            "db: from-file.db\nlog: info\npseudonym_secret: hunter2\n",
        )
        .unwrap();
        let overrides = Overrides {
            config: Some(file),
            ..Default::default()
        };
        let env = |k: &str| (k == "ALUMNI_BOT_LOG").then(|| "debug".to_string());
        let s = Settings::load_with(&overrides, env).unwrap();
        assert_eq!(s.db, dir.path().join("from-file.db"));
        assert_eq!(s.log, "debug");
        assert!(!format!("{s:?}").contains("hunter2"));
        let flags = Overrides {
            db: Some("flag.db".into()),
            ..overrides
        };
        assert_eq!(
            Settings::load_with(&flags, |_| None).unwrap().db,
            PathBuf::from("flag.db")
        );
    }

    #[test]
    fn recording_unanswered_questions_is_on_unless_switched_off() {
        let dir = tempfile::tempdir().unwrap();
        let none = Overrides::default();
        let config = |text: &str| {
            let file = dir.path().join("c.yaml");
            std::fs::write(&file, text).unwrap();
            Overrides {
                config: Some(file),
                ..Default::default()
            }
        };
        let env = |value: &'static str| {
            move |k: &str| (k == "ALUMNI_BOT_RECORD_GAPS").then(|| value.to_string())
        };
        assert!(Settings::load_with(&none, |_| None).unwrap().record_gaps);
        let off = config("record_gaps: false\n");
        assert!(!Settings::load_with(&off, |_| None).unwrap().record_gaps);
        // The environment overrides the file.
        assert!(Settings::load_with(&off, env("yes")).unwrap().record_gaps);
        for value in ["0", "false", "NO", "off"] {
            assert!(!Settings::load_with(&none, env(value)).unwrap().record_gaps);
        }
        for value in ["1", "true", "Yes"] {
            assert!(Settings::load_with(&none, env(value)).unwrap().record_gaps);
        }
        let err = Settings::load_with(&none, env("maybe")).unwrap_err();
        assert!(
            format!("{err:#}").contains("ALUMNI_BOT_RECORD_GAPS"),
            "{err:#}"
        );
    }

    #[test]
    fn unknown_config_keys_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("c.yaml");
        std::fs::write(&file, "dbb: x\n").unwrap();
        let err = Settings::load_with(
            &Overrides {
                config: Some(file),
                ..Default::default()
            },
            |_| None,
        )
        .unwrap_err();
        assert!(format!("{err:#}").contains("dbb"), "{err:#}");
    }
}
