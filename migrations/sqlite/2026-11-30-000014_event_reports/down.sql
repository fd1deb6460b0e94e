DROP TABLE event_reports;
