//! `alumni-bot tickets list | show`: the ticket log for staff and scripts.

use std::io::Write;

use crate::core::staff::{self, Action};
use crate::store::Store;

/// Who acts from the CLI, for the audit log: `cli:<login name>`.
pub fn cli_actor() -> String {
    let who = std::env::var("USER")
        .or_else(|_| std::env::var("USERNAME"))
        .unwrap_or_else(|_| "unknown".into());
    format!("cli:{who}")
}

/// A staff action from the CLI (whoever can open the database is staff). The message to the
/// user goes through the outbox, which the running bot delivers.
pub async fn act(
    store: &Store,
    actor: &str,
    reference: &str,
    action: Action,
    out: &mut impl Write,
) -> anyhow::Result<bool> {
    let Ok(reference) = reference.parse::<crate::core::TicketRef>() else {
        // Refused, and audited like every refusal.
        staff::TicketDesk::audit_refusal(
            store,
            actor,
            action.name(),
            None,
            "not a ticket reference",
        )
        .await?;
        writeln!(out, "Not done: that is not a ticket reference (T-XXXXXX).")?;
        return Ok(false);
    };
    match staff::act(store, actor, true, &reference, action).await? {
        Ok(done) => {
            writeln!(out, "{done}")?;
            Ok(true)
        }
        Err(refusal) => {
            writeln!(out, "Not done: {refusal}.")?;
            Ok(false)
        }
    }
}

/// `tickets export [REF]`: tickets in full, as JSON.
pub async fn export(
    store: &Store,
    reference: Option<&str>,
    out: &mut impl Write,
) -> anyhow::Result<bool> {
    let references: Vec<String> = match reference {
        Some(r) => vec![r.to_string()],
        None => store
            .list_tickets()
            .await?
            .into_iter()
            .map(|t| t.id)
            .collect(),
    };
    let mut all = Vec::new();
    for r in &references {
        match store.ticket(r).await? {
            Some(t) => all.push(t),
            None => {
                writeln!(out, "No ticket {r}.")?;
                return Ok(false);
            }
        }
    }
    writeln!(out, "{}", serde_json::to_string_pretty(&all)?)?;
    Ok(true)
}

/// `tickets audit`: every staff action, allowed or refused.
pub async fn audit(store: &Store, json: bool, out: &mut impl Write) -> anyhow::Result<()> {
    let entries = store.audit_log().await?;
    if json {
        writeln!(out, "{}", serde_json::to_string(&entries)?)?;
        return Ok(());
    }
    for e in entries {
        writeln!(
            out,
            "{}  {:<22} {:<13} {:<9} {}{}",
            e.at,
            e.actor,
            e.action,
            e.ticket.as_deref().unwrap_or("-"),
            if e.allowed { "" } else { "REFUSED " },
            e.detail
        )?;
    }
    Ok(())
}

/// `tickets list`: newest first; `--json` is the machine form of CONTRACTS.md.
pub async fn list(store: &Store, json: bool, out: &mut impl Write) -> anyhow::Result<()> {
    let tickets = store.list_tickets().await?;
    if json {
        writeln!(out, "{}", serde_json::to_string(&tickets)?)?;
        return Ok(());
    }
    if tickets.is_empty() {
        writeln!(out, "No tickets.")?;
    }
    for t in &tickets {
        writeln!(
            out,
            "{}  {:<13}  {:<20}  {:<9}  {}",
            t.id, t.status, t.category, t.platform, t.created_at
        )?;
    }
    Ok(())
}

/// `tickets show REF`: everything staff need, including what the user supplied.
pub async fn show(
    store: &Store,
    reference: &str,
    json: bool,
    out: &mut impl Write,
) -> anyhow::Result<bool> {
    let Some(t) = store.ticket(reference).await? else {
        writeln!(out, "No ticket {reference}.")?;
        return Ok(false);
    };
    if json {
        writeln!(out, "{}", serde_json::to_string_pretty(&t)?)?;
        return Ok(true);
    }
    let s = &t.summary;
    writeln!(out, "Ticket {} — {} — {}", s.id, s.status, s.category)?;
    writeln!(
        out,
        "From {} user {} (chat {}), opened {}",
        s.platform, t.platform_user, t.platform_chat, s.created_at
    )?;
    if let Some(fields) = s.fields.as_object() {
        writeln!(out, "\nSupplied:")?;
        for (k, v) in fields {
            writeln!(
                out,
                "  {k}: {}",
                v.as_str().map_or_else(|| v.to_string(), str::to_string)
            )?;
        }
    }
    if !t.attachment_files.is_empty() {
        writeln!(out, "\nAttachments:")?;
        for a in &t.attachment_files {
            writeln!(
                out,
                "  {} {} bytes {}",
                a.media_type,
                a.size,
                a.path.display()
            )?;
        }
    }
    if !t.transcript.is_empty() {
        writeln!(out, "\nTranscript:")?;
        for line in &t.transcript {
            writeln!(out, "  {}: {}", line.author, line.text)?;
        }
    }
    writeln!(out, "\nEvents:")?;
    for e in &t.events {
        writeln!(out, "  {} {} {} {}", e.at, e.actor, e.action, e.detail)?;
    }
    if !t.messages.is_empty() {
        writeln!(out, "\nMessages owed:")?;
        for m in &t.messages {
            writeln!(
                out,
                "  {} to {} on {}: {}, {} failed attempt(s){}",
                m.created_at,
                m.to,
                m.platform,
                m.state,
                m.attempts,
                m.done_at
                    .as_deref()
                    .map(|at| format!(", {at}"))
                    .unwrap_or_default()
            )?;
        }
    }
    Ok(true)
}
