//! `alumni-bot staff add|remove|list|reset-password`: the web desk's staff accounts. A password
//! comes from the first line of stdin (`--password-stdin`, for scripts) or is asked for twice
//! on the terminal without echo; it is hashed (Argon2id) before it reaches the store, and never
//! printed or logged.

use std::io::{BufRead, Write};

use anyhow::Context;

use crate::accounts::{self, Login, Password};
use crate::store::Store;

/// Where a new password comes from.
pub enum PasswordFrom<'a, R: BufRead> {
    /// The first line of this reader.
    Stdin(&'a mut R),
    /// Asked for on the terminal, twice.
    Prompt,
}

/// The new password, held to the rule.
pub fn read_password<R: BufRead>(from: PasswordFrom<'_, R>) -> anyhow::Result<Password> {
    let typed = match from {
        PasswordFrom::Stdin(reader) => {
            let mut line = String::new();
            reader
                .read_line(&mut line)
                .context("reading the password")?;
            line.trim_end_matches(['\n', '\r']).to_string()
        }
        PasswordFrom::Prompt => {
            let first = rpassword::prompt_password("Password: ").context("reading the password")?;
            let again = rpassword::prompt_password("Again: ").context("reading the password")?;
            anyhow::ensure!(first == again, "the two passwords differ");
            first
        }
    };
    Ok(Password::new(&typed)?)
}

/// Hashes off the async threads (Argon2id is slow on purpose).
async fn hashed(password: Password) -> anyhow::Result<String> {
    tokio::task::spawn_blocking(move || accounts::hash(&password))
        .await
        .context("the hashing task stopped")?
}

pub async fn add(
    store: &Store,
    login: &Login,
    password: Password,
    actor: &str,
    out: &mut impl Write,
) -> anyhow::Result<bool> {
    let added = store
        .add_staff(login, &hashed(password).await?, actor)
        .await?;
    if added {
        writeln!(out, "Staff account {login} added.")?;
    } else {
        writeln!(out, "Not done: the login {login} is taken.")?;
    }
    Ok(added)
}

pub async fn reset_password(
    store: &Store,
    login: &Login,
    password: Password,
    actor: &str,
    out: &mut impl Write,
) -> anyhow::Result<bool> {
    let changed = store
        .set_staff_password(login, &hashed(password).await?, actor)
        .await?;
    if changed {
        writeln!(out, "Password of {login} changed.")?;
    } else {
        writeln!(out, "Not done: there is no staff account {login}.")?;
    }
    Ok(changed)
}

pub async fn remove(
    store: &Store,
    login: &Login,
    actor: &str,
    out: &mut impl Write,
) -> anyhow::Result<bool> {
    let removed = store.remove_staff(login, actor).await?;
    if removed {
        writeln!(out, "Staff account {login} removed.")?;
    } else {
        writeln!(out, "Not done: there is no staff account {login}.")?;
    }
    Ok(removed)
}

/// `staff link LOGIN PLACE`: `Some(done)`, or `None` when PLACE is not a place staff act from.
pub async fn link(
    store: &Store,
    login: &Login,
    place: &str,
    actor: &str,
    out: &mut impl Write,
) -> anyhow::Result<Option<bool>> {
    let Some((kind, id)) = place.split_once(':') else {
        writeln!(
            out,
            "Not done: give the place as telegram:ID, discord:ID or cli:USER."
        )?;
        return Ok(None);
    };
    let numeric = !id.is_empty() && id.bytes().all(|b| b.is_ascii_digit());
    let valid = match kind {
        "telegram" | "discord" => numeric,
        "cli" => !id.is_empty() && !id.contains(char::is_whitespace),
        _ => false,
    };
    if !valid {
        writeln!(
            out,
            "Not done: give the place as telegram:ID, discord:ID (numbers) or cli:USER."
        )?;
        return Ok(None);
    }
    let linked = store.link_staff(login, place, actor).await?;
    if linked {
        writeln!(out, "{place} now acts as staff:{login}.")?;
    } else {
        writeln!(out, "Not done: there is no staff account {login}.")?;
    }
    Ok(Some(linked))
}

pub async fn list(store: &Store, json: bool, out: &mut impl Write) -> anyhow::Result<()> {
    let accounts = store.staff_accounts().await?;
    if json {
        writeln!(out, "{}", serde_json::to_string(&accounts)?)?;
        return Ok(());
    }
    if accounts.is_empty() {
        writeln!(
            out,
            "No staff accounts. Add one with: alumni-bot staff add LOGIN"
        )?;
    }
    for a in accounts {
        writeln!(
            out,
            "{:<32} created {}, password changed {}",
            a.login, a.created_at, a.password_changed_at
        )?;
    }
    Ok(())
}

/// Whether `password` signs `login` in.
pub async fn check(store: &Store, login: &Login, password: Password) -> anyhow::Result<bool> {
    let Some(stored) = store.staff_password_hash(login).await? else {
        return Ok(false);
    };
    tokio::task::spawn_blocking(move || accounts::verify(&password, &stored))
        .await
        .context("the hashing task stopped")
}
