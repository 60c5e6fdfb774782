//! What goes into the core and what comes out: the whole vocabulary adapters translate to and
//! from. Nothing here knows which platform a message came from beyond its name.

use serde::{Deserialize, Serialize};

use super::buttons::ButtonData;

/// One message from a user.
#[derive(Debug, Clone)]
pub struct Inbound {
    /// Which conversation this belongs to.
    pub from: Sender,
    pub content: Content,
}

/// The platforms the bot talks on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Platform {
    /// The terminal: `alumni-bot chat` (and `chat --jsonl`).
    Console,
    Telegram,
    Discord,
}

/// A name that is no platform of this bot.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a platform of this bot")]
pub struct UnknownPlatform;

impl Platform {
    /// As conversation keys, tickets, the outbox and logs write it.
    pub fn as_str(self) -> &'static str {
        match self {
            Platform::Console => "console",
            Platform::Telegram => "telegram",
            Platform::Discord => "discord",
        }
    }
}

impl std::fmt::Display for Platform {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Platform {
    type Err = UnknownPlatform;

    fn from_str(s: &str) -> Result<Self, UnknownPlatform> {
        match s {
            "console" => Ok(Platform::Console),
            "telegram" => Ok(Platform::Telegram),
            "discord" => Ok(Platform::Discord),
            _ => Err(UnknownPlatform),
        }
    }
}

/// Who wrote, and where. `user` and `chat` are the platform's own ids, opaque to the core.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Sender {
    pub platform: Platform,
    pub user: String,
    pub chat: String,
    /// A public place (group, server channel): the core never asks for personal data there.
    pub public: bool,
}

impl Sender {
    /// A private conversation whose chat is the user.
    pub fn private(platform: Platform, user: &str) -> Self {
        Sender {
            platform,
            user: user.into(),
            chat: user.into(),
            public: false,
        }
    }

    /// The key a conversation is stored under.
    pub fn conversation_key(&self) -> String {
        format!("{}:{}:{}", self.platform, self.chat, self.user)
    }
}

#[derive(Debug, Clone)]
pub enum Content {
    Text(String),
    /// The data of a button the bot offered earlier.
    Button(ButtonData),
    /// A press of a button this bot never made (an older version's, or made up).
    UnknownButton,
    /// A file the user sent, already fetched by the adapter.
    File(Upload),
}

#[derive(Debug, Clone)]
pub struct Upload {
    /// The name the user's client gave the file (never logged).
    pub name: String,
    /// The media type the platform reported, if any; the core checks the bytes itself.
    pub declared_type: Option<String>,
    /// The size the platform reported. An adapter does not download a file larger than
    /// [`crate::core::ticket::MAX_ATTACHMENT_BYTES`]: it sends the size with no bytes, and the
    /// core tells the user.
    pub declared_size: Option<u64>,
    pub bytes: Vec<u8>,
    pub caption: Option<String>,
}

/// One message from the bot.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct Reply {
    /// In the markup of [`crate::markup`].
    pub text: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub buttons: Vec<Button>,
}

impl Reply {
    pub fn text(text: impl Into<String>) -> Self {
        Reply {
            text: text.into(),
            buttons: Vec::new(),
        }
    }

    pub fn with_buttons(mut self, buttons: Vec<Button>) -> Self {
        self.buttons = buttons;
        self
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Button {
    pub label: String,
    /// What comes back as [`Content::Button`] when it is pressed.
    pub data: ButtonData,
}

impl Button {
    pub fn new(label: impl Into<String>, data: ButtonData) -> Self {
        Button {
            label: label.into(),
            data,
        }
    }
}

impl Content {
    /// A pressed button's data as the platform gave it, parsed.
    pub fn pressed(data: &str) -> Content {
        match data.parse() {
            Ok(data) => Content::Button(data),
            Err(_) => Content::UnknownButton,
        }
    }
}
