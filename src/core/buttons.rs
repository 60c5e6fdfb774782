//! What a button carries back when it is pressed, typed. On the platforms (and in stored
//! conversations and outbox rows) it is written as a short string, kept under Telegram's 64
//! bytes of callback data: `intent:<id>`, `none`, `lang:<tag>`, `private:<flow>`,
//! `f:<flow>:<step>:<answer>`, `flow:resume`, `flow:stop`, `t:add:<ref>`, `t:withdraw:<ref>`,
//! `staff:<claim|resolve>:<ref>`. Strings are parsed here, once, where they come in.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::ticket::TicketRef;
use crate::lang::Lang;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ButtonData {
    /// A topic offered ("did you mean", related topics, "Talk to a person").
    Intent(String),
    /// "None of these", under a "did you mean".
    NoneOfThese,
    /// A language of `/language`.
    Language(Lang),
    /// "Continue in a private chat": the flow to start there. Platforms turn it into a deep
    /// link (Telegram) or a move to a direct message (Discord).
    Private(String),
    /// An answer to a step of a flow; a button of a step already left never acts.
    Step {
        flow: String,
        step: String,
        answer: StepAnswer,
    },
    /// Go on with an interrupted flow.
    Resume,
    /// Stop it.
    Stop,
    /// `/status`: add to one of the user's tickets.
    AddTo(TicketRef),
    /// `/status`: withdraw one.
    Withdraw(TicketRef),
    /// An action on a staff notification.
    Staff(StaffButton, TicketRef),
}

/// A user's answer to a waiting step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StepAnswer {
    Choice(usize),
    Yes,
    No,
    Send,
    Edit,
    EditField(usize),
    Cancel,
}

/// The actions a staff notification offers as buttons.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StaffButton {
    Claim,
    Resolve,
}

/// Data no button of this bot carries (an older version's, or made up).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a button of this bot")]
pub struct UnknownButton;

impl fmt::Display for StepAnswer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StepAnswer::Choice(i) => write!(f, "{i}"),
            StepAnswer::Yes => f.write_str("y"),
            StepAnswer::No => f.write_str("n"),
            StepAnswer::Send => f.write_str("send"),
            StepAnswer::Edit => f.write_str("edit"),
            StepAnswer::EditField(i) => write!(f, "e{i}"),
            StepAnswer::Cancel => f.write_str("cancel"),
        }
    }
}

impl FromStr for StepAnswer {
    type Err = UnknownButton;

    fn from_str(s: &str) -> Result<Self, UnknownButton> {
        Ok(match s {
            "y" => StepAnswer::Yes,
            "n" => StepAnswer::No,
            "send" => StepAnswer::Send,
            "edit" => StepAnswer::Edit,
            "cancel" => StepAnswer::Cancel,
            _ => match s.strip_prefix('e') {
                Some(i) => StepAnswer::EditField(i.parse().map_err(|_| UnknownButton)?),
                None => StepAnswer::Choice(s.parse().map_err(|_| UnknownButton)?),
            },
        })
    }
}

impl fmt::Display for ButtonData {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ButtonData::Intent(id) => write!(f, "intent:{id}"),
            ButtonData::NoneOfThese => f.write_str("none"),
            ButtonData::Language(lang) => write!(f, "lang:{}", lang.tag()),
            ButtonData::Private(flow) => write!(f, "private:{flow}"),
            ButtonData::Step { flow, step, answer } => write!(f, "f:{flow}:{step}:{answer}"),
            ButtonData::Resume => f.write_str("flow:resume"),
            ButtonData::Stop => f.write_str("flow:stop"),
            ButtonData::AddTo(reference) => write!(f, "t:add:{reference}"),
            ButtonData::Withdraw(reference) => write!(f, "t:withdraw:{reference}"),
            ButtonData::Staff(StaffButton::Claim, reference) => {
                write!(f, "staff:claim:{reference}")
            }
            ButtonData::Staff(StaffButton::Resolve, reference) => {
                write!(f, "staff:resolve:{reference}")
            }
        }
    }
}

impl FromStr for ButtonData {
    type Err = UnknownButton;

    fn from_str(s: &str) -> Result<Self, UnknownButton> {
        let reference = |r: &str| r.parse::<TicketRef>().map_err(|_| UnknownButton);
        let id = |id: &str| {
            (!id.is_empty() && !id.contains(':'))
                .then(|| id.to_string())
                .ok_or(UnknownButton)
        };
        Ok(match s {
            "none" => ButtonData::NoneOfThese,
            "flow:resume" => ButtonData::Resume,
            "flow:stop" => ButtonData::Stop,
            _ => {
                let (kind, rest) = s.split_once(':').ok_or(UnknownButton)?;
                match kind {
                    "intent" => ButtonData::Intent(id(rest)?),
                    "lang" => ButtonData::Language(Lang::parse(rest).ok_or(UnknownButton)?),
                    "private" => ButtonData::Private(id(rest)?),
                    "f" => {
                        let mut parts = rest.splitn(3, ':');
                        let (Some(flow), Some(step), Some(answer)) =
                            (parts.next(), parts.next(), parts.next())
                        else {
                            return Err(UnknownButton);
                        };
                        ButtonData::Step {
                            flow: id(flow)?,
                            step: id(step)?,
                            answer: answer.parse()?,
                        }
                    }
                    "t" => match rest.split_once(':').ok_or(UnknownButton)? {
                        ("add", r) => ButtonData::AddTo(reference(r)?),
                        ("withdraw", r) => ButtonData::Withdraw(reference(r)?),
                        _ => return Err(UnknownButton),
                    },
                    "staff" => match rest.split_once(':').ok_or(UnknownButton)? {
                        ("claim", r) => ButtonData::Staff(StaffButton::Claim, reference(r)?),
                        ("resolve", r) => ButtonData::Staff(StaffButton::Resolve, reference(r)?),
                        _ => return Err(UnknownButton),
                    },
                    _ => return Err(UnknownButton),
                }
            }
        })
    }
}

// Stored (conversations' offered buttons, outbox messages) as the string platforms carry.
impl Serialize for ButtonData {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for ButtonData {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_round_trips_through_its_string() {
        let reference: TicketRef = "T-AB12CD".parse().unwrap();
        let all = [
            ButtonData::Intent("email_forwarding".into()),
            ButtonData::NoneOfThese,
            ButtonData::Language(Lang::ZhHans),
            ButtonData::Private("correct_records".into()),
            ButtonData::Step {
                flow: "wifi".into(),
                step: "when".into(),
                answer: StepAnswer::EditField(2),
            },
            ButtonData::Step {
                flow: "wifi".into(),
                step: "when".into(),
                answer: StepAnswer::Choice(1),
            },
            ButtonData::Resume,
            ButtonData::Stop,
            ButtonData::AddTo(reference.clone()),
            ButtonData::Withdraw(reference.clone()),
            ButtonData::Staff(StaffButton::Claim, reference.clone()),
            ButtonData::Staff(StaffButton::Resolve, reference),
        ];
        for data in all {
            let text = data.to_string();
            assert!(text.len() <= 64, "{text}: over Telegram's 64 bytes");
            assert_eq!(text.parse::<ButtonData>(), Ok(data.clone()), "{text}");
            let json = serde_json::to_string(&data).unwrap();
            assert_eq!(json, format!("\"{text}\""));
            assert_eq!(serde_json::from_str::<ButtonData>(&json).unwrap(), data);
        }
        assert_eq!("staff:claim:T-AB12CD".to_string(), "staff:claim:T-AB12CD");
    }

    #[test]
    fn made_up_data_is_no_button() {
        for text in [
            "",
            "intent:",
            "lang:xx",
            "f:wifi:when",
            "f:wifi:when:maybe",
            "t:add:nope",
            "staff:delete:T-AB12CD",
            "staff:claim:",
            "whatever",
        ] {
            assert_eq!(text.parse::<ButtonData>(), Err(UnknownButton), "{text:?}");
        }
    }
}
