-- The staff web desk: who holds a ticket (set when staff claim it, wherever they act), the
-- queue's index, and signed-in sessions.
ALTER TABLE tickets ADD COLUMN assignee TEXT;
-- Tickets claimed before: their last claimer, unless reopened since (an open ticket waits to be
-- claimed again).
UPDATE tickets SET assignee = (
    SELECT e.actor FROM ticket_events e
    WHERE e.ticket_id = tickets.id AND e.action = 'claimed'
    ORDER BY e.id DESC LIMIT 1
) WHERE status <> 'open';
CREATE INDEX tickets_queue ON tickets (status, created_at);
CREATE INDEX tickets_by_age ON tickets (created_at);
-- The queue's choices of category and assignee.
CREATE INDEX tickets_by_category ON tickets (category);
CREATE INDEX tickets_by_assignee ON tickets (assignee);
-- A ticket's page and the queue's counts read these by ticket.
CREATE INDEX ticket_attachments_by_ticket ON ticket_attachments (ticket_id);
CREATE INDEX ticket_events_by_ticket ON ticket_events (ticket_id);
CREATE INDEX outbox_by_ticket ON outbox (ticket_id);
CREATE INDEX audit_log_by_ticket ON audit_log (ticket, id);

-- A session is a random token in an HttpOnly cookie; only its BLAKE3 hash is stored, so a copy
-- of the database signs no one in. Removing an account ends its sessions; so does a password
-- change (a session older than the password is refused where it is read).
CREATE TABLE desk_sessions (
    token_hash TEXT PRIMARY KEY,
    staff_id   INTEGER NOT NULL REFERENCES staff_accounts (id) ON DELETE CASCADE,
    csrf       TEXT NOT NULL,       -- the token every form of this session carries
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL
);
CREATE INDEX desk_sessions_by_expiry ON desk_sessions (expires_at);

-- One staff identity wherever they act: a chat account or an OS user linked to a desk account
-- (`alumni-bot staff link LOGIN telegram:<id>`) is recorded as `staff:<login>` in the audit log
-- and the ticket events, with the place it acted from in `via`.
CREATE TABLE staff_links (
    actor    TEXT PRIMARY KEY,      -- 'telegram:<id>', 'discord:<id>', 'cli:<os user>'
    staff_id INTEGER NOT NULL REFERENCES staff_accounts (id) ON DELETE CASCADE
);
ALTER TABLE audit_log ADD COLUMN via TEXT;
