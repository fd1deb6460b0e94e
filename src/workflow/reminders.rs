//! Reminders: scheduled with each booking (and replaced when it moves or changes,
//! deleted when it is cancelled); when due by the service's clock, a sweep turns each
//! into an outbox message built from the booking as it is then, in the contact's or the
//! producer's zone and language.

use chrono::{DateTime, Utc};

use crate::db::models::{assignments, booking_events, bookings, outbox, producers, reminders};
use crate::db::DbConnection;
use crate::domain::booking::Booking;
use crate::domain::error::Error;
use crate::domain::reminder::{reminders_for, ReminderKind};
use crate::domain::session::{self, Scheduled};
use crate::email::{self, Kind};

use super::Services;

/// Give a new booking its reminders (inside the order's transaction).
pub fn schedule(
    conn: &mut DbConnection,
    booking: &Booking,
    now: DateTime<Utc>,
) -> Result<(), Error> {
    Ok(reminders::insert(
        conn,
        &booking.id,
        &reminders_for(booking, now),
        now,
    )?)
}

/// Give a changed booking the reminders it should have from now on (inside the
/// change's transaction): those of its old time not sent yet are replaced.
pub fn reschedule(
    conn: &mut DbConnection,
    booking: &Booking,
    now: DateTime<Utc>,
) -> Result<(), Error> {
    reminders::withdraw(conn, &booking.id, &ReminderKind::ALL)?;
    schedule(conn, booking, now)
}

/// No more reminders for this booking (it was cancelled), its sessions' included.
pub fn withdraw(conn: &mut DbConnection, booking_id: &str) -> Result<(), Error> {
    reminders::withdraw_prefixed(conn, booking_id, "")?;
    Ok(())
}

/// Give a session (just picked or moved) its reminders, replacing those of its old time.
pub fn schedule_session(
    conn: &mut DbConnection,
    session: &Scheduled,
    now: DateTime<Utc>,
) -> Result<(), Error> {
    withdraw_session(conn, &session.booking_id, &session.name)?;
    let due = session::reminders_of(session, now);
    let keyed: Vec<(&str, DateTime<Utc>)> = due.iter().map(|(k, at)| (k.as_str(), *at)).collect();
    Ok(reminders::insert_keyed(
        conn,
        &session.booking_id,
        &keyed,
        now,
    )?)
}

/// No more reminders for a session taken off the schedule.
pub fn withdraw_session(
    conn: &mut DbConnection,
    booking_id: &str,
    name: &str,
) -> Result<(), Error> {
    let kinds = session::reminder_kinds(name);
    let kinds: Vec<&str> = kinds.iter().map(String::as_str).collect();
    reminders::withdraw_keyed(conn, booking_id, &kinds)?;
    Ok(())
}

/// No more reminders to its contact (whose personal data was erased).
pub fn withdraw_contact(conn: &mut DbConnection, booking_id: &str) -> Result<(), Error> {
    let to_contact: Vec<ReminderKind> = ReminderKind::ALL
        .into_iter()
        .filter(|k| k.to_contact())
        .collect();
    reminders::withdraw(conn, booking_id, &to_contact)?;
    reminders::withdraw_prefixed(conn, booking_id, session::CONTACT_REMINDER)?;
    Ok(())
}

/// Turn every reminder due by now (the service's clock) into a message; returns how
/// many. Each is marked queued in the transaction that writes its message, so it is
/// sent once however many instances sweep.
pub fn queue_due(svc: &Services) -> Result<usize, Error> {
    let now = svc.now();
    super::sweep::in_batches(svc, |conn, limit| {
        let due = reminders::due(conn, now, limit)?;
        let mut queued = 0;
        for (id, booking_id, kind) in &due {
            // The booking first, locked, then the reminder: the order a change of the
            // booking (a move, an erasure) takes them in, so that the two wait for each
            // other and this message is built from the booking as it then is.
            let booking = bookings::locked(conn, booking_id)?
                .ok_or_else(|| anyhow::anyhow!("reminder {id}: no booking {booking_id}"))?;
            if !reminders::mark_queued(conn, id, now)? {
                continue;
            }
            let Some(kind) = ReminderKind::parse(kind) else {
                if let Some((name, to_producer)) = session::parse_reminder(kind) {
                    queued += session_reminder(conn, svc, &booking, name, to_producer)?;
                } else {
                    tracing::warn!(reminder = %id, kind, "unknown reminder kind; dropped");
                }
                continue;
            };
            let Some(producer) = producers::contact_of(conn, &booking.producer_id)? else {
                continue;
            };
            let sequence = booking_events::sequence(conn, &booking.id)?;
            let build = if kind.to_contact() {
                email::contact_message
            } else {
                email::producer_message
            };
            let message = build(
                Kind::of_reminder(kind),
                &booking,
                &producer,
                None,
                sequence,
                &svc.mail,
            );
            outbox::enqueue(conn, &booking.id, &[message])?;
            queued += 1;
        }
        Ok((due.len(), queued))
    })
}

/// Queue a session's reminder, built from the session as it is now: none when it is no
/// longer on the schedule. How many were queued.
fn session_reminder(
    conn: &mut DbConnection,
    svc: &Services,
    booking: &Booking,
    name: &str,
    to_producer: bool,
) -> Result<usize, Error> {
    let sessions = assignments::sessions_of(conn, &booking.id)?;
    let Some(s) = sessions.iter().find(|s| s.name == name && !s.cancelled) else {
        return Ok(0);
    };
    let Some(producer) = producers::contact_of(conn, &s.producer_id)? else {
        return Ok(0);
    };
    let change = email::SessionChange {
        session: s,
        previous: None,
        removed: false,
        with_booking: false,
        reminder: true,
        sequence: 0,
    };
    let mut message = email::session_message(booking, &producer, &change, to_producer, &svc.mail);
    let zone = if to_producer {
        producer.time_zone
    } else {
        booking.time_zone
    };
    email::list_sessions(&mut message, booking, &sessions, zone);
    outbox::enqueue(conn, &booking.id, &[message])?;
    Ok(1)
}
