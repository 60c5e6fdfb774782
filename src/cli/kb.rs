//! `alumni-bot kb check`: the knowledge base report.

use std::io::Write;

use crate::app;
use crate::config::Settings;
use crate::knowledge;

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
