-- A member's private calendar feed: an iCalendar URL holding a secret, kept here by
-- its hash only; at most one live feed a member (a new one replaces the old).
CREATE TABLE calendar_feeds (
    token_hash TEXT PRIMARY KEY NOT NULL,
    staff_id TEXT NOT NULL REFERENCES staff_members (id),
    created_at TIMESTAMP NOT NULL,
    revoked_at TIMESTAMP
);
CREATE INDEX calendar_feeds_staff ON calendar_feeds (staff_id);
