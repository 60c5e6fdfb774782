//! Unanswered questions ("knowledge-base gaps"): what users typed that the bot could not answer
//! (it fell back) or had to ask about (a "did you mean"), kept redacted so that the knowledge
//! base's maintainers can see what to add examples or intents for.
//!
//! The engine records a [`Gap`] through [`GapLog`] (the SQLite store keeps them in `kb_gaps`);
//! [`group`] gathers similar questions so that the maintainers read one line per question
//! rather than one per message. Nothing here knows SQL.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::future::Future;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::lang::Lang;
use crate::matcher::normalize;

/// How the bot failed to answer a question.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum GapKind {
    /// "Sorry, I don't know about that."
    Fallback,
    /// "Did you mean…?"
    Clarify,
}

impl GapKind {
    pub fn as_str(self) -> &'static str {
        match self {
            GapKind::Fallback => "fallback",
            GapKind::Clarify => "clarify",
        }
    }
}

impl FromStr for GapKind {
    type Err = anyhow::Error;

    fn from_str(s: &str) -> anyhow::Result<Self> {
        match s {
            "fallback" => Ok(GapKind::Fallback),
            "clarify" => Ok(GapKind::Clarify),
            other => anyhow::bail!("unknown kind of unanswered question {other:?}"),
        }
    }
}

/// A user's text with emails, numbers and ID-like strings replaced ([`crate::redact`]). Made
/// only by redacting, so that what is kept of a question cannot be the raw text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct Redacted(String);

impl Redacted {
    pub fn new(text: &str) -> Self {
        Redacted(crate::redact::redact(text))
    }

    /// Text read back from where only redacted text is written (the store's `kb_gaps`).
    pub(crate) fn stored(text: String) -> Self {
        Redacted(text)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The intent the matcher placed a question nearest to, and how sure it was (0..1).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Nearest {
    pub intent: String,
    pub score: f32,
}

/// One unanswered question. It names no user: gaps are no one's personal data once redacted,
/// which is why `/forget` leaves them (retention removes them with the rest).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Gap {
    pub at: DateTime<Utc>,
    pub kind: GapKind,
    pub text: Redacted,
    /// The conversation's language when it was asked.
    pub lang: Lang,
    /// For a "did you mean": its first choice; for a fallback: the matcher's best candidate.
    pub nearest: Option<Nearest>,
}

/// Where unanswered questions are kept. The core records; `store` implements it on SQLite.
pub trait GapLog: Send + Sync + 'static {
    fn record_gap(&self, gap: Gap) -> impl Future<Output = anyhow::Result<()>> + Send;
}

/// Similar unanswered questions, for the maintainers: one line of `kb gaps`, one row of the
/// web desk.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GapGroup {
    /// The group's most frequent text (the latest of equally frequent ones).
    pub representative: String,
    /// Questions in the group.
    pub count: usize,
    /// Up to [`EXAMPLES`] distinct texts, most frequent first; the representative first.
    pub examples: Vec<String>,
    /// The intent its questions were most often nearest to, and for how many of them.
    pub nearest_intent: Option<String>,
    pub nearest_intent_count: usize,
    pub kinds: KindCounts,
    /// Questions by language tag (`en`, `zh-Hant`, `zh-Hans`).
    pub langs: BTreeMap<String, usize>,
    pub first_seen: DateTime<Utc>,
    pub last_seen: DateTime<Utc>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct KindCounts {
    pub fallback: usize,
    pub clarify: usize,
}

/// Distinct texts shown per group.
pub const EXAMPLES: usize = 5;

/// Two questions are one when their word sets overlap this much (Jaccard: shared words over all
/// words). At one half, a rewording that adds or swaps a word or two of four stays together
/// ("what's the weather today" / "what is the weather like today", "今日天氣點樣" / "今日天氣如
/// 何"), while questions that share only their topic word do not ("weather today" / "time in
/// Tokyo today"). The test `the_threshold_joins_rewordings_and_parts_other_questions` holds
/// both sides.
pub const SIMILARITY: f64 = 0.5;

/// Function words that say nothing of what a question is about.
const STOP_WORDS: [&str; 58] = [
    "a", "an", "the", "i", "me", "my", "mine", "you", "your", "we", "our", "us", "it", "its",
    "this", "that", "these", "those", "is", "are", "am", "was", "were", "be", "been", "do", "does",
    "did", "can", "could", "would", "will", "should", "shall", "may", "might", "to", "of", "in",
    "on", "for", "at", "by", "with", "and", "or", "what", "how", "why", "when", "where", "who",
    "which", "please", "pls", "hi", "hello", "hey",
];

/// Chinese characters as common in every question as "the" and "my" (folded to Simplified).
const STOP_HAN: [&str; 18] = [
    "我", "你", "的", "了", "是", "系", "嘅", "咗", "吗", "呢", "啲", "个", "佢", "就", "都", "也",
    "请", "吖",
];

/// The words a question is compared by: the matcher's tokens (NFKC, lower case, one script of
/// Chinese, a word per Han character), stemmed, without particles, function words and the
/// redaction placeholders.
pub fn words(text: &str) -> BTreeSet<String> {
    let text = text
        .replace(crate::redact::EMAIL, " ")
        .replace(crate::redact::NUMBER, " ")
        .replace(crate::redact::ID, " ");
    normalize::tokenize(&text)
        .into_iter()
        .filter(|w| {
            !normalize::is_particle(w)
                && !STOP_WORDS.contains(&w.as_str())
                && !STOP_HAN.contains(&w.as_str())
        })
        .map(|w| normalize::stem(&w).to_string())
        .collect()
}

/// Jaccard similarity of two word sets; 0 when both are empty (nothing says they are alike).
pub fn similarity(a: &BTreeSet<String>, b: &BTreeSet<String>) -> f64 {
    let shared = a.intersection(b).count();
    let all = a.len() + b.len() - shared;
    if all == 0 {
        0.0
    } else {
        shared as f64 / all as f64
    }
}

/// One wording: the gaps whose texts have the same words.
struct Wording<'a> {
    words: BTreeSet<String>,
    gaps: Vec<&'a Gap>,
    last: DateTime<Utc>,
}

/// Gathers similar gaps: texts with the same words are one wording; wordings, most asked first,
/// join the group whose first wording they are most similar to, at [`SIMILARITY`] or more, or
/// start one. Groups come most asked first, then most recently seen. Deterministic: the same
/// gaps in any order give the same groups.
pub fn group(gaps: &[Gap]) -> Vec<GapGroup> {
    let mut wordings: Vec<Wording<'_>> = Vec::new();
    let mut by_key: HashMap<String, usize> = HashMap::new();
    for gap in gaps {
        let words = words(gap.text.as_str());
        // Texts without a word to compare ("???", "[number]") are alike only when equal.
        let key = if words.is_empty() {
            format!("\u{0}{}", gap.text.as_str().trim().to_lowercase())
        } else {
            words.iter().cloned().collect::<Vec<_>>().join(" ")
        };
        let i = *by_key.entry(key).or_insert_with(|| {
            wordings.push(Wording {
                words,
                gaps: Vec::new(),
                last: gap.at,
            });
            wordings.len() - 1
        });
        let w = &mut wordings[i];
        w.gaps.push(gap);
        w.last = w.last.max(gap.at);
    }
    wordings.sort_by(|a, b| {
        b.gaps
            .len()
            .cmp(&a.gaps.len())
            .then(b.last.cmp(&a.last))
            .then_with(|| a.words.cmp(&b.words))
            .then_with(|| a.gaps[0].text.as_str().cmp(b.gaps[0].text.as_str()))
    });
    // Each group: the words of its first (most asked) wording, and its gaps.
    let mut groups: Vec<(&BTreeSet<String>, Vec<&Gap>)> = Vec::new();
    for wording in &wordings {
        let best = groups
            .iter()
            .enumerate()
            .map(|(i, (seed, _))| (i, similarity(seed, &wording.words)))
            .filter(|&(_, s)| s >= SIMILARITY)
            // The most similar; of equals, the group made first.
            .fold(None, |best: Option<(usize, f64)>, (i, s)| match best {
                Some((_, b)) if b >= s => best,
                _ => Some((i, s)),
            });
        match best {
            Some((i, _)) => groups[i].1.extend(wording.gaps.iter().copied()),
            None => groups.push((&wording.words, wording.gaps.clone())),
        }
    }
    let mut out: Vec<GapGroup> = groups.into_iter().map(|(_, g)| summarize(&g)).collect();
    out.sort_by(|a, b| {
        b.count
            .cmp(&a.count)
            .then(b.last_seen.cmp(&a.last_seen))
            .then_with(|| a.representative.cmp(&b.representative))
    });
    out
}

fn summarize(gaps: &[&Gap]) -> GapGroup {
    // Distinct texts: how often, and when last.
    let mut texts: HashMap<&str, (usize, DateTime<Utc>)> = HashMap::new();
    let mut intents: HashMap<&str, usize> = HashMap::new();
    let mut kinds = KindCounts::default();
    let mut langs: BTreeMap<String, usize> = BTreeMap::new();
    for gap in gaps {
        let t = texts.entry(gap.text.as_str()).or_insert((0, gap.at));
        t.0 += 1;
        t.1 = t.1.max(gap.at);
        if let Some(n) = &gap.nearest {
            *intents.entry(n.intent.as_str()).or_default() += 1;
        }
        match gap.kind {
            GapKind::Fallback => kinds.fallback += 1,
            GapKind::Clarify => kinds.clarify += 1,
        }
        *langs.entry(gap.lang.tag().to_string()).or_default() += 1;
    }
    let mut texts: Vec<(&str, (usize, DateTime<Utc>))> = texts.into_iter().collect();
    texts.sort_by(|a, b| {
        (b.1.0)
            .cmp(&a.1.0)
            .then(b.1.1.cmp(&a.1.1))
            .then(a.0.cmp(b.0))
    });
    let nearest = intents
        .into_iter()
        .max_by(|a, b| a.1.cmp(&b.1).then(b.0.cmp(a.0)));
    GapGroup {
        representative: texts[0].0.to_string(),
        count: gaps.len(),
        examples: texts
            .iter()
            .take(EXAMPLES)
            .map(|(t, _)| t.to_string())
            .collect(),
        nearest_intent: nearest.map(|(i, _)| i.to_string()),
        nearest_intent_count: nearest.map_or(0, |(_, n)| n),
        kinds,
        langs,
        first_seen: gaps.iter().map(|g| g.at).min().expect("a group has a gap"),
        last_seen: gaps.iter().map(|g| g.at).max().expect("a group has a gap"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gap(minute: u32, kind: GapKind, text: &str, nearest: Option<&str>) -> Gap {
        Gap {
            at: DateTime::parse_from_rfc3339(&format!("2026-03-01T10:{minute:02}:00Z"))
                .unwrap()
                .to_utc(),
            kind,
            text: Redacted::new(text),
            lang: crate::lang::detect(text).unwrap_or_default(),
            nearest: nearest.map(|intent| Nearest {
                intent: intent.into(),
                score: 0.3,
            }),
        }
    }

    fn sim(a: &str, b: &str) -> f64 {
        similarity(&words(a), &words(b))
    }

    #[test]
    fn words_are_the_matchers_without_function_words_and_placeholders() {
        let w = |t: &str| words(t).into_iter().collect::<Vec<_>>();
        assert_eq!(
            w("What's the WEATHER like today?"),
            ["like", "today", "weather"]
        );
        assert_eq!(
            w("Can you book flights to Tokyo, please"),
            ["book", "flight", "tokyo"]
        );
        // Traditional and Simplified meet; particles and "我" go.
        assert_eq!(w("我想訂機票呀"), w("我想订机票"));
        assert_eq!(w("my email is [email], phone [number]"), ["email", "phone"]);
        assert!(words("???").is_empty());
    }

    #[test]
    fn the_threshold_joins_rewordings_and_parts_other_questions() {
        let same = [
            (
                "what's the weather today",
                "what is the weather like today?",
            ),
            ("what's the weather today", "weather today"),
            (
                "can you book a flight to tokyo",
                "book me a flight to Tokyo please",
            ),
            ("今日天氣點樣", "今日天氣如何呀"),
            ("how to order pizza", "can I order a pizza from you"),
        ];
        for (a, b) in same {
            assert!(sim(a, b) >= SIMILARITY, "{a:?} / {b:?}: {}", sim(a, b));
        }
        let different = [
            ("what's the weather today", "what's the time in tokyo today"),
            (
                "how do I reset my bank password",
                "how do I reset my wifi router",
            ),
            ("book a flight to tokyo", "book a table for dinner"),
            ("今日天氣點樣", "點樣訂機票"),
            ("can I order a pizza", "can I order a taxi"),
        ];
        for (a, b) in different {
            assert!(sim(a, b) < SIMILARITY, "{a:?} / {b:?}: {}", sim(a, b));
        }
    }

    #[test]
    fn groups_count_examples_intents_kinds_and_times() {
        let gaps = vec![
            gap(
                1,
                GapKind::Fallback,
                "what's the weather today",
                Some("goodbye"),
            ),
            gap(
                2,
                GapKind::Fallback,
                "book a flight to tokyo",
                Some("capabilities"),
            ),
            gap(3, GapKind::Fallback, "weather today?", Some("greeting")),
            gap(
                4,
                GapKind::Clarify,
                "what is the weather like today",
                Some("goodbye"),
            ),
            gap(5, GapKind::Fallback, "what's the weather today", None),
            gap(6, GapKind::Fallback, "今日天氣點樣", Some("help")),
        ];
        let groups = group(&gaps);
        assert_eq!(groups.len(), 3, "{groups:#?}");
        let weather = &groups[0];
        assert_eq!(weather.count, 4);
        assert_eq!(weather.representative, "what's the weather today");
        assert_eq!(
            weather.examples,
            [
                "what's the weather today",
                "what is the weather like today",
                "weather today?"
            ]
        );
        assert_eq!(weather.nearest_intent.as_deref(), Some("goodbye"));
        assert_eq!(weather.nearest_intent_count, 2);
        assert_eq!(
            weather.kinds,
            KindCounts {
                fallback: 3,
                clarify: 1
            }
        );
        assert_eq!(weather.first_seen, gaps[0].at);
        assert_eq!(weather.last_seen, gaps[4].at);
        assert_eq!(weather.langs["en"], 4);
        // One each: the latest first.
        assert_eq!(groups[1].representative, "今日天氣點樣");
        assert_eq!(groups[1].langs["zh-Hant"], 1);
        assert_eq!(groups[2].representative, "book a flight to tokyo");
        assert_eq!(groups[2].nearest_intent.as_deref(), Some("capabilities"));
    }

    #[test]
    fn grouping_does_not_depend_on_order_and_keeps_at_most_five_examples() {
        let texts = [
            "order pizza",
            "order a pizza",
            "order pizza please",
            "pizza order",
            "can i order pizza",
            "how to order pizza",
            "i want to order pizza",
            "order a taxi to the airport",
            "taxi to airport",
        ];
        let mut gaps: Vec<Gap> = texts
            .iter()
            .enumerate()
            .map(|(i, t)| gap(i as u32, GapKind::Fallback, t, None))
            .collect();
        let groups = group(&gaps);
        gaps.reverse();
        assert_eq!(group(&gaps), groups);
        assert_eq!(groups.len(), 2, "{groups:#?}");
        assert_eq!(groups[0].count, 7);
        assert_eq!(groups[0].examples.len(), EXAMPLES);
        assert_eq!(groups[0].nearest_intent, None);
        assert_eq!(groups[1].count, 2);
        assert_eq!(groups[1].representative, "taxi to airport");
    }

    #[test]
    fn texts_without_words_group_only_when_equal() {
        let gaps = vec![
            gap(1, GapKind::Fallback, "???", None),
            gap(2, GapKind::Fallback, "???", None),
            gap(3, GapKind::Fallback, "!!!", None),
        ];
        let groups = group(&gaps);
        assert_eq!(groups.len(), 2);
        assert_eq!(
            (groups[0].representative.as_str(), groups[0].count),
            ("???", 2)
        );
        assert!(group(&[]).is_empty());
    }

    #[test]
    fn the_text_kept_is_redacted() {
        let g = gap(
            1,
            GapKind::Fallback,
            "mail me at a@b.com or 9123 4567",
            None,
        );
        assert_eq!(g.text.as_str(), "mail me at [email] or [number]");
        assert_eq!(
            serde_json::to_value(&g).unwrap()["text"],
            "mail me at [email] or [number]"
        );
    }
}
