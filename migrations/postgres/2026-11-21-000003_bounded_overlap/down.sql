DROP INDEX bookings_active_window;
CREATE INDEX bookings_active_window ON bookings (window_start, window_end) WHERE status = 'confirmed';
DROP INDEX time_off_range;
