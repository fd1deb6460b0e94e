DROP TRIGGER bookings_live_assignment ON bookings;
DROP FUNCTION live_assignment();
DROP TABLE assignments;
DROP FUNCTION assignment_turn();
ALTER TABLE bookings ADD CONSTRAINT bookings_no_double_booking EXCLUDE USING gist (
    producer_id WITH =,
    tsrange(window_start, window_end, '[)') WITH &&
) WHERE (status = 'confirmed');
