//! The platform-agnostic bot core: messages in, replies out, conversation state kept through a
//! trait. It knows nothing of Telegram, Discord or SQL.

pub mod buttons;
pub mod commands;
pub mod conversation;
pub mod engine;
mod flow;
pub mod gaps;
pub mod limits;
pub mod message;
pub mod metrics;
pub mod notes;
pub mod staff;
pub mod texts;
pub mod ticket;
pub mod understand;
mod user_tickets;
pub mod validate;

pub use buttons::{ButtonData, StaffButton, StepAnswer};
pub use conversation::{Conversation, ConversationStore, FlowRun, MemoryStore, MemoryTicket};
pub use engine::{Engine, Stores, Trace};
pub use gaps::{Gap, GapGroup, GapKind, GapLog, KindCounts, Nearest, Redacted};
pub use message::{Button, Content, Inbound, Platform, Reply, Sender, Upload};
pub use metrics::Metrics;
pub use ticket::{
    Attachment, AttachmentError, Author, FilingError, NewTicket, StoredFile, TicketBrief,
    TicketRef, TicketStatus, TicketStore, TranscriptLine,
};
