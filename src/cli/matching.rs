//! `alumni-bot match`: one query a line in, one JSON decision a line out.

use std::io::{BufRead, Write};
use std::path::Path;
use std::time::Instant;

use anyhow::Context;
use serde_json::json;

use crate::matcher::normalize::Synonyms;
use crate::matcher::{Calibration, Example, Matcher, Policy};

/// Reads a JSONL file of `{"text", "intent"}` examples.
pub fn read_examples(path: &Path) -> anyhow::Result<Vec<Example>> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| {
            serde_json::from_str(l)
                .with_context(|| format!("{}:{}: not an example", path.display(), i + 1))
        })
        .collect()
}

/// A matcher trained on `train`, calibrated on `calibrate` or else by 5-fold cross-validation.
pub fn matcher_from_files(train: &Path, calibrate: Option<&Path>) -> anyhow::Result<Matcher> {
    let examples = read_examples(train)?;
    anyhow::ensure!(
        examples.iter().any(|e| e.intent.is_some()),
        "{}: no in-scope examples",
        train.display()
    );
    let held_out = calibrate.map(read_examples).transpose()?;
    let calibration = match &held_out {
        Some(set) => Calibration::On(set),
        None => Calibration::CrossValidate { folds: 5 },
    };
    Ok(Matcher::build(
        &examples,
        Synonyms::default(),
        calibration,
        &Policy::default(),
    ))
}

/// Answers every line of `input`.
pub fn run(matcher: &Matcher, input: impl BufRead, out: &mut impl Write) -> anyhow::Result<()> {
    for line in input.lines() {
        let text = line.context("reading standard input")?;
        let started = Instant::now();
        let outcome = matcher.classify(&text);
        let micros = started.elapsed().as_secs_f64() * 1e6;
        let candidates: Vec<_> = outcome
            .candidates
            .iter()
            .map(|c| json!({"intent": c.intent, "score": round(c.score)}))
            .collect();
        let line = json!({
            "text": text,
            "intent": outcome.intent(),
            "decision": outcome.decision,
            "score": round(outcome.score()),
            "candidates": candidates,
            "micros": (micros * 10.0).round() / 10.0,
        });
        writeln!(out, "{line}")?;
        out.flush()?;
    }
    Ok(())
}

fn round(x: f32) -> f64 {
    (f64::from(x) * 10_000.0).round() / 10_000.0
}
