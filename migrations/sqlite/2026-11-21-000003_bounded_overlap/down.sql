DROP INDEX bookings_active_window;
CREATE INDEX bookings_active_window ON bookings (window_start, window_end) WHERE status = 'confirmed';
DROP INDEX time_off_range;
DROP TRIGGER bookings_no_double_booking_insert;
DROP TRIGGER bookings_no_double_booking_update;
CREATE TRIGGER bookings_no_double_booking_insert
BEFORE INSERT ON bookings
WHEN NEW.status = 'confirmed' AND EXISTS (
    SELECT 1 FROM bookings b
    WHERE b.producer_id = NEW.producer_id AND b.status = 'confirmed'
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
      AND b.window_start < NEW.window_end AND NEW.window_start < b.window_end
)
BEGIN
    SELECT RAISE(ABORT, 'bookings_no_double_booking');
END;
