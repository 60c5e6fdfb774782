-- The ticket log: tickets, their attachments (files on disk by content hash), the transcript
-- that led to each, and an event log of every change.
CREATE TABLE tickets (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    reference     TEXT NOT NULL UNIQUE,
    status        TEXT NOT NULL DEFAULT 'open'
                  CHECK (status IN ('open', 'claimed', 'awaiting_user', 'resolved', 'closed')),
    category      TEXT NOT NULL,
    platform      TEXT NOT NULL,
    platform_user TEXT NOT NULL,
    platform_chat TEXT NOT NULL,
    fields        TEXT NOT NULL DEFAULT '{}',   -- JSON object: what the user supplied, by name
    created_at    TEXT NOT NULL,                -- RFC 3339, UTC
    updated_at    TEXT NOT NULL
);
CREATE INDEX tickets_by_user ON tickets (platform, platform_user);

CREATE TABLE ticket_attachments (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    ticket_id   INTEGER NOT NULL REFERENCES tickets (id) ON DELETE CASCADE,
    hash        TEXT NOT NULL,      -- BLAKE3 of the content; the file is stored under this name
    media_type  TEXT NOT NULL,
    size        INTEGER NOT NULL,
    created_at  TEXT NOT NULL
);

CREATE TABLE ticket_transcript (
    ticket_id  INTEGER NOT NULL REFERENCES tickets (id) ON DELETE CASCADE,
    seq        INTEGER NOT NULL,
    author     TEXT NOT NULL CHECK (author IN ('user', 'bot')),
    text       TEXT NOT NULL,
    PRIMARY KEY (ticket_id, seq)
);

CREATE TABLE ticket_events (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    ticket_id  INTEGER NOT NULL REFERENCES tickets (id) ON DELETE CASCADE,
    at         TEXT NOT NULL,
    actor      TEXT NOT NULL,
    action     TEXT NOT NULL,
    detail     TEXT NOT NULL DEFAULT ''
);
