//! Pseudonyms for logs: a keyed hash of a platform user id, so that log lines about one user can
//! be followed without revealing who the user is. The key stays out of logs and the repository.

use std::fmt;

#[derive(Clone)]
pub struct Pseudonymizer {
    key: [u8; 32],
}

impl Pseudonymizer {
    pub fn new(key: [u8; 32]) -> Self {
        Pseudonymizer { key }
    }

    /// A key derived from a configured secret of any length.
    pub fn from_secret(secret: &str) -> Self {
        Pseudonymizer {
            key: blake3::derive_key("alumni-bot 2026 log pseudonyms", secret.as_bytes()),
        }
    }

    /// A fresh random key: pseudonyms are then stable only within one run.
    pub fn random() -> Self {
        let mut key = [0u8; 32];
        getrandom::fill(&mut key).expect("the operating system's random source failed");
        Pseudonymizer { key }
    }

    /// A short stable tag for `platform` + `user`, e.g. `u:3f9a0c1be2d4`.
    pub fn tag(&self, platform: &str, user: &str) -> String {
        let mut hasher = blake3::Hasher::new_keyed(&self.key);
        hasher.update(platform.as_bytes());
        hasher.update(&[0]);
        hasher.update(user.as_bytes());
        let hex = hasher.finalize().to_hex();
        format!("u:{}", &hex[..12])
    }
}

impl fmt::Debug for Pseudonymizer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Pseudonymizer { key: <redacted> }")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_are_stable_keyed_and_opaque() {
        let a = Pseudonymizer::from_secret("one");
        let b = Pseudonymizer::from_secret("two");
        assert_eq!(a.tag("telegram", "12345"), a.tag("telegram", "12345"));
        assert_ne!(a.tag("telegram", "12345"), b.tag("telegram", "12345"));
        assert_ne!(a.tag("telegram", "12345"), a.tag("discord", "12345"));
        assert!(!a.tag("telegram", "12345").contains("12345"));
        assert!(!format!("{a:?}").contains(char::is_numeric));
    }
}
