-- Users staff have blocked: the bot ignores their messages. Block and unblock are audited.
CREATE TABLE blocked_users (
    platform   TEXT NOT NULL,
    user       TEXT NOT NULL,
    blocked_at TEXT NOT NULL,
    blocked_by TEXT NOT NULL,
    reason     TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (platform, user)
);

-- Updates (Telegram update ids, Discord event ids) already taken, so one redelivered after a
-- restart is not answered twice. Pruned after a week.
CREATE TABLE processed_updates (
    platform    TEXT NOT NULL,
    update_id   TEXT NOT NULL,
    started_at  TEXT NOT NULL,
    finished_at TEXT,
    PRIMARY KEY (platform, update_id)
);
