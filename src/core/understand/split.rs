//! Several questions in one message: "Can I get an alias? And which browsers work with Office
//! 365?" The message is cut at sentence ends, new lines, and at "and"/"also" between clauses;
//! the reader then keeps the cut only when the parts match different intents on their own.

/// At most this many questions are answered from one message.
pub const MAX_PARTS: usize = 3;

/// The parts of `text`, each with at least two words; one part when it cannot be cut.
pub fn split(text: &str) -> Vec<String> {
    let mut parts = Vec::new();
    let mut current = String::new();
    for c in text.chars() {
        current.push(c);
        if matches!(c, '?' | '!' | '\n' | ';' | '？' | '！' | '。' | '；') {
            push_part(&mut parts, &mut current);
        } else if c == '.' {
            // A full stop ends a sentence, not "e.g." or "365.1".
            let words = current.split_whitespace().count();
            if words >= 3 && !current.ends_with("e.g.") && !current.ends_with("i.e.") {
                push_part(&mut parts, &mut current);
            }
        }
    }
    push_part(&mut parts, &mut current);
    // Clauses joined by "and also", "also", "and": cut only where both sides are long enough
    // to be questions of their own.
    let mut out = Vec::new();
    for part in parts {
        for piece in cut_chinese(&part) {
            out.extend(cut_conjunctions(&piece));
        }
    }
    out
}

/// "點樣改密碼同埋點樣 set forward 去 gmail": cut at 同埋 / 另外 / 仲有 / 還有 / 以及 when both
/// sides ask something of their own.
fn cut_chinese(part: &str) -> Vec<String> {
    const JOINS: [&str; 7] = ["同埋", "另外", "仲有", "還有", "还有", "以及", "順便"];
    for join in JOINS {
        if let Some((left, right)) = part.split_once(join) {
            let asks_alone = |s: &str| {
                let words = crate::matcher::normalize::tokenize(s);
                super::chinese::word_count(&words) >= 2
                    && super::chinese::asks(&super::chinese::text(&words))
            };
            if asks_alone(left) && asks_alone(right) {
                let mut pieces = vec![left.trim().to_string()];
                pieces.extend(cut_chinese(right));
                return pieces;
            }
        }
    }
    vec![part.to_string()]
}

/// Whether a piece is shaped as a question or a request: a question mark, or a question or
/// request word at its start ("how", "can I", "I want", "please").
pub fn asks(piece: &str) -> bool {
    let words = crate::matcher::normalize::tokenize(piece);
    let lead = words
        .iter()
        .position(|w| {
            !matches!(
                w.as_str(),
                "and" | "also" | "plus" | "btw" | "so" | "oh" | "then"
            )
        })
        .map_or(&words[..0], |i| &words[i..]);
    let first = lead.first().map(String::as_str).unwrap_or("");
    piece.trim_end().ends_with(['?', '？'])
        || super::chinese::asks(&super::chinese::text(&words))
        || matches!(
            first,
            "how"
                | "what"
                | "why"
                | "where"
                | "when"
                | "which"
                | "who"
                | "can"
                | "could"
                | "do"
                | "does"
                | "is"
                | "are"
                | "will"
                | "would"
                | "should"
                | "may"
                | "please"
                | "tell"
                | "help"
        )
        // "I want ...", and problems stated: "I can't activate", "I'm not receiving".
        || lead.len() >= 2
            && lead[0] == "i"
            && matches!(
                lead[1].as_str(),
                "want" | "need" | "would" | "can" | "cannot" | "am" | "do" | "did" | "have"
                    | "forgot" | "lost" | "never"
            )
}

fn push_part(parts: &mut Vec<String>, current: &mut String) {
    let part = current.trim().to_string();
    current.clear();
    if part.chars().any(char::is_alphanumeric) {
        parts.push(part);
    }
}

fn cut_conjunctions(part: &str) -> Vec<String> {
    let words: Vec<&str> = part.split_whitespace().collect();
    let joins = |w: &str| {
        let w = w
            .trim_matches(|c: char| !c.is_alphanumeric())
            .to_lowercase();
        matches!(w.as_str(), "also" | "and" | "plus" | "btw")
    };
    let mut out = Vec::new();
    let mut start = 0;
    for i in 1..words.len() {
        if joins(words[i]) && i - start >= 4 && words.len() - i > 4 {
            out.push(words[start..i].join(" "));
            start = i;
        }
    }
    out.push(words[start..].join(" "));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cuts_at_sentences_and_between_long_clauses() {
        assert_eq!(
            split("Can I get an alias? And which browsers work with Office 365?"),
            [
                "Can I get an alias?",
                "And which browsers work with Office 365?"
            ]
        );
        assert_eq!(
            split("how do i reset my password and also how do i set up forwarding"),
            [
                "how do i reset my password",
                "and also how do i set up forwarding"
            ]
        );
        assert_eq!(
            split("reset password and username"),
            ["reset password and username"]
        );
        assert_eq!(
            split("e.g. peter.chan@alumni.ust.hk is taken"),
            ["e.g. peter.chan@alumni.ust.hk is taken"]
        );
        assert_eq!(split("?!"), Vec::<String>::new());
    }
}
