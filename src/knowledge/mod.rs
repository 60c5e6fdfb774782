//! The knowledge base: YAML files under `knowledge/`, read and checked here and nowhere else.
//!
//! Every `*.yaml` file below the folder is read, in path order; each may hold any of the
//! top-level keys `intents`, `synonyms` and `out_of_scope` (see `knowledge/README.md`). Loading
//! is strict and reports *every* problem it finds, each with its file and line, so one run of
//! `alumni-bot kb check` shows all there is to fix; the bot refuses to start on any.

pub mod facts;
pub mod flow;
mod locate;

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::lang::Lang;
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
    /// Answers to follow-up questions about this answer, by follow-up kind ("is there a link
    /// for that?" → `link`). A kind without an answer here is answered honestly: the FAQ says
    /// no more, and a person is offered.
    pub followups: BTreeMap<String, String>,
    /// Not the answer for someone who said one of these details: that intent's is instead
    /// (an exchange student asking how to activate is told who is eligible).
    pub not_for: Option<NotFor>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NotFor {
    pub when: Vec<flow::Detail>,
    pub instead: String,
}

/// A kind of follow-up question that leans on the answer just given ("is there a link for
/// that?", "does that work on a Mac too?"): examples once, answers per intent.
#[derive(Debug, Clone, PartialEq)]
pub struct FollowupKind {
    pub id: String,
    pub examples: Vec<String>,
}

#[derive(Debug, Clone, Default)]
pub struct KnowledgeBase {
    pub intents: Vec<Intent>,
    pub synonyms: BTreeMap<String, Vec<String>>,
    pub out_of_scope: Vec<String>,
    pub flows: Flows,
    /// The alumni office's contact details: the one place they are written.
    pub contact: Contact,
    /// Facts of the bot's own procedure allowed beside the FAQ's (see [`facts`]).
    pub own_facts: Vec<String>,
    /// Everything the bot says from this knowledge base, with where it is written.
    pub statements: Vec<Statement>,
    pub followup_kinds: Vec<FollowupKind>,
    /// The languages every text is written in (`languages` in `bot.yaml`); English always.
    pub languages: Vec<Lang>,
    /// The same knowledge base with its Traditional Chinese texts, when it has them: same ids,
    /// steps and examples, other words.
    pub chinese: Option<Box<KnowledgeBase>>,
}

/// How to reach the alumni office. Texts say `{email}` and `{whatsapp}`; the loader fills them in.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Contact {
    pub email: String,
    pub whatsapp: String,
}

/// A text the bot says, as written in the knowledge base (placeholders not yet filled in), with
/// the line where its entry starts.
#[derive(Debug, Clone, PartialEq)]
pub struct Statement {
    pub file: PathBuf,
    pub line: Option<usize>,
    pub text: String,
}

/// Placeholders texts may use, filled in at load.
const PLACEHOLDERS: [&str; 2] = ["email", "whatsapp"];
/// Filled in by the engine when a ticket is filed.
const REFERENCE: &str = "reference";

/// Where the FAQ's own text is kept, relative to the knowledge folder.
pub const SOURCE_FILE: &str = "source/alumni-email-faq.txt";

impl KnowledgeBase {
    /// The knowledge base whose texts are in `lang`'s language (Simplified readers get the
    /// Traditional texts, converted where replies leave the core); English when it has no
    /// Chinese.
    pub fn in_lang(&self, lang: Lang) -> &KnowledgeBase {
        match (lang.is_chinese(), &self.chinese) {
            (true, Some(zh)) => zh,
            _ => self,
        }
    }

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
    #[serde(default)]
    contact: Option<Contact>,
    #[serde(default)]
    own_facts: Vec<String>,
    #[serde(default)]
    followup_kinds: Vec<FollowupKindDoc>,
    #[serde(default)]
    languages: Vec<Lang>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FollowupKindDoc {
    id: String,
    examples: Vec<String>,
    #[serde(default)]
    examples_zh: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct IntentDoc {
    id: String,
    title: String,
    #[serde(default)]
    title_zh: Option<String>,
    examples: Vec<String>,
    #[serde(default)]
    examples_zh: Vec<String>,
    answer: String,
    #[serde(default)]
    answer_zh: Option<String>,
    #[serde(default)]
    related: Vec<String>,
    #[serde(default)]
    followups: BTreeMap<String, String>,
    #[serde(default)]
    followups_zh: BTreeMap<String, String>,
    #[serde(default)]
    not_for: Option<NotFor>,
}

impl IntentDoc {
    /// The intent with its texts in `lang` (the Chinese twins replace the English ones), and
    /// the Chinese keys it lacks when Chinese is asked for. Examples of both languages serve
    /// every language.
    fn localize(mut self, lang: Lang) -> (IntentDoc, Vec<String>) {
        let mut missing = Vec::new();
        self.examples.append(&mut self.examples_zh.clone());
        if lang.is_chinese() {
            if self.examples_zh.iter().all(|e| e.trim().is_empty()) {
                missing.push("examples_zh".to_string());
            }
            swap(
                &mut self.title,
                self.title_zh.take(),
                "title_zh",
                &mut missing,
            );
            swap(
                &mut self.answer,
                self.answer_zh.take(),
                "answer_zh",
                &mut missing,
            );
            let mut zh = std::mem::take(&mut self.followups_zh);
            for (kind, text) in &mut self.followups {
                swap(
                    text,
                    zh.remove(kind),
                    &format!("followups_zh.{kind}"),
                    &mut missing,
                );
            }
            for kind in zh.keys() {
                missing.push(format!("followups.{kind} (answered only in followups_zh)"));
            }
        }
        (self, missing)
    }
}

/// Puts the translation in place of the English text; a missing or empty one is noted and the
/// English kept, so that both languages' knowledge bases keep the same shape.
pub(crate) fn swap(
    text: &mut String,
    translation: Option<String>,
    key: &str,
    missing: &mut Vec<String>,
) {
    match translation {
        Some(t) if !t.trim().is_empty() => *text = t,
        _ => missing.push(key.to_string()),
    }
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
    let (kb, found) = check_sources(&sources);
    problems.extend(found);
    // Facts are checked on whatever could be read, so that one run shows them all.
    let faq = dir.join(SOURCE_FILE);
    if let Ok(faq_text) = std::fs::read_to_string(&faq) {
        let chinese = kb.chinese.as_deref();
        for kb in std::iter::once(&kb).chain(chinese) {
            for p in unsupported_facts(kb, &faq_text, &sources) {
                if !problems.contains(&p) {
                    problems.push(p);
                }
            }
        }
    }
    if problems.is_empty() {
        Ok(kb)
    } else {
        Err(LoadError { problems })
    }
}

/// Every fact the bot says that the FAQ does not, and that is not one of the knowledge base's
/// own facts: at the line where the fact is written.
pub fn unsupported_facts(kb: &KnowledgeBase, faq: &str, sources: &[(&Path, &str)]) -> Vec<Problem> {
    let source = facts::Source::new(faq);
    let mut problems = Vec::new();
    for statement in &kb.statements {
        for fact in facts::extract(&statement.text) {
            if source.supports(&fact) || facts::allowed(&kb.own_facts, &fact) {
                continue;
            }
            let text = sources
                .iter()
                .find(|(p, _)| *p == statement.file)
                .map_or("", |(_, t)| t);
            let from = statement.line.unwrap_or(1).saturating_sub(1);
            let line = text
                .lines()
                .enumerate()
                .skip(from)
                .find(|(_, l)| l.contains(&fact.written))
                .map(|(i, _)| i + 1)
                .or(statement.line);
            problems.push(Problem {
                file: statement.file.clone(),
                line,
                message: format!(
                    "the {} `{}` is not in the FAQ ({SOURCE_FILE}); if it is the bot's own, list it under `own_facts`",
                    fact.kind.name(),
                    fact.written
                ),
            });
        }
    }
    problems
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

/// Checks a knowledge base given as (file name, contents) pairs: English, and Traditional
/// Chinese when `languages` lists it, each text then having its `_zh` twin that keeps the
/// English text's links, addresses, phone numbers and figures.
pub fn load_sources(sources: &[(&Path, &str)]) -> Result<KnowledgeBase, LoadError> {
    let (kb, problems) = check_sources(sources);
    if problems.is_empty() {
        Ok(kb)
    } else {
        Err(LoadError { problems })
    }
}

/// [`load_sources`]'s knowledge base, as far as it could be read, and its problems.
fn check_sources(sources: &[(&Path, &str)]) -> (KnowledgeBase, Vec<Problem>) {
    let (mut kb, mut problems) = load_lang(sources, Lang::En);
    if !kb.languages.contains(&Lang::En) {
        kb.languages.insert(0, Lang::En);
    }
    if kb.languages.iter().any(|l| l.is_chinese()) {
        let (mut zh, zh_problems) = load_lang(sources, Lang::ZhHant);
        for p in zh_problems {
            if !problems.contains(&p) {
                problems.push(p);
            }
        }
        problems.extend(dropped_in_translation(&kb, &zh, sources));
        zh.languages = kb.languages.clone();
        kb.chinese = Some(Box::new(zh));
    }
    (kb, problems)
}

/// Every link, address, phone number or figure of an English text that its Chinese twin drops,
/// at the line of the Chinese text.
fn dropped_in_translation(
    en: &KnowledgeBase,
    zh: &KnowledgeBase,
    sources: &[(&Path, &str)],
) -> Vec<Problem> {
    let mut problems = Vec::new();
    for (original, translated) in en.statements.iter().zip(&zh.statements) {
        let dropped = facts::dropped(&original.text, &translated.text);
        if dropped.is_empty() {
            continue;
        }
        let text = sources
            .iter()
            .find(|(p, _)| *p == translated.file)
            .map_or("", |(_, t)| t);
        let first: String = translated
            .text
            .lines()
            .find(|l| !l.trim().is_empty())
            .unwrap_or("")
            .trim()
            .chars()
            .take(12)
            .collect();
        let line = text
            .lines()
            .enumerate()
            .skip(translated.line.unwrap_or(1).saturating_sub(1))
            .find(|(_, l)| !first.is_empty() && l.contains(&first))
            .map(|(i, _)| i + 1)
            .or(translated.line);
        for fact in dropped {
            problems.push(Problem {
                file: translated.file.clone(),
                line,
                message: format!(
                    "the Chinese text drops the {} `{}` of its English twin",
                    fact.kind.name(),
                    fact.written
                ),
            });
        }
    }
    problems
}

/// One language's knowledge base and the problems found reading it.
fn load_lang(sources: &[(&Path, &str)], lang: Lang) -> (KnowledgeBase, Vec<Problem>) {
    let mut problems = Vec::new();
    let mut kb = KnowledgeBase::default();
    // Where each intent was defined, and each example's owner, to report clashes.
    let mut defined: HashMap<String, (PathBuf, Option<usize>)> = HashMap::new();
    let mut example_owner: HashMap<String, String> = HashMap::new();
    let mut references: Vec<(PathBuf, Option<usize>, String, String)> = Vec::new();
    // Where each flow was defined, and what its steps hand off to or start from.
    let mut flows_at: HashMap<String, (PathBuf, Option<usize>)> = HashMap::new();
    let mut flow_links: Vec<(PathBuf, Option<usize>, String, FlowLink)> = Vec::new();
    let mut followup_refs: Vec<(PathBuf, Option<usize>, String, String)> = Vec::new();

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
        let mut say = |line: Option<usize>, text: &str| {
            kb.statements.push(Statement {
                file: file.to_path_buf(),
                line,
                text: text.to_string(),
            })
        };

        if let Some(contact) = doc.contact {
            let line = locate.key("contact", 0);
            if kb.contact != Contact::default() {
                report(
                    line,
                    "`contact` is given twice; keep it in one place".into(),
                );
            }
            if contact.email.trim().is_empty() || contact.whatsapp.trim().is_empty() {
                report(line, "`contact` needs an `email` and a `whatsapp`".into());
            }
            say(locate.key("email", 0), &contact.email);
            say(locate.key("whatsapp", 0), &contact.whatsapp);
            kb.contact = contact;
        }
        kb.own_facts.extend(doc.own_facts);
        kb.languages.extend(doc.languages);
        for mut kind in doc.followup_kinds {
            let line = locate.id_after(&kind.id, 0);
            if lang.is_chinese() && kind.examples_zh.iter().all(|e| e.trim().is_empty()) {
                report(
                    line,
                    format!(
                        "follow-up kind `{}`: there are no Chinese examples (`examples_zh`)",
                        kind.id
                    ),
                );
            }
            kind.examples.append(&mut kind.examples_zh);
            if kind.examples.iter().all(|e| e.trim().is_empty()) {
                report(
                    line,
                    format!("follow-up kind `{}`: there are no examples", kind.id),
                );
            }
            if kb.followup_kinds.iter().any(|k| k.id == kind.id) {
                report(line, format!("follow-up kind `{}`: duplicate id", kind.id));
            }
            kb.followup_kinds.push(FollowupKind {
                id: kind.id,
                examples: kind.examples,
            });
        }

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
            let (flow_doc, missing) = flow_doc.localize(lang);
            for (step, key) in missing {
                let line = step.as_deref().map_or(flow_line, step_line);
                report(line, format!("flow `{flow_id}`: no Chinese text `{key}`"));
            }
            let (flow, flow_problems) = flow::build(flow_doc);
            for p in flow_problems {
                let line = p.step.as_deref().map_or(flow_line, step_line);
                report(line, format!("flow `{flow_id}`: {}", p.message));
            }
            let Some(flow) = flow else { continue };
            say(flow_line, &flow.title);
            for step in &flow.steps {
                let line = step_line(&step.id);
                for text in step.texts() {
                    say(line, text);
                }
            }
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
            let (intent, missing) = intent.localize(lang);
            let line = locate.intent(&intent.id);
            for key in missing {
                report(
                    line,
                    format!("intent `{}`: no Chinese text `{key}`", intent.id),
                );
            }
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
            if let Some(not_for) = &intent.not_for {
                references.push((
                    file.to_path_buf(),
                    line,
                    intent.id.clone(),
                    not_for.instead.clone(),
                ));
            }
            say(line, &intent.title);
            say(line, &intent.answer);
            for (kind, answer) in &intent.followups {
                let at = line.and_then(|l| locate.key(kind, l - 1));
                if let Err(e) = markup::check(answer) {
                    report(
                        at,
                        format!(
                            "intent `{}`: follow-up `{kind}`: the markup: {e}",
                            intent.id
                        ),
                    );
                }
                followup_refs.push((file.to_path_buf(), at, intent.id.clone(), kind.clone()));
                say(at, answer);
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
                followups: intent
                    .followups
                    .into_iter()
                    .map(|(k, a)| (k, a.trim().to_string()))
                    .collect(),
                not_for: intent.not_for,
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
    for (file, line, intent, kind) in followup_refs {
        if !kb.followup_kinds.iter().any(|k| k.id == kind) {
            problems.push(Problem {
                file,
                line,
                message: format!("intent `{intent}`: follow-up kind `{kind}` does not exist (see `followup_kinds`)"),
            });
        }
    }
    problems.extend(fill_placeholders(&mut kb));
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
    (kb, problems)
}

/// Fills `{email}` and `{whatsapp}` into every text from the one `contact`; a placeholder that is
/// unknown, or used without a `contact`, is a problem at the statement that uses it.
fn fill_placeholders(kb: &mut KnowledgeBase) -> Vec<Problem> {
    let mut problems = Vec::new();
    let have_contact = kb.contact != Contact::default();
    for statement in &kb.statements {
        for name in placeholders(&statement.text) {
            let message = if !PLACEHOLDERS.contains(&name) && name != REFERENCE {
                format!(
                    "unknown placeholder `{{{name}}}` (known: {{email}}, {{whatsapp}}, and {{reference}} in a ticket step)"
                )
            } else if PLACEHOLDERS.contains(&name) && !have_contact {
                format!("`{{{name}}}` is used but no file gives the `contact`")
            } else {
                continue;
            };
            problems.push(Problem {
                file: statement.file.clone(),
                line: statement.line,
                message,
            });
        }
    }
    let contact = kb.contact.clone();
    let fill = |text: &mut String| {
        if text.contains('{') {
            *text = text
                .replace("{email}", &contact.email)
                .replace("{whatsapp}", &contact.whatsapp);
        }
    };
    for intent in &mut kb.intents {
        fill(&mut intent.answer);
        fill(&mut intent.title);
        intent.followups.values_mut().for_each(fill);
    }
    for flow in kb.flows.by_id.values_mut() {
        fill(&mut flow.title);
        for step in &mut flow.steps {
            step.texts_mut().for_each(fill);
        }
    }
    problems
}

/// The `{name}`s of a text.
fn placeholders(text: &str) -> impl Iterator<Item = &str> {
    text.split('{').skip(1).filter_map(|rest| {
        let name = &rest[..rest.find('}')?];
        (!name.is_empty() && name.chars().all(|c| c.is_ascii_lowercase() || c == '_'))
            .then_some(name)
    })
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
