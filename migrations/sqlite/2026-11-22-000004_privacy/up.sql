-- Personal data has an end: a booking remembers when its contact's data was erased; a
-- sent e-mail remembers the file it became (to delete it with the rest); a stored
-- idempotent answer knows its booking. Orders per contact e-mail are counted by day.
ALTER TABLE bookings ADD COLUMN erased_at TIMESTAMP;
CREATE INDEX bookings_contact_created ON bookings (contact_email_norm, created_at);
CREATE INDEX bookings_end_not_erased ON bookings (end_at) WHERE erased_at IS NULL;
ALTER TABLE outbox ADD COLUMN delivered_as TEXT;
ALTER TABLE idempotency_keys ADD COLUMN booking_id TEXT;
CREATE INDEX idempotency_keys_booking ON idempotency_keys (booking_id);
