//! Guided flows as data: the steps of a troubleshooting walk or a correction request, read from
//! the `flows:` key of knowledge files and checked like intents (see `knowledge/README.md`).
//!
//! A flow is a list of steps; the first is where it starts. Each step may `say` something and
//! then does exactly one thing: go on to the `next` step, offer `choices`, `ask` for a value or a
//! file, ask whether that `solved` it, show a summary to `confirm`, file a `ticket`, `end`, or
//! `handoff` to another flow. The checks make sure every flow can be walked: every step named
//! exists, every step can be reached from the start, every step can reach an end, and no chain of
//! `next` loops forever.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use crate::lang::Lang;
use serde::Deserialize;

/// Longest flow or step id: button data is `f:<flow>:<step>:<choice>` and Telegram allows 64
/// bytes of it.
pub const MAX_ID_LEN: usize = 24;

#[derive(Debug, Clone, PartialEq)]
pub struct Flow {
    pub id: String,
    /// Shown when the bot offers to resume it: "Continue with <title>".
    pub title: String,
    /// The intent that starts this flow instead of being answered with its text.
    pub intent: Option<String>,
    /// In order; the first is the start.
    pub steps: Vec<Step>,
    /// Where to start instead of the first step when the user's first message already says
    /// something: the first entry whose detail is known wins.
    pub entries: Vec<Entry>,
}

/// A detail a user can give in their own words, before or instead of pressing a choice:
/// what flows can declare on `entries` and on `choices` (`when:`). The core reads them out of
/// messages (`core::understand::details`).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize, serde::Serialize,
)]
#[serde(rename_all = "snake_case")]
pub enum Detail {
    /// "I set my account up in 2011", "before 2014".
    #[serde(rename = "activated_before_2014")]
    ActivatedBefore2014,
    /// "I activated it in 2016", "after march 2014".
    #[serde(rename = "activated_after_2014")]
    ActivatedAfter2014,
    /// "I was an exchange student".
    ExchangeStudent,
    /// "I did a short course".
    ShortCourse,
    /// "I was a visiting scholar".
    VisitingScholar,
    /// "My passport was renewed".
    PassportRenewed,
    /// "How do I turn off forwarding".
    StopForwarding,
    /// "I'm not sure", "I don't remember".
    NotSure,
    /// "my name is spelled wrong in your records".
    WrongName,
    /// "I have a BBA", "msc in 2018".
    DegreeGraduate,
    /// "the passport number you have is wrong".
    WrongPassport,
}

impl Detail {
    /// Whether the detail is about the user and stays true for the conversation (when they
    /// activated, what they studied), rather than about this one message ("not sure", "turn off
    /// forwarding").
    pub fn is_lasting(self) -> bool {
        !matches!(
            self,
            Detail::NotSure | Detail::StopForwarding | Detail::WrongName | Detail::WrongPassport
        )
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    pub when: Detail,
    pub step: String,
}

impl Flow {
    pub fn start(&self) -> &Step {
        &self.steps[0]
    }

    pub fn step(&self, id: &str) -> Option<&Step> {
        self.steps.iter().find(|s| s.id == id)
    }

    /// The step that collects `field`, to go back to when the user edits it.
    pub fn step_for_field(&self, field: &str) -> Option<&Step> {
        self.steps
            .iter()
            .find(|s| s.field.as_ref().is_some_and(|f| f.name == field))
    }

    /// Fields in the order the flow collects them.
    pub fn fields(&self) -> impl Iterator<Item = &Field> {
        self.steps.iter().filter_map(|s| s.field.as_ref())
    }

    /// The steps that can follow `from`, itself included.
    pub fn reachable_from(&self, from: &str) -> BTreeSet<String> {
        let mut seen = BTreeSet::new();
        let mut todo = vec![from.to_string()];
        while let Some(id) = todo.pop() {
            if let Some(step) = self.step(&id)
                && seen.insert(id)
            {
                todo.extend(step.action.successors().into_iter().map(str::to_string));
            }
        }
        seen
    }

    /// Whether the flow acts on this detail (an entry or a choice `when:` names it).
    pub fn uses(&self, detail: Detail) -> bool {
        self.entries.iter().any(|e| e.when == detail)
            || self.steps.iter().any(|s| match &s.action {
                Action::Choices(options) => options.iter().any(|c| c.when.contains(&detail)),
                _ => false,
            })
    }

    /// Whether the flow asks for anything a user types or sends (names, numbers, files): such
    /// flows run only in private chats.
    pub fn collects_personal_data(&self) -> bool {
        self.steps
            .iter()
            .any(|s| matches!(s.action, Action::Ask { .. }))
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Step {
    pub id: String,
    /// In the markup of [`crate::markup`]. For a ticket step, said after filing, with
    /// `{reference}` replaced by the ticket's reference.
    pub say: Option<String>,
    /// Where the user's answer is kept, for `ask` and (optionally) `choices`.
    pub field: Option<Field>,
    pub action: Action,
}

impl Step {
    /// Everything this step says: its text, choice labels and hint.
    pub fn texts(&self) -> impl Iterator<Item = &str> {
        let labels: &[Choice] = match &self.action {
            Action::Choices(options) => options,
            _ => &[],
        };
        let hint = match &self.action {
            Action::Ask { hint, .. } => hint.as_deref(),
            _ => None,
        };
        self.say
            .as_deref()
            .into_iter()
            .chain(labels.iter().map(|c| c.label.as_str()))
            .chain(hint)
    }

    /// The same texts, to fill in placeholders.
    pub(super) fn texts_mut(&mut self) -> impl Iterator<Item = &mut String> {
        let (labels, hint): (&mut [Choice], Option<&mut String>) = match &mut self.action {
            Action::Choices(options) => (options.as_mut_slice(), None),
            Action::Ask { hint, .. } => (&mut [], hint.as_mut()),
            _ => (&mut [], None),
        };
        self.say
            .as_mut()
            .into_iter()
            .chain(labels.iter_mut().map(|c| &mut c.label))
            .chain(hint)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Field {
    pub name: String,
    /// How the summary names it.
    pub label: String,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    /// Say, then go straight on.
    Next(String),
    Choices(Vec<Choice>),
    Ask {
        kind: Kind,
        /// Said when a value is not accepted, after the reason.
        hint: Option<String>,
        next: String,
    },
    /// "Did that solve it?"
    Solved {
        yes: String,
        no: String,
    },
    /// A summary of every field so far, to send or edit.
    Confirm {
        next: String,
    },
    /// Files a ticket with the fields, files and transcript, then ends.
    Ticket {
        category: String,
    },
    End,
    Handoff(String),
}

impl Action {
    /// Whether the flow stops at this step to wait for the user.
    pub fn waits(&self) -> bool {
        matches!(
            self,
            Action::Choices(_)
                | Action::Ask { .. }
                | Action::Solved { .. }
                | Action::Confirm { .. }
        )
    }

    /// The steps this one can lead to within its flow.
    fn successors(&self) -> Vec<&str> {
        match self {
            Action::Next(n) | Action::Ask { next: n, .. } | Action::Confirm { next: n } => {
                vec![n]
            }
            Action::Choices(options) => options.iter().map(|c| c.goto.as_str()).collect(),
            Action::Solved { yes, no } => vec![yes, no],
            Action::Ticket { .. } | Action::End | Action::Handoff(_) => vec![],
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Choice {
    pub label: String,
    pub goto: String,
    /// Chosen without asking when the user has already said one of these.
    pub when: Vec<Detail>,
}

/// What an `ask` step accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// A short value in words (a degree, what is wrong): a question or a remark is not taken
    /// as one.
    Text,
    /// A message for staff, kept verbatim: questions included.
    Message,
    /// A person's name: letters, spaces and the punctuation names have.
    Name,
    Email,
    /// A year of graduation: 1991 to this year.
    Year,
    /// An HKID or passport number: letters and digits.
    IdNumber,
    /// A photo or PDF.
    File,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct FlowDoc {
    pub id: String,
    pub title: String,
    #[serde(default)]
    title_zh: Option<String>,
    #[serde(default)]
    pub intent: Option<String>,
    pub steps: Vec<StepDoc>,
    #[serde(default)]
    pub entries: Vec<EntryDoc>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct EntryDoc {
    when: Detail,
    step: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct StepDoc {
    step: String,
    #[serde(default)]
    say: Option<String>,
    #[serde(default)]
    say_zh: Option<String>,
    #[serde(default)]
    field: Option<String>,
    #[serde(default)]
    label: Option<String>,
    #[serde(default)]
    label_zh: Option<String>,
    #[serde(default)]
    ask: Option<Kind>,
    #[serde(default)]
    hint: Option<String>,
    #[serde(default)]
    hint_zh: Option<String>,
    #[serde(default)]
    next: Option<String>,
    #[serde(default)]
    choices: Option<Vec<ChoiceDoc>>,
    #[serde(default)]
    solved: Option<SolvedDoc>,
    #[serde(default)]
    confirm: bool,
    #[serde(default)]
    ticket: Option<String>,
    #[serde(default)]
    end: bool,
    #[serde(default)]
    handoff: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ChoiceDoc {
    label: String,
    #[serde(default)]
    label_zh: Option<String>,
    goto: String,
    #[serde(default)]
    when: Vec<Detail>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SolvedDoc {
    yes: String,
    no: String,
}

impl FlowDoc {
    /// The flow with its texts in `lang` (each `_zh` twin in place of the English text), and
    /// the Chinese texts it lacks as (step, key) when Chinese is asked for.
    pub(super) fn localize(mut self, lang: Lang) -> (FlowDoc, Vec<(Option<String>, String)>) {
        let mut missing = Vec::new();
        if !lang.is_chinese() {
            return (self, missing);
        }
        let mut keys = Vec::new();
        super::swap(&mut self.title, self.title_zh.take(), "title_zh", &mut keys);
        missing.extend(keys.drain(..).map(|k| (None, k)));
        for step in &mut self.steps {
            let pairs = [
                (&mut step.say, step.say_zh.take(), "say_zh"),
                (&mut step.label, step.label_zh.take(), "label_zh"),
                (&mut step.hint, step.hint_zh.take(), "hint_zh"),
            ];
            for (text, translation, key) in pairs {
                if let Some(text) = text {
                    super::swap(text, translation, key, &mut keys);
                }
            }
            for (i, choice) in step.choices.iter_mut().flatten().enumerate() {
                super::swap(
                    &mut choice.label,
                    choice.label_zh.take(),
                    &format!("choices[{}].label_zh", i + 1),
                    &mut keys,
                );
            }
            missing.extend(keys.drain(..).map(|k| (Some(step.step.clone()), k)));
        }
        (self, missing)
    }
}

/// A problem with a flow, to be placed in its file: at the step it names, or at the flow.
pub(super) struct FlowProblem {
    pub step: Option<String>,
    pub message: String,
}

/// Builds one flow from its document and checks everything that can be checked without the rest
/// of the knowledge base (references to other flows and intents are checked by the caller).
pub(super) fn build(doc: FlowDoc) -> (Option<Flow>, Vec<FlowProblem>) {
    let mut problems = Vec::new();
    let flow_problem = |message: String| FlowProblem {
        step: None,
        message,
    };
    if !valid_id(&doc.id) {
        problems.push(flow_problem(format!(
            "an id is lower-case letters, digits and `_`, at most {MAX_ID_LEN} long"
        )));
    }
    if doc.title.trim().is_empty() {
        problems.push(flow_problem("the title is empty".into()));
    }
    if doc.steps.is_empty() {
        problems.push(flow_problem("there are no steps".into()));
        return (None, problems);
    }
    let mut steps = Vec::new();
    let mut seen = BTreeSet::new();
    let mut fields = BTreeSet::new();
    for step in doc.steps {
        let mut here = |message: String| {
            problems.push(FlowProblem {
                step: Some(step.step.clone()),
                message: format!("step `{}`: {message}", step.step),
            })
        };
        if !valid_id(&step.step) {
            here(format!(
                "an id is lower-case letters, digits and `_`, at most {MAX_ID_LEN} long"
            ));
        }
        if !seen.insert(step.step.clone()) {
            here("a step with this id comes earlier in the flow".into());
            continue;
        }
        if let Some(say) = &step.say {
            if say.trim().is_empty() {
                here("`say` is empty".into());
            }
            if let Err(e) = crate::markup::check(say) {
                here(format!("the markup of `say`: {e}"));
            }
        }
        let kinds = [
            step.ask.is_some(),
            step.choices.is_some(),
            step.solved.is_some(),
            step.confirm,
            step.ticket.is_some(),
            step.end,
            step.handoff.is_some(),
        ];
        let action = match kinds.iter().filter(|k| **k).count() {
            0 => step.next.clone().map(Action::Next),
            1 => None,
            _ => {
                here("a step does one of `ask`, `choices`, `solved`, `confirm`, `ticket`, `end`, `handoff`".into());
                continue;
            }
        };
        let needs_next = step.ask.is_some() || step.confirm;
        if !needs_next && action.is_none() && step.next.is_some() {
            here("`next` goes with `ask`, `confirm` or a step that only says something".into());
        }
        if needs_next && step.next.is_none() {
            here("this step needs a `next`".into());
        }
        let action = action.or_else(|| {
            if let Some(kind) = step.ask {
                Some(Action::Ask {
                    kind,
                    hint: step.hint.clone(),
                    next: step.next.clone().unwrap_or_default(),
                })
            } else if let Some(choices) = &step.choices {
                Some(Action::Choices(
                    choices
                        .iter()
                        .map(|c| Choice {
                            label: c.label.trim().to_string(),
                            goto: c.goto.clone(),
                            when: c.when.clone(),
                        })
                        .collect(),
                ))
            } else if let Some(solved) = &step.solved {
                Some(Action::Solved {
                    yes: solved.yes.clone(),
                    no: solved.no.clone(),
                })
            } else if step.confirm {
                Some(Action::Confirm {
                    next: step.next.clone().unwrap_or_default(),
                })
            } else if let Some(category) = &step.ticket {
                Some(Action::Ticket {
                    category: category.clone(),
                })
            } else if step.end {
                Some(Action::End)
            } else {
                step.handoff.clone().map(Action::Handoff)
            }
        });
        let Some(action) = action else {
            here("the step does nothing: give it `next`, `ask`, `choices`, `solved`, `confirm`, `ticket`, `end` or `handoff`".into());
            continue;
        };
        if step.hint.is_some() && step.ask.is_none() {
            here("`hint` goes with `ask`".into());
        }
        if step.label.is_some() && step.field.is_none() {
            here("`label` goes with `field`".into());
        }
        let field = match (&step.field, &action) {
            (Some(name), Action::Ask { .. } | Action::Choices(_)) => {
                if !fields.insert(name.clone()) {
                    here(format!("field `{name}` is collected by an earlier step"));
                }
                Some(Field {
                    name: name.clone(),
                    label: step.label.clone().unwrap_or_else(|| name.replace('_', " ")),
                })
            }
            (Some(_), _) => {
                here("`field` goes with `ask` or `choices`".into());
                None
            }
            (None, Action::Ask { .. }) => {
                here("an `ask` step needs a `field` to keep the answer in".into());
                None
            }
            (None, _) => None,
        };
        if action.waits() && step.say.is_none() {
            here("a step that waits for the user needs `say` to tell them what to do".into());
        }
        if let Action::Choices(options) = &action {
            if options.is_empty() {
                here("`choices` is empty".into());
            }
            if options.iter().any(|c| c.label.is_empty()) {
                here("a choice has an empty label".into());
            }
        }
        if let Action::Ticket { category } = &action {
            if !valid_id(category) {
                here("a ticket category is lower-case letters, digits and `_`".into());
            }
            if !step.say.as_deref().unwrap_or("").contains("{reference}") {
                here("a ticket step must `say` the `{reference}` users quote".into());
            }
        }
        steps.push(Step {
            id: step.step,
            say: step.say.map(|s| s.trim().to_string()),
            field,
            action,
        });
    }
    let flow = Flow {
        id: doc.id,
        title: doc.title.trim().to_string(),
        intent: doc.intent,
        steps,
        entries: doc
            .entries
            .into_iter()
            .map(|e| Entry {
                when: e.when,
                step: e.step,
            })
            .collect(),
    };
    for entry in &flow.entries {
        if flow.step(&entry.step).is_none() {
            problems.push(FlowProblem {
                step: None,
                message: format!("an entry goes to unknown step `{}`", entry.step),
            });
        }
    }
    problems.extend(check_graph(&flow));
    (Some(flow), problems)
}

/// Unknown, unreachable and dead-end steps, and loops of `next`.
fn check_graph(flow: &Flow) -> Vec<FlowProblem> {
    let mut problems = Vec::new();
    let index: HashMap<&str, usize> = flow
        .steps
        .iter()
        .enumerate()
        .map(|(i, s)| (s.id.as_str(), i))
        .collect();
    let mut edges: Vec<Vec<usize>> = vec![Vec::new(); flow.steps.len()];
    for (i, step) in flow.steps.iter().enumerate() {
        for target in step.action.successors() {
            match index.get(target) {
                Some(&j) => edges[i].push(j),
                None => problems.push(FlowProblem {
                    step: Some(step.id.clone()),
                    message: format!("step `{}`: goes to unknown step `{target}`", step.id),
                }),
            }
        }
    }
    if flow.steps.is_empty() {
        return problems;
    }
    // Reachable from the start.
    let mut reached = vec![false; flow.steps.len()];
    let mut todo = vec![0];
    while let Some(i) = todo.pop() {
        if !std::mem::replace(&mut reached[i], true) {
            todo.extend(&edges[i]);
        }
    }
    // Can reach an end: fixed point backwards from the terminal steps.
    let mut finishes: Vec<bool> = flow
        .steps
        .iter()
        .map(|s| s.action.successors().is_empty())
        .collect();
    loop {
        let mut changed = false;
        for i in 0..flow.steps.len() {
            if !finishes[i] && edges[i].iter().any(|&j| finishes[j]) {
                finishes[i] = true;
                changed = true;
            }
        }
        if !changed {
            break;
        }
    }
    for (i, step) in flow.steps.iter().enumerate() {
        if !reached[i] {
            problems.push(FlowProblem {
                step: Some(step.id.clone()),
                message: format!("step `{}`: cannot be reached from the start", step.id),
            });
        } else if !finishes[i] {
            problems.push(FlowProblem {
                step: Some(step.id.clone()),
                message: format!(
                    "step `{}`: is a dead end, no way from it leads to an end, a ticket or a hand-off",
                    step.id
                ),
            });
        }
    }
    // A loop made only of `next` would never stop to wait for the user.
    for (i, step) in flow.steps.iter().enumerate() {
        let mut seen = BTreeSet::from([i]);
        let mut at = i;
        while let Action::Next(n) = &flow.steps[at].action {
            let Some(&j) = index.get(n.as_str()) else {
                break;
            };
            if !seen.insert(j) {
                if j == i {
                    problems.push(FlowProblem {
                        step: Some(step.id.clone()),
                        message: format!(
                            "step `{}`: its `next` steps loop back to it without waiting for the user",
                            step.id
                        ),
                    });
                }
                break;
            }
            at = j;
        }
    }
    problems
}

fn valid_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= MAX_ID_LEN
        && id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

/// The flows by id, and which flow each starting intent leads to.
#[derive(Debug, Clone, Default)]
pub struct Flows {
    pub by_id: BTreeMap<String, Flow>,
    pub by_intent: BTreeMap<String, String>,
}
