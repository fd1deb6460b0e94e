-- Reminders: a message due at a time before the event (by the service's clock). A sweep
-- turns each due one into an outbox message, built then from the booking as it is, and
-- marks it queued in the same transaction, so it is sent once. A change replaces the
-- booking's scheduled reminders; a cancellation deletes them.
CREATE TABLE reminders (
    id TEXT PRIMARY KEY NOT NULL,
    booking_id TEXT NOT NULL REFERENCES bookings (id),
    kind TEXT NOT NULL,
    due_at TIMESTAMP NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('scheduled', 'queued')),
    created_at TIMESTAMP NOT NULL,
    queued_at TIMESTAMP
);
CREATE INDEX reminders_due ON reminders (due_at) WHERE status = 'scheduled';
CREATE INDEX reminders_booking ON reminders (booking_id);
