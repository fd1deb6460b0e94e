-- Closures: days nobody (or nobody in some zones) works, shared by many producers: a
-- region's public holiday, a company day off. Days are whole local days, read in each
-- producer's own zone. `zones` is a JSON array of IANA zone names; empty: everyone.
CREATE TABLE closures (
    id TEXT PRIMARY KEY NOT NULL,
    name TEXT NOT NULL,
    first_day TEXT NOT NULL,
    last_day TEXT NOT NULL,
    zones TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX closures_days ON closures (last_day, first_day);
