-- The writes an order cannot avoid, alone, for pgbench: the database's own limit for
-- orders, which `benches/load.sh` prints beside Greenroom's orders per second. One
-- transaction of five inserts (the booking, its history event, its two outbox
-- messages, its three reminders in one statement) with payloads of real sizes; nothing read but the producer's id and the new
-- booking's key. A clash with the exclusion constraint inserts nothing.
-- Run against a database that Greenroom has migrated, with producers on the roster:
--   pgbench -n -c 16 -j 2 -T 20 -f benches/order-writes.pgbench.sql postgres://…/greenroom_load
\set day random(15, 75)
\set slot random(0, 47)
\set minutes 60 + 30 * random(0, 2)
\set p random(0, 99)
\set rid random(1, 9000000000000000000)
\set ws (:day * 1440 + :slot * 30)
BEGIN;
INSERT INTO bookings (id, reservation_number, status, package_id, start_at, end_at, window_start, window_end, time_zone, duration_minutes, producer_id, language, language_pending, contact, contact_email_norm, company, site, meeting, event, extensions, charges, cancellation_policy, cancellation, created_at, updated_at)
VALUES ('pgb-' || :rid, 'PGB' || :rid, 'confirmed', 'event-standard',
  date_trunc('day', now()::timestamp) + make_interval(mins => :ws + 30), date_trunc('day', now()::timestamp) + make_interval(mins => :ws + 30 + :minutes),
  date_trunc('day', now()::timestamp) + make_interval(mins => :ws), date_trunc('day', now()::timestamp) + make_interval(mins => :ws + 30 + :minutes),
  'Europe/Paris', :minutes, (SELECT id FROM producers ORDER BY id OFFSET :p LIMIT 1), 'en', false,
  repeat('c', 130), 'load@customers.example', 'Load Co', 'load.webex.com', repeat('m', 80), repeat('e', 80), '[]', repeat('h', 420), repeat('p', 560), NULL, now(), now())
ON CONFLICT DO NOTHING;
INSERT INTO booking_events (id, booking_id, seq, at, kind, actor, old_start, old_end, new_start, new_end, old_producer_id, new_producer_id, detail)
SELECT 'pgbe-' || :rid, id, 1, now(), 'created', 'customer', NULL, NULL, start_at, end_at, NULL, producer_id, NULL FROM bookings WHERE id = 'pgb-' || :rid;
INSERT INTO outbox (id, booking_id, kind, recipient, locale, payload, status, attempts, next_attempt_at, locked_until, last_error, created_at, sent_at)
SELECT 'pgbo1-' || :rid, id, 'booking_confirmed', 'load@customers.example', 'en', repeat('x', 3200), 'sent', 1, now(), NULL, NULL, now(), now() FROM bookings WHERE id = 'pgb-' || :rid;
INSERT INTO outbox (id, booking_id, kind, recipient, locale, payload, status, attempts, next_attempt_at, locked_until, last_error, created_at, sent_at)
SELECT 'pgbo2-' || :rid, id, 'producer_assigned', 'producer@producers.example', 'en', repeat('x', 2600), 'sent', 1, now(), NULL, NULL, now(), now() FROM bookings WHERE id = 'pgb-' || :rid;
INSERT INTO reminders (id, booking_id, kind, due_at, status, created_at)
SELECT 'pgbr-' || k || '-' || :rid, id, k, start_at - interval '24 hours', 'scheduled', now()
FROM bookings, (VALUES ('content_due'), ('event_reminder'), ('producer_reminder')) AS v(k) WHERE id = 'pgb-' || :rid;
COMMIT;
