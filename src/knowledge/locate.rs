//! Finding the line of an entry in a YAML file, for error messages.
//!
//! serde tells where a *syntax or schema* error is, but once a file has parsed, the values carry
//! no positions. Entries are found again by their keys (`id: foo`), which are unique by the
//! time a line is looked up; when a key cannot be found the problem is reported without a line
//! rather than with a wrong one.

pub struct Locator<'a> {
    lines: Vec<&'a str>,
}

impl<'a> Locator<'a> {
    pub fn new(text: &'a str) -> Self {
        Locator {
            lines: text.lines().collect(),
        }
    }

    /// The 1-based line that defines the intent `id`.
    pub fn intent(&self, id: &str) -> Option<usize> {
        self.lines
            .iter()
            .position(|line| value_of(line, "id").is_some_and(|v| v == id))
            .map(|i| i + 1)
    }

    /// The 1-based line of the first `id: <id>` at or after the 0-based line `from`.
    pub fn id_after(&self, id: &str, from: usize) -> Option<usize> {
        self.value_after("id", id, from)
    }

    /// The 1-based line of the first `key: value` at or after the 0-based line `from`.
    pub fn value_after(&self, key: &str, value: &str, from: usize) -> Option<usize> {
        self.lines
            .iter()
            .skip(from)
            .position(|line| value_of(line, key).is_some_and(|v| v == value))
            .map(|i| i + from + 1)
    }

    /// The 1-based line, at or after the 0-based `from`, where the mapping key `key` appears.
    pub fn key(&self, key: &str, from: usize) -> Option<usize> {
        self.lines
            .iter()
            .skip(from)
            .position(|line| value_of(line, key).is_some())
            .map(|i| i + from + 1)
    }
}

/// If `line` is `key: value` (optionally a list item, optionally quoted), the unquoted value.
fn value_of<'l>(line: &'l str, key: &str) -> Option<&'l str> {
    let rest = line.trim_start().trim_start_matches("- ").trim_start();
    let rest = rest.strip_prefix(key).or_else(|| {
        rest.strip_prefix('"')
            .and_then(|r| r.strip_prefix(key))
            .and_then(|r| r.strip_prefix('"'))
    })?;
    let value = rest.strip_prefix(':')?.trim();
    Some(value.trim_matches(|c| c == '"' || c == '\''))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_intents_and_keys() {
        let text = "intents:\n  - id: one\n    title: x\n  - id: \"two\"\n";
        let l = Locator::new(text);
        assert_eq!(l.intent("one"), Some(2));
        assert_eq!(l.intent("two"), Some(4));
        assert_eq!(l.intent("three"), None);
        assert_eq!(l.key("title", 0), Some(3));
        assert_eq!(l.key("intents", 0), Some(1));
    }
}
