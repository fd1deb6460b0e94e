-- Greenroom's initial schema (SQLite). The same tables as on PostgreSQL; the rule that no
-- producer is booked twice at once is kept by triggers instead of an exclusion constraint.

CREATE TABLE producers (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    email TEXT NOT NULL,
    time_zone TEXT NOT NULL,
    languages TEXT NOT NULL,
    centres TEXT NOT NULL,
    working_hours TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    deleted_at TIMESTAMP
);

CREATE TABLE time_off (
    id TEXT PRIMARY KEY,
    producer_id TEXT NOT NULL REFERENCES producers (id),
    start_at TIMESTAMP NOT NULL,
    end_at TIMESTAMP NOT NULL,
    reason TEXT,
    created_at TIMESTAMP NOT NULL,
    CHECK (end_at > start_at)
);
CREATE INDEX time_off_producer_range ON time_off (producer_id, start_at, end_at);

CREATE TABLE bookings (
    id TEXT PRIMARY KEY,
    reservation_number TEXT NOT NULL UNIQUE,
    status TEXT NOT NULL CHECK (status IN ('confirmed', 'cancelled')),
    package_id TEXT NOT NULL,
    start_at TIMESTAMP NOT NULL,
    end_at TIMESTAMP NOT NULL,
    window_start TIMESTAMP NOT NULL,
    window_end TIMESTAMP NOT NULL,
    time_zone TEXT NOT NULL,
    duration_minutes INTEGER NOT NULL,
    producer_id TEXT NOT NULL REFERENCES producers (id),
    language TEXT NOT NULL,
    language_pending BOOLEAN NOT NULL,
    contact TEXT NOT NULL,
    contact_email_norm TEXT NOT NULL,
    company TEXT NOT NULL,
    site TEXT NOT NULL,
    meeting TEXT NOT NULL,
    event TEXT NOT NULL,
    extensions TEXT NOT NULL,
    charges TEXT NOT NULL,
    cancellation_policy TEXT NOT NULL,
    cancellation TEXT,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    CHECK (window_end > window_start)
);
CREATE INDEX bookings_producer_window ON bookings (producer_id, window_start) WHERE status = 'confirmed';
CREATE INDEX bookings_active_window ON bookings (window_start, window_end) WHERE status = 'confirmed';
CREATE INDEX bookings_start ON bookings (start_at);

CREATE TABLE booking_events (
    id TEXT PRIMARY KEY,
    booking_id TEXT NOT NULL REFERENCES bookings (id),
    seq INTEGER NOT NULL,
    at TIMESTAMP NOT NULL,
    kind TEXT NOT NULL,
    actor TEXT NOT NULL,
    old_start TIMESTAMP,
    old_end TIMESTAMP,
    new_start TIMESTAMP,
    new_end TIMESTAMP,
    old_producer_id TEXT,
    new_producer_id TEXT,
    detail TEXT
);
CREATE UNIQUE INDEX booking_events_booking ON booking_events (booking_id, seq);

CREATE TABLE staff_tokens (
    id TEXT PRIMARY KEY,
    token_hash TEXT NOT NULL UNIQUE,
    role TEXT NOT NULL CHECK (role IN ('admin', 'scheduler')),
    label TEXT,
    created_at TIMESTAMP NOT NULL,
    revoked_at TIMESTAMP
);

CREATE TABLE idempotency_keys (
    key TEXT PRIMARY KEY,
    request_hash TEXT NOT NULL,
    response_status INTEGER NOT NULL,
    response_body TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);

-- No producer is ever in two places at once: enforced here, whatever the code does.
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
