-- The roster's version: bumped by every change to producers, their time off and the
-- closures, whoever makes it (this instance, another one, the CLI or a hand-written
-- statement). Each instance keeps the roster in memory and reads it anew only when this
-- number has moved.
CREATE TABLE roster_version (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    version BIGINT NOT NULL
);
INSERT INTO roster_version (id, version) VALUES (1, 1);

CREATE FUNCTION bump_roster_version() RETURNS trigger AS $$
BEGIN
    UPDATE roster_version SET version = version + 1 WHERE id = 1;
    RETURN NULL;
END
$$ LANGUAGE plpgsql;

CREATE TRIGGER producers_roster AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON producers
FOR EACH STATEMENT EXECUTE FUNCTION bump_roster_version();
CREATE TRIGGER time_off_roster AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON time_off
FOR EACH STATEMENT EXECUTE FUNCTION bump_roster_version();
CREATE TRIGGER closures_roster AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON closures
FOR EACH STATEMENT EXECUTE FUNCTION bump_roster_version();
