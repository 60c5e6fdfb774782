//! Intent matching: from a user's words to an [`Outcome`] — answer, clarify or fallback.
//!
//! The pipeline is: [`normalize`] (Unicode, case, contractions, typo correction, synonyms) →
//! [`features`] (TF-IDF over stemmed words, word pairs and character n-grams) → [`model`]
//! (one linear SVM per intent, plus one for out-of-scope examples) → a decision by thresholds
//! that [`calibrate`] chose on labelled data. The same code serves the knowledge base and
//! `match --train` on any labelled set (e.g. CLINC150).
//!
//! Matching never fails: whatever the input, the result is an outcome.

pub mod calibrate;
pub mod features;
pub mod model;
pub mod normalize;

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

pub use calibrate::{Policy, Thresholds};
use features::{SparseVec, Vectorizer};
use model::{LinearModel, Params};
use normalize::{Speller, Synonyms};

/// One labelled example: `intent: None` marks an out-of-scope example.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Example {
    pub text: String,
    pub intent: Option<String>,
}

/// What the bot should do with a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Decision {
    /// Confident: answer the top intent.
    Answer,
    /// Unsure between close candidates, or only moderately confident: ask "did you mean".
    Clarify,
    /// Out of scope, or nothing close enough.
    Fallback,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Candidate {
    pub intent: String,
    /// Confidence in 0..1 (a logistic squashing of the SVM's decision value).
    pub score: f32,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    pub decision: Decision,
    /// In-scope intents, best first, at most [`MAX_CANDIDATES`].
    pub candidates: Vec<Candidate>,
    /// For `Clarify`: how many of `candidates` to offer (1 to 3).
    pub choices: usize,
}

impl Outcome {
    /// The intent the bot answers or offers first; `None` on fallback.
    pub fn intent(&self) -> Option<&str> {
        match self.decision {
            Decision::Fallback => None,
            _ => self.candidates.first().map(|c| c.intent.as_str()),
        }
    }

    pub fn score(&self) -> f32 {
        self.candidates.first().map_or(0.0, |c| c.score)
    }
}

pub const MAX_CANDIDATES: usize = 5;
pub const MAX_CHOICES: usize = 3;

/// How a matcher's thresholds are chosen.
pub enum Calibration<'a> {
    /// On a separate labelled set.
    On(&'a [Example]),
    /// By k-fold cross-validation on the training examples themselves.
    CrossValidate { folds: usize },
    /// Given outright (tests).
    Fixed(Thresholds),
}

/// Raw scores of one query, before thresholds.
#[derive(Debug, Clone, Copy)]
pub struct Scored {
    pub best: usize,
    pub best_score: f32,
    pub second_score: f32,
    /// The out-of-scope class scored above every intent.
    pub out_of_scope_wins: bool,
}

/// The words of a text as the matcher sees them.
#[derive(Debug, Clone)]
pub struct Analyzer {
    synonyms: Synonyms,
    speller: Speller,
}

impl Analyzer {
    pub fn new(synonyms: Synonyms, training_texts: &[&str]) -> Self {
        let mut vocabulary: Vec<String> = training_texts
            .iter()
            .flat_map(|t| normalize::tokenize(t))
            .collect();
        vocabulary.extend(synonyms.words().map(str::to_string));
        let speller = Speller::new(vocabulary.iter().map(String::as_str));
        Analyzer { synonyms, speller }
    }

    pub fn words(&self, text: &str) -> Vec<String> {
        let mut words = normalize::tokenize(text);
        words.retain(|w| !normalize::is_particle(w));
        self.synonyms.apply(self.speller.correct_all(words))
    }
}

pub struct Matcher {
    analyzer: Analyzer,
    vectorizer: Vectorizer,
    model: LinearModel,
    intents: Vec<String>,
    /// Class index of the out-of-scope examples, if there were any.
    out_of_scope: Option<usize>,
    thresholds: Thresholds,
}

impl Matcher {
    /// Trains a matcher on `examples` and calibrates its thresholds.
    pub fn build(
        examples: &[Example],
        synonyms: Synonyms,
        calibration: Calibration<'_>,
        policy: &Policy,
    ) -> Self {
        let texts: Vec<&str> = examples.iter().map(|e| e.text.as_str()).collect();
        let analyzer = Analyzer::new(synonyms, &texts);
        let mut matcher = Self::train(analyzer, examples);
        let thresholds = match calibration {
            Calibration::Fixed(t) => t,
            Calibration::On(set) => {
                let scored: Vec<(Option<usize>, Scored)> = set
                    .iter()
                    .map(|e| {
                        (
                            matcher.class_of(e.intent.as_deref()),
                            matcher.score(&e.text),
                        )
                    })
                    .collect();
                calibrate::choose(&scored, policy)
            }
            Calibration::CrossValidate { folds } => {
                let scored = matcher.cross_validate(examples, folds);
                calibrate::choose(&scored, policy)
            }
        };
        matcher.thresholds = thresholds;
        matcher
    }

    fn train(analyzer: Analyzer, examples: &[Example]) -> Self {
        let mut intents: Vec<String> = Vec::new();
        let mut index: HashMap<&str, usize> = HashMap::new();
        for e in examples {
            if let Some(id) = e.intent.as_deref() {
                index.entry(id).or_insert_with(|| {
                    intents.push(id.to_string());
                    intents.len() - 1
                });
            }
        }
        let has_oos = examples.iter().any(|e| e.intent.is_none());
        let out_of_scope = has_oos.then_some(intents.len());
        let classes = intents.len() + usize::from(has_oos);
        let docs: Vec<Vec<String>> = examples.iter().map(|e| analyzer.words(&e.text)).collect();
        let vectorizer = Vectorizer::fit(&docs);
        let xs: Vec<SparseVec> = docs.iter().map(|d| vectorizer.transform(d)).collect();
        let labels: Vec<usize> = examples
            .iter()
            .map(|e| {
                e.intent
                    .as_deref()
                    .map_or_else(|| out_of_scope.unwrap_or(0), |id| index[id])
            })
            .collect();
        let model = LinearModel::train(&xs, &labels, classes, vectorizer.len(), Params::default());
        Matcher {
            analyzer,
            vectorizer,
            model,
            intents,
            out_of_scope,
            thresholds: Thresholds::default(),
        }
    }

    /// Scores of every held-out example when each fold is predicted by a model trained on the
    /// others. Folds are assigned round-robin within each intent, so the result is reproducible.
    fn cross_validate(&self, examples: &[Example], folds: usize) -> Vec<(Option<usize>, Scored)> {
        let folds = folds.max(2);
        let mut seen: HashMap<Option<&str>, usize> = HashMap::new();
        let fold_of: Vec<usize> = examples
            .iter()
            .map(|e| {
                let n = seen.entry(e.intent.as_deref()).or_default();
                *n += 1;
                *n % folds
            })
            .collect();
        let mut scored = Vec::with_capacity(examples.len());
        for fold in 0..folds {
            let train: Vec<Example> = examples
                .iter()
                .zip(&fold_of)
                .filter(|&(_, &f)| f != fold)
                .map(|(e, _)| e.clone())
                .collect();
            let part = Self::train(self.analyzer.clone(), &train);
            for (e, _) in examples.iter().zip(&fold_of).filter(|&(_, &f)| f == fold) {
                let s = part.score(&e.text);
                // Map the part's class index back to this matcher's (an intent may be missing
                // from a part when it has fewer examples than folds).
                let best = self
                    .class_of(Some(&part.intents[s.best]))
                    .unwrap_or(usize::MAX);
                scored.push((self.class_of(e.intent.as_deref()), Scored { best, ..s }));
            }
        }
        scored
    }

    fn class_of(&self, intent: Option<&str>) -> Option<usize> {
        intent.and_then(|id| self.intents.iter().position(|i| i == id))
    }

    /// Raw scores, before thresholds.
    pub fn score(&self, text: &str) -> Scored {
        let mut values = Vec::new();
        self.decision_values(text, &mut values);
        self.scored(&values)
    }

    /// The best intent, its lead, and whether out-of-scope won: what thresholds decide on.
    /// Calibration and [`Matcher::classify`] both go through here, so what was calibrated is
    /// what runs.
    fn scored(&self, values: &[f32]) -> Scored {
        let mut best = (0, f32::NEG_INFINITY);
        let mut second = f32::NEG_INFINITY;
        for (class, &v) in values.iter().enumerate().take(self.intents.len()) {
            if v > best.1 {
                second = best.1;
                best = (class, v);
            } else if v > second {
                second = v;
            }
        }
        let oos = self.out_of_scope.map_or(f32::NEG_INFINITY, |c| values[c]);
        Scored {
            best: best.0,
            best_score: squash(best.1),
            second_score: squash(second),
            out_of_scope_wins: oos > best.1,
        }
    }

    fn decision_values(&self, text: &str, values: &mut Vec<f32>) {
        let words = self.analyzer.words(text);
        let x = self.vectorizer.transform(&words);
        self.model.decision(&x, values);
    }

    /// Matches one message.
    pub fn classify(&self, text: &str) -> Outcome {
        let mut values = Vec::new();
        self.decision_values(text, &mut values);
        let mut ranked: Vec<(usize, f32)> = values
            .iter()
            .copied()
            .enumerate()
            .take(self.intents.len())
            .collect();
        let k = MAX_CANDIDATES.min(ranked.len());
        if k == 0 {
            return Outcome {
                decision: Decision::Fallback,
                candidates: Vec::new(),
                choices: 0,
            };
        }
        ranked.select_nth_unstable_by(k - 1, |a, b| b.1.total_cmp(&a.1));
        ranked.truncate(k);
        ranked.sort_by(|a, b| b.1.total_cmp(&a.1));
        let candidates: Vec<Candidate> = ranked
            .iter()
            .map(|&(c, v)| Candidate {
                intent: self.intents[c].clone(),
                score: squash(v),
            })
            .collect();
        let scored = self.scored(&values);
        let decision = self.thresholds.decide(&scored);
        let choices = match decision {
            Decision::Clarify => candidates
                .iter()
                .take(MAX_CHOICES)
                .filter(|c| c.score >= self.thresholds.fallback)
                .count()
                .max(1),
            _ => 0,
        };
        Outcome {
            decision,
            candidates,
            choices,
        }
    }

    pub fn thresholds(&self) -> &Thresholds {
        &self.thresholds
    }

    pub fn intents(&self) -> &[String] {
        &self.intents
    }

    /// Approximate bytes held by the model's weights.
    pub fn memory_bytes(&self) -> usize {
        self.model.memory_bytes()
    }

    /// Number of feature columns.
    pub fn features(&self) -> usize {
        self.vectorizer.len()
    }
}

/// Maps an SVM decision value (about -1 for "no", +1 for "yes") to 0..1.
fn squash(v: f32) -> f32 {
    if v == f32::NEG_INFINITY {
        return 0.0;
    }
    1.0 / (1.0 + (-2.0 * v).exp())
}
