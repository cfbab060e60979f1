-- Version 19: each waiting edit records the account that made it. A copy is a file on a
-- computer, and more than one account may sign in on that computer: an edit must reach
-- the server in its author's name only, never in the name of whoever signs in next
-- (issue 12, item 6). Entries queued before this version have no author: whoever is
-- signed in sends them, as before.
ALTER TABLE outbox ADD COLUMN author BLOB;
