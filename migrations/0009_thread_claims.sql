-- A staff thread is claimed before it is made: the first delivery inserts the row with an empty
-- `thread` and its claim time, makes the thread, then fills it in; another delivery (another
-- process) meanwhile finds the claim and retries later. A claim older than a few minutes (its
-- process died while making the thread) may be taken over.
ALTER TABLE ticket_threads ADD COLUMN claimed_at TEXT;
