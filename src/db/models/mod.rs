//! One file a table: its row type and every query that reads or writes it.

pub mod booking_events;
pub mod bookings;
pub mod calendar_feeds;
pub mod closures;
pub mod event_reports;
pub mod idempotency_keys;
pub mod outbox;
pub mod producers;
pub mod reminders;
pub mod staff_invitations;
pub mod staff_members;
pub mod staff_sessions;
pub mod staff_tokens;
pub mod time_off;
pub mod web_sessions;
pub mod webhooks;
