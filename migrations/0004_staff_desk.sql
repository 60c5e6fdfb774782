-- Staff work on tickets. The outbox holds every message the bot owes someone (a staff reply to
-- a user, a new ticket announced to staff), written in the same transaction as the change that
-- caused it and delivered by the running bot, retried until sent: the CLI and `serve` may be
-- different processes. The audit log records every staff action, allowed or refused.
CREATE TABLE outbox (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    platform        TEXT NOT NULL,
    chat            TEXT NOT NULL,      -- the platform's chat id, or 'staff': its staff place
    message         TEXT NOT NULL,      -- JSON of the core's Reply
    attachment_hash TEXT,               -- a ticket file sent along (only to staff)
    ticket_id       INTEGER REFERENCES tickets (id) ON DELETE SET NULL,
    created_at      TEXT NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT NOT NULL,
    delivered_at    TEXT,
    last_error      TEXT
);
CREATE INDEX outbox_due ON outbox (platform, delivered_at, next_attempt_at);

CREATE TABLE audit_log (
    id      INTEGER PRIMARY KEY AUTOINCREMENT,
    at      TEXT NOT NULL,
    actor   TEXT NOT NULL,              -- 'cli:<os user>', 'telegram:<id>', 'discord:<id>', 'system'
    action  TEXT NOT NULL,
    ticket  TEXT,                       -- a reference, when the action names one
    detail  TEXT NOT NULL DEFAULT '',
    allowed INTEGER NOT NULL DEFAULT 1
);

-- Retention: an attachment's file is deleted after its ticket has been closed long enough.
ALTER TABLE ticket_attachments ADD COLUMN purged_at TEXT;
