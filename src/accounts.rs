//! Staff accounts of the web desk: logins, the password rule, and Argon2id hashing. Passwords
//! live only in memory here, as [`Password`] (which never prints); the store keeps the PHC hash
//! string.

use std::fmt;
use std::str::FromStr;

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};

/// A staff login: 2 to 32 of `a-z 0-9 . _ -`, kept in lower case.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Login(String);

/// Passwords shorter than this are refused.
pub const MIN_PASSWORD_CHARS: usize = 12;
/// Longer than this is no password anyone types (and would only make hashing slow).
const MAX_PASSWORD_CHARS: usize = 256;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AccountError {
    #[error("a login is 2 to 32 letters, digits, dots, dashes or underscores")]
    BadLogin,
    #[error(
        "a password has at least {MIN_PASSWORD_CHARS} characters (and at most {MAX_PASSWORD_CHARS})"
    )]
    BadPassword,
}

impl Login {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for Login {
    type Err = AccountError;

    fn from_str(s: &str) -> Result<Self, AccountError> {
        let login = s.trim().to_ascii_lowercase();
        let fits = (2..=32).contains(&login.len())
            && login
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
        if fits {
            Ok(Login(login))
        } else {
            Err(AccountError::BadLogin)
        }
    }
}

impl fmt::Display for Login {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A password as typed. `Debug` never shows it.
#[derive(Clone)]
pub struct Password(String);

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(<redacted>)")
    }
}

impl Password {
    /// A new password, held to the rule (length; nothing else: long passphrases are best).
    pub fn new(text: &str) -> Result<Self, AccountError> {
        let chars = text.chars().count();
        if (MIN_PASSWORD_CHARS..=MAX_PASSWORD_CHARS).contains(&chars) && !text.trim().is_empty() {
            Ok(Password(text.to_string()))
        } else {
            Err(AccountError::BadPassword)
        }
    }

    /// A password typed at sign-in: not held to the rule (a wrong one simply fails), only cut.
    pub fn typed(text: &str) -> Self {
        Password(text.chars().take(MAX_PASSWORD_CHARS).collect())
    }
}

/// Argon2id with OWASP's recommended floor: 19 MiB of memory, 2 passes, 1 lane.
fn argon2() -> Argon2<'static> {
    let params = Params::new(19 * 1024, 2, 1, None).expect("constant Argon2 parameters are valid");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// The PHC string of `password` with a fresh random salt (`$argon2id$v=19$…`). Slow on
/// purpose (tens of milliseconds): call it off the async threads.
pub fn hash(password: &Password) -> anyhow::Result<String> {
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt).map_err(|e| anyhow::anyhow!("no random salt: {e}"))?;
    let salt = SaltString::encode_b64(&salt).map_err(|e| anyhow::anyhow!("salt: {e}"))?;
    let hashed = argon2()
        .hash_password(password.0.as_bytes(), &salt)
        .map_err(|e| anyhow::anyhow!("hashing a password: {e}"))?;
    Ok(hashed.to_string())
}

/// Whether `password` is the one `stored` (a PHC string) was made from. A stored string that
/// does not parse matches nothing. The parameters come from the stored string, so hashes made
/// with other parameters keep working.
pub fn verify(password: &Password, stored: &str) -> bool {
    let Ok(parsed) = PasswordHash::new(stored) else {
        return false;
    };
    Argon2::default()
        .verify_password(password.0.as_bytes(), &parsed)
        .is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn logins_and_passwords_are_held_to_the_rule() {
        assert_eq!(
            "Mandy.Chan".parse::<Login>().unwrap().as_str(),
            "mandy.chan"
        );
        assert!("a".parse::<Login>().is_err());
        assert!("mandy chan".parse::<Login>().is_err());
        assert!("<script>".parse::<Login>().is_err());
        assert!(Password::new("short").is_err());
        assert!(Password::new("            ").is_err());
        assert!(Password::new("correct horse battery").is_ok());
        let p = Password::new("correct horse battery").unwrap();
        assert!(!format!("{p:?}").contains("horse"));
    }

    #[test]
    fn a_hash_is_argon2id_salted_and_verifies_only_its_password() {
        let p = Password::new("correct horse battery").unwrap();
        let (a, b) = (hash(&p).unwrap(), hash(&p).unwrap());
        assert!(a.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{a}");
        assert_ne!(a, b, "a fresh salt each time");
        assert!(!a.contains("horse"));
        assert!(verify(&p, &a));
        assert!(!verify(&Password::typed("correct horse battery!"), &a));
        assert!(!verify(&p, "not a hash"));
    }
}
