-- A user's addition to a ticket is made once per conversation state. Every save of a
-- conversation gives it a new random `revision`; an addition's `origin` (on its event) is a hash
-- of the conversation's key and revision, the ticket and what was added. The user's retry after
-- the conversation failed to save comes from the same revision, so it finds the first addition
-- instead of adding (and telling staff) twice.
ALTER TABLE conversations ADD COLUMN revision TEXT;
ALTER TABLE ticket_events ADD COLUMN origin TEXT;
CREATE UNIQUE INDEX ticket_events_by_origin ON ticket_events (origin) WHERE origin IS NOT NULL;
