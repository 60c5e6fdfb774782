//! Choosing the decision thresholds from labelled data.
//!
//! Two product decisions are stated as a [`Policy`]; the thresholds then follow from data:
//! - **fallback**: the score under which the bot says it did not understand. Chosen to maximise
//!   in-scope accuracy + out-of-scope recall (the two figures of Larson et al. 2019), among the
//!   thresholds that cost at most `max_in_scope_loss` of the best in-scope accuracy.
//! - **answer** and **ambiguity**: the bot answers directly only when the top score is at least
//!   `answer` and leads the runner-up by at least `ambiguity`; otherwise it asks "did you mean".
//!   Chosen as the pair that answers the most in-scope questions directly while the direct
//!   answers stay right at least `answer_precision` of the time.

use serde::{Deserialize, Serialize};

use super::{Decision, Scored};

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Thresholds {
    pub fallback: f32,
    pub answer: f32,
    pub ambiguity: f32,
}

impl Default for Thresholds {
    /// Before calibration: answer the best candidate, whatever its score.
    fn default() -> Self {
        Thresholds {
            fallback: 0.0,
            answer: 0.0,
            ambiguity: 0.0,
        }
    }
}

impl Thresholds {
    pub fn decide(&self, s: &Scored) -> Decision {
        if s.out_of_scope_wins || s.best_score < self.fallback {
            Decision::Fallback
        } else if s.best_score >= self.answer && s.best_score - s.second_score >= self.ambiguity {
            Decision::Answer
        } else {
            Decision::Clarify
        }
    }
}

/// The defaults: recognising out-of-scope questions may cost half a point of in-scope accuracy
/// (on CLINC150 validation that buys 59% out-of-scope recall at 92.8% accuracy; a full point
/// buys 69% at 92.2%), and a direct answer must be right nine times in ten (below that, asking
/// "did you mean" is the better service).
#[derive(Debug, Clone, Copy)]
pub struct Policy {
    /// How much in-scope accuracy (0..1) recognising out-of-scope questions may cost.
    pub max_in_scope_loss: f32,
    /// How often (0..1) a direct answer must be the right one.
    pub answer_precision: f32,
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            max_in_scope_loss: 0.005,
            answer_precision: 0.90,
        }
    }
}

/// Figures of a set of scored queries under given thresholds.
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct Figures {
    /// Share of in-scope queries whose answered-or-offered intent is right.
    pub in_scope_accuracy: f32,
    /// Share of out-of-scope queries that fall back.
    pub out_of_scope_recall: f32,
    /// Share of in-scope queries answered directly (not clarified, not fallen back).
    pub direct_answer_rate: f32,
    /// Share of direct answers that are right (out-of-scope queries answered count as wrong).
    pub direct_answer_precision: f32,
}

pub fn figures(scored: &[(Option<usize>, Scored)], t: &Thresholds) -> Figures {
    let (
        mut inscope,
        mut right,
        mut oos,
        mut oos_caught,
        mut direct,
        mut direct_right,
        mut direct_in,
    ) = (0usize, 0usize, 0usize, 0usize, 0usize, 0usize, 0usize);
    for (gold, s) in scored {
        let decision = t.decide(s);
        match gold {
            Some(g) => {
                inscope += 1;
                if decision != Decision::Fallback && s.best == *g {
                    right += 1;
                }
                if decision == Decision::Answer {
                    direct_in += 1;
                }
            }
            None => {
                oos += 1;
                if decision == Decision::Fallback {
                    oos_caught += 1;
                }
            }
        }
        if decision == Decision::Answer {
            direct += 1;
            if *gold == Some(s.best) {
                direct_right += 1;
            }
        }
    }
    let ratio = |a: usize, b: usize| if b == 0 { 1.0 } else { a as f32 / b as f32 };
    Figures {
        in_scope_accuracy: ratio(right, inscope),
        out_of_scope_recall: ratio(oos_caught, oos),
        direct_answer_rate: ratio(direct_in, inscope),
        direct_answer_precision: ratio(direct_right, direct),
    }
}

const MAX_CUTS: usize = 400;

/// Chooses thresholds for `scored` (gold class, or `None` for out of scope) under `policy`.
pub fn choose(scored: &[(Option<usize>, Scored)], policy: &Policy) -> Thresholds {
    let mut cuts: Vec<f32> = scored.iter().map(|(_, s)| s.best_score).collect();
    cuts.push(0.0);
    cuts.sort_by(f32::total_cmp);
    cuts.dedup();
    if cuts.len() > MAX_CUTS {
        // Quantiles are as good as every distinct score and keep the search quadratic in a
        // constant rather than in the size of the set.
        let step = cuts.len() as f32 / MAX_CUTS as f32;
        cuts = (0..MAX_CUTS)
            .map(|i| cuts[(i as f32 * step) as usize])
            .collect();
    }

    // 1. fallback
    let at = |fallback: f32| {
        figures(
            scored,
            &Thresholds {
                fallback,
                answer: 0.0,
                ambiguity: 0.0,
            },
        )
    };
    let best_accuracy = at(0.0).in_scope_accuracy;
    let mut sums = Vec::new();
    for &cut in &cuts {
        let f = at(cut);
        if f.in_scope_accuracy + 1e-6 < best_accuracy - policy.max_in_scope_loss {
            break; // accuracy only falls as the cut rises
        }
        sums.push((cut, f.in_scope_accuracy + f.out_of_scope_recall));
    }
    let best_sum = sums
        .iter()
        .map(|&(_, s)| s)
        .fold(f32::NEG_INFINITY, f32::max);
    // Several cuts may score the same on this data (e.g. when the out-of-scope class already
    // catches every out-of-scope example): take the middle of the first run of best cuts, the
    // margin that generalises best, rather than its lowest edge.
    let best_run: Vec<f32> = sums
        .iter()
        .skip_while(|&&(_, s)| s < best_sum - 1e-6)
        .take_while(|&&(_, s)| s >= best_sum - 1e-6)
        .map(|&(c, _)| c)
        .collect();
    let fallback = match (best_run.first(), best_run.last()) {
        (Some(lo), Some(hi)) => (lo + hi) / 2.0,
        _ => 0.0,
    };

    // 2. answer and ambiguity: the most direct answers at the required precision.
    let mut best = Thresholds {
        fallback,
        answer: 1.0 + f32::EPSILON,
        ambiguity: 0.0,
    };
    let mut best_rate = -1.0f32;
    for step in 0..=20 {
        let ambiguity = step as f32 * 0.025;
        // Precision is not monotonic in the cut, so scan all cuts from high to low and keep
        // the lowest that still meets the target.
        for &answer in cuts.iter().rev().filter(|&&c| c >= fallback) {
            let t = Thresholds {
                fallback,
                answer,
                ambiguity,
            };
            let f = figures(scored, &t);
            if f.direct_answer_precision >= policy.answer_precision
                && f.direct_answer_rate > best_rate + 1e-6
            {
                best_rate = f.direct_answer_rate;
                best = t;
            }
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(best: usize, best_score: f32, second_score: f32) -> Scored {
        Scored {
            best,
            best_score,
            second_score,
            out_of_scope_wins: false,
        }
    }

    #[test]
    fn fallback_separates_low_scoring_out_of_scope_queries() {
        let scored = vec![
            (Some(0), s(0, 0.9, 0.1)),
            (Some(1), s(1, 0.8, 0.2)),
            (Some(1), s(1, 0.7, 0.3)),
            (None, s(0, 0.3, 0.2)),
            (None, s(1, 0.4, 0.1)),
        ];
        let t = choose(&scored, &Policy::default());
        assert!(t.fallback > 0.4 && t.fallback <= 0.7, "{t:?}");
        let f = figures(&scored, &t);
        assert_eq!(f.in_scope_accuracy, 1.0);
        assert_eq!(f.out_of_scope_recall, 1.0);
    }

    #[test]
    fn close_runner_up_leads_to_clarify() {
        let t = Thresholds {
            fallback: 0.3,
            answer: 0.5,
            ambiguity: 0.1,
        };
        assert_eq!(t.decide(&s(0, 0.9, 0.2)), Decision::Answer);
        assert_eq!(t.decide(&s(0, 0.9, 0.85)), Decision::Clarify);
        assert_eq!(t.decide(&s(0, 0.4, 0.1)), Decision::Clarify);
        assert_eq!(t.decide(&s(0, 0.2, 0.1)), Decision::Fallback);
        assert_eq!(
            t.decide(&Scored {
                out_of_scope_wins: true,
                ..s(0, 0.9, 0.1)
            }),
            Decision::Fallback
        );
    }
}
