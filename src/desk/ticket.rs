//! `/tickets/<REF>`: one ticket in full (what the user supplied, their files shown inline, the
//! transcript, the events, the messages owed and the audit entries), every view audited; and
//! the staff actions, through `core::staff::act` and the outbox like every other place staff
//! act from, so the user hears on the platform they came from.

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use tracing::warn;

use super::auth::Staff;
use super::queue::{age, status_label, when};
use super::{AppState, page};
use crate::core::TicketRef;
use crate::core::staff::{self, Action, AuditEntry};
use crate::store::{OwedMessage, TicketDetail, TicketEvent, TranscriptEntry};

/// The longest reply, question or note staff may send (a Telegram message holds 4,096
/// characters, with the bot's own words around it).
pub const MAX_TEXT: usize = 3_500;

/// Files shown in the page rather than downloaded: images and PDFs (never SVG or HTML, which
/// could carry scripts).
const INLINE: &[&str] = &[
    "image/jpeg",
    "image/png",
    "image/gif",
    "image/webp",
    "application/pdf",
];

pub struct Field {
    pub name: String,
    pub value: String,
}

pub struct File {
    pub href: String,
    pub media_type: String,
    pub size: String,
    pub image: bool,
    pub pdf: bool,
    pub purged: bool,
}

#[derive(Template)]
#[template(path = "desk/ticket.html")]
struct TicketPage {
    login: String,
    csrf: String,
    reference: String,
    status: &'static str,
    status_class: String,
    category: String,
    platform: String,
    platform_user: String,
    opened: String,
    waiting: String,
    updated: String,
    assignee: String,
    fields: Vec<Field>,
    files: Vec<File>,
    transcript: Vec<TranscriptEntry>,
    events: Vec<TicketEvent>,
    messages: Vec<OwedMessage>,
    audit: Vec<AuditEntry>,
    live: bool,
    /// What happened to the last action: (is it good news, the sentence).
    notice: Option<(bool, String)>,
    /// What was typed, kept when an action is refused.
    typed: String,
}

fn size(bytes: i64) -> String {
    match bytes {
        b if b < 1024 => format!("{b} B"),
        b if b < 1024 * 1024 => format!("{:.0} KB", b as f64 / 1024.0),
        b => format!("{:.1} MB", b as f64 / (1024.0 * 1024.0)),
    }
}

/// A supplied field's value as text.
fn shown(value: &serde_json::Value) -> String {
    value
        .as_str()
        .map_or_else(|| value.to_string(), str::to_string)
}

fn view(
    t: TicketDetail,
    audit: Vec<AuditEntry>,
    staff: &Staff,
    notice: Option<(bool, String)>,
    typed: String,
) -> TicketPage {
    let now = chrono::Utc::now();
    let s = t.summary;
    let reference = s.id.clone();
    let fields = s
        .fields
        .as_object()
        .map(|fields| {
            fields
                .iter()
                .map(|(name, value)| Field {
                    name: name.replace('_', " "),
                    value: shown(value),
                })
                .collect()
        })
        .unwrap_or_default();
    let files = t
        .attachment_files
        .iter()
        .map(|a| File {
            href: format!("/tickets/{reference}/files/{}", a.hash),
            image: a.media_type.starts_with("image/") && INLINE.contains(&a.media_type.as_str()),
            pdf: a.media_type == "application/pdf",
            media_type: a.media_type.clone(),
            size: size(a.size),
            purged: a.purged,
        })
        .collect();
    TicketPage {
        login: staff.login.clone(),
        csrf: staff.csrf.clone(),
        status: status_label(s.status.as_str()),
        status_class: s.status.as_str().replace('_', "-"),
        live: s.status.is_live(),
        category: s.category,
        platform: s.platform,
        platform_user: t.platform_user,
        waiting: age(&s.created_at, now),
        opened: when(&s.created_at),
        updated: when(&s.updated_at),
        assignee: s.assignee.unwrap_or_default(),
        fields,
        files,
        transcript: t.transcript,
        events: t.events,
        messages: t.messages,
        audit,
        notice,
        typed,
        reference,
    }
}

/// The ticket's page with `notice`, audited as a view.
async fn show(
    state: &AppState,
    staff: &Staff,
    reference: &TicketRef,
    notice: Option<(bool, String)>,
    typed: String,
) -> Response {
    let found = state.store.ticket(reference.as_str()).await;
    let ticket = match found {
        Ok(Some(ticket)) => ticket,
        Ok(None) => return page::not_found(),
        Err(e) => {
            warn!(error = %e, "reading a ticket failed");
            return page::failure();
        }
    };
    if let Err(e) = state
        .store
        .audit_view(&staff.actor(), reference.as_str(), "ticket page")
        .await
    {
        // A view that cannot be audited is not shown.
        warn!(error = %e, "auditing a ticket view failed");
        return page::failure();
    }
    let audit = match state.store.audit_of(reference.as_str()).await {
        Ok(audit) => audit,
        Err(e) => {
            warn!(error = %e, "reading a ticket's audit failed");
            return page::failure();
        }
    };
    page::render(&view(ticket, audit, staff, notice, typed))
}

#[derive(Deserialize)]
pub struct Done {
    done: Option<String>,
}

/// What a finished action says on the page it returns to.
fn done_sentence(action: &str) -> Option<&'static str> {
    Some(match action {
        "claim" => "You claimed this ticket.",
        "reply" => "Your reply is on its way to the user.",
        "request_info" => {
            "Your question is on its way to the user; the ticket now waits for their answer."
        }
        "resolve" => "Resolved; your note is on its way to the user.",
        "reopen" => "Reopened.",
        _ => return None,
    })
}

/// `GET /tickets/<REF>`.
pub async fn page(
    State(state): State<AppState>,
    staff: Staff,
    Path(reference): Path<String>,
    Query(done): Query<Done>,
) -> Response {
    let Ok(reference) = reference.parse::<TicketRef>() else {
        return page::not_found();
    };
    let notice = done
        .done
        .as_deref()
        .and_then(done_sentence)
        .map(|s| (true, s.to_string()));
    show(&state, &staff, &reference, notice, String::new()).await
}

#[derive(Deserialize)]
pub struct ActionForm {
    csrf: String,
    action: String,
    #[serde(default)]
    text: String,
}

/// The form as an action, or what is wrong with it.
fn action_of(form: &ActionForm) -> Result<Action, &'static str> {
    let text = form.text.trim().to_string();
    let needs_text = matches!(form.action.as_str(), "reply" | "request_info" | "resolve");
    if needs_text && text.is_empty() {
        return Err("Write the message to the user first.");
    }
    if text.chars().count() > MAX_TEXT {
        return Err("That message is too long for a chat message: keep it under 3,500 characters.");
    }
    Ok(match form.action.as_str() {
        "claim" => Action::Claim,
        "reply" => Action::Reply(text),
        "request_info" => Action::RequestInfo(text),
        "resolve" => Action::Resolve(text),
        "reopen" => Action::Reopen,
        _ => return Err("That is not an action of the desk."),
    })
}

/// `POST /tickets/<REF>/actions`: then back to the ticket (or its page again, with what was
/// typed, when the action is refused).
pub async fn act(
    State(state): State<AppState>,
    staff: Staff,
    Path(reference): Path<String>,
    Form(form): Form<ActionForm>,
) -> Response {
    if !staff.csrf_ok(&form.csrf) {
        return page::bad_form();
    }
    let Ok(reference) = reference.parse::<TicketRef>() else {
        return page::not_found();
    };
    let action = match action_of(&form) {
        Ok(action) => action,
        Err(problem) => {
            let mut response = show(
                &state,
                &staff,
                &reference,
                Some((false, problem.into())),
                form.text,
            )
            .await;
            *response.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
            return response;
        }
    };
    let name = action.name();
    match staff::act(&state.store, &staff.actor(), true, &reference, action).await {
        Ok(Ok(_)) => {
            Redirect::to(&format!("/tickets/{}?done={name}", reference.as_str())).into_response()
        }
        Ok(Err(staff::Refusal::NotFound(_))) => page::not_found(),
        Ok(Err(refusal)) => {
            let mut response = show(
                &state,
                &staff,
                &reference,
                Some((false, format!("Not done: {refusal}."))),
                form.text,
            )
            .await;
            *response.status_mut() = StatusCode::CONFLICT;
            response
        }
        Err(e) => {
            warn!(error = %e, "a desk action failed");
            page::failure()
        }
    }
}

/// `GET /tickets/<REF>/files/<hash>`: a file of the ticket, to staff only, never cached, every
/// view audited. Images and PDFs open inline; anything else downloads.
pub async fn file(
    State(state): State<AppState>,
    staff: Staff,
    Path((reference, hash)): Path<(String, String)>,
) -> Response {
    let Ok(reference) = reference.parse::<TicketRef>() else {
        return page::not_found();
    };
    if hash.len() != 64 || !hash.bytes().all(|b| b.is_ascii_hexdigit()) {
        return page::not_found();
    }
    let (media_type, path) = match state.store.ticket_file(reference.as_str(), &hash).await {
        Ok(Some(found)) => found,
        Ok(None) => return page::not_found(),
        Err(e) => {
            warn!(error = %e, "finding a ticket file failed");
            return page::failure();
        }
    };
    let bytes = match tokio::fs::read(&path).await {
        Ok(bytes) => bytes,
        Err(e) => {
            warn!(kind = ?e.kind(), "reading a ticket file failed");
            return page::not_found();
        }
    };
    let what = format!("file {}", &hash[..12]);
    if let Err(e) = state
        .store
        .audit_view(&staff.actor(), reference.as_str(), &what)
        .await
    {
        warn!(error = %e, "auditing a file view failed");
        return page::failure();
    }
    let inline = INLINE.contains(&media_type.as_str());
    let content_type = if inline {
        media_type.as_str()
    } else {
        "application/octet-stream"
    };
    let disposition = if inline { "inline" } else { "attachment" };
    let mut response = bytes.into_response();
    let headers = response.headers_mut();
    if let Ok(v) = HeaderValue::from_str(content_type) {
        headers.insert(header::CONTENT_TYPE, v);
    }
    headers.insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_static(disposition),
    );
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("no-store, private"),
    );
    // Embedded in the ticket's page only; a PDF viewer needs its own way inside the frame.
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("frame-ancestors 'self'"),
    );
    response
}

/// Any other address: signed out, to sign-in (by the extractor); signed in, not found.
pub async fn nothing_here(_staff: Staff) -> Response {
    page::not_found()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(action: &str, text: &str) -> ActionForm {
        ActionForm {
            csrf: String::new(),
            action: action.into(),
            text: text.into(),
        }
    }

    #[test]
    fn forms_become_actions() {
        assert_eq!(action_of(&form("claim", "")), Ok(Action::Claim));
        assert_eq!(
            action_of(&form("reply", "  Fixed. ")),
            Ok(Action::Reply("Fixed.".into()))
        );
        assert!(action_of(&form("resolve", "   ")).is_err());
        assert!(action_of(&form("delete", "")).is_err());
        assert!(action_of(&form("reply", &"x".repeat(MAX_TEXT + 1))).is_err());
    }
}
