DROP INDEX idempotency_keys_booking;
ALTER TABLE idempotency_keys DROP COLUMN booking_id;
ALTER TABLE outbox DROP COLUMN delivered_as;
DROP INDEX bookings_end_not_erased;
DROP INDEX bookings_contact_created;
ALTER TABLE bookings DROP COLUMN erased_at;
