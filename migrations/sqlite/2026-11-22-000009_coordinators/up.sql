-- Coordinators: staff members who look after bookings. `coordinator_zones` is NULL for
-- members who do not coordinate, else a JSON array of the IANA zones whose producers'
-- bookings they take ('[]': any region, in turn with the others).
ALTER TABLE staff_members ADD COLUMN coordinator_zones TEXT;
-- Each booking's coordinator, and their name and e-mail as the customer was told.
ALTER TABLE bookings ADD COLUMN coordinator_id TEXT;
ALTER TABLE bookings ADD COLUMN coordinator TEXT;
CREATE INDEX bookings_coordinator ON bookings (coordinator_id, created_at);
