-- A message that could not be delivered after the last attempt is dead: never tried again,
-- shown with its ticket, and (a message to a user) told to staff.
ALTER TABLE outbox ADD COLUMN dead_at TEXT;
