//! The knowledge base says only what the FAQ says (issue: facts checked by a test): every link,
//! email address, phone number, size, year, date and number in what the bot says occurs in the
//! vendored FAQ, or is one of the bot's own facts listed in `knowledge/bot.yaml`.

use std::path::Path;

use alumni_bot::knowledge::{self, SOURCE_FILE};

use crate::helpers::{knowledge_dir, walk};

/// A copy of the shipped knowledge base in a temporary folder, to change one file of.
fn copy_of_knowledge() -> tempfile::TempDir {
    fn copy(from: &Path, to: &Path) {
        std::fs::create_dir_all(to).unwrap();
        for entry in std::fs::read_dir(from).unwrap() {
            let path = entry.unwrap().path();
            let target = to.join(path.file_name().unwrap());
            if path.is_dir() {
                copy(&path, &target);
            } else {
                std::fs::copy(&path, &target).unwrap();
            }
        }
    }
    let dir = tempfile::tempdir().unwrap();
    copy(&knowledge_dir(), dir.path());
    dir
}

#[test]
fn the_shipped_knowledge_base_states_only_faq_facts() {
    let dir = knowledge_dir();
    assert!(dir.join(SOURCE_FILE).exists(), "the FAQ is vendored");
    let faq = std::fs::read_to_string(dir.join(SOURCE_FILE)).unwrap();
    assert_eq!(
        faq,
        std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/alumni-email-faq.txt")
        )
        .unwrap_or_else(|_| faq.clone()),
        "the vendored FAQ is the shared one"
    );
    let kb = knowledge::load(&dir).expect("loads, facts included");
    // The check saw the texts that carry the FAQ's facts.
    let said: String = kb.statements.iter().map(|s| s.text.as_str()).collect();
    for fact in [
        "https://myaccount.ust.hk/passwd/connect",
        "50 GB",
        "March 2014",
        "{email}",
    ] {
        assert!(
            said.contains(fact),
            "{fact} is among the statements checked"
        );
    }
    // Contact details are written once, in bot.yaml, and filled in everywhere.
    let contact = &kb.contact;
    assert_eq!(contact.email, "alumni@ust.hk");
    let sorry = kb.intent("contact_staff").unwrap();
    assert!(sorry.answer.contains("alumni@ust.hk") && sorry.answer.contains("6359 1911"));
    for entry in walk(&dir) {
        if entry.extension().is_some_and(|e| e == "yaml") && !entry.ends_with("bot.yaml") {
            let text = std::fs::read_to_string(&entry).unwrap();
            assert!(
                !text.contains("alumni@ust.hk") && !text.contains("6359"),
                "{} writes the contact out instead of {{email}}/{{whatsapp}}",
                entry.display()
            );
        }
    }
}

#[test]
fn an_invented_fact_fails_with_file_and_line() {
    let dir = copy_of_knowledge();
    let file = dir.path().join("faq/office365.yaml");
    let text = std::fs::read_to_string(&file).unwrap();
    let changed = text.replacen(
        "**50 GB** of email storage",
        "**60 GB** of email storage (see https://example.com/quota, since April 2015)",
        1,
    );
    assert_ne!(text, changed);
    std::fs::write(&file, &changed).unwrap();
    let line = changed.lines().position(|l| l.contains("60 GB")).unwrap() + 1;
    let err = knowledge::load(dir.path()).unwrap_err();
    let problems: Vec<String> = err.problems.iter().map(ToString::to_string).collect();
    for fact in ["`60 GB`", "`https://example.com/quota`", "`April 2015`"] {
        assert!(
            problems
                .iter()
                .any(|p| p.contains(fact) && p.contains(&format!("office365.yaml:{line}:"))),
            "{fact} reported at office365.yaml:{line}: {problems:#?}"
        );
    }
    let unsupported = problems.iter().filter(|p| p.contains("is not in the FAQ"));
    assert_eq!(unsupported.count(), 3, "{problems:#?}");
    // The Chinese twin, unchanged, now lacks the new link and size.
    assert!(
        problems
            .iter()
            .any(|p| p.contains("the Chinese text drops the link `https://example.com/quota`")),
        "{problems:#?}"
    );
}

#[test]
fn a_chinese_text_that_drops_a_link_or_is_missing_is_refused_with_its_line() {
    let dir = copy_of_knowledge();
    let file = dir.path().join("faq/login.yaml");
    let text = std::fs::read_to_string(&file).unwrap();
    let url = "https://myaccount.ust.hk/passwd/connect";
    // The last occurrence is in the Chinese twin of the answer.
    let at = text.rfind(url).unwrap();
    let changed = format!("{}（網址）{}", &text[..at], &text[at + url.len()..]);
    std::fs::write(&file, &changed).unwrap();
    let err = knowledge::load(dir.path()).unwrap_err();
    let problems: Vec<String> = err.problems.iter().map(ToString::to_string).collect();
    // Reported at the Chinese text that drops it: its first line, a few lines above the change.
    let changed_line = changed[..at].lines().count();
    assert!(
        problems
            .iter()
            .any(|p| p.contains(&format!("drops the link `{url}`"))
                && (changed_line.saturating_sub(6)..=changed_line)
                    .any(|l| p.contains(&format!("login.yaml:{l}:")))),
        "{problems:#?}"
    );

    // A title without its Chinese twin.
    let dir = copy_of_knowledge();
    let file = dir.path().join("faq/profile.yaml");
    let text = std::fs::read_to_string(&file).unwrap();
    let first = text
        .lines()
        .find(|l| l.trim_start().starts_with("title_zh:"))
        .unwrap();
    std::fs::write(&file, text.replacen(&format!("{first}\n"), "", 1)).unwrap();
    let err = knowledge::load(dir.path()).unwrap_err();
    assert!(
        err.problems
            .iter()
            .any(|p| p.message.contains("no Chinese text `title_zh`") && p.line.is_some()),
        "{err}"
    );
}

#[test]
fn an_own_fact_is_allowed_only_when_listed() {
    let dir = copy_of_knowledge();
    let bot = dir.path().join("bot.yaml");
    let text = std::fs::read_to_string(&bot).unwrap();
    std::fs::write(&bot, text.replace("  - 10 MB", "  - 11 MB")).unwrap();
    let err = knowledge::load(dir.path()).unwrap_err();
    assert!(
        err.problems
            .iter()
            .all(|p| p.to_string().contains("`10 MB`")),
        "{err}"
    );
    assert!(!err.problems.is_empty());
}

#[test]
fn a_placeholder_needs_the_contact() {
    let dir = copy_of_knowledge();
    std::fs::remove_file(dir.path().join("bot.yaml")).unwrap();
    let err = knowledge::load(dir.path()).unwrap_err().to_string();
    assert!(err.contains("no file gives the `contact`"), "{err}");
    let dir = copy_of_knowledge();
    let file = dir.path().join("smalltalk.yaml");
    let text = std::fs::read_to_string(&file).unwrap();
    std::fs::write(
        &file,
        text.replacen("You're welcome!", "You're welcome {name}!", 1),
    )
    .unwrap();
    let err = knowledge::load(dir.path()).unwrap_err().to_string();
    assert!(err.contains("unknown placeholder `{name}`"), "{err}");
}
