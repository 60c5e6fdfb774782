//! `alumni-bot kb check`: the knowledge base report; `kb gaps`: what it could not answer.

use std::io::Write;

use crate::app;
use crate::config::Settings;
use crate::core::GapGroup;
use crate::knowledge;
use crate::store::Store;

/// Prints the report; returns whether the knowledge base is sound.
pub fn check(settings: &Settings, out: &mut impl Write) -> anyhow::Result<bool> {
    match knowledge::load(&settings.knowledge) {
        Ok(kb) => {
            let examples: usize = kb.intents.iter().map(|i| i.examples.len()).sum();
            let matcher = app::build_matcher(&kb);
            let t = matcher.thresholds();
            writeln!(
                out,
                "{}: OK — {} intents, {} examples, {} out-of-scope examples, {} synonym groups, {} flows",
                settings.knowledge.display(),
                kb.intents.len(),
                examples,
                kb.out_of_scope.len(),
                kb.synonyms.len(),
                kb.flows.by_id.len()
            )?;
            writeln!(
                out,
                "calibrated thresholds ({}-fold cross-validation): fallback below {:.3}, answer at {:.3} with a lead of {:.3}",
                app::CALIBRATION_FOLDS,
                t.fallback,
                t.answer,
                t.ambiguity
            )?;
            Ok(true)
        }
        Err(e) => {
            write!(out, "{e}")?;
            Ok(false)
        }
    }
}

/// `alumni-bot kb gaps`: what users asked that the bot could not answer, similar questions
/// together, most asked first; a JSON array of [`GapGroup`]s with `json`.
pub async fn gaps(
    store: &Store,
    days: Option<u32>,
    json: bool,
    out: &mut impl Write,
) -> anyhow::Result<()> {
    let groups = store.gap_groups(days).await?;
    if json {
        writeln!(out, "{}", serde_json::to_string(&groups)?)?;
        return Ok(());
    }
    write_gaps(&groups, days, out)
}

/// The groups as a table: count, when last asked, the nearest intent, the question; the
/// group's other wordings below it.
pub fn write_gaps(
    groups: &[GapGroup],
    days: Option<u32>,
    out: &mut impl Write,
) -> anyhow::Result<()> {
    let period = days.map_or_else(String::new, |d| format!(" in the last {d} days"));
    if groups.is_empty() {
        writeln!(out, "No unanswered questions recorded{period}.")?;
        return Ok(());
    }
    let total: usize = groups.iter().map(|g| g.count).sum();
    writeln!(
        out,
        "{total} unanswered question(s){period}, in {} group(s):",
        groups.len()
    )?;
    let nearest: Vec<String> = groups
        .iter()
        .map(|g| match &g.nearest_intent {
            Some(intent) => format!("{intent} ({}/{})", g.nearest_intent_count, g.count),
            None => "-".to_string(),
        })
        .collect();
    let width = nearest
        .iter()
        .map(|n| n.chars().count())
        .max()
        .unwrap_or(0)
        .max("NEAREST INTENT".len());
    writeln!(out)?;
    writeln!(
        out,
        "{:>5}  {:<10}  {:<width$}  QUESTION",
        "COUNT", "LAST SEEN", "NEAREST INTENT"
    )?;
    for (g, nearest) in groups.iter().zip(&nearest) {
        writeln!(
            out,
            "{:>5}  {:<10}  {nearest:<width$}  {}",
            g.count,
            g.last_seen.format("%Y-%m-%d"),
            g.representative
        )?;
        for example in g.examples.iter().filter(|e| **e != g.representative) {
            writeln!(out, "{:>5}  {:<10}  {:<width$}    · {example}", "", "", "")?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::gaps::{Gap, GapKind, Nearest, Redacted, group};

    fn gap(text: &str, nearest: Option<&str>) -> Gap {
        Gap {
            at: chrono::DateTime::parse_from_rfc3339("2026-03-01T10:00:00Z")
                .unwrap()
                .to_utc(),
            kind: GapKind::Fallback,
            text: Redacted::new(text),
            lang: crate::lang::Lang::En,
            nearest: nearest.map(|i| Nearest {
                intent: i.into(),
                score: 0.2,
            }),
        }
    }

    #[test]
    fn the_table_shows_groups_and_their_wordings() {
        let groups = group(&[
            gap("what's the weather today", Some("goodbye")),
            gap("weather like today?", None),
            gap("book a flight", None),
        ]);
        let mut out = Vec::new();
        write_gaps(&groups, Some(30), &mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert_eq!(
            text,
            "\
3 unanswered question(s) in the last 30 days, in 2 group(s):

COUNT  LAST SEEN   NEAREST INTENT  QUESTION
    2  2026-03-01  goodbye (1/2)   weather like today?
                                     · what's the weather today
    1  2026-03-01  -               book a flight
"
        );
    }

    #[test]
    fn no_questions_is_said_plainly() {
        let mut out = Vec::new();
        write_gaps(&[], None, &mut out).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "No unanswered questions recorded.\n"
        );
    }
}
