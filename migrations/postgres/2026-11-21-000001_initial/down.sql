DROP TABLE idempotency_keys;
DROP TABLE staff_tokens;
DROP TABLE booking_events;
DROP TABLE bookings;
DROP TABLE time_off;
DROP TABLE producers;
