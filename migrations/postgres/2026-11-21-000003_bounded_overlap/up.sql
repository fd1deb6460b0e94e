-- Same migration name as on SQLite. PostgreSQL's exclusion constraint needs no change;
-- time off gets the index its range queries use.
CREATE INDEX time_off_range ON time_off (end_at, start_at);

-- Overlap queries and the weekly load count read only this index (it covers every column
-- they use), never the table.
DROP INDEX bookings_active_window;
CREATE INDEX bookings_active_window ON bookings (window_start, window_end, producer_id, id) WHERE status = 'confirmed';
