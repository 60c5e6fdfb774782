//! The commands platforms show in their command menus, described in every language the bot
//! speaks (Telegram's per-language command lists, Discord's description localisations).

use super::texts::tr;
use crate::lang::{self, Lang};

/// The description of the command `name` in `lang`, in its script; `None` for a command the
/// bot does not offer.
pub fn describe(name: &str, lang: Lang) -> Option<String> {
    let text = match name {
        "start" => tr(lang, "Start over"),
        "help" => tr(lang, "What I can help with"),
        "cancel" => tr(lang, "Stop what we are doing"),
        "contact" => tr(lang, "Reach the alumni office"),
        "status" => tr(lang, "Your requests with the alumni office"),
        "language" => tr(lang, "Answer in English or Chinese"),
        "ask" => tr(lang, "Ask a question about your alumni email account"),
        "question" => tr(lang, "Your question"),
        "ticket" => tr(lang, "Send a request to the alumni office (in a DM)"),
        _ => return None,
    };
    Some(lang::in_script(text, lang))
}

/// The platform locales each Chinese script is offered under: Discord's locale ids.
pub const DISCORD_LOCALES: [(&str, Lang); 2] = [("zh-TW", Lang::ZhHant), ("zh-CN", Lang::ZhHans)];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_offered_command_is_described_in_every_language() {
        for name in [
            "start", "help", "cancel", "contact", "status", "language", "ask", "ticket",
        ] {
            let en = describe(name, Lang::En).unwrap();
            let zh = describe(name, Lang::ZhHant).unwrap();
            let hans = describe(name, Lang::ZhHans).unwrap();
            assert!(
                en.is_ascii() && !zh.is_ascii() && !hans.is_ascii(),
                "{name}"
            );
            // Telegram: 1–256 characters; Discord: 1–100.
            assert!(
                [&en, &zh, &hans]
                    .iter()
                    .all(|d| (1..=100).contains(&d.chars().count()))
            );
        }
        assert_eq!(describe("nope", Lang::En), None);
    }
}
