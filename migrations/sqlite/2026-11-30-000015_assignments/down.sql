DROP TRIGGER bookings_live_assignment_update;
DROP TRIGGER bookings_live_assignment_insert;
DROP TRIGGER assignments_no_double_booking_update;
DROP TRIGGER assignments_no_double_booking_insert;
DROP TABLE assignments;

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
