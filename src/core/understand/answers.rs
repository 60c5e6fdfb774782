//! Typed replies to what the bot just asked: yes and no in the ways people say them, and which
//! of the offered labels a reply names. Used at flow steps and for any buttons just offered.

use crate::matcher::normalize::tokenize;

/// Whether a typed reply says yes / no, in the ways people do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum YesNo {
    Yes,
    No,
}

const NO: [&str; 21] = [
    "no",
    "n",
    "nope",
    "nah",
    "not",
    "still",
    "never",
    "fail",
    "failed",
    "fails",
    "broken",
    "doesnt",
    "didnt",
    "nothing",
    "same",
    "error",
    "negative",
    "cannot",
    "wrong",
    "worse",
    "unfortunately",
];
const YES: [&str; 22] = [
    "yes",
    "y",
    "yeah",
    "yea",
    "yep",
    "yup",
    "ok",
    "okay",
    "sure",
    "solved",
    "worked",
    "works",
    "working",
    "fixed",
    "great",
    "perfect",
    "done",
    "correct",
    "right",
    "thanks",
    "thank",
    "affirmative",
];

/// First words that make a reply a "no".
const NO_LEADS: [&str; 5] = ["no", "n", "nope", "nah", "not"];

pub fn yes_or_no(words: &[String]) -> Option<YesNo> {
    // Hong Kong's "唔work", "不work": a Chinese "not" before an English word.
    if words
        .windows(2)
        .any(|w| matches!(w[0].as_str(), "唔" | "不" | "冇" | "没") && w[1].starts_with("work"))
    {
        return Some(YesNo::No);
    }
    let zh = super::chinese::text(words);
    if !zh.is_empty()
        && let Some(answer) = super::chinese::yes_or_no(&zh)
    {
        return Some(answer);
    }
    if words.is_empty() || words.len() > 8 {
        return None;
    }
    let text = format!(" {} ", words.join(" "));
    let has = |p: &str| text.contains(&format!(" {p} "));
    let no = words.iter().any(|w| NO.contains(&w.as_str()))
        || has("does not")
        || has("did not")
        || has("no luck")
        || has("same problem");
    let yes = words.iter().any(|w| YES.contains(&w.as_str()))
        || has("that did it")
        || has("all good")
        || has("got in");
    match (yes, no) {
        (true, false) => Some(YesNo::Yes),
        (false, true) => Some(YesNo::No),
        // "no it did not work" / "yes still broken": the first word decides.
        (true, true) => match words[0].as_str() {
            w if NO.contains(&w) => Some(YesNo::No),
            "not" | "still" => Some(YesNo::No),
            _ if has("not working") || has("still") => Some(YesNo::No),
            _ => Some(YesNo::Yes),
        },
        (false, false) => None,
    }
}

/// The label named by a typed reply: the label itself, an ordinal ("the first one", "2nd"), a
/// yes/no for labels that start so, or (`by_words`) the one label sharing the most words with it.
pub fn pick<S: AsRef<str>>(labels: &[S], words: &[String], by_words: bool) -> Option<usize> {
    // A question names no option: "有冇 link?" is no "沒有", "要幾耐?" no "要".
    if super::chinese::is_question(&super::chinese::text(words)) {
        return None;
    }
    let typed = words.join(" ");
    let labels: Vec<Vec<String>> = labels.iter().map(|l| tokenize(l.as_ref())).collect();
    if let Some(i) = labels.iter().position(|l| l.join(" ") == typed) {
        return Some(i);
    }
    let zh = super::chinese::text(words);
    if let Some(i) = super::chinese::ordinal(&zh, words, labels.len()) {
        return Some(i);
    }
    if words.len() <= 4 {
        let ordinal = words.iter().find_map(|w| match w.as_str() {
            "first" | "1st" => Some(0),
            "second" | "2nd" => Some(1),
            "third" | "3rd" => Some(2),
            "fourth" | "4th" => Some(3),
            "last" => Some(labels.len() - 1),
            _ => None,
        });
        if let Some(i) = ordinal.filter(|&i| i < labels.len()) {
            return Some(i);
        }
    }
    // A plain yes or no picks the one label that starts so; "i never set up forwarding" is not a
    // "no".
    let leads_with_yes_no = words
        .first()
        .is_some_and(|w| YES.contains(&w.as_str()) || NO_LEADS.contains(&w.as_str()));
    // Chinese labels start with 是/有 or 不/沒 rather than a word "yes" or "no".
    if !zh.is_empty()
        && let Some(answer) = super::chinese::yes_or_no(&zh)
    {
        let starting: Vec<usize> = labels
            .iter()
            .enumerate()
            .filter(|(_, l)| super::chinese::label_lead(&super::chinese::text(l)) == Some(answer))
            .map(|(i, _)| i)
            .collect();
        if let [i] = starting[..] {
            return Some(i);
        }
    }
    if let Some(answer) = yes_or_no(words).filter(|_| leads_with_yes_no || words.len() <= 2) {
        let lead = match answer {
            YesNo::Yes => "yes",
            YesNo::No => "no",
        };
        let starting: Vec<usize> = labels
            .iter()
            .enumerate()
            .filter(|(_, l)| l.first().is_some_and(|w| w == lead))
            .map(|(i, _)| i)
            .collect();
        if let [i] = starting[..] {
            return Some(i);
        }
    }
    // The label sharing the most meaningful words, when one clearly does.
    const SMALL: [&str; 24] = [
        "i", "a", "the", "my", "it", "is", "was", "to", "of", "with", "s", "am", "an", "one", "in",
        "on", "at", "for", "and", "there", "that", "this", "then", "please",
    ];
    let meaningful: Vec<&String> = words
        .iter()
        .filter(|w| !SMALL.contains(&w.as_str()) && !super::chinese::SMALL.contains(&w.as_str()))
        .collect();
    if !by_words || meaningful.is_empty() || super::chinese::word_count(words) > 8 {
        return None;
    }
    // Chinese shares meaning in pairs of characters (學位, 自己), not single ones (不, 我).
    let pairs = |ws: &[String]| -> Vec<String> {
        let zh: Vec<char> = super::chinese::text(ws).chars().collect();
        zh.windows(2).map(|p| p.iter().collect()).collect()
    };
    let typed_pairs = pairs(words);
    let mut scores: Vec<(usize, usize)> = labels
        .iter()
        .enumerate()
        .map(|(i, l)| {
            let latin = meaningful
                .iter()
                .filter(|w| !w.chars().all(crate::lang::is_han) && l.contains(w))
                .count();
            let label_pairs = pairs(l);
            let chinese = typed_pairs
                .iter()
                .filter(|p| label_pairs.contains(p))
                .count();
            (i, latin + chinese)
        })
        .collect();
    scores.sort_by_key(|s| std::cmp::Reverse(s.1));
    match scores[..] {
        // Two shared words, or one for a reply of a word or two ("passport", "the name"): one
        // shared word in a sentence ("i was a student there") names nothing.
        [(i, best), (_, second), ..]
            if best > second && (best >= 2 || super::chinese::word_count(words) <= 2) =>
        {
            Some(i)
        }
        [(i, best)] if best >= 2 || (best == 1 && super::chinese::word_count(words) <= 2) => {
            Some(i)
        }
        _ => None,
    }
}
