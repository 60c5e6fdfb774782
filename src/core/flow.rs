//! Running the guided flows of the knowledge base (`crate::knowledge::flow`): where a user is,
//! what the bot asks next, what it accepts, and the ticket at the end.
//!
//! The whole position is in [`FlowRun`], saved with the conversation after every message, so a
//! restart resumes at the same step with the same answers. A flow's buttons carry their flow and
//! step (`f:<flow>:<step>:<answer>`), so a button from a step already left is recognised as old
//! and cannot act twice.

use chrono::Datelike;
use tracing::{debug, info};

use super::buttons::{ButtonData, StepAnswer};
use super::conversation::{Conversation, FlowRun};
use super::engine::{Engine, Stores, Turn};
use super::message::{Button, Reply, Upload};
use super::texts::{fill, tr};
use super::ticket::{FilingError, NewTicket, TicketStore};
use super::understand::answers::{self, YesNo};
use super::understand::chinese;
use super::understand::details;
use super::validate;
use crate::knowledge::flow::{Action, Choice, Detail, Flow, Kind, Step};
use crate::lang::Lang;
use crate::markup;
use crate::matcher::Decision;
use crate::matcher::normalize::tokenize;

/// Steps passed through without waiting, at most, in one message: flows are checked at load to
/// have no loop of `next`, this only guards against a knowledge base changed under a saved run.
const MAX_CHAIN: usize = 32;

/// A user's answer to a waiting step, from a button or from typed text.
type Answer = StepAnswer;

fn button(flow: &Flow, step: &Step, label: &str, answer: Answer) -> Button {
    Button::new(
        label,
        ButtonData::Step {
            flow: flow.id.clone(),
            step: step.id.clone(),
            answer,
        },
    )
}

impl<S: Stores> Engine<S> {
    /// The flow and step the user is at, if the run still fits the knowledge base.
    fn position(&self, conversation: &Conversation) -> Option<(&Flow, &Step)> {
        let run = conversation.flow.as_ref()?;
        let flow = self.kb.in_lang(conversation.lang).flow(&run.flow)?;
        Some((flow, flow.step(&run.step)?))
    }

    /// Whether the step waiting for the user takes a typed value (a name, a number, a message).
    pub(super) fn awaits_value(&self, conversation: &Conversation) -> bool {
        self.position(conversation)
            .is_some_and(|(_, step)| matches!(step.action, Action::Ask { .. }))
    }

    /// A kept choice as the user saw it: the label in their language of the option kept in
    /// English; any other value as it is.
    fn shown_label(&self, flow: &Flow, field: &str, value: &str) -> String {
        fn options<'f>(flow: &'f Flow, field: &str) -> Option<&'f [Choice]> {
            match &flow.step_for_field(field)?.action {
                Action::Choices(options) => Some(options),
                _ => None,
            }
        }
        let english = self.kb.flow(&flow.id).and_then(|f| options(f, field));
        english
            .zip(options(flow, field))
            .and_then(|(en, shown)| {
                let i = en.iter().position(|c| c.label == value)?;
                shown.get(i).map(|c| c.label.clone())
            })
            .unwrap_or_else(|| value.to_string())
    }

    /// What a choice is kept as in a ticket: its English label, the one staff work with.
    fn kept_label(&self, flow: &str, step: &str, choice: usize, shown: &str) -> String {
        self.kb
            .flow(flow)
            .and_then(|f| f.step(step))
            .and_then(|s| match &s.action {
                Action::Choices(options) => options.get(choice).map(|c| c.label.clone()),
                _ => None,
            })
            .unwrap_or_else(|| shown.to_string())
    }

    pub(super) async fn start_flow(
        &self,
        conversation: &mut Conversation,
        flow_id: &str,
        turn: &Turn<'_>,
    ) -> anyhow::Result<Vec<Reply>> {
        let lang = conversation.lang;
        let Some(flow) = self.kb.in_lang(lang).flow(flow_id) else {
            return Ok(self.answer(flow_id, lang));
        };
        if turn.from.public && flow.collects_personal_data() {
            info!(user = turn.who, flow = flow.id, "flow needs a private chat");
            // The answer in words is fine here; the questions about the person are not.
            let mut replies = flow
                .intent
                .as_deref()
                .map(|i| self.answer(i, lang))
                .unwrap_or_default();
            replies.push(
                Reply::text(fill(
                    tr(
                        lang,
                        "I can go through **{flow}** with you in a private chat, so that none of your personal details are posted here.",
                    ),
                    &[("flow", &flow.title)],
                ))
                .with_buttons(vec![Button::new(
                    tr(lang, "Continue in a private chat"),
                    ButtonData::Private(flow.id.clone()),
                )]),
            );
            return Ok(replies);
        }
        if let Some(run) = &conversation.flow
            && run.flow == flow.id
        {
            // Already in it: show where we are rather than starting over.
            return Ok(self.reprompt(conversation));
        }
        let mut replies = Vec::new();
        if let Some(title) = self.stop_flow(conversation) {
            replies.push(Reply::text(fill(
                tr(lang, "I've left **{flow}** (nothing was sent)."),
                &[("flow", &title)],
            )));
        }
        debug!(user = turn.who, flow = flow.id, "flow started");
        conversation.misunderstood = 0;
        if let Some(intent) = &flow.intent {
            // Follow-ups after the flow lean on its topic ("how long will it take?").
            conversation.topic = Some(intent.clone());
            conversation.topic_age = 0;
        }
        let mut run = new_run(flow);
        // The first message may already say where to begin ("my passport was renewed").
        let details = conversation.details();
        let mut at = flow.start().id.clone();
        if let Some(entry) = flow.entries.iter().find(|e| details.contains(&e.when)) {
            debug!(
                user = turn.who,
                flow = flow.id,
                step = entry.step,
                "entered by detail"
            );
            run.history.push(at);
            at = entry.step.clone();
        }
        conversation.flow = Some(run);
        replies.extend(self.advance(conversation, &at, turn).await?);
        Ok(replies)
    }

    /// `cancel` (typed, or a Cancel/Stop button): the flow left, the conversation started afresh
    /// (keeping only the last ticket's reference).
    pub(super) fn cancel(&self, conversation: &mut Conversation) -> Vec<Reply> {
        let stopped = self.stop_flow(conversation);
        let lang = conversation.lang;
        *conversation = Conversation {
            last_ticket: conversation.last_ticket.take(),
            lang,
            lang_chosen: conversation.lang_chosen,
            ..Conversation::default()
        };
        vec![Reply::text(match stopped {
            Some(title) => fill(
                tr(
                    lang,
                    "OK, I've stopped **{flow}**; nothing was sent. What else can I help you with?",
                ),
                &[("flow", &title)],
            ),
            None => tr(lang, "OK, let's start over. What can I help you with?").to_string(),
        })]
    }

    /// Leaves the current flow, if any; returns its title.
    pub(super) fn stop_flow(&self, conversation: &mut Conversation) -> Option<String> {
        let run = conversation.flow.take()?;
        Some(
            self.kb
                .in_lang(conversation.lang)
                .flow(&run.flow)
                .map_or_else(|| run.flow.clone(), |f| f.title.clone()),
        )
    }

    /// Runs from `step_id` through steps that need no answer, to the next step that waits or to
    /// the flow's end.
    async fn advance(
        &self,
        conversation: &mut Conversation,
        step_id: &str,
        turn: &Turn<'_>,
    ) -> anyhow::Result<Vec<Reply>> {
        let mut replies = Vec::new();
        let mut at = step_id.to_string();
        let lang = conversation.lang;
        for _ in 0..MAX_CHAIN {
            let details = conversation.details();
            let Some(run) = conversation.flow.as_mut() else {
                break;
            };
            let Some(flow) = self.kb.in_lang(lang).flow(&run.flow) else {
                break;
            };
            let Some(step) = flow.step(&at) else {
                break;
            };
            match &step.action {
                Action::Next(next) => {
                    replies.extend(step.say.as_deref().map(Reply::text));
                    at = next.clone();
                }
                Action::Choices(options) if let Some(i) = chosen_by_details(options, &details) => {
                    // Already told: say what was understood instead of asking.
                    replies.extend(step.say.as_deref().map(Reply::text));
                    replies.push(Reply::text(fill(
                        tr(lang, "From what you said: **{choice}**."),
                        &[("choice", &options[i].label)],
                    )));
                    if let Some(field) = &step.field {
                        let kept = self.kept_label(&flow.id, &step.id, i, &options[i].label);
                        run.fields.insert(field.name.clone(), kept);
                    }
                    run.history.push(at);
                    at = options[i].goto.clone();
                }
                // On the way back to the summary, questions already answered are passed.
                Action::Ask { next, .. }
                    if run.return_to.is_some()
                        && step.field.as_ref().is_some_and(|f| {
                            run.fields.contains_key(&f.name) || run.files.contains_key(&f.name)
                        }) =>
                {
                    run.history.push(at);
                    at = next.clone();
                }
                Action::Confirm { .. } if run.return_to.is_some() => {
                    run.return_to = None;
                    run.step = at;
                    replies.push(self.prompt(flow, step, run, lang));
                    return Ok(replies);
                }
                action if action.waits() => {
                    run.step = at;
                    replies.push(self.prompt(flow, step, run, lang));
                    return Ok(replies);
                }
                Action::Ticket { category } => {
                    let reference = match self
                        .file_ticket(conversation, flow, step, category, turn)
                        .await
                    {
                        Ok(reference) => reference,
                        Err(e) => match e {
                            FilingError::TooManyOpen(live) => {
                                info!(user = turn.who, live, "ticket cap");
                                replies.push(Reply::text(fill(
                                    tr(
                                        lang,
                                        "You already have {live} open requests with the alumni office, the most I can keep at once. Staff will answer them; you can add to one with /status, or write to **{email}**.",
                                    ),
                                    &[
                                        ("live", &live.to_string()),
                                        ("email", &self.kb.contact.email),
                                    ],
                                )));
                                self.finish(conversation);
                                return Ok(replies);
                            }
                            FilingError::Store(e) => return Err(e),
                        },
                    };
                    let say = step
                        .say
                        .as_deref()
                        .unwrap_or(tr(lang, "Your reference is {reference}."));
                    replies.push(Reply::text(
                        say.replace("{reference}", &format!("**{reference}**")),
                    ));
                    info!(user = turn.who, flow = flow.id, "ticket filed");
                    self.finish(conversation);
                    conversation.last_ticket = Some(reference);
                    return Ok(replies);
                }
                Action::End => {
                    replies.extend(step.say.as_deref().map(Reply::text));
                    self.finish(conversation);
                    return Ok(replies);
                }
                Action::Handoff(target) => {
                    replies.extend(step.say.as_deref().map(Reply::text));
                    let Some(next_flow) = self.kb.in_lang(lang).flow(target) else {
                        break;
                    };
                    debug!(
                        user = turn.who,
                        from = flow.id,
                        to = next_flow.id,
                        "hand-off"
                    );
                    conversation.flow = Some(new_run(next_flow));
                    at = next_flow.start().id.clone();
                }
                _ => unreachable!("every action either waits, goes on, or ends"),
            }
        }
        // The knowledge base changed under a saved run: start afresh rather than get stuck.
        self.finish(conversation);
        replies.push(Reply::text(tr(
            lang,
            "Sorry, I lost my place in this conversation (I may have been updated). What can I help you with?",
        )));
        Ok(replies)
    }

    fn finish(&self, conversation: &mut Conversation) {
        conversation.flow = None;
        conversation.said_now.clear();
        conversation.misunderstood = 0;
        conversation.transcript.clear();
    }

    /// The message of a waiting step: its question and its buttons.
    fn prompt(&self, flow: &Flow, step: &Step, run: &FlowRun, lang: Lang) -> Reply {
        let say = step.say.clone().unwrap_or_default();
        match &step.action {
            Action::Choices(options) => Reply::text(say).with_buttons(
                options
                    .iter()
                    .enumerate()
                    .map(|(i, c)| button(flow, step, &c.label, Answer::Choice(i)))
                    .collect(),
            ),
            Action::Solved { .. } => Reply::text(say).with_buttons(vec![
                button(flow, step, tr(lang, "Yes, that solved it"), Answer::Yes),
                button(flow, step, tr(lang, "No, still not working"), Answer::No),
            ]),
            Action::Confirm { .. } => {
                Reply::text(format!("{say}\n\n{}", self.summary(flow, run, lang))).with_buttons(
                    vec![
                        button(flow, step, tr(lang, "Send it"), Answer::Send),
                        button(flow, step, tr(lang, "Change something"), Answer::Edit),
                        button(flow, step, tr(lang, "Cancel"), Answer::Cancel),
                    ],
                )
            }
            _ => Reply::text(say),
        }
    }

    /// What the user has told the flow so far, as a list; their words escaped.
    fn summary(&self, flow: &Flow, run: &FlowRun, lang: Lang) -> String {
        let lines: Vec<String> = flow
            .fields()
            .filter_map(|f| {
                let value = match run.files.get(&f.name) {
                    Some(file) => {
                        fill(tr(lang, "received ({file})"), &[("file", &file.describe())])
                    }
                    None => {
                        let value = run.fields.get(&f.name)?;
                        let value = self.shown_label(flow, &f.name, value);
                        markup::escape(&value.split_whitespace().collect::<Vec<_>>().join(" "))
                    }
                };
                Some(format!("- **{}**: {value}", f.label))
            })
            .collect();
        if lines.is_empty() {
            tr(lang, "(nothing yet)").into()
        } else {
            lines.join("\n")
        }
    }

    /// The current step asked again, after something else was said.
    pub(super) fn reprompt(&self, conversation: &Conversation) -> Vec<Reply> {
        let Some(run) = &conversation.flow else {
            return Vec::new();
        };
        match self.position(conversation) {
            Some((flow, step)) => vec![self.prompt(flow, step, run, conversation.lang)],
            None => Vec::new(),
        }
    }

    /// After answering a side question in a flow: shall we go on?
    pub(super) fn resume_offer(&self, conversation: &Conversation) -> Option<Reply> {
        let (flow, _) = self.position(conversation)?;
        let lang = conversation.lang;
        Some(
            Reply::text(fill(
                tr(lang, "Shall we go on with **{flow}**?"),
                &[("flow", &flow.title)],
            ))
            .with_buttons(vec![
                Button::new(tr(lang, "Yes, go on"), ButtonData::Resume),
                Button::new(tr(lang, "No, stop it"), ButtonData::Stop),
            ]),
        )
    }

    pub(super) fn flow_help(&self, conversation: &Conversation) -> Option<Vec<Reply>> {
        let (flow, _) = self.position(conversation)?;
        let mut replies = vec![Reply::text(fill(
            tr(
                conversation.lang,
                "We are in the middle of **{flow}**. Answer the question below, or type:\n- **back** to go to the previous step\n- **cancel** to stop (nothing is sent)\n- **talk to a person** to reach the alumni office",
            ),
            &[("flow", &flow.title)],
        ))];
        replies.extend(self.reprompt(conversation));
        Some(replies)
    }

    pub(super) fn flow_back(&self, conversation: &mut Conversation) -> Vec<Reply> {
        let lang = conversation.lang;
        let Some(run) = conversation.flow.as_mut() else {
            return vec![Reply::text(tr(
                lang,
                "There is no earlier step to go back to. What can I help you with?",
            ))];
        };
        run.return_to = None;
        match run.history.pop() {
            Some(previous) => {
                run.step = previous;
                self.reprompt(conversation)
            }
            None => {
                let mut replies = vec![Reply::text(tr(
                    lang,
                    "This is the first step; type **cancel** to stop instead.",
                ))];
                replies.extend(self.reprompt(conversation));
                replies
            }
        }
    }

    /// "Go on" or "stop" of an interrupted flow.
    pub(super) fn resume_or_stop(&self, conversation: &mut Conversation, stop: bool) -> Vec<Reply> {
        if conversation.flow.is_none() {
            return vec![Reply::text(tr(
                conversation.lang,
                "That conversation has already finished. What can I help you with?",
            ))];
        }
        if stop {
            return self.cancel(conversation);
        }
        self.reprompt(conversation)
    }

    /// A button of a flow's step: acts if it is the step the user is at.
    pub(super) async fn flow_button(
        &self,
        conversation: &mut Conversation,
        flow_id: &str,
        step_id: &str,
        answer: Answer,
        turn: &Turn<'_>,
    ) -> anyhow::Result<Vec<Reply>> {
        let current = conversation
            .flow
            .as_ref()
            .is_some_and(|r| r.flow == flow_id && r.step == step_id);
        if !current {
            info!(user = turn.who, "button of a step already left");
            let mut replies = Vec::new();
            if conversation.flow.is_some() {
                replies.push(Reply::text(tr(
                    conversation.lang,
                    "That button belongs to an earlier step. Here is where we are now:",
                )));
                replies.extend(self.reprompt(conversation));
            } else {
                let lang = conversation.lang;
                let text = match &conversation.last_ticket {
                    Some(r) => fill(
                        tr(
                            lang,
                            "That step is already finished. Your last request was sent as **{reference}**. What else can I help you with?",
                        ),
                        &[("reference", r)],
                    ),
                    None => tr(
                        lang,
                        "That step is already finished. What else can I help you with?",
                    )
                    .to_string(),
                };
                replies.push(Reply::text(text));
            }
            return Ok(replies);
        }
        self.apply(conversation, answer, turn).await
    }

    /// Acts on an answer to the current step.
    async fn apply(
        &self,
        conversation: &mut Conversation,
        answer: Answer,
        turn: &Turn<'_>,
    ) -> anyhow::Result<Vec<Reply>> {
        let Some((flow, step)) = self.position(conversation) else {
            return Ok(Vec::new());
        };
        conversation.misunderstood = 0;
        let target = match (&step.action, answer) {
            (Action::Choices(options), Answer::Choice(i)) if i < options.len() => {
                if let Some(run) = conversation.flow.as_mut() {
                    if let Some(field) = &step.field {
                        let kept = self.kept_label(&flow.id, &step.id, i, &options[i].label);
                        run.fields.insert(field.name.clone(), kept);
                    }
                    // Answers given on a branch not taken (before "back" or a change from the
                    // summary) are not the user's request any more.
                    let taken = flow.reachable_from(&options[i].goto);
                    for (_, other) in options.iter().enumerate().filter(|&(j, _)| j != i) {
                        for id in flow.reachable_from(&other.goto).difference(&taken) {
                            if let Some(f) = flow.step(id).and_then(|s| s.field.as_ref()) {
                                run.fields.remove(&f.name);
                                run.files.remove(&f.name);
                            }
                        }
                    }
                }
                options[i].goto.clone()
            }
            (Action::Solved { yes, .. }, Answer::Yes) => yes.clone(),
            (Action::Solved { no, .. }, Answer::No) => no.clone(),
            (Action::Confirm { next }, Answer::Send) => next.clone(),
            (Action::Confirm { .. }, Answer::Edit) => {
                let run = conversation.flow.as_ref().expect("positioned");
                let buttons = flow
                    .fields()
                    .enumerate()
                    .filter(|(_, f)| {
                        run.fields.contains_key(&f.name) || run.files.contains_key(&f.name)
                    })
                    .map(|(i, f)| button(flow, step, &f.label, Answer::EditField(i)))
                    .collect();
                return Ok(vec![
                    Reply::text(tr(conversation.lang, "What would you like to change?"))
                        .with_buttons(buttons),
                ]);
            }
            (Action::Confirm { .. }, Answer::EditField(i)) => {
                let Some(target) = flow
                    .fields()
                    .nth(i)
                    .and_then(|f| flow.step_for_field(&f.name))
                else {
                    return Ok(self.reprompt(conversation));
                };
                let run = conversation.flow.as_mut().expect("positioned");
                run.history.push(step.id.clone());
                run.return_to = Some(step.id.clone());
                run.step = target.id.clone();
                return Ok(self.reprompt(conversation));
            }
            (Action::Confirm { .. }, Answer::Cancel) => return Ok(self.cancel(conversation)),
            _ => return Ok(self.reprompt(conversation)),
        };
        self.go(conversation, target, turn).await
    }

    /// Leaves the current step for `target` (or for the summary, when an answer was being
    /// changed from it).
    async fn go(
        &self,
        conversation: &mut Conversation,
        target: String,
        turn: &Turn<'_>,
    ) -> anyhow::Result<Vec<Reply>> {
        let run = conversation
            .flow
            .as_mut()
            .expect("go is called inside a flow");
        let left = std::mem::take(&mut run.step);
        run.history.push(left);
        // Changing an answer from the summary goes back to it, unless the change leads to a
        // question not answered yet (another branch): then on along it, and back later.
        let flow = self.kb.in_lang(conversation.lang).flow(&run.flow);
        let unanswered = |id: &str| {
            flow.and_then(|f| f.step(id)).is_some_and(|s| {
                s.action.waits()
                    && !matches!(s.action, Action::Confirm { .. })
                    && s.field.as_ref().is_none_or(|f| {
                        !run.fields.contains_key(&f.name) && !run.files.contains_key(&f.name)
                    })
            })
        };
        let target = match run.return_to.clone() {
            Some(summary) if !unanswered(&target) => {
                run.return_to = None;
                summary
            }
            _ => target,
        };
        self.advance(conversation, &target, turn).await
    }

    /// Text typed while a flow waits.
    pub(super) async fn flow_text(
        &self,
        conversation: &mut Conversation,
        text: &str,
        turn: &Turn<'_>,
    ) -> anyhow::Result<Vec<Reply>> {
        let Some((flow, step)) = self.position(conversation) else {
            self.finish(conversation);
            let outcome = self.matcher.classify(text);
            return self.on_outcome(conversation, text, &outcome, turn).await;
        };
        // A change of mind, in the user's own words, at any step: never kept as an answer.
        if let Some(rest) = change_of_mind(text) {
            if let Some(question) = rest
                && let Some(replies) = self.side_question(conversation, &question, turn).await?
            {
                return Ok(replies);
            }
            debug!(user = turn.who, flow = flow.id, "change of mind");
            let lang = conversation.lang;
            return Ok(vec![
                Reply::text(fill(
                    tr(
                        lang,
                        "Do you want to stop **{flow}**? Nothing has been sent.",
                    ),
                    &[("flow", &flow.title)],
                ))
                .with_buttons(vec![
                    Button::new(tr(lang, "Yes, stop it"), ButtonData::Stop),
                    Button::new(tr(lang, "No, go on"), ButtonData::Resume),
                ]),
            ]);
        }
        match &step.action {
            Action::Ask {
                kind: Kind::File, ..
            } => {
                if let Some(replies) = self.side_question(conversation, text, turn).await? {
                    return Ok(replies);
                }
                let reason = tr(
                    conversation.lang,
                    "I need the copy as a file here: a photo (JPEG, PNG, WebP) or a PDF, up to 10 MB. Use the attachment button of your chat app.",
                );
                Ok(self.refuse(conversation, reason))
            }
            Action::Ask { kind, hint, next } => {
                let this_year = chrono::Utc::now().year();
                let looks_like_question = looks_like_question(text);
                if is_remark(text) || (*kind != Kind::Message && looks_like_question) {
                    if let Some(replies) = self.side_question(conversation, text, turn).await? {
                        return Ok(replies);
                    }
                    // A question or remark is not a value: say so, keep nothing.
                    let lang = conversation.lang;
                    let label = step
                        .field
                        .as_ref()
                        .map_or(tr(lang, "the answer"), |f| f.label.as_str());
                    let reason = fill(
                        tr(
                            lang,
                            "That reads like a question or a remark rather than **{what}**, so I haven't kept it. Please type it, or **help** for what you can do here.",
                        ),
                        &[("what", &markup::escape(&label.to_lowercase()))],
                    );
                    return Ok(self.refuse(conversation, &reason));
                }
                match validate::validate(*kind, text, this_year, conversation.lang) {
                    Ok(value) => {
                        let field = step.field.as_ref().expect("checked at load").name.clone();
                        let run = conversation.flow.as_mut().expect("positioned");
                        run.fields.insert(field, value);
                        conversation.misunderstood = 0;
                        self.go(conversation, next.clone(), turn).await
                    }
                    Err(reason) => {
                        if !matches!(kind, Kind::Text | Kind::Message)
                            && let Some(replies) =
                                self.side_question(conversation, text, turn).await?
                        {
                            return Ok(replies);
                        }
                        // The step's hint, unless the reason already gives its example.
                        let example = |h: &str| {
                            h.split(['"', '「', '」', '“', '”'])
                                .nth(1)
                                .map(str::to_string)
                        };
                        let hint = hint
                            .as_deref()
                            .filter(|h| example(h).is_none_or(|e| !reason.contains(&e)))
                            .map_or(String::new(), |h| {
                                let space = if conversation.lang.is_chinese() {
                                    ""
                                } else {
                                    " "
                                };
                                format!("{space}{h}")
                            });
                        Ok(self.refuse(conversation, &format!("{reason}{hint}")))
                    }
                }
            }
            action => {
                // Details first: "after I graduated in 2012" is a year before March 2014, not
                // the label that shares the word "after".
                if let Action::Choices(options) = action
                    && let Some(i) = chosen_by_details(options, &details::extract(text, true))
                {
                    let answer = Answer::Choice(i);
                    return self.apply(conversation, answer, turn).await;
                }
                if let Some(answer) = typed_answer(action, text) {
                    return self.apply(conversation, answer, turn).await;
                }
                // A bare date ("march 2014") answers nothing here and asks nothing either.
                let only_a_date = tokenize(text)
                    .iter()
                    .all(|w| w.chars().all(|c| c.is_ascii_digit()) || details::is_month(w));
                if !only_a_date
                    && let Some(replies) = self.side_question(conversation, text, turn).await?
                {
                    return Ok(replies);
                }
                let lang = conversation.lang;
                let what = match action {
                    Action::Solved { .. } => {
                        tr(lang, "Please answer yes or no, with the buttons below.")
                    }
                    Action::Confirm { .. } => {
                        tr(lang, "Please choose: send it, change something, or cancel.")
                    }
                    _ => tr(
                        lang,
                        "Please pick one of the options below (or type its number).",
                    ),
                };
                Ok(self.refuse(conversation, what))
            }
        }
    }

    /// A value not accepted: the reason, the question again, and after two in a row, a person.
    fn refuse(&self, conversation: &mut Conversation, reason: &str) -> Vec<Reply> {
        conversation.misunderstood += 1;
        let mut replies = self.reprompt(conversation);
        let mut first = Reply::text(reason);
        if conversation.misunderstood >= 2 {
            if !conversation.lang.is_chinese() {
                first.text.push(' ');
            }
            first.text.push_str(tr(
                conversation.lang,
                "If you're stuck, a person at the alumni office can help: type **talk to a person**.",
            ));
            if let Some(prompt) = replies.last_mut()
                && prompt.buttons.is_empty()
            {
                prompt.buttons = self.staff_button(conversation.lang);
            }
        }
        replies.insert(0, first);
        replies
    }

    /// A question asked in the middle of a flow: answered, with an offer to go on. `None` when
    /// the text is not a question the bot knows.
    async fn side_question(
        &self,
        conversation: &mut Conversation,
        text: &str,
        turn: &Turn<'_>,
    ) -> anyhow::Result<Option<Vec<Reply>>> {
        // Only a question or a request is a side question: "i'll send it as pdf" is not.
        if !super::understand::split::asks(text) {
            return Ok(None);
        }
        let own_intent = self
            .position(conversation)
            .and_then(|(f, _)| f.intent.clone());
        // "how long will it take?" in the middle of a request: the flow's topic answers it (or
        // says honestly that the FAQ does not), and the step is asked again.
        if let Some(intent) = &own_intent
            && let Some(kind) = self.followups.find(text)
        {
            let kind = kind.to_string();
            debug!(user = turn.who, kind, "follow-up inside a flow");
            let mut replies = vec![self.followup(conversation, intent, &kind, turn)];
            replies.extend(self.reprompt(conversation));
            return Ok(Some(replies));
        }
        let outcome = self.matcher.classify(text);
        match outcome.decision {
            // "later", "thanks" inside a flow are not questions to stop for.
            Decision::Answer
                if outcome.intent() != own_intent.as_deref()
                    && !outcome
                        .intent()
                        .is_some_and(super::understand::is_small_talk) =>
            {
                debug!(user = turn.who, intent = outcome.intent(), "side question");
                let id = outcome.candidates[0].intent.clone();
                turn.note(|t| t.answered.push(id.clone()));
                // A flow's intent answered in words here: the user stays in this flow.
                let mut replies = self.answer(&id, conversation.lang);
                replies.extend(self.resume_offer(conversation));
                Ok(Some(replies))
            }
            _ => Ok(None),
        }
    }

    /// A file the user sent: kept if the flow is asking for one and it passes the checks.
    pub(super) async fn on_file(
        &self,
        conversation: &mut Conversation,
        upload: &Upload,
        turn: &Turn<'_>,
    ) -> anyhow::Result<Vec<Reply>> {
        let Some((_, step)) = self.position(conversation) else {
            info!(user = turn.who, "file outside a flow");
            return Ok(vec![Reply::text(tr(
                conversation.lang,
                "Thanks, but I only need files when I ask for one (for example the copy of your ID for a correction request). Please ask your question in words.",
            ))]);
        };
        let Action::Ask {
            kind: Kind::File,
            next,
            ..
        } = &step.action
        else {
            info!(user = turn.who, "file where text was expected");
            let reason = tr(
                conversation.lang,
                "I wasn't expecting a file at this step; please answer in words.",
            );
            return Ok(self.refuse(conversation, reason));
        };
        let attachment = match super::ticket::Attachment::from_upload(upload) {
            Ok(a) => a,
            Err(e) => {
                info!(user = turn.who, reason = %e, "file refused");
                let reason = fill(
                    tr(
                        conversation.lang,
                        "I can't use that file: {problem}. Please send a photo (JPEG, PNG or WebP) or a PDF of your current HKID card or passport, up to 10 MB.",
                    ),
                    &[("problem", &e.explain(conversation.lang))],
                );
                return Ok(self.refuse(conversation, &reason));
            }
        };
        let stored = self.store.store_file(attachment).await?;
        debug!(user = turn.who, size = stored.size, "file kept");
        let field = step.field.as_ref().expect("checked at load").name.clone();
        let next = next.clone();
        let run = conversation.flow.as_mut().expect("positioned");
        run.files.insert(field, stored);
        conversation.misunderstood = 0;
        let mut replies = vec![Reply::text(tr(
            conversation.lang,
            "Thank you, I've received the file.",
        ))];
        replies.extend(self.go(conversation, next, turn).await?);
        Ok(replies)
    }

    async fn file_ticket(
        &self,
        conversation: &Conversation,
        flow: &Flow,
        step: &Step,
        category: &str,
        turn: &Turn<'_>,
    ) -> Result<String, FilingError> {
        let run = conversation
            .flow
            .as_ref()
            .expect("filed from inside a flow");
        let mut fields = run.fields.clone();
        for (name, file) in &run.files {
            fields.insert(name.clone(), format!("attached ({})", file.describe()));
        }
        let ticket = NewTicket {
            category: category.to_string(),
            from: turn.from.clone(),
            origin: format!("{}:{}:{}", run.run, flow.id, step.id),
            fields,
            transcript: conversation.transcript.clone(),
            attachments: run.files.values().cloned().collect(),
            max_open: Some(self.limits.max_open_tickets),
            lang: conversation.lang,
        };
        TicketStore::create_ticket(&self.store, ticket).await
    }
}

fn new_run(flow: &Flow) -> FlowRun {
    let mut bytes = [0u8; 8];
    getrandom::fill(&mut bytes).expect("the operating system's random source failed");
    FlowRun {
        flow: flow.id.clone(),
        step: flow.start().id.clone(),
        run: bytes.iter().map(|b| format!("{b:02x}")).collect(),
        fields: Default::default(),
        files: Default::default(),
        history: Vec::new(),
        return_to: None,
    }
}

/// The one choice whose `when` the known details satisfy, if exactly one does.
fn chosen_by_details(
    options: &[Choice],
    details: &std::collections::BTreeSet<Detail>,
) -> Option<usize> {
    let mut matching = options
        .iter()
        .enumerate()
        .filter(|(_, c)| c.when.iter().any(|d| details.contains(d)));
    let (i, _) = matching.next()?;
    matching.next().is_none().then_some(i)
}

/// Typed words that answer a waiting step without its buttons: yes and no in their usual forms,
/// "send", "edit", "the first one", or the words of a choice's label.
fn typed_answer(action: &Action, text: &str) -> Option<Answer> {
    let asks = text.trim_end().ends_with(['?', '？'])
        || chinese::is_question(&chinese::text(&tokenize(text)));
    if (looks_like_question(text) && tokenize(text).len() > 3) || asks {
        return None;
    }
    let words = tokenize(text);
    if words.is_empty() {
        return None;
    }
    match action {
        Action::Solved { .. } => answers::yes_or_no(&words).map(|a| match a {
            YesNo::Yes => Answer::Yes,
            YesNo::No => Answer::No,
        }),
        Action::Confirm { .. } if words.len() <= 6 || !chinese::text(&words).is_empty() => {
            use chinese::ConfirmWord;
            let zh = chinese::text(&words);
            if !zh.is_empty()
                && let Some(word) = chinese::confirm_word(&zh)
            {
                return Some(match word {
                    ConfirmWord::Send => Answer::Send,
                    ConfirmWord::Edit => Answer::Edit,
                    ConfirmWord::Cancel => Answer::Cancel,
                });
            }
            let has = |w: &[&str]| words.iter().any(|x| w.contains(&x.as_str()));
            if has(&["not", "dont", "no"]) {
                None
            } else if has(&["edit", "change", "fix", "wrong"]) {
                Some(Answer::Edit)
            } else if has(&["cancel"]) {
                Some(Answer::Cancel)
            } else if has(&[
                "send", "submit", "confirm", "correct", "yes", "y", "ok", "okay",
            ]) {
                Some(Answer::Send)
            } else {
                None
            }
        }
        Action::Choices(options) => {
            let labels: Vec<&str> = options.iter().map(|c| c.label.as_str()).collect();
            answers::pick(&labels, &words, true).map(Answer::Choice)
        }
        _ => None,
    }
}

/// "forget it", "no thanks, cancel that", "hang on, wrong topic: how do I ...": the user leaves
/// what they were doing. Returns what follows the change of mind, when it is a question.
fn change_of_mind(text: &str) -> Option<Option<String>> {
    const MARKERS: [&str; 20] = [
        "forget it",
        "never mind",
        "nevermind",
        "cancel that",
        "cancel this",
        "cancel it",
        "no thanks",
        "no thank you",
        "changed my mind",
        "change of mind",
        "wrong topic",
        "hang on",
        "hold on",
        "do not want to",
        "do not want this",
        "not now",
        "leave it",
        "stop this",
        "i give up",
        "abort",
    ];
    let words = tokenize(text);
    let zh = chinese::text(&words);
    if chinese::changes_mind(&zh) {
        // What follows the first pause is the rest ("算啦，取消" has none; "等等，其實想問…").
        let rest = text
            .split_once(['，', ',', '。', ' '])
            .map(|(_, r)| r.trim().to_string())
            .filter(|r| chinese::asks(&chinese::text(&tokenize(r))) && r.chars().count() >= 4);
        return Some(rest);
    }
    // The marker among the first words; what follows it is the rest of the message, as words
    // (the matcher reads words, so nothing is lost for the side question).
    let end = MARKERS.iter().find_map(|m| {
        let marker: Vec<&str> = m.split(' ').collect();
        words
            .windows(marker.len())
            .take(6)
            .position(|w| w.iter().zip(&marker).all(|(a, b)| a == b))
            .map(|at| at + marker.len())
    })?;
    let rest = &words[end..];
    Some((rest.len() >= 3).then(|| rest.join(" ")))
}

/// Replies that are about the question, not an answer to it: "I don't know", "why?", "skip".
fn is_remark(text: &str) -> bool {
    let tokens = tokenize(text);
    let zh = chinese::text(&tokens);
    if !zh.is_empty()
        && zh.chars().count() <= 6
        && [
            "唔知",
            "不知",
            "唔清楚",
            "不清楚",
            "跳过",
            "点解",
            "为什么",
            "做咩",
            "迟啲",
            "之后",
        ]
        .iter()
        .any(|r| zh.contains(r))
    {
        return true;
    }
    let words = tokens.join(" ");
    matches!(
        words.as_str(),
        "i do not know"
            | "do not know"
            | "dunno"
            | "idk"
            | "no idea"
            | "not sure"
            | "why"
            | "why do you need that"
            | "why do you need this"
            | "why do you need it"
            | "why do you ask"
            | "what for"
            | "skip"
            | "pass"
            | "none"
            | "n a"
            | "later"
            | "whatever"
            | "ok"
            | "okay"
            | "yes"
            | "no"
    )
}

/// Whether a free-text answer reads as a question to the bot rather than a value.
fn looks_like_question(text: &str) -> bool {
    let first = text.split_whitespace().next().unwrap_or("").to_lowercase();
    text.trim_end().ends_with(['?', '？'])
        || chinese::is_question(&chinese::text(&tokenize(text)))
        || matches!(
            first.as_str(),
            "how"
                | "what"
                | "why"
                | "where"
                | "when"
                | "which"
                | "can"
                | "could"
                | "should"
                | "do"
                | "does"
                | "is"
                | "are"
                | "will"
                | "would"
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_change_of_mind_and_what_follows_it() {
        assert_eq!(change_of_mind("forget it"), Some(None));
        assert_eq!(change_of_mind("no thanks, cancel that"), Some(None));
        assert_eq!(
            change_of_mind("wait, forget it: how do I set up forwarding?"),
            Some(Some("how do i set up forwarding".into()))
        );
        assert_eq!(
            change_of_mind("hang on, wrong topic: how do I set up forwarding?"),
            Some(Some("how do i set up forwarding".into()))
        );
        assert_eq!(change_of_mind("CHAN Tai Man"), None);
        assert_eq!(change_of_mind("BSc in hang gliding"), None);
    }

    #[test]
    fn typed_yes_and_no() {
        let solved = Action::Solved {
            yes: "a".into(),
            no: "b".into(),
        };
        assert_eq!(typed_answer(&solved, "Yes!"), Some(Answer::Yes));
        assert_eq!(typed_answer(&solved, "nope"), Some(Answer::No));
        assert_eq!(typed_answer(&solved, "no it still fails"), Some(Answer::No));
        assert_eq!(typed_answer(&solved, "how do I reset my password"), None);
    }
}
