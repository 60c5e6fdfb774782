-- What made a ticket (a flow run and its step), so filing it again after a crash between the
-- ticket's commit and the conversation's save returns the same ticket instead of a duplicate.
ALTER TABLE tickets ADD COLUMN origin TEXT;
CREATE UNIQUE INDEX tickets_by_origin ON tickets (origin) WHERE origin IS NOT NULL;
