-- The roster's version: bumped by every change to producers, their time off and the
-- closures, whoever makes it (this instance, another one, the CLI or a hand-written
-- statement). Each instance keeps the roster in memory and reads it anew only when this
-- number has moved.
CREATE TABLE roster_version (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    version BIGINT NOT NULL
);
INSERT INTO roster_version (id, version) VALUES (1, 1);

CREATE TRIGGER producers_roster_insert AFTER INSERT ON producers
BEGIN UPDATE roster_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER producers_roster_update AFTER UPDATE ON producers
BEGIN UPDATE roster_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER producers_roster_delete AFTER DELETE ON producers
BEGIN UPDATE roster_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER time_off_roster_insert AFTER INSERT ON time_off
BEGIN UPDATE roster_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER time_off_roster_update AFTER UPDATE ON time_off
BEGIN UPDATE roster_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER time_off_roster_delete AFTER DELETE ON time_off
BEGIN UPDATE roster_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER closures_roster_insert AFTER INSERT ON closures
BEGIN UPDATE roster_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER closures_roster_update AFTER UPDATE ON closures
BEGIN UPDATE roster_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER closures_roster_delete AFTER DELETE ON closures
BEGIN UPDATE roster_version SET version = version + 1 WHERE id = 1; END;
