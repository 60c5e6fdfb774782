//! A user's own tickets after filing: `/status` with their state, adding information (asked for
//! by staff or not), withdrawing. While staff wait for an answer (`awaiting_user`), everything
//! the user sends in private goes to the ticket instead of being matched as a question.

use tracing::info;

use super::buttons::ButtonData;
use super::conversation::Conversation;
use super::engine::{Engine, Stores, Turn};
use super::message::{Button, Reply};
use super::texts::{fill, tr};
use super::ticket::{Addition, Attachment, TicketRef, TicketStatus};
use crate::lang::Lang;

impl<S: Stores> Engine<S> {
    /// `/status`: the user's own tickets, with what they can do about the live ones; only in a
    /// private chat.
    pub(super) async fn status(&self, turn: &Turn<'_>, lang: Lang) -> anyhow::Result<Vec<Reply>> {
        if turn.from.public {
            return Ok(vec![Reply::text(tr(
                lang,
                "Your requests are private: send me /status in a direct message and I'll list them there.",
            ))]);
        }
        let tickets = self
            .store
            .tickets_of(turn.from.platform.as_str(), &turn.from.user)
            .await?;
        if tickets.is_empty() {
            return Ok(vec![Reply::text(tr(
                lang,
                "You have no requests with the alumni office from this chat. Type **talk to a person** to send one.",
            ))]);
        }
        let mut buttons = Vec::new();
        let lines: Vec<String> = tickets
            .iter()
            .map(|t| {
                let what = self
                    .kb
                    .in_lang(lang)
                    .ticket_title(&t.category)
                    .unwrap_or(&t.category);
                let date = t.created_at.get(..10).unwrap_or(&t.created_at);
                // A stored reference that is none offers no buttons rather than broken ones.
                if let (true, Ok(id)) = (t.status.is_live(), t.reference.parse::<TicketRef>()) {
                    let reference = [("reference", t.reference.as_str())];
                    buttons.push(Button::new(
                        fill(tr(lang, "Add to {reference}"), &reference),
                        ButtonData::AddTo(id.clone()),
                    ));
                    buttons.push(Button::new(
                        fill(tr(lang, "Withdraw {reference}"), &reference),
                        ButtonData::Withdraw(id),
                    ));
                }
                format!(
                    "- **{}**: {what}, {date}: {}",
                    t.reference,
                    status_words(t.status, lang)
                )
            })
            .collect();
        buttons.truncate(6);
        Ok(vec![
            Reply::text(format!(
                "{}\n{}",
                tr(lang, "Your requests with the alumni office:"),
                lines.join("\n")
            ))
            .with_buttons(buttons),
        ])
    }

    /// `/status`'s "Add to": the user's next message goes to that ticket.
    pub(super) async fn add_button(
        &self,
        conversation: &mut Conversation,
        reference: &TicketRef,
        turn: &Turn<'_>,
    ) -> anyhow::Result<Vec<Reply>> {
        let reference = reference.as_str();
        let mine = self
            .store
            .tickets_of(turn.from.platform.as_str(), &turn.from.user)
            .await?
            .into_iter()
            .any(|t| t.reference == reference);
        if !mine || turn.from.public {
            return Ok(vec![Reply::text(tr(
                conversation.lang,
                "I can't find that request among yours. Type /status to see them.",
            ))]);
        }
        conversation.adding_to = Some(reference.to_string());
        Ok(vec![Reply::text(fill(
            tr(
                conversation.lang,
                "What would you like to add to **{reference}**? Send text, a photo or a PDF.",
            ),
            &[("reference", reference)],
        ))])
    }

    /// `/status`'s "Withdraw".
    pub(super) async fn withdraw_button(
        &self,
        conversation: &mut Conversation,
        reference: &TicketRef,
        turn: &Turn<'_>,
    ) -> anyhow::Result<Vec<Reply>> {
        let reference = reference.as_str();
        let done = !turn.from.public
            && self
                .store
                .withdraw_ticket(reference, turn.from.platform.as_str(), &turn.from.user)
                .await?;
        info!(user = turn.who, done, "withdraw");
        let lang = conversation.lang;
        Ok(vec![Reply::text(if done {
            fill(
                tr(
                    lang,
                    "Your request **{reference}** is withdrawn; the alumni office has been told. You can always send a new one.",
                ),
                &[("reference", reference)],
            )
        } else {
            tr(
                lang,
                "That request is already closed, or not yours. Type /status to see your requests.",
            )
            .to_string()
        })])
    }

    /// If the user is adding to a ticket (asked to by staff, or by choice), adds what they sent.
    /// `None` when they are not.
    pub(super) async fn add_to_ticket(
        &self,
        conversation: &mut Conversation,
        addition: Addition<'_>,
        turn: &Turn<'_>,
    ) -> anyhow::Result<Option<Vec<Reply>>> {
        if turn.from.public {
            return Ok(None);
        }
        let (reference, asked) = match conversation.adding_to.take() {
            Some(reference) => (reference, false),
            None => match self
                .store
                .awaiting_ticket(turn.from.platform.as_str(), &turn.from.user)
                .await?
            {
                Some(reference) => (reference, true),
                None => return Ok(None),
            },
        };
        let (text, file) = match addition {
            Addition::Text(text) => (Some(text), None),
            Addition::File(upload) => match Attachment::from_upload(upload) {
                Ok(attachment) => (None, Some(self.store.store_file(attachment).await?)),
                Err(e) => {
                    if !asked {
                        conversation.adding_to = Some(reference);
                    }
                    return Ok(Some(vec![Reply::text(fill(
                        tr(
                            conversation.lang,
                            "I can't use that file: {problem}. Please send a photo (JPEG, PNG or WebP) or a PDF, up to 10 MB.",
                        ),
                        &[("problem", &e.explain(conversation.lang))],
                    ))]));
                }
            },
        };
        let added = self
            .store
            .add_to_ticket(&reference, turn.from, text, file.as_ref())
            .await?;
        info!(user = turn.who, added, "added to a ticket");
        let lang = conversation.lang;
        let values = [("reference", reference.as_str())];
        if !added {
            return Ok(Some(vec![Reply::text(fill(
                tr(
                    lang,
                    "Your request **{reference}** is already closed, so I couldn't add that. Type **talk to a person** to send a new one.",
                ),
                &values,
            ))]));
        }
        let mut text = fill(
            tr(
                lang,
                "Added to your request **{reference}**; the alumni office will see it.",
            ),
            &values,
        );
        if asked {
            if !lang.is_chinese() {
                text.push(' ');
            }
            text.push_str(tr(
                lang,
                "While they wait for your answer, what you send here goes to them; type /status to see your requests.",
            ));
        }
        Ok(Some(vec![Reply::text(text)]))
    }
}

fn status_words(status: TicketStatus, lang: Lang) -> &'static str {
    match status {
        TicketStatus::Open => tr(lang, "received, waiting for staff"),
        TicketStatus::Claimed => tr(lang, "being handled by staff"),
        TicketStatus::AwaitingUser => tr(lang, "staff are waiting for your reply"),
        TicketStatus::Resolved => tr(lang, "resolved"),
        TicketStatus::Closed => tr(lang, "closed"),
    }
}
