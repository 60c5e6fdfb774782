-- Conversation state: one row per conversation, the core's `Conversation` as JSON.
CREATE TABLE conversations (
    key        TEXT PRIMARY KEY NOT NULL,
    state      TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
