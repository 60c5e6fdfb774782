//! The conversation suite: personas in `tests/conversations/*.yaml` replayed through the engine
//! as alumni would talk (typed replies, follow-ups, several questions, changes of mind). Each
//! expectation must hold, and the suite's figures must stay within the targets of the
//! understanding work: clarifications ≤ 10% of typed messages, fallbacks on on-topic messages
//! ≤ 2%, every goal reached, no ticket field holding a question or a remark.

use std::path::Path;

use alumni_bot::core::{Content, Inbound, Reply, Sender, Upload};
use serde::Deserialize;

use crate::helpers::engine;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Persona {
    name: String,
    #[serde(default)]
    goal: Option<String>,
    turns: Vec<TurnSpec>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct TurnSpec {
    say: Option<String>,
    press: Option<String>,
    file: Option<String>,
    #[serde(default)]
    expect: Vec<String>,
    #[serde(default)]
    contains: Vec<String>,
    /// Words the replies must not hold (e.g. a field of an abandoned branch in the summary).
    #[serde(default)]
    absent: Vec<String>,
    #[serde(default)]
    off_topic: bool,
    #[serde(default)]
    fallback: bool,
    #[serde(default)]
    no_answer: bool,
    /// A remark typed where a value is asked: it must not be kept.
    #[serde(default)]
    pollution: bool,
}

#[derive(Default, Debug)]
struct Figures {
    typed: usize,
    clarified: usize,
    on_topic: usize,
    on_topic_fallbacks: usize,
    goals: usize,
    goals_reached: usize,
    tickets: usize,
    polluted: usize,
}

const PDF: &[u8] = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n";

#[tokio::test]
async fn personas_reach_their_goals() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/conversations");
    let mut personas: Vec<Persona> = Vec::new();
    for entry in std::fs::read_dir(&dir).unwrap() {
        let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
        personas.extend(serde_yaml_ng::from_str::<Vec<Persona>>(&text).unwrap());
    }
    assert!(personas.len() >= 15, "the suite has its personas");
    let engine = engine();
    let mut f = Figures::default();
    let mut failures = Vec::new();
    let mut remarks = Vec::new();
    for (n, persona) in personas.iter().enumerate() {
        let user = format!("persona{n}");
        let mut offered: Vec<(String, String)> = Vec::new();
        let mut reached = true;
        let tickets_before = engine.store().tickets().len();
        for (t, turn) in persona.turns.iter().enumerate() {
            let content = if let Some(text) = &turn.say {
                f.typed += 1;
                if !turn.off_topic {
                    f.on_topic += 1;
                }
                if turn.pollution {
                    remarks.push(text.clone());
                }
                Content::Text(text.clone())
            } else if let Some(label) = &turn.press {
                match offered.iter().find(|(l, _)| l == label) {
                    Some((_, data)) => Content::pressed(data),
                    None => {
                        failures.push(format!(
                            "{}: turn {t}: no button {label:?} in {offered:?}",
                            persona.name
                        ));
                        reached = false;
                        break;
                    }
                }
            } else {
                Content::File(Upload {
                    name: turn.file.clone().unwrap_or_default(),
                    declared_type: Some("application/pdf".into()),
                    declared_size: None,
                    bytes: PDF.to_vec(),
                    caption: None,
                })
            };
            let (replies, trace) = engine
                .handle_traced(Inbound {
                    from: Sender::private(alumni_bot::core::Platform::Console, &user),
                    content,
                })
                .await;
            offered = replies
                .iter()
                .flat_map(|r: &Reply| &r.buttons)
                .map(|b| (b.label.clone(), b.data.to_string()))
                .collect();
            let said: String = replies
                .iter()
                .map(|r| r.text.as_str())
                .collect::<Vec<_>>()
                .join("\n");
            if turn.say.is_some() && trace.clarified {
                f.clarified += 1;
            }
            if turn.say.is_some() && !turn.off_topic && trace.fell_back {
                f.on_topic_fallbacks += 1;
            }
            let mut wrong = Vec::new();
            for id in &turn.expect {
                if !trace.answered.contains(id) {
                    wrong.push(format!("expected {id}, answered {:?}", trace.answered));
                }
            }
            for needle in &turn.contains {
                if !said.contains(needle) {
                    wrong.push(format!("expected the words {needle:?}"));
                }
            }
            for needle in &turn.absent {
                if said.contains(needle) {
                    wrong.push(format!("did not expect the words {needle:?}"));
                }
            }
            if turn.fallback != trace.fell_back {
                wrong.push(format!("fallback was {}", trace.fell_back));
            }
            if turn.no_answer && !trace.no_answer {
                wrong.push("expected an honest no-answer".into());
            }
            if !wrong.is_empty() {
                reached = false;
                failures.push(format!(
                    "{}: turn {t} ({:?}): {}\n    replies: {said:?}",
                    persona.name,
                    turn.say.as_deref().or(turn.press.as_deref()),
                    wrong.join("; ")
                ));
            }
        }
        let filed = engine.store().tickets().len() > tickets_before;
        if persona.goal.as_deref() == Some("ticket") && !filed {
            reached = false;
            failures.push(format!("{}: no ticket filed", persona.name));
        }
        f.goals += 1;
        f.goals_reached += usize::from(reached);
    }
    for (_, ticket) in engine.store().tickets() {
        f.tickets += 1;
        // A message to staff may hold a question; no other field may hold a question, a remark
        // or a change of mind.
        let polluted = ticket.fields.iter().any(|(name, value)| {
            let lower = value.to_lowercase();
            name != "description"
                && (value.contains('?')
                    || remarks.contains(value)
                    || lower.contains("forget it")
                    || lower.contains("wrong topic"))
        });
        f.polluted += usize::from(polluted);
    }
    let clarify_share = f.clarified as f64 / f.typed as f64;
    let fallback_share = f.on_topic_fallbacks as f64 / f.on_topic as f64;
    println!(
        "conversation suite: {} personas, {} typed messages; clarifications {:.1}%, on-topic fallbacks {:.1}%, goals reached {}/{}, tickets {} ({} polluted)",
        personas.len(),
        f.typed,
        100.0 * clarify_share,
        100.0 * fallback_share,
        f.goals_reached,
        f.goals,
        f.tickets,
        f.polluted
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(clarify_share <= 0.10, "{f:?}");
    assert!(fallback_share <= 0.02, "{f:?}");
    assert_eq!(f.polluted, 0, "{f:?}");
    assert_eq!(f.goals_reached, f.goals);
}
