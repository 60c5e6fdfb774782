//! Follow-up questions: "is there a link for that?", "does that work on a Mac too?" lean on the
//! answer just given. The knowledge base lists the kinds of follow-up once, with examples
//! (`followup_kinds`), and each intent answers the kinds it can. A message is read as a
//! follow-up when its words are mostly those of one kind's example and it leans on what came
//! before (a pronoun, "too", "also", "and ...", or only a few words).

use std::collections::BTreeSet;

use crate::knowledge::KnowledgeBase;
use crate::matcher::normalize::{self, stem};

/// Words that carry no meaning of their own for telling follow-ups apart.
const FILLER: [&str; 42] = [
    "or", "not", "a", "an", "the", "is", "are", "was", "be", "do", "does", "did", "i", "me", "my",
    "you", "your", "to", "for", "of", "on", "in", "at", "with", "can", "could", "will", "would",
    "there", "that", "this", "it", "too", "also", "and", "so", "then", "please", "pls", "ok",
    "what", "about",
];

/// Words that make a message lean on the previous answer.
const LEANING: [&str; 14] = [
    "that", "this", "it", "those", "these", "there", "too", "also", "same", "then", "and", "what",
    "how", "instead",
];

pub struct FollowupIndex {
    /// (kind, content words of one example)
    examples: Vec<(String, BTreeSet<String>)>,
}

impl FollowupIndex {
    pub fn new(kb: &KnowledgeBase) -> Self {
        let examples = kb
            .followup_kinds
            .iter()
            .flat_map(|k| {
                k.examples
                    .iter()
                    .map(move |e| (k.id.clone(), content_words(e)))
            })
            .filter(|(_, words)| !words.is_empty())
            .collect();
        FollowupIndex { examples }
    }

    /// The follow-up kind `text` asks, if it reads as one.
    pub fn find(&self, text: &str) -> Option<&str> {
        let mut all = normalize::tokenize(text);
        all.retain(|w| !normalize::is_particle(w));
        if all.is_empty() || all.len() > 12 {
            return None;
        }
        let words = content_words(text);
        let leans = all.len() <= 7 || all.iter().any(|w| LEANING.contains(&w.as_str()));
        if !leans || words.is_empty() {
            return None;
        }
        let mut best: Option<(&str, f32)> = None;
        for (kind, example) in &self.examples {
            let common = example.intersection(&words).count() as f32;
            // Both ways: the example's words are said, and little else is.
            let score = common / example.len().max(words.len()) as f32;
            if best.is_none_or(|(_, b)| score > b) {
                best = Some((kind, score));
            }
        }
        best.filter(|&(_, score)| score >= 0.5)
            .map(|(kind, _)| kind)
    }
}

fn content_words(text: &str) -> BTreeSet<String> {
    normalize::tokenize(text)
        .iter()
        .filter(|w| !FILLER.contains(&w.as_str()) && !normalize::is_particle(w))
        .map(|w| stem(w).to_string())
        .collect()
}
