//! Counters of what the engine did, in the Prometheus text format: messages, answers by intent,
//! clarifications, fallbacks, on-topic questions without an answer, and how long a message took.
//! Updated from each message's [`Trace`] at the end of [`super::Engine::handle_in`]; served by
//! whoever exposes `/metrics`. Labels are intent ids only: nothing personal.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use super::engine::Trace;

/// Upper bounds of the latency buckets, in seconds (`+Inf` follows).
pub const TURN_BUCKETS: [f64; 11] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
];

#[derive(Debug, Default)]
pub struct Metrics {
    messages: AtomicU64,
    clarifications: AtomicU64,
    fallbacks: AtomicU64,
    no_answers: AtomicU64,
    gap_failures: AtomicU64,
    /// Answers by intent id (follow-ups as `topic#kind`). std Mutex: held for one map update,
    /// never across an await; the ids come from the knowledge base, so the map stays small.
    answers: Mutex<BTreeMap<String, u64>>,
    /// Turns per bucket of [`TURN_BUCKETS`], not cumulative; the last is `+Inf`.
    buckets: [AtomicU64; TURN_BUCKETS.len() + 1],
    /// Total time of all turns, in nanoseconds.
    turn_nanos: AtomicU64,
}

impl Metrics {
    /// Counts one handled message: what the engine made of it and how long it took.
    pub fn observe(&self, trace: &Trace, took: Duration) {
        self.messages.fetch_add(1, Ordering::Relaxed);
        if trace.clarified {
            self.clarifications.fetch_add(1, Ordering::Relaxed);
        }
        if trace.fell_back {
            self.fallbacks.fetch_add(1, Ordering::Relaxed);
        }
        if trace.no_answer {
            self.no_answers.fetch_add(1, Ordering::Relaxed);
        }
        if !trace.answered.is_empty() {
            let mut answers = self.answers.lock().expect("poisoned");
            for id in &trace.answered {
                *answers.entry(id.clone()).or_default() += 1;
            }
        }
        let seconds = took.as_secs_f64();
        let bucket = TURN_BUCKETS
            .iter()
            .position(|&le| seconds <= le)
            .unwrap_or(TURN_BUCKETS.len());
        self.buckets[bucket].fetch_add(1, Ordering::Relaxed);
        let nanos = u64::try_from(took.as_nanos()).unwrap_or(u64::MAX);
        self.turn_nanos.fetch_add(nanos, Ordering::Relaxed);
    }

    /// An unanswered question that could not be recorded.
    pub fn gap_not_recorded(&self) {
        self.gap_failures.fetch_add(1, Ordering::Relaxed);
    }

    /// Messages handled so far.
    pub fn messages(&self) -> u64 {
        self.messages.load(Ordering::Relaxed)
    }

    /// Appends the metrics to `out` in the Prometheus text exposition format (0.0.4).
    pub fn render(&self, out: &mut String) {
        let counter = |out: &mut String, name: &str, help: &str, value: u64| {
            family(out, name, "counter", help);
            // Writing to a String cannot fail.
            let _ = writeln!(out, "{name} {value}");
        };
        counter(
            out,
            "alumni_bot_messages_total",
            "Messages the engine handled.",
            self.messages(),
        );
        family(
            out,
            "alumni_bot_answers_total",
            "counter",
            "Answers given, by intent (follow-ups as topic#kind).",
        );
        for (intent, n) in self.answers.lock().expect("poisoned").iter() {
            let _ = writeln!(
                out,
                "alumni_bot_answers_total{{intent=\"{}\"}} {n}",
                label_value(intent)
            );
        }
        counter(
            out,
            "alumni_bot_clarifications_total",
            "Messages answered with a \"did you mean\".",
            self.clarifications.load(Ordering::Relaxed),
        );
        counter(
            out,
            "alumni_bot_fallbacks_total",
            "Messages the bot did not understand.",
            self.fallbacks.load(Ordering::Relaxed),
        );
        counter(
            out,
            "alumni_bot_no_answers_total",
            "On-topic follow-up questions the knowledge base has no answer to.",
            self.no_answers.load(Ordering::Relaxed),
        );
        counter(
            out,
            "alumni_bot_gaps_not_recorded_total",
            "Unanswered questions that could not be recorded.",
            self.gap_failures.load(Ordering::Relaxed),
        );
        family(
            out,
            "alumni_bot_turn_seconds",
            "histogram",
            "Time to handle a message.",
        );
        let mut cumulative = 0;
        for (i, bucket) in self.buckets.iter().enumerate() {
            cumulative += bucket.load(Ordering::Relaxed);
            let le = TURN_BUCKETS
                .get(i)
                .map_or_else(|| "+Inf".to_string(), |b| b.to_string());
            let _ = writeln!(
                out,
                "alumni_bot_turn_seconds_bucket{{le=\"{le}\"}} {cumulative}"
            );
        }
        let sum = self.turn_nanos.load(Ordering::Relaxed) as f64 / 1e9;
        let _ = writeln!(out, "alumni_bot_turn_seconds_sum {sum}");
        let _ = writeln!(out, "alumni_bot_turn_seconds_count {cumulative}");
    }
}

/// The `# HELP` and `# TYPE` lines that open a metric family in the text format.
pub fn family(out: &mut String, name: &str, kind: &str, help: &str) {
    // Writing to a String cannot fail.
    let _ = write!(out, "# HELP {name} {help}\n# TYPE {name} {kind}\n");
}

/// A label value escaped as the text format asks: backslash, double quote and line feed.
fn label_value(value: &str) -> String {
    value
        .replace('\\', r"\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn trace(answered: &[&str], clarified: bool, fell_back: bool) -> Trace {
        Trace {
            answered: answered.iter().map(|s| s.to_string()).collect(),
            clarified,
            fell_back,
            ..Trace::default()
        }
    }

    #[test]
    fn renders_the_prometheus_text_format() {
        let m = Metrics::default();
        m.observe(
            &trace(&["eligibility"], false, false),
            Duration::from_micros(800),
        );
        m.observe(
            &trace(&["eligibility", "username_password#how_long"], false, false),
            Duration::from_millis(3),
        );
        m.observe(&trace(&[], true, false), Duration::from_millis(30));
        m.observe(&trace(&[], false, true), Duration::from_secs(4));
        m.observe(
            &Trace {
                no_answer: true,
                ..Trace::default()
            },
            Duration::from_millis(1),
        );
        m.gap_not_recorded();
        let mut out = String::new();
        m.render(&mut out);
        let expected = "\
# HELP alumni_bot_messages_total Messages the engine handled.
# TYPE alumni_bot_messages_total counter
alumni_bot_messages_total 5
# HELP alumni_bot_answers_total Answers given, by intent (follow-ups as topic#kind).
# TYPE alumni_bot_answers_total counter
alumni_bot_answers_total{intent=\"eligibility\"} 2
alumni_bot_answers_total{intent=\"username_password#how_long\"} 1
# HELP alumni_bot_clarifications_total Messages answered with a \"did you mean\".
# TYPE alumni_bot_clarifications_total counter
alumni_bot_clarifications_total 1
# HELP alumni_bot_fallbacks_total Messages the bot did not understand.
# TYPE alumni_bot_fallbacks_total counter
alumni_bot_fallbacks_total 1
# HELP alumni_bot_no_answers_total On-topic follow-up questions the knowledge base has no answer to.
# TYPE alumni_bot_no_answers_total counter
alumni_bot_no_answers_total 1
# HELP alumni_bot_gaps_not_recorded_total Unanswered questions that could not be recorded.
# TYPE alumni_bot_gaps_not_recorded_total counter
alumni_bot_gaps_not_recorded_total 1
# HELP alumni_bot_turn_seconds Time to handle a message.
# TYPE alumni_bot_turn_seconds histogram
alumni_bot_turn_seconds_bucket{le=\"0.001\"} 2
alumni_bot_turn_seconds_bucket{le=\"0.0025\"} 2
alumni_bot_turn_seconds_bucket{le=\"0.005\"} 3
alumni_bot_turn_seconds_bucket{le=\"0.01\"} 3
alumni_bot_turn_seconds_bucket{le=\"0.025\"} 3
alumni_bot_turn_seconds_bucket{le=\"0.05\"} 4
alumni_bot_turn_seconds_bucket{le=\"0.1\"} 4
alumni_bot_turn_seconds_bucket{le=\"0.25\"} 4
alumni_bot_turn_seconds_bucket{le=\"0.5\"} 4
alumni_bot_turn_seconds_bucket{le=\"1\"} 4
alumni_bot_turn_seconds_bucket{le=\"2.5\"} 4
alumni_bot_turn_seconds_bucket{le=\"+Inf\"} 5
alumni_bot_turn_seconds_sum 4.0348
alumni_bot_turn_seconds_count 5
";
        assert_eq!(out, expected);
    }

    #[test]
    fn every_sample_line_is_well_formed() {
        let m = Metrics::default();
        m.observe(&trace(&["a\"b\\c\nd"], false, false), Duration::ZERO);
        let mut out = String::new();
        m.render(&mut out);
        assert!(
            out.contains(r#"alumni_bot_answers_total{intent="a\"b\\c\nd"} 1"#),
            "{out}"
        );
        for line in out.lines().filter(|l| !l.starts_with('#')) {
            let (name, value) = line.rsplit_once(' ').unwrap();
            assert!(name.starts_with("alumni_bot_"), "{line}");
            assert!(value.parse::<f64>().is_ok(), "{line}");
        }
        // Every metric has its HELP and TYPE before its samples.
        for family in out.lines().filter_map(|l| l.strip_prefix("# TYPE ")) {
            let name = family.split(' ').next().unwrap();
            assert!(out.contains(&format!("# HELP {name} ")), "{name}");
        }
    }
}
