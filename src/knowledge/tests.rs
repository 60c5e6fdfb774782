use std::path::Path;

use super::*;

fn load_one(text: &str) -> Result<KnowledgeBase, LoadError> {
    load_sources(&[(Path::new("kb/faq.yaml"), text)])
}

fn problems(text: &str) -> Vec<String> {
    load_one(text)
        .unwrap_err()
        .problems
        .iter()
        .map(ToString::to_string)
        .collect()
}

const GOOD: &str = "intents:
  - id: reset_password
    title: Reset your password
    examples: [forgot my password, reset pw]
    answer: Use the **reset** link.
    related: [forwarding]
  - id: forwarding
    title: Forward email
    examples: [forward my email]
    answer: Go to Settings.
synonyms:
  password: [pw]
out_of_scope: [weather today]
";

#[test]
fn a_good_file_loads() {
    let kb = load_one(GOOD).unwrap();
    assert_eq!(kb.intents.len(), 2);
    assert_eq!(kb.intent("reset_password").unwrap().related, ["forwarding"]);
    assert_eq!(kb.out_of_scope, ["weather today"]);
    assert_eq!(kb.examples().len(), 4);
}

#[test]
fn a_syntax_error_names_file_and_line() {
    let p = problems("intents:\n  - id: a\n    title: x: y\n");
    assert_eq!(
        p,
        ["kb/faq.yaml:3: mapping values are not allowed in this context"]
    );
    let p = problems("intents:\n  - id: a\n    title: [unclosed\n");
    assert_eq!(
        p,
        ["kb/faq.yaml:3: intents[0].title: invalid type: sequence, expected a string"]
    );
}

#[test]
fn a_schema_error_names_the_field_and_line() {
    let p = problems(
        "intents:\n  - id: a\n    title: A\n    examples: [x]\n    answer: y\n    colour: red\n",
    );
    assert_eq!(p.len(), 1, "{p:?}");
    assert!(
        p[0].starts_with("kb/faq.yaml:6:") && p[0].contains("colour"),
        "{p:?}"
    );
    let p = problems("intents:\n  - id: a\n    title: A\n    answer: y\n");
    assert!(p[0].contains("missing field `examples`"), "{p:?}");
}

#[test]
fn every_semantic_problem_is_reported_at_once_with_lines() {
    let text = "intents:
  - id: a
    title: A
    examples: []
    answer: x
    related: [nowhere]
  - id: b
    title: B
    examples: [hello, '  ']
    answer: '**unclosed'
  - id: a
    title: A again
    examples: [hi]
    answer: x
";
    let p = problems(text);
    let expect = [
        "kb/faq.yaml:2: intent `a`: there are no examples",
        "kb/faq.yaml:7: intent `b`: an example is empty",
        "kb/faq.yaml:7: intent `b`: the answer's markup",
        "kb/faq.yaml:2: intent `a`: duplicate id, first defined at kb/faq.yaml:2",
        "kb/faq.yaml:2: intent `a`: related intent `nowhere` does not exist",
    ];
    for e in expect {
        assert!(
            p.iter().any(|x| x.starts_with(e)),
            "missing {e:?} in {p:#?}"
        );
    }
    assert_eq!(p.len(), expect.len(), "{p:#?}");
}

#[test]
fn duplicates_across_files_name_both_files() {
    let one = "intents:\n  - id: a\n    title: A\n    examples: [hello there]\n    answer: x\n";
    let two = "intents:\n  - id: b\n    title: B\n    examples: ['Hello, there!']\n    answer: x\n  - id: a\n    title: A\n    examples: [z]\n    answer: x\n";
    let err =
        load_sources(&[(Path::new("one.yaml"), one), (Path::new("two.yaml"), two)]).unwrap_err();
    let p: Vec<String> = err.problems.iter().map(ToString::to_string).collect();
    assert!(
        p.contains(
            &"two.yaml:2: intent `b`: example `Hello, there!` is also an example of `a`"
                .to_string()
        ),
        "{p:#?}"
    );
    assert!(
        p.contains(
            &"two.yaml:6: intent `a`: duplicate id, first defined at one.yaml:2".to_string()
        ),
        "{p:#?}"
    );
}

#[test]
fn bad_synonyms_and_empty_files_are_reported() {
    let p = problems("synonyms:\n  two words: [x]\n  ok: ['']\n");
    assert!(
        p.iter()
            .any(|x| x.starts_with("kb/faq.yaml:2:") && x.contains("one word")),
        "{p:?}"
    );
    assert!(
        p.iter()
            .any(|x| x.starts_with("kb/faq.yaml:3:") && x.contains("phrase is empty")),
        "{p:?}"
    );
    assert!(problems("").iter().any(|x| x.contains("empty")));
}

#[test]
fn the_shipped_knowledge_base_loads_and_covers_the_contract() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("knowledge");
    let kb = load(&dir).unwrap_or_else(|e| panic!("{e}"));
    for id in crate::CONTRACT_INTENTS {
        let intent = kb
            .intent(id)
            .unwrap_or_else(|| panic!("missing intent {id}"));
        assert!(
            intent.examples.len() >= 10,
            "{id} has only {} examples",
            intent.examples.len()
        );
    }
}

const FLOW_INTENT: &str = "intents:
  - id: fix_it
    title: Fix it
    examples: [it is broken]
    answer: Try again.
";

fn flow_problems(flows: &str) -> Vec<String> {
    let sources = [
        (Path::new("kb/faq.yaml"), FLOW_INTENT),
        (Path::new("kb/flows.yaml"), flows),
    ];
    load_sources(&sources)
        .unwrap_err()
        .problems
        .iter()
        .map(ToString::to_string)
        .collect()
}

const GOOD_FLOW: &str = "flows:
  - id: fix
    intent: fix_it
    title: the fix
    steps:
      - step: ask
        say: Did you try again?
        solved: {yes: done, no: name}
      - step: name
        say: Your name?
        ask: name
        field: full_name
        next: summary
      - step: summary
        say: Send this?
        confirm: true
        next: submit
      - step: submit
        ticket: general
        say: Sent as {reference}.
      - step: done
        say: Good.
        end: true
";

#[test]
fn a_good_flow_loads_and_is_started_by_its_intent() {
    let sources = [
        (Path::new("kb/faq.yaml"), FLOW_INTENT),
        (Path::new("kb/flows.yaml"), GOOD_FLOW),
    ];
    let kb = load_sources(&sources).unwrap();
    let flow = kb.flow_for_intent("fix_it").expect("linked");
    assert_eq!(flow.start().id, "ask");
    assert!(flow.collects_personal_data());
    assert_eq!(flow.step_for_field("full_name").unwrap().id, "name");
}

#[test]
fn flow_graph_problems_name_file_line_and_step() {
    let p = flow_problems(
        "flows:
  - id: fix
    intent: fix_it
    title: the fix
    steps:
      - step: start
        say: Pick
        choices:
          - {label: A, goto: nowhere}
          - {label: B, goto: loop_a}
      - step: loop_a
        say: a
        next: loop_b
      - step: loop_b
        next: loop_a
      - step: orphan
        say: never
        end: true
",
    );
    assert!(
        p.contains(
            &"kb/flows.yaml:6: flow `fix`: step `start`: goes to unknown step `nowhere`".into()
        ),
        "{p:#?}"
    );
    assert!(
        p.contains(
            &"kb/flows.yaml:16: flow `fix`: step `orphan`: cannot be reached from the start".into()
        ),
        "{p:#?}"
    );
    assert!(
        p.iter()
            .any(|m| m.starts_with("kb/flows.yaml:11:") && m.contains("`loop_a`: is a dead end")),
        "{p:#?}"
    );
    assert!(
        p.iter()
            .any(|m| m.contains("loop back to it without waiting")),
        "{p:#?}"
    );
}

#[test]
fn flow_step_problems_are_all_reported() {
    let p = flow_problems(
        "flows:
  - id: fix
    intent: no_such_intent
    title: the fix
    steps:
      - step: start
        ask: year
        next: send
      - step: send
        ticket: general
        say: Sent.
      - step: start
        say: again
        end: true
      - step: both
        say: x
        end: true
        handoff: other
  - id: other
    title: other
    steps:
      - step: go
        handoff: missing_flow
",
    );
    let expect = [
        "kb/flows.yaml:6: flow `fix`: step `start`: an `ask` step needs a `field`",
        "kb/flows.yaml:6: flow `fix`: step `start`: a step that waits for the user needs `say`",
        "kb/flows.yaml:9: flow `fix`: step `send`: a ticket step must `say` the `{reference}`",
        "flow `fix`: step `start`: a step with this id comes earlier in the flow",
        "flow `fix`: step `both`: a step does one of",
        "kb/flows.yaml:2: flow `fix`: starts from intent `no_such_intent`, which does not exist",
        "kb/flows.yaml:22: flow `other`: step `go`: hands off to unknown flow `missing_flow`",
    ];
    for e in expect {
        assert!(p.iter().any(|m| m.contains(e)), "{e:?} not in {p:#?}");
    }
}
