//! Text normalisation: the one place that decides what a "word" is.
//!
//! The pipeline, in order: Unicode NFKC and lower case; contractions expanded ("can't" → "can
//! not"); everything but letters and digits becomes a space, and CJK characters become words of
//! their own; typos corrected against the training vocabulary ([`Speller`]); synonym phrases
//! replaced by their canonical word ([`Synonyms`]). Stemming ([`stem`]) is applied later, by the
//! feature extractor, so that synonyms and typo correction see whole words.

use std::collections::HashMap;

use unicode_normalization::UnicodeNormalization;

/// Longest input the matcher looks at, in characters. A question never needs more; a 100 kB
/// paste is cut here so that matching time stays bounded whatever arrives.
pub const MAX_CHARS: usize = 500;

/// Lower-cases, folds Unicode, expands contractions and splits into words.
pub fn tokenize(text: &str) -> Vec<String> {
    let cut: String = text.chars().take(MAX_CHARS).collect();
    // Traditional and Simplified Chinese meet in one script, so one set of examples serves both.
    let cut = crate::lang::fold(&cut);
    let folded: String = cut
        .chars()
        .take(MAX_CHARS)
        .nfkc()
        .flat_map(char::to_lowercase)
        .collect();
    let mut words = Vec::new();
    let mut current = String::new();
    let mut chars = folded.chars().peekable();
    while let Some(c) = chars.next() {
        if is_apostrophe(c) {
            // "can't", "i'm", "user's": keep the apostrophe inside a word, as a marker for
            // `expand_contraction`; drop it anywhere else.
            if !current.is_empty() && chars.peek().is_some_and(|n| n.is_alphabetic()) {
                current.push('\'');
            }
            continue;
        }
        if is_cjk(c) {
            flush(&mut current, &mut words);
            words.push(c.to_string());
        } else if c.is_alphanumeric() {
            current.push(c);
        } else {
            flush(&mut current, &mut words);
        }
    }
    flush(&mut current, &mut words);
    words
}

fn flush(current: &mut String, words: &mut Vec<String>) {
    if current.is_empty() {
        return;
    }
    let word = std::mem::take(current);
    if word.contains('\'') {
        expand_contraction(&word, words);
    } else {
        words.push(word);
    }
}

fn expand_contraction(word: &str, out: &mut Vec<String>) {
    let (head, tail) = word.split_once('\'').unwrap_or((word, ""));
    let tail = tail.replace('\'', "");
    match (head, tail.as_str()) {
        ("can", "t") => out.extend(["can".into(), "not".into()]),
        ("won", "t") => out.extend(["will".into(), "not".into()]),
        ("shan", "t") => out.extend(["shall".into(), "not".into()]),
        (h, "t") if h.ends_with('n') => {
            out.push(h[..h.len() - 1].to_string());
            out.push("not".into());
        }
        (h, "m") => out.extend([h.to_string(), "am".into()]),
        (h, "re") => out.extend([h.to_string(), "are".into()]),
        (h, "ve") => out.extend([h.to_string(), "have".into()]),
        (h, "ll") => out.extend([h.to_string(), "will".into()]),
        (h, "d") => out.extend([h.to_string(), "would".into()]),
        // "'s" is a possessive or "is": neither carries meaning for matching.
        (h, _) => out.push(h.to_string()),
    }
}

fn is_apostrophe(c: char) -> bool {
    matches!(c, '\'' | '\u{2019}' | '\u{2018}' | '`')
}

fn is_cjk(c: char) -> bool {
    crate::lang::is_han(c) || matches!(c as u32, 0x3040..=0x30FF | 0xAC00..=0xD7AF)
}

/// Sentence-final particles of Hong Kong English ("can I still use it ah?", "ok la"): they
/// carry tone, not topic, and are dropped before matching.
pub fn is_particle(word: &str) -> bool {
    matches!(
        word,
        "ah" | "ar"
            | "la"
            | "lah"
            | "lor"
            | "leh"
            | "wor"
            | "wo"
            | "ga"
            | "ge"
            | "meh"
            | "ma"
            | "mah"
            | "ho"
            | "aiya"
            | "aiyah"
            // Cantonese and Mandarin sentence particles (after folding to one script).
            | "呀"
            | "啊"
            | "呙"
            | "喎"
            | "㗎"
            | "啦"
            | "嘛"
            | "啰"
            | "吖"
            | "喇"
            | "嘞"
            | "咯"
            | "噃"
            | "啫"
            | "嘅"
    )
}

/// A light English stemmer: plural and verb endings only, so that "passwords", "forwarding" and
/// "activated" meet their base word without the over-reach of a full Porter stemmer.
pub fn stem(word: &str) -> &str {
    let n = word.len();
    if !word.is_ascii() || n <= 3 {
        return word;
    }
    for (suffix, min_stem) in [("ing", 3), ("ed", 3), ("es", 4), ("s", 3)] {
        if let Some(base) = word.strip_suffix(suffix) {
            if suffix == "s" && (base.ends_with('s') || base.ends_with('u') || base.ends_with('i'))
            {
                return word;
            }
            if base.len() >= min_stem {
                return base;
            }
        }
    }
    word
}

/// Synonym phrases mapped to one canonical word.
#[derive(Debug, Default, Clone)]
pub struct Synonyms {
    phrases: HashMap<Vec<String>, String>,
    longest: usize,
}

impl Synonyms {
    /// Builds the table from `canonical → [phrases]`. Phrases are tokenised like user input.
    pub fn new<'a>(entries: impl IntoIterator<Item = (&'a str, &'a [String])>) -> Self {
        let mut phrases = HashMap::new();
        let mut longest = 0;
        for (canonical, variants) in entries {
            let canonical_words = tokenize(canonical);
            let Some(canonical_word) = canonical_words.first() else {
                continue;
            };
            for variant in variants {
                let words = tokenize(variant);
                if words.is_empty() || words == canonical_words {
                    continue;
                }
                longest = longest.max(words.len());
                phrases.insert(words, canonical_word.clone());
            }
        }
        Synonyms { phrases, longest }
    }

    /// Every word that appears in some phrase: the speller must know them.
    pub fn words(&self) -> impl Iterator<Item = &str> {
        self.phrases
            .iter()
            .flat_map(|(k, v)| k.iter().map(String::as_str).chain([v.as_str()]))
    }

    /// Replaces every synonym phrase, longest first, left to right.
    pub fn apply(&self, words: Vec<String>) -> Vec<String> {
        if self.phrases.is_empty() {
            return words;
        }
        let mut out = Vec::with_capacity(words.len());
        let mut i = 0;
        'outer: while i < words.len() {
            for len in (1..=self.longest.min(words.len() - i)).rev() {
                if let Some(canonical) = self.phrases.get(&words[i..i + len]) {
                    out.push(canonical.clone());
                    i += len;
                    continue 'outer;
                }
            }
            out.push(words[i].clone());
            i += 1;
        }
        out
    }
}

/// Corrects misspelt words to the nearest word of a known vocabulary.
///
/// A symmetric-delete index (SymSpell) finds the candidates within edit distance 2 with a few
/// hash look-ups instead of a scan of the vocabulary; `strsim`'s optimal string alignment
/// distance (a transposition counts as one edit) then picks the nearest, the most frequent on a
/// tie. Short words are left alone: at four letters one edit already means another word.
#[derive(Debug, Default, Clone)]
pub struct Speller {
    frequency: HashMap<String, u32>,
    deletes: HashMap<String, Vec<u32>>,
    words: Vec<String>,
}

impl Speller {
    pub fn new<'a>(vocabulary: impl IntoIterator<Item = &'a str>) -> Self {
        let mut frequency: HashMap<String, u32> = HashMap::new();
        for word in vocabulary {
            *frequency.entry(word.to_string()).or_default() += 1;
        }
        let mut words: Vec<String> = frequency
            .keys()
            .filter(|w| correctable(w))
            .cloned()
            .collect();
        words.sort();
        let mut deletes: HashMap<String, Vec<u32>> = HashMap::new();
        for (index, word) in words.iter().enumerate() {
            for variant in deletions(word, max_distance(word)) {
                deletes.entry(variant).or_default().push(index as u32);
            }
        }
        Speller {
            frequency,
            deletes,
            words,
        }
    }

    pub fn knows(&self, word: &str) -> bool {
        self.frequency.contains_key(word)
    }

    /// The known word nearest to `word`, or `None` if it is known already or nothing is close.
    pub fn correct(&self, word: &str) -> Option<&str> {
        if self.knows(word) || !correctable(word) {
            return None;
        }
        let limit = max_distance(word);
        let mut best: Option<(usize, u32, &str)> = None;
        for variant in deletions(word, limit) {
            let Some(indexes) = self.deletes.get(&variant) else {
                continue;
            };
            for &index in indexes {
                let candidate = self.words[index as usize].as_str();
                let distance = strsim::osa_distance(word, candidate);
                if distance > limit.min(max_distance(candidate)) {
                    continue;
                }
                let freq = self.frequency[candidate];
                let better = match best {
                    None => true,
                    Some((d, f, w)) => {
                        (distance, std::cmp::Reverse(freq), candidate)
                            < (d, std::cmp::Reverse(f), w)
                    }
                };
                if better {
                    best = Some((distance, freq, candidate));
                }
            }
        }
        best.map(|(_, _, w)| w)
    }

    pub fn correct_all(&self, words: Vec<String>) -> Vec<String> {
        words
            .into_iter()
            .map(|w| self.correct(&w).map(str::to_string).unwrap_or(w))
            .collect()
    }
}

fn correctable(word: &str) -> bool {
    word.chars().count() >= 4 && word.chars().all(|c| c.is_alphabetic()) && word.is_ascii()
}

fn max_distance(word: &str) -> usize {
    if word.len() >= 8 { 2 } else { 1 }
}

/// The word itself and every string made by deleting up to `depth` characters (ASCII only).
fn deletions(word: &str, depth: usize) -> Vec<String> {
    let mut all = vec![word.to_string()];
    let mut frontier = vec![word.to_string()];
    for _ in 0..depth {
        let mut next = Vec::new();
        for w in &frontier {
            for i in 0..w.len() {
                let mut v = w.clone();
                v.remove(i);
                if !all.contains(&v) && !next.contains(&v) {
                    next.push(v);
                }
            }
        }
        all.extend(next.iter().cloned());
        frontier = next;
    }
    all
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokenize_folds_case_punctuation_and_contractions() {
        assert_eq!(
            tokenize("I CAN'T log-in!!"),
            ["i", "can", "not", "log", "in"]
        );
        assert_eq!(tokenize("won’t it's"), ["will", "not", "it"]);
        assert_eq!(tokenize("ＷｉＦｉ"), ["wifi"]);
        assert_eq!(
            tokenize("忘記密碼 password"),
            ["忘", "记", "密", "码", "password"]
        );
        // Traditional and Simplified meet in one script.
        assert_eq!(tokenize("忘記密碼"), tokenize("忘记密码"));
        assert!(tokenize("  \t\u{0}\u{7} 🎉 ").is_empty());
    }

    #[test]
    fn tokenize_bounds_huge_input() {
        let huge = "password ".repeat(20_000);
        assert!(tokenize(&huge).len() <= MAX_CHARS / 2);
    }

    #[test]
    fn stem_strips_common_endings_only() {
        assert_eq!(stem("passwords"), "password");
        assert_eq!(stem("forwarding"), "forward");
        assert_eq!(stem("activated"), "activat");
        assert_eq!(stem("address"), "address");
        assert_eq!(stem("status"), "status");
        assert_eq!(stem("is"), "is");
    }

    #[test]
    fn speller_fixes_typos_within_distance() {
        let speller = Speller::new(["password", "activate", "forwarding", "alias", "email"]);
        assert_eq!(speller.correct("pasword"), Some("password"));
        assert_eq!(speller.correct("activte"), Some("activate"));
        assert_eq!(speller.correct("fowarding"), Some("forwarding"));
        assert_eq!(speller.correct("emial"), Some("email"));
        assert_eq!(speller.correct("password"), None);
        assert_eq!(speller.correct("banana"), None);
        assert_eq!(speller.correct("cat"), None);
    }

    #[test]
    fn synonyms_replace_longest_phrase_first() {
        let pw = vec!["pw".to_string(), "pass word".to_string()];
        let wifi = vec!["wi fi".to_string()];
        let syn = Synonyms::new([("password", pw.as_slice()), ("wifi", wifi.as_slice())]);
        let out = syn.apply(tokenize("reset my pass word for Wi-Fi pw"));
        assert_eq!(out, ["reset", "my", "password", "for", "wifi", "password"]);
    }
}
