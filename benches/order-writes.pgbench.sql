-- The writes an order cannot avoid, alone, for pgbench: the database's own limit for
-- orders, which `benches/load.sh` prints beside Greenroom's orders per second. One
-- transaction of five inserts (the booking, whose trigger adds its live assignment under
-- the exclusion constraint, its history event, its two outbox messages, its three
-- reminders in one statement) with payloads of real sizes; nothing read but the
-- producer's id and the new booking's key. Each transaction takes the next free window of
-- a sequence (`pgbench_orders`, made by load.sh), three hours apart per producer five
-- years ahead, so none meets the exclusion constraint's refusal (which would abort the
-- run: it is raised in the trigger's insert, where ON CONFLICT cannot catch it).
-- Run against a database that Greenroom has migrated, with 100 producers or more:
--   psql …/greenroom_load -c 'CREATE SEQUENCE IF NOT EXISTS pgbench_orders'
--   pgbench -n -c 16 -j 2 -T 20 -f benches/order-writes.pgbench.sql postgres://…/greenroom_load
\set minutes 60 + 30 * random(0, 2)
\set rid random(1, 9000000000000000000)
BEGIN;
INSERT INTO bookings (id, reservation_number, status, package_id, start_at, end_at, window_start, window_end, time_zone, duration_minutes, producer_id, language, language_pending, contact, contact_email_norm, company, site, meeting, event, extensions, charges, cancellation_policy, cancellation, created_at, updated_at)
SELECT 'pgb-' || :rid, 'PGB' || :rid, 'confirmed', 'event-standard',
  w.base + make_interval(mins => 30), w.base + make_interval(mins => 30 + :minutes),
  w.base, w.base + make_interval(mins => 30 + :minutes),
  'Europe/Paris', :minutes, (SELECT id FROM producers ORDER BY id OFFSET w.p LIMIT 1), 'en', false,
  repeat('c', 130), 'load@customers.example', 'Load Co', 'load.webex.com', repeat('m', 80), repeat('e', 80), '[]', repeat('h', 420), repeat('p', 560), NULL, now(), now()
FROM (SELECT (n % 100)::int AS p,
             date_trunc('day', now()::timestamp) + interval '5 years' + make_interval(mins => (n / 100)::int * 180) AS base
      FROM nextval('pgbench_orders') AS n) AS w
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
