DROP TRIGGER IF EXISTS bookings_no_double_booking_update;
DROP TRIGGER IF EXISTS bookings_no_double_booking_insert;
DROP TABLE idempotency_keys;
DROP TABLE staff_tokens;
DROP TABLE booking_events;
DROP TABLE bookings;
DROP TABLE time_off;
DROP TABLE producers;
