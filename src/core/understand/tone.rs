//! How a message is said: frustration gets an apology and a person at once.

use crate::matcher::normalize;

const ANGRY_WORDS: [&str; 14] = [
    "useless",
    "stupid",
    "ridiculous",
    "rubbish",
    "garbage",
    "pointless",
    "hopeless",
    "terrible",
    "awful",
    "wtf",
    "damn",
    "annoying",
    "frustrating",
    "frustrated",
];
const ANGRY_PHRASES: [&str; 9] = [
    "waste of time",
    "not helpful",
    "does not help",
    "not helping",
    "real person",
    "real human",
    "fed up",
    "sick of",
    "this bot",
];

/// Whether the message sounds frustrated: angry words, "get me a real person", or shouting.
pub fn frustrated(text: &str) -> bool {
    let words = normalize::tokenize(text);
    let joined = format!(" {} ", words.join(" "));
    let angry = words.iter().any(|w| ANGRY_WORDS.contains(&w.as_str()))
        || ANGRY_PHRASES
            .iter()
            .filter(|p| **p != "this bot")
            .any(|p| joined.contains(&format!(" {p} ")))
        || (joined.contains(" this bot ") && (joined.contains(" not ") || text.contains('!')));
    let letters: Vec<char> = text.chars().filter(|c| c.is_alphabetic()).collect();
    let shouting = letters.len() >= 12
        && text.split_whitespace().count() >= 3
        && letters.iter().filter(|c| c.is_uppercase()).count() * 10 >= letters.len() * 8;
    let chinese = super::chinese::frustrated(&super::chinese::text(&words));
    angry || chinese || shouting || text.contains("!!!") || text.contains("！！！")
}

/// Whether the message thanks the bot ("ok the link works, thx").
pub fn thanks(text: &str) -> bool {
    let words = normalize::tokenize(text);
    super::chinese::thanks(&super::chinese::text(&words))
        || words.iter().any(|w| {
            matches!(
                w.as_str(),
                "thanks" | "thank" | "thx" | "tks" | "ty" | "cheers" | "appreciate" | "appreciated"
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frustration_is_heard() {
        assert!(frustrated("this is useless, get me a real person"));
        assert!(frustrated("WHY CAN'T I LOG IN TO MY EMAIL"));
        assert!(frustrated("this bot is not helping!"));
        assert!(!frustrated("how do I reset my password?"));
        assert!(!frustrated("I can't activate my HKUST account"));
        assert!(!frustrated("OK"));
    }
}
