//! Wiring: settings → knowledge base, matcher, store, engine.

use std::sync::Arc;
use std::time::Instant;

use anyhow::Context;
use tracing::info;

use crate::config::Settings;
use crate::core::Engine;
use crate::knowledge::{self, KnowledgeBase};
use crate::matcher::{Calibration, Matcher, Policy};
use crate::privacy::Pseudonymizer;
use crate::store::Store;

/// Folds for the cross-validated calibration of the knowledge base's matcher.
pub const CALIBRATION_FOLDS: usize = 5;

/// Loads and checks the knowledge base; on any problem, the full report is the error.
pub fn load_knowledge(settings: &Settings) -> anyhow::Result<KnowledgeBase> {
    Ok(knowledge::load(&settings.knowledge)?)
}

/// The matcher of a knowledge base: trained on its examples and out-of-scope examples,
/// thresholds calibrated by cross-validation on them (deterministic: same data, same result).
pub fn build_matcher(kb: &KnowledgeBase) -> Matcher {
    let started = Instant::now();
    let matcher = Matcher::build(
        &kb.examples(),
        kb.synonym_table(),
        Calibration::CrossValidate {
            folds: CALIBRATION_FOLDS,
        },
        &Policy::default(),
    );
    info!(
        intents = matcher.intents().len(),
        features = matcher.features(),
        millis = started.elapsed().as_millis() as u64,
        thresholds = ?matcher.thresholds(),
        "matcher ready"
    );
    matcher
}

/// The platforms whose staff place is configured (and whose bot runs).
pub fn staff_places(settings: &Settings) -> Vec<crate::core::Platform> {
    let mut places = Vec::new();
    if settings.telegram.token.is_some() && settings.telegram.staff_chat.is_some() {
        places.push(crate::telegram::PLATFORM);
    }
    if settings.discord.token.is_some() && settings.discord.staff_channel.is_some() {
        places.push(crate::discord::PLATFORM);
    }
    places
}

pub fn pseudonymizer(settings: &Settings) -> Pseudonymizer {
    match &settings.pseudonym_secret {
        Some(secret) => Pseudonymizer::from_secret(secret.expose()),
        None => Pseudonymizer::random(),
    }
}

/// Everything `chat` and `serve` need.
pub async fn engine(settings: &Settings) -> anyhow::Result<Engine<Store>> {
    let kb = Arc::new(load_knowledge(settings)?);
    let matcher = Arc::new(build_matcher(&kb));
    let store = Store::open(&settings.db)
        .await
        .with_context(|| format!("database {}", settings.db.display()))?
        .with_staff_places(staff_places(settings));
    Ok(Engine::new(kb, matcher, store, pseudonymizer(settings))
        .with_limits(settings.limits)
        .with_gap_log(settings.record_gaps))
}
