CREATE INDEX bookings_producer_window ON bookings (producer_id, window_start) WHERE status = 'confirmed';
