//! Staff at work on tickets: what each action does to a ticket, what the user and the staff are
//! told, and who may act. The same rules serve the staff chats (Telegram group, Discord channel)
//! and the CLI; storage is behind [`TicketDesk`].

use std::collections::BTreeMap;
use std::future::Future;

use serde::Serialize;

use super::buttons::{ButtonData, StaffButton};
use super::message::{Button, Reply};
use super::texts::{fill, tr};
use super::ticket::TicketRef;
use super::ticket::TicketStatus;
use crate::lang::{self, Lang};
use crate::markup;

/// A staff action on one ticket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    Claim,
    /// A reply relayed to the user.
    Reply(String),
    /// A question to the user; the ticket waits for their answer, which is attached to it.
    RequestInfo(String),
    /// Done, with a note for the user.
    Resolve(String),
    Reopen,
}

impl Action {
    pub fn name(&self) -> &'static str {
        match self {
            Action::Claim => "claim",
            Action::Reply(_) => "reply",
            Action::RequestInfo(_) => "request_info",
            Action::Resolve(_) => "resolve",
            Action::Reopen => "reopen",
        }
    }
}

/// What an action changes, for the store to apply in one transaction.
#[derive(Debug, Clone, PartialEq)]
pub struct Change {
    /// The statuses the ticket may be in for the action to apply.
    pub from: &'static [TicketStatus],
    /// The status after it; `None` keeps the status.
    pub to: Option<TicketStatus>,
    /// The event logged on the ticket, and its detail.
    pub event: &'static str,
    pub detail: String,
    /// A message owed to the user, in the chat the ticket came from (in the ticket's language,
    /// known where the ticket is read).
    pub to_user: Option<Notice>,
}

/// What staff tell a user about their ticket, before it is put in the user's language.
#[derive(Debug, Clone, PartialEq)]
pub enum Notice {
    Reply(String),
    RequestInfo(String),
    Resolved(String),
}

impl Notice {
    /// The message to the user about `reference`, in `lang`; the staff's words as they wrote
    /// them, shown as typed.
    pub fn reply(&self, reference: &str, lang: Lang) -> Reply {
        let (template, words) = match self {
            Notice::Reply(text) => (
                tr(
                    lang,
                    "**Reply from the alumni office** about your request **{reference}**:\n\n{words}",
                ),
                text,
            ),
            Notice::RequestInfo(text) => (
                tr(
                    lang,
                    "The alumni office needs more information about your request **{reference}**:\n\n{words}\n\nJust answer here (text, a photo or a PDF): your next messages go to them.",
                ),
                text,
            ),
            Notice::Resolved(note) => (
                tr(
                    lang,
                    "Your request **{reference}** has been resolved by the alumni office:\n\n{words}",
                ),
                note,
            ),
        };
        let text = fill(
            template,
            &[("reference", reference), ("words", &markup::escape(words))],
        );
        Reply::text(lang::in_script(&text, lang))
    }
}

/// The change an action makes on a ticket.
pub fn change(action: &Action) -> Change {
    const LIVE: &[TicketStatus] = TicketStatus::LIVE;
    match action {
        Action::Claim => Change {
            from: LIVE,
            to: Some(TicketStatus::Claimed),
            event: "claimed",
            detail: String::new(),
            to_user: None,
        },
        Action::Reply(text) => Change {
            from: LIVE,
            to: None,
            event: "reply",
            detail: text.clone(),
            to_user: Some(Notice::Reply(text.clone())),
        },
        Action::RequestInfo(text) => Change {
            from: LIVE,
            to: Some(TicketStatus::AwaitingUser),
            event: "request_info",
            detail: text.clone(),
            to_user: Some(Notice::RequestInfo(text.clone())),
        },
        Action::Resolve(note) => Change {
            from: LIVE,
            to: Some(TicketStatus::Resolved),
            event: "resolved",
            detail: note.clone(),
            to_user: Some(Notice::Resolved(note.clone())),
        },
        Action::Reopen => Change {
            from: TicketStatus::FINISHED,
            to: Some(TicketStatus::Open),
            event: "reopened",
            detail: String::new(),
            to_user: None,
        },
    }
}

/// Why an action was not applied.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("there is no ticket {0}")]
    NotFound(String),
    #[error("ticket {reference} is {status}: {action} needs it {allowed}")]
    WrongStatus {
        reference: String,
        status: TicketStatus,
        action: &'static str,
        allowed: String,
    },
    #[error("only alumni office staff can do that")]
    NotStaff,
}

/// Where staff actions are applied and recorded. `store` implements it on SQLite.
pub trait TicketDesk: Send + Sync {
    /// Applies `change` to the ticket in one transaction: status, event, a message to the user
    /// in the outbox, and the audit entry. Returns the status after it.
    fn apply(
        &self,
        reference: &str,
        actor: &str,
        action: &'static str,
        change: Change,
    ) -> impl Future<Output = anyhow::Result<Result<TicketStatus, Refusal>>> + Send;

    /// Records an action that was refused before reaching a ticket (e.g. not staff).
    fn audit_refusal(
        &self,
        actor: &str,
        action: &str,
        reference: Option<&str>,
        reason: &str,
    ) -> impl Future<Output = anyhow::Result<()>> + Send;
}

/// Acts for `actor` if they are staff; every attempt ends up in the audit log. Returns what to
/// tell the actor.
pub async fn act(
    desk: &impl TicketDesk,
    actor: &str,
    is_staff: bool,
    reference: &TicketRef,
    action: Action,
) -> anyhow::Result<Result<String, Refusal>> {
    let reference = reference.as_str();
    if !is_staff {
        desk.audit_refusal(actor, action.name(), Some(reference), "not staff")
            .await?;
        return Ok(Err(Refusal::NotStaff));
    }
    let change = change(&action);
    Ok(desk
        .apply(reference, actor, action.name(), change)
        .await?
        .map(|status| {
            format!(
                "{reference}: {} done; the ticket is {status}.",
                action.name()
            )
        }))
}

/// [`act`] for a chat adapter: what to tell the actor, whatever happened. (A storage failure is
/// logged and answered with an apology.)
pub async fn answer(
    desk: &impl TicketDesk,
    actor: &str,
    is_staff: bool,
    reference: &TicketRef,
    action: Action,
) -> String {
    match act(desk, actor, is_staff, reference, action).await {
        Ok(Ok(done)) => done,
        Ok(Err(refusal)) => format!("Not done: {refusal}."),
        Err(e) => {
            tracing::warn!(error = %e, "a staff action failed");
            "Sorry, that failed on my side; please try again.".into()
        }
    }
}

/// What someone who is not staff hears when they try a staff command.
pub fn not_staff() -> String {
    format!("Not done: {}.", Refusal::NotStaff)
}

/// A staff command typed in a staff chat: `/claim T-X`, `/reply T-X text`, `/info T-X text`,
/// `/resolve T-X note`, `/reopen T-X`. `None` if the text is not one.
pub fn parse_command(text: &str) -> Option<Result<(TicketRef, Action), String>> {
    let text = text.trim();
    let rest = text.strip_prefix('/')?;
    let (command, rest) = rest.split_once(char::is_whitespace).unwrap_or((rest, ""));
    let command = command.split('@').next().unwrap_or("").to_ascii_lowercase();
    let (reference, body) = rest
        .trim()
        .split_once(char::is_whitespace)
        .unwrap_or((rest.trim(), ""));
    let body = body.trim().to_string();
    let needs_text = |what: &str| {
        if body.is_empty() {
            Err(format!("Usage: /{command} T-XXXXXX {what}"))
        } else {
            Ok(body.clone())
        }
    };
    let action = match command.as_str() {
        "claim" => Ok(Action::Claim),
        "reply" => needs_text("your reply").map(Action::Reply),
        "info" => needs_text("your question").map(Action::RequestInfo),
        "resolve" => Ok(Action::Resolve(if body.is_empty() {
            "Your request has been handled.".into()
        } else {
            body.clone()
        })),
        "reopen" => Ok(Action::Reopen),
        _ => return None,
    };
    let Ok(reference) = reference.parse::<TicketRef>() else {
        return Some(Err(format!(
            "Usage: /{command} T-XXXXXX …: which ticket? (its reference)"
        )));
    };
    Some(action.map(|a| (reference, a)))
}

/// The action a staff notification's button stands for.
pub fn button_action(button: StaffButton) -> Action {
    match button {
        StaffButton::Claim => Action::Claim,
        StaffButton::Resolve => Action::Resolve("Your request has been handled.".into()),
    }
}

/// What staff see of a new ticket in their chat: reference, category, who, and everything the
/// user supplied (staff places only), with buttons to act.
pub fn new_ticket_notice(
    reference: &str,
    category: &str,
    platform: &str,
    fields: &BTreeMap<String, String>,
    lang: Lang,
) -> Reply {
    // Staff answer in the user's language: the user wrote in this one.
    let mut text = format!(
        "**New ticket {reference}**: {} (from {platform}, writes {})",
        category.replace('_', " "),
        lang.name()
    );
    for (name, value) in fields {
        text.push_str(&format!(
            "\n- **{}**: {}",
            name.replace('_', " "),
            markup::escape(value)
        ));
    }
    text.push_str(&format!(
        "\n\nReply with /reply {reference} <text>, ask with /info {reference} <question>, close with /resolve {reference} <note>; or `alumni-bot tickets show {reference}`."
    ));
    let buttons = match reference.parse::<TicketRef>() {
        Ok(id) => vec![
            Button::new("Claim", ButtonData::Staff(StaffButton::Claim, id.clone())),
            Button::new("Resolve", ButtonData::Staff(StaffButton::Resolve, id)),
        ],
        Err(_) => Vec::new(),
    };
    Reply::text(text).with_buttons(buttons)
}

/// What staff see when a user adds to a ticket (asked or not).
pub fn user_added_notice(reference: &str, text: Option<&str>, file: Option<&str>) -> Reply {
    let mut body = format!("**{reference}**: the user added information.");
    if let Some(text) = text {
        body.push_str(&format!("\n\n{}", markup::escape(text)));
    }
    if let Some(file) = file {
        body.push_str(&format!("\n\n(a file: {file})"));
    }
    Reply::text(body)
}

/// The name of a ticket's thread (forum topic) in a staff place.
pub fn thread_title(reference: &str) -> String {
    format!("Ticket {reference}")
}

/// Sent with a ticket's file to the staff place.
pub fn file_notice() -> Reply {
    Reply::text("The file the user sent (for staff only):")
}

/// What staff see when a message to the user about a ticket could not be delivered.
pub fn undelivered_notice(reference: &str, attempts: i64) -> Reply {
    Reply::text(format!(
        "**{reference}**: the message to the user could not be delivered after {attempts} attempts; reach them another way (see `alumni-bot tickets show {reference}`)."
    ))
}

/// What staff see when a user withdraws a ticket.
pub fn withdrawn_notice(reference: &str) -> Reply {
    Reply::text(format!("**{reference}** was withdrawn by the user."))
}

/// What the staff places hear of an action taken on the web desk, so that staff in the chats
/// do not work the ticket twice: who did what, and the words sent to the user.
pub fn desk_action_notice(
    reference: &str,
    who: &str,
    change: &Change,
    status: TicketStatus,
) -> Reply {
    let what = match change.event {
        "claimed" => "claimed",
        "reply" => "replied to the user",
        "request_info" => "asked the user for information",
        "resolved" => "resolved",
        "reopened" => "reopened",
        other => other,
    };
    let mut text =
        format!("**{reference}** {what} by {who} on the web desk; the ticket is {status}.");
    if !change.detail.is_empty() {
        text.push_str("\n\n");
        text.push_str(&markup::escape(&change.detail));
    }
    Reply::text(text)
}

/// One audit entry, as `tickets audit` shows it.
#[derive(Debug, Clone, Serialize)]
pub struct AuditEntry {
    pub at: String,
    /// `staff:<login>` for a desk account, wherever they acted; else as the place names them.
    pub actor: String,
    /// Where a staff member acted from (`desk`, `telegram:<id>`, `cli:<user>`), when `actor`
    /// names a staff account.
    pub via: Option<String>,
    pub action: String,
    pub ticket: Option<String>,
    pub detail: String,
    pub allowed: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn staff_commands_parse() {
        assert_eq!(
            parse_command("/reply t-abc234 Your name is fixed."),
            Some(Ok((
                "T-ABC234".parse().unwrap(),
                Action::Reply("Your name is fixed.".into())
            )))
        );
        assert_eq!(
            parse_command("/claim@alumni_bot T-ABC234"),
            Some(Ok(("T-ABC234".parse().unwrap(), Action::Claim)))
        );
        assert!(matches!(parse_command("/reply T-ABC234"), Some(Err(_))));
        assert!(matches!(parse_command("/claim"), Some(Err(_))));
        assert_eq!(parse_command("/help"), None);
        assert_eq!(parse_command("hello"), None);
        assert!(matches!(parse_command("/claim ABC234"), Some(Err(_))));
    }

    #[test]
    fn staff_words_reach_users_escaped() {
        let c = change(&Action::Reply("**hi** [x](https://e)".into()));
        let notice = c.to_user.unwrap();
        for lang in Lang::ALL {
            let text = notice.reply("T-A", lang).text;
            assert!(markup::check(&text).is_ok());
            assert!(markup::to_plain(&text).contains("**hi** [x](https://e)"));
            assert!(text.contains("T-A"));
        }
        assert!(
            notice
                .reply("T-A", Lang::ZhHant)
                .text
                .contains("校友事務處")
        );
    }
}
