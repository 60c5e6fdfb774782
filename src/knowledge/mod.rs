//! The knowledge base: YAML files under `knowledge/`, read and checked here and nowhere else.
//!
//! Every `*.yaml` file below the folder is read, in path order; each may hold any of the
//! top-level keys `intents`, `synonyms` and `out_of_scope` (see `knowledge/README.md`). Loading
//! is strict and reports *every* problem it finds, each with its file and line, so one run of
//! `alumni-bot kb check` shows all there is to fix; the bot refuses to start on any.

pub mod flow;
mod locate;

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::markup;
use crate::matcher::Example;
use crate::matcher::normalize::Synonyms;
use flow::{Flow, FlowDoc, Flows};
use locate::Locator;

/// One FAQ entry: what users ask, and what the bot answers.
#[derive(Debug, Clone, PartialEq)]
pub struct Intent {
    pub id: String,
    /// Short label, used on "did you mean" buttons.
    pub title: String,
    pub examples: Vec<String>,
    /// The answer, in the small markup of [`crate::markup`].
    pub answer: String,
    /// Intents worth offering after this one.
    pub related: Vec<String>,
}

#[derive(Debug, Clone, Default)]
pub struct KnowledgeBase {
    pub intents: Vec<Intent>,
    pub synonyms: BTreeMap<String, Vec<String>>,
    pub out_of_scope: Vec<String>,
    pub flows: Flows,
}

impl KnowledgeBase {
    pub fn intent(&self, id: &str) -> Option<&Intent> {
        self.intents.iter().find(|i| i.id == id)
    }

    pub fn flow(&self, id: &str) -> Option<&Flow> {
        self.flows.by_id.get(id)
    }

    /// What a ticket category is called: the title of the flow that files it.
    pub fn ticket_title(&self, category: &str) -> Option<&str> {
        self.flows.by_id.values().find_map(|f| {
            f.steps
                .iter()
                .any(|s| matches!(&s.action, flow::Action::Ticket { category: c } if c == category))
                .then_some(f.title.as_str())
        })
    }

    /// The flow an intent starts, if it starts one.
    pub fn flow_for_intent(&self, intent: &str) -> Option<&Flow> {
        self.flows.by_intent.get(intent).and_then(|f| self.flow(f))
    }

    /// The labelled examples the matcher learns from.
    pub fn examples(&self) -> Vec<Example> {
        let inscope = self.intents.iter().flat_map(|i| {
            i.examples.iter().map(|t| Example {
                text: t.clone(),
                intent: Some(i.id.clone()),
            })
        });
        let oos = self.out_of_scope.iter().map(|t| Example {
            text: t.clone(),
            intent: None,
        });
        inscope.chain(oos).collect()
    }

    pub fn synonym_table(&self) -> Synonyms {
        Synonyms::new(
            self.synonyms
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_slice())),
        )
    }
}

/// A problem in one file, at one line when it is known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub file: PathBuf,
    pub line: Option<usize>,
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(line) => write!(f, "{}:{}: {}", self.file.display(), line, self.message),
            None => write!(f, "{}: {}", self.file.display(), self.message),
        }
    }
}

/// Every problem found in a knowledge base.
#[derive(Debug, Clone, thiserror::Error)]
pub struct LoadError {
    pub problems: Vec<Problem>,
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "the knowledge base has {} problem(s):",
            self.problems.len()
        )?;
        for p in &self.problems {
            writeln!(f, "  {p}")?;
        }
        Ok(())
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileDoc {
    #[serde(default)]
    intents: Vec<IntentDoc>,
    #[serde(default)]
    synonyms: BTreeMap<String, Vec<String>>,
    #[serde(default)]
    out_of_scope: Vec<String>,
    #[serde(default)]
    flows: Vec<FlowDoc>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct IntentDoc {
    id: String,
    title: String,
    examples: Vec<String>,
    answer: String,
    #[serde(default)]
    related: Vec<String>,
}

/// Reads and checks every YAML file below `dir`.
pub fn load(dir: &Path) -> Result<KnowledgeBase, LoadError> {
    let mut problems = Vec::new();
    let mut files = Vec::new();
    if let Err(e) = collect_yaml(dir, &mut files) {
        problems.push(Problem {
            file: dir.to_path_buf(),
            line: None,
            message: format!("cannot read the folder: {e}"),
        });
    }
    files.sort();
    let mut sources = Vec::new();
    for path in files {
        match std::fs::read_to_string(&path) {
            Ok(text) => sources.push((path, text)),
            Err(e) => problems.push(Problem {
                file: path,
                line: None,
                message: format!("cannot read: {e}"),
            }),
        }
    }
    let sources: Vec<(&Path, &str)> = sources
        .iter()
        .map(|(p, t)| (p.as_path(), t.as_str()))
        .collect();
    match load_sources(&sources) {
        Ok(kb) if problems.is_empty() => Ok(kb),
        Ok(_) => Err(LoadError { problems }),
        Err(e) => {
            problems.extend(e.problems);
            Err(LoadError { problems })
        }
    }
}

fn collect_yaml(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            collect_yaml(&path, out)?;
        } else if path.extension().is_some_and(|e| e == "yaml" || e == "yml") {
            out.push(path);
        }
    }
    Ok(())
}

/// Checks a knowledge base given as (file name, contents) pairs.
pub fn load_sources(sources: &[(&Path, &str)]) -> Result<KnowledgeBase, LoadError> {
    let mut problems = Vec::new();
    let mut kb = KnowledgeBase::default();
    // Where each intent was defined, and each example's owner, to report clashes.
    let mut defined: HashMap<String, (PathBuf, Option<usize>)> = HashMap::new();
    let mut example_owner: HashMap<String, String> = HashMap::new();
    let mut references: Vec<(PathBuf, Option<usize>, String, String)> = Vec::new();
    // Where each flow was defined, and what its steps hand off to or start from.
    let mut flows_at: HashMap<String, (PathBuf, Option<usize>)> = HashMap::new();
    let mut flow_links: Vec<(PathBuf, Option<usize>, String, FlowLink)> = Vec::new();

    for &(file, text) in sources {
        let mut report = |line: Option<usize>, message: String| {
            problems.push(Problem {
                file: file.to_path_buf(),
                line,
                message,
            });
        };
        let doc: FileDoc = match serde_yaml_ng::from_str::<Option<FileDoc>>(text) {
            Ok(Some(doc)) => doc,
            Ok(None) => {
                report(None, "the file is empty".into());
                continue;
            }
            Err(e) => {
                let line = e.location().map(|l| l.line());
                report(line, yaml_message(&e));
                continue;
            }
        };
        let locate = Locator::new(text);

        for (canonical, phrases) in &doc.synonyms {
            let line = locate.key(canonical, 0);
            if canonical.split_whitespace().count() != 1 {
                report(
                    line,
                    format!("synonym `{canonical}`: the canonical form must be one word"),
                );
            }
            if phrases.iter().any(|p| p.trim().is_empty()) {
                report(line, format!("synonym `{canonical}`: a phrase is empty"));
            }
            kb.synonyms
                .entry(canonical.clone())
                .or_default()
                .extend(phrases.iter().cloned());
        }

        for (i, example) in doc.out_of_scope.iter().enumerate() {
            if example.trim().is_empty() {
                report(
                    locate.key("out_of_scope", 0).map(|l| l + i + 1),
                    "an out-of-scope example is empty".into(),
                );
            }
        }
        kb.out_of_scope.extend(
            doc.out_of_scope
                .iter()
                .filter(|e| !e.trim().is_empty())
                .cloned(),
        );

        let flows_line = locate.key("flows", 0).unwrap_or(1) - 1;
        for flow_doc in doc.flows {
            let flow_line = locate.id_after(&flow_doc.id, flows_line);
            let step_line = |step: &str| {
                flow_line
                    .and_then(|l| locate.value_after("step", step, l))
                    .or(flow_line)
            };
            let flow_id = flow_doc.id.clone();
            if let Some((other_file, other_line)) = flows_at.get(&flow_id) {
                let at = other_line.map_or(String::new(), |l| format!(":{l}"));
                report(
                    flow_line,
                    format!(
                        "flow `{flow_id}`: duplicate id, first defined at {}{at}",
                        other_file.display()
                    ),
                );
                continue;
            }
            let (flow, flow_problems) = flow::build(flow_doc);
            for p in flow_problems {
                let line = p.step.as_deref().map_or(flow_line, step_line);
                report(line, format!("flow `{flow_id}`: {}", p.message));
            }
            let Some(flow) = flow else { continue };
            flows_at.insert(flow_id.clone(), (file.to_path_buf(), flow_line));
            if let Some(intent) = &flow.intent {
                flow_links.push((
                    file.to_path_buf(),
                    flow_line,
                    flow_id.clone(),
                    FlowLink::Intent(intent.clone()),
                ));
            }
            for step in &flow.steps {
                if let flow::Action::Handoff(target) = &step.action {
                    flow_links.push((
                        file.to_path_buf(),
                        step_line(&step.id),
                        flow_id.clone(),
                        FlowLink::Handoff(step.id.clone(), target.clone()),
                    ));
                }
            }
            kb.flows.by_id.insert(flow_id, flow);
        }

        for intent in doc.intents {
            let line = locate.intent(&intent.id);
            let mut here =
                |message: String| report(line, format!("intent `{}`: {message}", intent.id));
            if intent.id.is_empty()
                || !intent
                    .id
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
            {
                here("an id is lower-case letters, digits and `_`".into());
            }
            if let Some((other_file, other_line)) = defined.get(&intent.id) {
                let at = other_line.map_or(String::new(), |l| format!(":{l}"));
                here(format!(
                    "duplicate id, first defined at {}{at}",
                    other_file.display()
                ));
                continue;
            }
            defined.insert(intent.id.clone(), (file.to_path_buf(), line));
            if intent.title.trim().is_empty() {
                here("the title is empty".into());
            }
            if intent.answer.trim().is_empty() {
                here("the answer is empty".into());
            }
            if let Err(e) = markup::check(&intent.answer) {
                here(format!("the answer's markup: {e}"));
            }
            if intent.examples.is_empty() {
                here("there are no examples: the matcher could never choose it".into());
            }
            for example in &intent.examples {
                if example.trim().is_empty() {
                    here("an example is empty".into());
                    continue;
                }
                let key = crate::matcher::normalize::tokenize(example).join(" ");
                if let Some(owner) = example_owner.get(&key) {
                    if owner == &intent.id {
                        here(format!("example `{example}` is listed twice"));
                    } else {
                        here(format!(
                            "example `{example}` is also an example of `{owner}`"
                        ));
                    }
                } else {
                    example_owner.insert(key, intent.id.clone());
                }
            }
            for target in &intent.related {
                references.push((file.to_path_buf(), line, intent.id.clone(), target.clone()));
            }
            kb.intents.push(Intent {
                id: intent.id,
                title: intent.title.trim().to_string(),
                examples: intent
                    .examples
                    .into_iter()
                    .filter(|e| !e.trim().is_empty())
                    .collect(),
                answer: intent.answer.trim().to_string(),
                related: intent.related,
            });
        }
    }

    for (file, line, from, target) in references {
        if target == from {
            problems.push(Problem {
                file,
                line,
                message: format!("intent `{from}`: relates to itself"),
            });
        } else if !defined.contains_key(&target) {
            problems.push(Problem {
                file,
                line,
                message: format!("intent `{from}`: related intent `{target}` does not exist"),
            });
        }
    }
    for (file, line, flow_id, link) in flow_links {
        let message = match link {
            FlowLink::Intent(intent) if !defined.contains_key(&intent) => {
                format!("flow `{flow_id}`: starts from intent `{intent}`, which does not exist")
            }
            FlowLink::Intent(intent) => match kb.flows.by_intent.get(&intent) {
                Some(other) => {
                    format!("flow `{flow_id}`: intent `{intent}` already starts flow `{other}`")
                }
                None => {
                    kb.flows.by_intent.insert(intent, flow_id);
                    continue;
                }
            },
            FlowLink::Handoff(step, target) if !kb.flows.by_id.contains_key(&target) => {
                format!("flow `{flow_id}`: step `{step}`: hands off to unknown flow `{target}`")
            }
            FlowLink::Handoff(..) => continue,
        };
        problems.push(Problem {
            file,
            line,
            message,
        });
    }
    if kb.intents.is_empty() && problems.is_empty() {
        // Named after the folder that was read (or the one file, when it has no folder).
        let place = sources.first().map_or_else(
            || PathBuf::from("knowledge"),
            |(file, _)| match file.parent() {
                Some(dir) if !dir.as_os_str().is_empty() => dir.to_path_buf(),
                _ => file.to_path_buf(),
            },
        );
        problems.push(Problem {
            file: place,
            line: None,
            message: "no intents found".into(),
        });
    }
    if problems.is_empty() {
        Ok(kb)
    } else {
        Err(LoadError { problems })
    }
}

/// What a flow refers to outside itself, checked once every file is read.
enum FlowLink {
    Intent(String),
    /// (step, target flow)
    Handoff(String, String),
}

/// serde_yaml's message without its trailing " at line N column M" (the line is reported apart).
fn yaml_message(e: &serde_yaml_ng::Error) -> String {
    let message = e.to_string();
    match message.find(" at line ") {
        Some(i) => message[..i].to_string(),
        None => message,
    }
}

#[cfg(test)]
mod tests;
