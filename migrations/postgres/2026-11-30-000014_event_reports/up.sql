-- After the event: the attendance report as uploaded (CSV, with how many attendees it
-- lists), the recording's links and when the follow-up e-mail went, or that nobody
-- came (with why). One row a booking, written by its producer or staff.
CREATE TABLE event_reports (
    booking_id TEXT PRIMARY KEY NOT NULL REFERENCES bookings (id),
    recording_links TEXT,
    attendance_csv TEXT,
    attendees INTEGER,
    no_show_reason TEXT,
    follow_up_at TIMESTAMP,
    updated_at TIMESTAMP NOT NULL,
    updated_by TEXT NOT NULL
);
