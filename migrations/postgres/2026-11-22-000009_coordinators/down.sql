DROP INDEX bookings_coordinator;
ALTER TABLE bookings DROP COLUMN coordinator;
ALTER TABLE bookings DROP COLUMN coordinator_id;
ALTER TABLE staff_members DROP COLUMN coordinator_zones;
