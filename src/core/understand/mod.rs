//! Understanding a message in its conversation, between the message and the matcher: what the
//! user asks (one question or several), whether it leans on the answer just given, what details
//! they already gave, and how they feel. The matcher stays a sentence classifier and flows stay
//! a step machine; this layer decides what the engine answers.

pub mod answers;
pub mod chinese;
pub mod details;
pub mod followups;
pub mod split;
pub mod tone;

use std::collections::BTreeSet;

use crate::knowledge::KnowledgeBase;
use crate::knowledge::flow::Detail;
use crate::matcher::{Candidate, Decision, Matcher, Outcome, normalize};
pub use followups::FollowupIndex;

/// Intents about the conversation itself: never a topic to follow up on, and never worth a
/// "did you mean" beside a real question.
pub const SMALL_TALK: [&str; 5] = ["greeting", THANKS, "goodbye", "help", "capabilities"];
const THANKS: &str = "thanks";

/// What the engine should do with a message, in order.
#[derive(Clone, PartialEq)]
pub enum Part {
    /// Answer this intent (or start its flow).
    Intent(String),
    /// Answer a follow-up of the topic just answered.
    FollowUp { topic: String, kind: String },
    /// Ask "did you mean" with these choices; `asked` is the text they are for (the whole
    /// message or one of its questions).
    Clarify { outcome: Outcome, asked: String },
    /// A question about the topic just answered that the knowledge base cannot answer.
    UnknownFollowUp { topic: String },
    /// Not understood: `asked`, and the intent the matcher placed it nearest to, if any.
    Fallback {
        nearest: Option<Candidate>,
        asked: String,
    },
}

/// Parts are logged (at debug): the text they carry is the user's and stays out of logs.
impl std::fmt::Debug for Part {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let asked = |text: &str| format!("<{} characters>", text.chars().count());
        match self {
            Part::Intent(id) => f.debug_tuple("Intent").field(id).finish(),
            Part::FollowUp { topic, kind } => f
                .debug_struct("FollowUp")
                .field("topic", topic)
                .field("kind", kind)
                .finish(),
            Part::Clarify {
                outcome,
                asked: text,
            } => f
                .debug_struct("Clarify")
                .field("outcome", outcome)
                .field("asked", &format_args!("{}", asked(text)))
                .finish(),
            Part::UnknownFollowUp { topic } => f
                .debug_struct("UnknownFollowUp")
                .field("topic", topic)
                .finish(),
            Part::Fallback {
                nearest,
                asked: text,
            } => f
                .debug_struct("Fallback")
                .field("nearest", nearest)
                .field("asked", &format_args!("{}", asked(text)))
                .finish(),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Reading {
    pub parts: Vec<Part>,
    pub details: BTreeSet<Detail>,
    pub frustrated: bool,
}

/// What the conversation lends a message: the topic just answered, if it is still fresh.
#[derive(Debug, Clone, Copy, Default)]
pub struct Context<'a> {
    pub topic: Option<&'a str>,
}

pub struct Reader<'a> {
    pub kb: &'a KnowledgeBase,
    pub matcher: &'a Matcher,
    pub followups: &'a FollowupIndex,
}

impl Reader<'_> {
    pub fn read(&self, text: &str, context: Context<'_>) -> Reading {
        let details = details::extract(text, false);
        let frustrated = tone::frustrated(text);
        let parts = self
            .parts(text, &details, context)
            .into_iter()
            .map(|p| self.adjust(p, &details))
            .fold(Vec::new(), |mut kept, p| {
                if !kept.contains(&p) {
                    kept.push(p);
                }
                kept
            });
        Reading {
            parts,
            details,
            frustrated,
        }
    }

    fn parts(&self, text: &str, details: &BTreeSet<Detail>, context: Context<'_>) -> Vec<Part> {
        // "ok that link works, thx" after an answer: thanks, not the question again.
        if context.topic.is_some()
            && tone::thanks(text)
            && !split::asks(text)
            && self.kb.intent(THANKS).is_some()
        {
            return vec![Part::Intent(THANKS.to_string())];
        }
        let whole = self.matcher.classify(text);
        if let Some(topic) = context.topic
            && let Some(kind) = self.followups.find(text)
        {
            let other_topic = whole.decision == Decision::Answer
                && whole
                    .intent()
                    .is_some_and(|i| i != topic && !is_small_talk(i))
                && !leans_back(text);
            if !other_topic {
                return vec![Part::FollowUp {
                    topic: topic.to_string(),
                    kind: kind.to_string(),
                }];
            }
        }
        // Only questions count as questions of their own: "this is ridiculous. nothing arrives.
        // fix it" is one complaint, "exchange student 2019. alumni email?" one question.
        let pieces = split::split(text);
        if pieces.iter().filter(|p| split::asks(p)).count() > 1 {
            let mut parts: Vec<Part> = Vec::new();
            let mut answered: Vec<String> = Vec::new();
            for piece in pieces
                .iter()
                .filter(|p| split::asks(p))
                .take(split::MAX_PARTS + 2)
            {
                let outcome = self.matcher.classify(piece);
                match self.decide(outcome, piece, details, context) {
                    Part::Intent(id) if !answered.contains(&id) => {
                        answered.push(id.clone());
                        parts.push(Part::Intent(id));
                    }
                    clarify @ Part::Clarify { .. } if normalize::tokenize(piece).len() >= 3 => {
                        parts.push(clarify);
                    }
                    _ => {}
                }
            }
            let topical = answered.iter().filter(|i| !is_small_talk(i)).count();
            let clarified = parts.iter().any(|p| matches!(p, Part::Clarify { .. }));
            if answered.len() >= 2 || (topical == 1 && clarified) {
                parts.truncate(split::MAX_PARTS);
                // One "did you mean" at most, after the answers.
                let mut seen_clarify = false;
                parts.retain(|p| {
                    !matches!(p, Part::Clarify { .. })
                        || !std::mem::replace(&mut seen_clarify, true)
                });
                parts.sort_by_key(|p| matches!(p, Part::Clarify { .. }));
                return parts;
            }
            if whole.decision != Decision::Answer && answered.len() == 1 {
                return parts
                    .into_iter()
                    .filter(|p| matches!(p, Part::Intent(_)))
                    .collect();
            }
        }
        vec![self.decide(whole, text, details, context)]
    }

    /// An intent read in the light of what the user said: not the answer for their situation
    /// (`not_for`: an exchange student asking how to activate is told who is eligible).
    fn adjust(&self, part: Part, details: &BTreeSet<Detail>) -> Part {
        let Part::Intent(id) = part else { return part };
        match self.kb.intent(&id).and_then(|i| i.not_for.as_ref()) {
            Some(not_for) if not_for.when.iter().any(|d| details.contains(d)) => {
                Part::Intent(not_for.instead.clone())
            }
            _ => Part::Intent(id),
        }
    }

    /// One sentence's outcome, with the conversation's help when the matcher is unsure.
    fn decide(
        &self,
        outcome: Outcome,
        text: &str,
        details: &BTreeSet<Detail>,
        context: Context<'_>,
    ) -> Part {
        match outcome.decision {
            Decision::Answer => Part::Intent(outcome.candidates[0].intent.clone()),
            Decision::Clarify => {
                let offered = &outcome.candidates[..outcome.choices];
                // The topic just answered, or one it relates to, breaks the tie.
                if let Some(topic) = context.topic {
                    let mut near: Vec<&str> = self
                        .kb
                        .intent(topic)
                        .map(|i| i.related.iter().map(String::as_str).collect())
                        .unwrap_or_default();
                    near.push(topic);
                    if let Some(c) = offered
                        .iter()
                        .take(2)
                        .find(|c| near.contains(&c.intent.as_str()))
                    {
                        return Part::Intent(c.intent.clone());
                    }
                }
                // A candidate whose flow acts on what the user said ("I was an exchange
                // student") is the one they mean.
                let acts_on_details = |intent: &str| {
                    self.kb
                        .flow_for_intent(intent)
                        .is_some_and(|f| details.iter().any(|d| d.is_lasting() && f.uses(*d)))
                };
                if let [c] = offered
                    .iter()
                    .filter(|c| acts_on_details(&c.intent))
                    .collect::<Vec<_>>()[..]
                {
                    return Part::Intent(c.intent.clone());
                }
                // Small talk against small talk: the best of them will do.
                if offered.iter().all(|c| is_small_talk(&c.intent)) {
                    return Part::Intent(offered[0].intent.clone());
                }
                // Small talk beside one real candidate is no tie.
                let topical: Vec<_> = offered
                    .iter()
                    .filter(|c| !is_small_talk(&c.intent))
                    .collect();
                if topical.len() == 1 {
                    // One good candidate is no tie either: answer it.
                    return Part::Intent(topical[0].intent.clone());
                }
                Part::Clarify {
                    outcome,
                    asked: text.to_string(),
                }
            }
            Decision::Fallback => match context.topic {
                // A short question the matcher cannot place alone ("點申請?" after the alias
                // answer) that it places on the fresh topic once read with the topic's title.
                Some(topic) if self.asks_about_topic(text, topic) => {
                    Part::Intent(topic.to_string())
                }
                Some(topic)
                    if leans_back(text)
                        && (self.on_topic_question(&outcome) || split::asks(text)) =>
                {
                    Part::UnknownFollowUp {
                        topic: topic.to_string(),
                    }
                }
                _ => Part::Fallback {
                    nearest: outcome.candidates.into_iter().next(),
                    asked: text.to_string(),
                },
            },
        }
    }

    /// Whether a short question, read together with the title of the topic just answered, is
    /// about that topic: the conversation supplies what the question leaves unsaid.
    fn asks_about_topic(&self, text: &str, topic: &str) -> bool {
        let words = normalize::tokenize(text);
        let Some(title) = self.kb.intent(topic).map(|i| i.title.as_str()) else {
            return false;
        };
        if !split::asks(text) || chinese::word_count(&words) > 4 || is_small_talk(topic) {
            return false;
        }
        let outcome = self.matcher.classify(&format!("{text} {title}"));
        outcome.decision == Decision::Answer && outcome.intent() == Some(topic)
    }

    /// A message the matcher cannot place but that still looks like it is about the alumni
    /// account rather than something else: it scored for some intent, not for out of scope.
    fn on_topic_question(&self, outcome: &Outcome) -> bool {
        outcome
            .candidates
            .first()
            .is_some_and(|c| c.score >= self.matcher.thresholds().fallback * 0.8)
    }
}

pub fn is_small_talk(intent: &str) -> bool {
    SMALL_TALK.contains(&intent)
}

/// "what about that", "and for it": a message that points back at the last answer.
fn leans_back(text: &str) -> bool {
    let words = normalize::tokenize(text);
    let zh = chinese::text(&words);
    if !zh.is_empty() && chinese::leans_back(&zh) {
        return true;
    }
    words.len() <= 8
        && words.iter().any(|w| {
            matches!(
                w.as_str(),
                "that" | "this" | "it" | "too" | "also" | "there"
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts_log_no_text_of_the_user() {
        let part = Part::Fallback {
            nearest: Some(crate::matcher::Candidate {
                intent: "eligibility".into(),
                score: 0.2,
            }),
            asked: "my email is peter@example.com".into(),
        };
        let logged = format!("{part:?}");
        assert!(logged.contains("eligibility"), "{logged}");
        assert!(logged.contains("<29 characters>"), "{logged}");
        assert!(!logged.contains("peter"), "{logged}");
    }
}
