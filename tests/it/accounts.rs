//! Staff accounts of the web desk through the built binary: `staff add|list|reset-password|
//! remove`, passwords from stdin, hashed with Argon2id, never stored or printed as typed.

use alumni_bot::accounts::{Login, Password};
use alumni_bot::store::Store;

use crate::helpers::{bin, run_with_stdin};

fn staff(db: &std::path::Path, args: &[&str], stdin: &str) -> std::process::Output {
    let mut cmd = bin();
    cmd.arg("--db").arg(db).arg("staff").args(args);
    run_with_stdin(cmd, stdin)
}

#[tokio::test]
async fn staff_accounts_are_added_checked_changed_and_removed() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("bot.db");
    let secret = "correct horse battery staple";
    let out = staff(
        &db,
        &["add", "Mandy", "--password-stdin"],
        &format!("{secret}\n"),
    );
    assert!(out.status.success(), "{out:?}");
    // The login is taken; a short password and a bad login break the rule (exit 2).
    let again = staff(
        &db,
        &["add", "mandy", "--password-stdin"],
        &format!("{secret}\n"),
    );
    assert_eq!(again.status.code(), Some(1), "{again:?}");
    let short = staff(&db, &["add", "peter", "--password-stdin"], "short\n");
    assert_eq!(short.status.code(), Some(2), "{short:?}");
    let bad = staff(
        &db,
        &["add", "<script>", "--password-stdin"],
        &format!("{secret}\n"),
    );
    assert_eq!(bad.status.code(), Some(2), "{bad:?}");

    let list = staff(&db, &["list", "--json"], "");
    let accounts: serde_json::Value = serde_json::from_slice(&list.stdout).unwrap();
    assert_eq!(accounts.as_array().unwrap().len(), 1, "{accounts}");
    assert_eq!(accounts[0]["login"], "mandy");

    let store = Store::open(&db).await.unwrap();
    let mandy: Login = "mandy".parse().unwrap();
    let check = |p: &str| alumni_bot::cli::staff::check(&store, &mandy, Password::typed(p));
    assert!(check(secret).await.unwrap());
    assert!(!check("correct horse battery stapler").await.unwrap());
    let hash = store.staff_password_hash(&mandy).await.unwrap().unwrap();
    assert!(hash.starts_with("$argon2id$"), "{hash}");

    let new = "a much longer passphrase now";
    let reset = staff(
        &db,
        &["reset-password", "mandy", "--password-stdin"],
        &format!("{new}\n"),
    );
    assert!(reset.status.success(), "{reset:?}");
    assert!(!check(secret).await.unwrap());
    assert!(check(new).await.unwrap());

    let removed = staff(&db, &["remove", "mandy"], "");
    assert!(removed.status.success(), "{removed:?}");
    assert!(!check(new).await.unwrap());
    assert_eq!(staff(&db, &["remove", "mandy"], "").status.code(), Some(1));

    // Nothing kept or printed holds a password as typed; every change is audited.
    let dump: Vec<(String,)> =
        sqlx::query_as("SELECT actor || action || COALESCE(ticket, '') || detail FROM audit_log")
            .fetch_all(store.pool())
            .await
            .unwrap();
    let actions: Vec<&str> = ["staff add", "staff reset-password", "staff remove"].to_vec();
    for action in actions {
        assert!(
            dump.iter().any(|(r,)| r.contains(action)),
            "{action}: {dump:?}"
        );
    }
    for output in [&out, &again, &short, &list, &reset, &removed] {
        let shown = format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        assert!(
            !shown.contains("horse") && !shown.contains("passphrase"),
            "{shown}"
        );
    }
    for (row,) in dump {
        assert!(
            !row.contains("horse") && !row.contains("passphrase"),
            "{row}"
        );
    }
}
