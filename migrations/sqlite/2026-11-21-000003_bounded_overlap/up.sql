-- The double-booking triggers look only at windows that can overlap: none is longer
-- than 12h30 (the longest event and its 30 minutes of preparation), so an overlapping
-- window starts less than 750 minutes before the new one. This keeps the check an index
-- range of a few rows however long the producer's history grows.
DROP TRIGGER bookings_no_double_booking_insert;
DROP TRIGGER bookings_no_double_booking_update;

CREATE TRIGGER bookings_no_double_booking_insert
BEFORE INSERT ON bookings
WHEN NEW.status = 'confirmed' AND EXISTS (
    SELECT 1 FROM bookings b
    WHERE b.producer_id = NEW.producer_id AND b.status = 'confirmed'
      AND b.window_start > datetime(NEW.window_start, '-750 minutes')
      AND b.window_start < NEW.window_end AND NEW.window_start < b.window_end
)
BEGIN
    SELECT RAISE(ABORT, 'bookings_no_double_booking');
END;

CREATE TRIGGER bookings_no_double_booking_update
BEFORE UPDATE OF producer_id, window_start, window_end, status ON bookings
WHEN NEW.status = 'confirmed' AND EXISTS (
    SELECT 1 FROM bookings b
    WHERE b.producer_id = NEW.producer_id AND b.status = 'confirmed' AND b.id <> NEW.id
      AND b.window_start > datetime(NEW.window_start, '-750 minutes')
      AND b.window_start < NEW.window_end AND NEW.window_start < b.window_end
)
BEGIN
    SELECT RAISE(ABORT, 'bookings_no_double_booking');
END;

CREATE INDEX time_off_range ON time_off (end_at, start_at);

-- Overlap queries and the weekly load count read only this index (it covers every column
-- they use), never the table.
DROP INDEX bookings_active_window;
CREATE INDEX bookings_active_window ON bookings (window_start, window_end, producer_id, id) WHERE status = 'confirmed';
