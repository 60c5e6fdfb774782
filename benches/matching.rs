//! The matching benchmark: `cargo bench --bench matching`.
//!
//! Reports, for the shipped knowledge base and for CLINC150 (read from `../shared/eval/` or
//! `$ALUMNI_BOT_EVAL_DIR` when present): in-scope accuracy, out-of-scope recall, share answered
//! directly, index build time, model memory, and per-query latency percentiles on one thread;
//! then how build time, latency and memory grow with the number of intents (synthetic data).

use std::path::{Path, PathBuf};
use std::time::Instant;

use alumni_bot::matcher::model::XorShift;
use alumni_bot::matcher::normalize::Synonyms;
use alumni_bot::matcher::{Calibration, Decision, Example, Matcher, Policy};

fn main() {
    // `cargo bench` passes `--bench`; a filter argument is accepted and ignored.
    let eval_dir = std::env::var_os("ALUMNI_BOT_EVAL_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/eval"));

    println!("== alumni knowledge base ==");
    let kb = alumni_bot::knowledge::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("knowledge"))
        .expect("the shipped knowledge base loads");
    let started = Instant::now();
    let matcher = alumni_bot::app::build_matcher(&kb);
    println!(
        "build (train + 5-fold calibration): {:.1} ms; {} intents, {} features, model {:.2} MB",
        ms(started),
        matcher.intents().len(),
        matcher.features(),
        mb(matcher.memory_bytes())
    );
    match read_jsonl(&eval_dir.join("intents_dev.jsonl")) {
        Some(dev) => report("intents_dev.jsonl", &matcher, &dev),
        None => println!(
            "(no intents_dev.jsonl under {}: quality not measured)",
            eval_dir.display()
        ),
    }

    println!("\n== CLINC150 ==");
    let clinc = eval_dir.join("clinc150");
    match (
        read_jsonl(&clinc.join("train.jsonl")),
        read_jsonl(&clinc.join("val.jsonl")),
    ) {
        (Some(train), Some(val)) => {
            let started = Instant::now();
            let m = Matcher::build(
                &train,
                Synonyms::default(),
                Calibration::On(&val),
                &Policy::default(),
            );
            println!(
                "build (train 15,100 examples, calibrate on val): {:.0} ms; {} features, model {:.1} MB",
                ms(started),
                m.features(),
                mb(m.memory_bytes())
            );
            report("val (thresholds chosen on val itself)", &m, &val);
            let started = Instant::now();
            let m = Matcher::build(
                &train,
                Synonyms::default(),
                Calibration::CrossValidate { folds: 5 },
                &Policy::default(),
            );
            println!(
                "build (train, thresholds by 5-fold cross-validation on train): {:.0} ms",
                ms(started)
            );
            report("val (never seen in training or calibration)", &m, &val);
        }
        _ => println!("(no clinc150/ under {}: skipped)", eval_dir.display()),
    }

    println!("\n== scaling (synthetic intents, 40 examples each) ==");
    println!(
        "{:>8} {:>10} {:>10} {:>12} {:>10} {:>10} {:>10}",
        "intents", "examples", "features", "build ms", "model MB", "p50 us", "p99 us"
    );
    for intents in [20, 150, 1000] {
        let (train, queries) = synthetic(intents, 40);
        let started = Instant::now();
        let m = Matcher::build(
            &train,
            Synonyms::default(),
            Calibration::Fixed(Default::default()),
            &Policy::default(),
        );
        let build = ms(started);
        let (p50, p99, _) = latencies(&m, &queries);
        println!(
            "{:>8} {:>10} {:>10} {:>12.0} {:>10.1} {:>10.1} {:>10.1}",
            intents,
            train.len(),
            m.features(),
            build,
            mb(m.memory_bytes()),
            p50,
            p99
        );
    }
}

fn report(name: &str, matcher: &Matcher, set: &[Example]) {
    let (mut inscope, mut right, mut direct, mut oos, mut caught) = (0, 0, 0, 0, 0);
    for e in set {
        let outcome = matcher.classify(&e.text);
        match &e.intent {
            Some(gold) => {
                inscope += 1;
                if outcome.intent() == Some(gold.as_str()) {
                    right += 1;
                    if outcome.decision == Decision::Answer {
                        direct += 1;
                    }
                }
            }
            None => {
                oos += 1;
                if outcome.decision == Decision::Fallback {
                    caught += 1;
                }
            }
        }
    }
    let queries: Vec<String> = set.iter().map(|e| e.text.clone()).collect();
    let (p50, p99, per_second) = latencies(matcher, &queries);
    println!(
        "{name}: in-scope accuracy {:.1}% (n={inscope}), out-of-scope recall {:.1}% (n={oos}), answered directly and right {:.1}%",
        pct(right, inscope),
        pct(caught, oos),
        pct(direct, inscope)
    );
    println!(
        "  latency per query: median {p50:.1} us, p99 {p99:.1} us; {per_second:.0} queries/s on one thread"
    );
}

/// Median and p99 per-query time in microseconds over several rounds, and throughput.
fn latencies(matcher: &Matcher, queries: &[String]) -> (f64, f64, f64) {
    let rounds = (20_000 / queries.len().max(1)).clamp(1, 50);
    let mut times = Vec::with_capacity(rounds * queries.len());
    let started = Instant::now();
    for _ in 0..rounds {
        for q in queries {
            let t = Instant::now();
            std::hint::black_box(matcher.classify(q));
            times.push(t.elapsed().as_secs_f64() * 1e6);
        }
    }
    let total = started.elapsed().as_secs_f64();
    times.sort_by(f64::total_cmp);
    let at = |p: f64| times[((times.len() as f64 * p) as usize).min(times.len() - 1)];
    (at(0.5), at(0.99), times.len() as f64 / total)
}

/// Intents with their own vocabulary over a shared one, like real phrasing.
fn synthetic(intents: usize, per_intent: usize) -> (Vec<Example>, Vec<String>) {
    let mut rng = XorShift(42);
    let common: Vec<String> = (0..300).map(|i| word(&mut rng, i)).collect();
    let mut train = Vec::new();
    let mut queries = Vec::new();
    for intent in 0..intents {
        let own: Vec<String> = (0..8)
            .map(|i| word(&mut rng, 1000 + intent * 8 + i))
            .collect();
        for n in 0..per_intent + 5 {
            let len = 4 + (rng.next_u64() % 8) as usize;
            let text: Vec<&str> = (0..len)
                .map(|_| {
                    if rng.next_u64().is_multiple_of(3) {
                        own[(rng.next_u64() % 8) as usize].as_str()
                    } else {
                        common[(rng.next_u64() % 300) as usize].as_str()
                    }
                })
                .collect();
            let text = text.join(" ");
            if n < per_intent {
                train.push(Example {
                    text,
                    intent: Some(format!("intent_{intent}")),
                });
            } else {
                queries.push(text);
            }
        }
    }
    (train, queries)
}

fn word(rng: &mut XorShift, salt: usize) -> String {
    let len = 3 + (rng.next_u64() % 7) as usize;
    let mut w: String = (0..len)
        .map(|_| (b'a' + (rng.next_u64() % 26) as u8) as char)
        .collect();
    w.push_str(&format!("{}", salt % 7));
    w
}

fn read_jsonl(path: &Path) -> Option<Vec<Example>> {
    let text = std::fs::read_to_string(path).ok()?;
    Some(
        text.lines()
            .filter(|l| !l.trim().is_empty())
            .map(|l| serde_json::from_str(l).expect("an example"))
            .collect(),
    )
}

fn ms(since: Instant) -> f64 {
    since.elapsed().as_secs_f64() * 1e3
}

fn mb(bytes: usize) -> f64 {
    bytes as f64 / 1024.0 / 1024.0
}

fn pct(a: usize, b: usize) -> f64 {
    if b == 0 {
        100.0
    } else {
        a as f64 * 100.0 / b as f64
    }
}
