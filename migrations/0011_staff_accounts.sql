-- Staff accounts of the web desk: a login and an Argon2id hash of its password (PHC string);
-- never the password itself.
CREATE TABLE staff_accounts (
    id                  INTEGER PRIMARY KEY AUTOINCREMENT,
    login               TEXT NOT NULL UNIQUE,
    password_hash       TEXT NOT NULL,
    created_at          TEXT NOT NULL,
    password_changed_at TEXT NOT NULL
);
