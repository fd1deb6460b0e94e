-- Assignments: every stretch of a producer's time, the live event's window (kind 'live',
-- same id as its booking) and the preparation sessions (scheduling call, consultation,
-- rehearsal). The rule that no producer is booked twice at once moves here from
-- `bookings`, so that it covers sessions too. A booking's live assignment is kept by
-- triggers (whoever writes the booking); sessions are written by the service. Cancelling
-- a booking cancels its sessions.
CREATE TABLE assignments (
    id TEXT PRIMARY KEY NOT NULL,
    booking_id TEXT NOT NULL REFERENCES bookings (id),
    kind TEXT NOT NULL,
    producer_id TEXT NOT NULL REFERENCES producers (id),
    window_start TIMESTAMP NOT NULL,
    window_end TIMESTAMP NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('confirmed', 'cancelled')),
    created_at TIMESTAMP NOT NULL,
    CHECK (window_end > window_start)
);
CREATE INDEX assignments_active_window ON assignments (window_start, window_end, producer_id, id) WHERE status = 'confirmed';
CREATE UNIQUE INDEX assignments_booking_kind ON assignments (booking_id, kind);

INSERT INTO assignments (id, booking_id, kind, producer_id, window_start, window_end, status, created_at)
SELECT id, id, 'live', producer_id, window_start, window_end, status, created_at FROM bookings;

DROP TRIGGER bookings_no_double_booking_insert;
DROP TRIGGER bookings_no_double_booking_update;

-- No window is longer than 12h30 (the longest event and its preparation), so an
-- overlapping one starts less than 750 minutes before: an index range of a few rows.
CREATE TRIGGER assignments_no_double_booking_insert
BEFORE INSERT ON assignments
WHEN NEW.status = 'confirmed' AND EXISTS (
    SELECT 1 FROM assignments a
    WHERE a.producer_id = NEW.producer_id AND a.status = 'confirmed'
      AND a.window_start > datetime(NEW.window_start, '-750 minutes')
      AND a.window_start < NEW.window_end AND NEW.window_start < a.window_end
)
BEGIN
    SELECT RAISE(ABORT, 'bookings_no_double_booking');
END;

CREATE TRIGGER assignments_no_double_booking_update
BEFORE UPDATE OF producer_id, window_start, window_end, status ON assignments
WHEN NEW.status = 'confirmed' AND EXISTS (
    SELECT 1 FROM assignments a
    WHERE a.producer_id = NEW.producer_id AND a.status = 'confirmed' AND a.id <> NEW.id
      AND a.window_start > datetime(NEW.window_start, '-750 minutes')
      AND a.window_start < NEW.window_end AND NEW.window_start < a.window_end
)
BEGIN
    SELECT RAISE(ABORT, 'bookings_no_double_booking');
END;

CREATE TRIGGER bookings_live_assignment_insert AFTER INSERT ON bookings
BEGIN
    INSERT INTO assignments (id, booking_id, kind, producer_id, window_start, window_end, status, created_at)
    VALUES (NEW.id, NEW.id, 'live', NEW.producer_id, NEW.window_start, NEW.window_end, NEW.status, NEW.created_at);
END;

CREATE TRIGGER bookings_live_assignment_update
AFTER UPDATE OF producer_id, window_start, window_end, status ON bookings
BEGIN
    UPDATE assignments
    SET producer_id = NEW.producer_id, window_start = NEW.window_start,
        window_end = NEW.window_end, status = NEW.status
    WHERE id = NEW.id
      AND (producer_id <> NEW.producer_id OR window_start <> NEW.window_start
           OR window_end <> NEW.window_end OR status <> NEW.status);
    UPDATE assignments SET status = NEW.status
    WHERE booking_id = NEW.id AND id <> NEW.id AND status <> NEW.status;
END;
