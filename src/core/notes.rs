//! What the bot says about the platform around the conversation rather than in it: a file that
//! could not be fetched, a conversation moved to a direct message, direct messages closed, too
//! many messages at once. The platform runner picks the note; the words are the core's, in the
//! user's language.

use super::texts::tr;
use crate::lang::{self, Lang};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Note {
    /// The platform would not hand over a file the user sent.
    FileNotFetched,
    /// A flow that asks for personal data continues in the user's direct messages.
    MovedToDirect,
    /// `/ticket` in a server: the request is written in a direct message.
    TicketInDirect,
    /// `/status` in a server: the answer is in a direct message.
    StatusInDirect,
    /// The user's direct messages are closed to the bot.
    DirectClosed,
    /// Over the message rate: said once, then nothing until the user slows down.
    SlowDown,
}

impl Note {
    pub fn text(self, lang: Lang) -> String {
        // `tr` needs the literal at the call, so that the catalogue test finds every sentence.
        let text = match self {
            Note::FileNotFetched => tr(
                lang,
                "Sorry, I couldn't fetch that file. Please send it again.",
            ),
            Note::MovedToDirect => tr(
                lang,
                "I've sent you a direct message: let's continue there, where your details stay private.",
            ),
            Note::TicketInDirect => tr(
                lang,
                "I've sent you a direct message to write your request there, where your details stay private.",
            ),
            Note::StatusInDirect => tr(lang, "I've sent your requests to you in a direct message."),
            Note::DirectClosed => tr(
                lang,
                "I can't send you a direct message. Please allow direct messages from server members, then try again.",
            ),
            Note::SlowDown => tr(
                lang,
                "You're sending messages faster than I can read them. Please wait a moment, then send your question again.",
            ),
        };
        lang::in_script(text, lang)
    }
}
