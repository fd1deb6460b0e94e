ALTER TABLE staff_tokens DROP COLUMN staff_id;
DROP TABLE staff_invitations;
DROP TABLE staff_sessions;
DROP TABLE staff_members;
