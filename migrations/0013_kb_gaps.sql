-- Unanswered questions ("knowledge-base gaps"): what users typed that the bot fell back on or
-- clarified, for the knowledge base's maintainers (`alumni-bot kb gaps`, the web desk). The text
-- is redacted before it is written (emails, numbers, ID-like strings replaced) and no row names
-- a user, so `/forget` has nothing here to delete; retention (`purge`) deletes rows by age.
CREATE TABLE kb_gaps (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    at             TEXT NOT NULL,            -- RFC 3339, UTC, milliseconds
    kind           TEXT NOT NULL CHECK (kind IN ('fallback', 'clarify')),
    text           TEXT NOT NULL,            -- redacted
    lang           TEXT NOT NULL,            -- en, zh-Hant, zh-Hans
    nearest_intent TEXT,
    score          REAL
);
CREATE INDEX kb_gaps_at ON kb_gaps (at);
