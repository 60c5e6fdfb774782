//! Matcher behaviour on the shipped knowledge base: typos, synonyms, casual phrasing, out of
//! scope, and the shape of its outcomes. Queries here are not in the knowledge base.

use alumni_bot::matcher::normalize::Synonyms;
use alumni_bot::matcher::{Calibration, Decision, Example, Matcher, Policy, Thresholds};

use crate::helpers::shipped;

#[track_caller]
fn check(query: &str, expected: Option<&str>) {
    let (_, matcher) = shipped();
    let outcome = matcher.classify(query);
    assert_eq!(outcome.intent(), expected, "{query:?} → {outcome:?}");
}

#[test]
fn typos_still_match() {
    check("i forgott my pasword", Some("username_password"));
    check(
        "how do i actvate my alumni acount",
        Some("activate_account"),
    );
    check("set up email fowarding to gmial", Some("email_forwarding"));
    check("whch browsr for ofice 365", Some("office365_browser"));
}

#[test]
fn synonyms_and_casual_phrasing_match() {
    check("pw reset pls", Some("username_password"));
    check("o365 storage quota?", Some("office365_services"));
    check(
        "wi-fi login on campus, alumni or connect??",
        Some("wifi_library_login"),
    );
    check(
        "cant get into my old @alumni mailbox anymore, says invalid",
        Some("old_alumni_login_invalid"),
    );
    check(
        "CAN I HAVE MY OWN ALIAS LIKE john.lee@alumni.ust.hk",
        Some("apply_email_alias"),
    );
}

#[test]
fn out_of_scope_questions_fall_back() {
    let (_, matcher) = shipped();
    for query in [
        "what's the exchange rate of the euro",
        "recommend a hiking trail",
        "how do i bake bread",
        "🎉🎉🎉",
        "????",
        "zxcvbnm qwerty",
    ] {
        let outcome = matcher.classify(query);
        assert_eq!(
            outcome.decision,
            Decision::Fallback,
            "{query:?} → {outcome:?}"
        );
        assert_eq!(outcome.intent(), None);
    }
}

#[test]
fn outcomes_are_well_formed_for_any_input() {
    let (_, matcher) = shipped();
    let huge = "password ".repeat(20_000);
    for query in [
        "",
        " \t ",
        "\u{0}\u{1b}[31m",
        "忘記密碼",
        "a",
        &huge,
        "'; DROP TABLE tickets; --",
    ] {
        let outcome = matcher.classify(query);
        assert!(outcome.candidates.len() <= 5);
        assert!(
            outcome
                .candidates
                .windows(2)
                .all(|w| w[0].score >= w[1].score)
        );
        assert!(
            outcome
                .candidates
                .iter()
                .all(|c| (0.0..=1.0).contains(&c.score))
        );
        if outcome.decision == Decision::Clarify {
            assert!((1..=3).contains(&outcome.choices));
        }
    }
}

#[test]
fn close_candidates_lead_to_clarify_with_both_offered() {
    let examples: Vec<Example> = [
        ("reset my password", "password"),
        ("forgot password", "password"),
        ("reset my router", "router"),
        ("router reset", "router"),
        ("weather today", "weather"),
    ]
    .iter()
    .map(|(t, i)| Example {
        text: t.to_string(),
        intent: Some(i.to_string()),
    })
    .collect();
    let thresholds = Thresholds {
        fallback: 0.1,
        answer: 0.5,
        ambiguity: 0.3,
    };
    let matcher = Matcher::build(
        &examples,
        Synonyms::default(),
        Calibration::Fixed(thresholds),
        &Policy::default(),
    );
    let outcome = matcher.classify("reset");
    assert_eq!(outcome.decision, Decision::Clarify, "{outcome:?}");
    let offered: Vec<&str> = outcome.candidates[..outcome.choices]
        .iter()
        .map(|c| c.intent.as_str())
        .collect();
    assert!(
        offered.contains(&"password") && offered.contains(&"router"),
        "{offered:?}"
    );
    assert_eq!(
        matcher.classify("forgot my password").decision,
        Decision::Answer
    );
}

#[test]
fn calibration_is_reproducible() {
    let (kb, matcher) = shipped();
    let again = alumni_bot::app::build_matcher(&kb);
    assert_eq!(again.thresholds(), matcher.thresholds());
    let t = matcher.thresholds();
    assert!(t.fallback > 0.0 && t.fallback <= t.answer, "{t:?}");
}
