-- Staff are people: a name, an e-mail and a role; a password (argon2id, PHC string)
-- once they have set one through a one-time link; sessions kept here so that signing
-- out and disabling take effect at once. API tokens may belong to a member.
CREATE TABLE staff_members (
    id TEXT PRIMARY KEY NOT NULL,
    name TEXT NOT NULL,
    email TEXT NOT NULL,
    email_norm TEXT NOT NULL UNIQUE,
    role TEXT NOT NULL CHECK (role IN ('admin', 'scheduler', 'producer')),
    password_hash TEXT,
    created_at TIMESTAMP NOT NULL,
    disabled_at TIMESTAMP
);

-- Keyed by a hash of the cookie's value: the table never holds a usable session.
CREATE TABLE staff_sessions (
    id TEXT PRIMARY KEY NOT NULL,
    staff_id TEXT NOT NULL REFERENCES staff_members (id),
    created_at TIMESTAMP NOT NULL,
    last_seen_at TIMESTAMP NOT NULL,
    revoked_at TIMESTAMP
);
CREATE INDEX staff_sessions_staff ON staff_sessions (staff_id);

-- One-time links to set a password, by a hash of their token.
CREATE TABLE staff_invitations (
    token_hash TEXT PRIMARY KEY NOT NULL,
    staff_id TEXT NOT NULL REFERENCES staff_members (id),
    expires_at TIMESTAMP NOT NULL,
    used_at TIMESTAMP
);

ALTER TABLE staff_tokens ADD COLUMN staff_id TEXT REFERENCES staff_members (id);
