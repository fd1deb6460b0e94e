-- A booking is completed once it has ended: a sweep sets `completed_at` (the status
-- stays 'confirmed', so the overlap rules and their indexes are untouched) and the API
-- shows it as completed. The index finds the bookings the sweep has still to mark.
ALTER TABLE bookings ADD COLUMN completed_at TIMESTAMP;
CREATE INDEX bookings_to_complete ON bookings (end_at) WHERE status = 'confirmed' AND completed_at IS NULL;
