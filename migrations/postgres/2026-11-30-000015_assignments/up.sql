-- Assignments: every stretch of a producer's time, the live event's window (kind 'live',
-- same id as its booking) and the preparation sessions (scheduling call, consultation,
-- rehearsal). The exclusion constraint that no producer is booked twice at once moves
-- here from `bookings` (same name), so that it covers sessions too. A booking's live
-- assignment is kept by a trigger (whoever writes the booking); sessions are written by
-- the service. Cancelling a booking cancels its sessions.
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

ALTER TABLE bookings DROP CONSTRAINT bookings_no_double_booking;
ALTER TABLE assignments ADD CONSTRAINT bookings_no_double_booking EXCLUDE USING gist (
    producer_id WITH =,
    tsrange(window_start, window_end, '[)') WITH &&
) WHERE (status = 'confirmed');

-- Writers of one producer's assignments take turns: a transaction-scoped advisory lock
-- per producer, taken before the row is written. Without it, concurrent inserts that
-- overlap wait on each other inside the exclusion check and form cycles that the
-- deadlock detector breaks one a second while the victims, retrying, join again; with
-- it, the second writer waits for the first to finish, then meets its committed row and
-- is refused at once.
CREATE FUNCTION assignment_turn() RETURNS trigger AS $$
BEGIN
    IF NEW.status = 'confirmed' THEN
        PERFORM pg_advisory_xact_lock(hashtext('greenroom-producer:' || NEW.producer_id));
    END IF;
    RETURN NEW;
END
$$ LANGUAGE plpgsql;

CREATE TRIGGER assignments_turn
BEFORE INSERT OR UPDATE OF producer_id, window_start, window_end, status ON assignments
FOR EACH ROW EXECUTE FUNCTION assignment_turn();

CREATE FUNCTION live_assignment() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO assignments (id, booking_id, kind, producer_id, window_start, window_end, status, created_at)
        VALUES (NEW.id, NEW.id, 'live', NEW.producer_id, NEW.window_start, NEW.window_end, NEW.status, NEW.created_at);
    ELSE
        UPDATE assignments
        SET producer_id = NEW.producer_id, window_start = NEW.window_start,
            window_end = NEW.window_end, status = NEW.status
        WHERE id = NEW.id
          AND (producer_id, window_start, window_end, status)
              IS DISTINCT FROM (NEW.producer_id, NEW.window_start, NEW.window_end, NEW.status);
        IF NEW.status IS DISTINCT FROM OLD.status THEN
            UPDATE assignments SET status = NEW.status WHERE booking_id = NEW.id AND id <> NEW.id;
        END IF;
    END IF;
    RETURN NULL;
END
$$ LANGUAGE plpgsql;

CREATE TRIGGER bookings_live_assignment
AFTER INSERT OR UPDATE OF producer_id, window_start, window_end, status ON bookings
FOR EACH ROW EXECUTE FUNCTION live_assignment();
