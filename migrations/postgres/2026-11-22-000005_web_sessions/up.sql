-- The pages remember a visitor between requests: the order being filled in, step by
-- step, and the booking being managed. Keyed by a hash of the session cookie's value
-- (the database never holds the cookie itself); rows untouched for a day are deleted.
CREATE TABLE web_sessions (
    id TEXT PRIMARY KEY NOT NULL,
    data TEXT NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX web_sessions_updated ON web_sessions (updated_at);
