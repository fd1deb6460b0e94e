DROP INDEX bookings_to_complete;
ALTER TABLE bookings DROP COLUMN completed_at;
