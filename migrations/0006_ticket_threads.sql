-- Where a ticket is discussed in a staff place: a Telegram forum topic or a Discord thread.
CREATE TABLE ticket_threads (
    ticket_id INTEGER NOT NULL REFERENCES tickets (id) ON DELETE CASCADE,
    platform  TEXT NOT NULL,
    thread    TEXT NOT NULL,
    PRIMARY KEY (ticket_id, platform)
);
