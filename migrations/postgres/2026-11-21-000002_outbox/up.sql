-- The transactional outbox: each e-mail is written in the same transaction as the
-- booking change it reports, then sent by a background worker.
CREATE TABLE outbox (
    id TEXT PRIMARY KEY,
    booking_id TEXT REFERENCES bookings (id),
    kind TEXT NOT NULL,
    recipient TEXT NOT NULL,
    locale TEXT NOT NULL,
    payload TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('pending', 'sent', 'failed')),
    attempts INTEGER NOT NULL,
    next_attempt_at TIMESTAMP NOT NULL,
    locked_until TIMESTAMP,
    last_error TEXT,
    created_at TIMESTAMP NOT NULL,
    sent_at TIMESTAMP
);
CREATE INDEX outbox_due ON outbox (status, next_attempt_at);
CREATE INDEX outbox_booking ON outbox (booking_id);
