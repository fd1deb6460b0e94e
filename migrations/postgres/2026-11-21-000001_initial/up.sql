-- Greenroom's initial schema (PostgreSQL). Instants are UTC `timestamp`; ids and zone
-- names are text, as on SQLite.
CREATE EXTENSION IF NOT EXISTS btree_gist;

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
    CHECK (window_end > window_start),
    -- No producer is ever in two places at once: enforced here, whatever the code does.
    CONSTRAINT bookings_no_double_booking EXCLUDE USING gist (
        producer_id WITH =,
        tsrange(window_start, window_end, '[)') WITH &&
    ) WHERE (status = 'confirmed')
);
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
