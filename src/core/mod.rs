//! The platform-agnostic bot core: messages in, replies out, conversation state kept through a
//! trait. It knows nothing of Telegram, Discord or SQL.

pub mod conversation;
pub mod engine;
pub mod message;
pub mod ticket;

pub use conversation::{Conversation, ConversationStore, MemoryStore};
pub use engine::Engine;
pub use message::{Button, Content, Inbound, Reply, Sender, Upload};
pub use ticket::{Attachment, AttachmentError, Author, NewTicket, TicketStore, TranscriptLine};
