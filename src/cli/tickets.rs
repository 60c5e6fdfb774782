//! `alumni-bot tickets list | show`: the ticket log for staff and scripts.

use std::io::Write;

use crate::store::Store;

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
    Ok(true)
}
