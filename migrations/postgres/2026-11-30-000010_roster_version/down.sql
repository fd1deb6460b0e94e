DROP TRIGGER producers_roster ON producers;
DROP TRIGGER time_off_roster ON time_off;
DROP TRIGGER closures_roster ON closures;
DROP FUNCTION bump_roster_version();
DROP TABLE roster_version;
