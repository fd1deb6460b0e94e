//! Changing what was ordered (staff only: what the seed sends to "your coordinator"):
//! package, duration, extensions, event details, contact, company, site. The start stays;
//! the charges are recomputed; the producer keeps it when they serve the package's
//! centre and are free for the new window, else another free producer takes it.

use crate::db::models::{booking_events, bookings, outbox};
use crate::domain::booking::{BookingDetails, EventKind, HistoryEvent};
use crate::domain::error::{Error, ProblemCode};
use crate::domain::order::{charges, NewOrder};
use crate::domain::reservation_number::ReservationNumber;
use crate::email::{self, Kind};
use crate::scheduling::{self, producer_window};

use super::change::booking_cancelled;
use super::lookup::details;
use super::{need_of, roster_for, with_retries, Actor, Services};

/// Apply `order` (the booking as it should now read; its start and zone are the
/// booking's) to the booking with this number.
pub fn amend(
    svc: &Services,
    number: &ReservationNumber,
    order: &NewOrder,
    actor: &Actor,
) -> Result<BookingDetails, Error> {
    if !actor.is_staff() {
        return Err(Error::forbidden("scheduler"));
    }
    let now = svc.now();
    let done = svc.db.write(|conn| {
        with_retries(conn, |conn| {
            let mut booking =
                bookings::by_number(conn, number)?.ok_or_else(Error::booking_not_found)?;
            if booking.is_cancelled() {
                return Err(booking_cancelled(&booking.number));
            }
            let mut slot = order.slot.clone();
            slot.start = booking.start;
            slot.time_zone = booking.time_zone;
            slot.language = booking.language.clone();
            let window = producer_window(slot.start, slot.duration_minutes);
            let roster = roster_for(&svc.db.roster, conn, &slot, &[&booking.id])?;
            let need = need_of(&slot);
            let choice = roster
                .engine
                .iter()
                .position(|p| {
                    p.id == booking.producer_id && p.serves(need.centre) && p.is_free(&window)
                })
                .map(|index| scheduling::Choice {
                    index,
                    language_pending: booking.language_pending,
                })
                .or_else(|| scheduling::choose(&roster.engine, &need))
                .ok_or_else(|| {
                    Error::refused(
                        ProblemCode::NoProducerAvailable,
                        "no producer serving this package is free for the whole new window; keep the duration, or move the booking first",
                    )
                })?;
            let producer = &roster.people[choice.index];
            let before = booking.clone();
            booking.package_id = slot.package.id.clone();
            booking.duration_minutes = slot.duration_minutes;
            booking.end = slot.end();
            booking.window_start = window.start;
            booking.window_end = window.end;
            booking.producer_id = producer.id.clone();
            booking.language_pending = choice.language_pending;
            booking.extensions = order.extensions.clone();
            booking.charges = charges(slot.package, slot.duration_minutes, &order.extensions);
            booking.contact = order.contact.clone();
            booking.company = order.company.clone();
            booking.site = order.site.clone();
            let mut event = order.event.clone();
            event.language = before.event.language.clone();
            booking.event = event;
            booking.updated_at = now;
            bookings::save(conn, &booking)?;
            bookings::save_order(conn, &booking)?;
            let line = |kind| HistoryEvent {
                at: now,
                kind,
                actor: actor.name(),
                old: Some((before.start, before.end)),
                new: Some((booking.start, booking.end)),
                old_producer_id: Some(before.producer_id.clone()),
                new_producer_id: Some(booking.producer_id.clone()),
                detail: None,
            };
            booking_events::record(conn, &booking.id, &line(EventKind::Amended), false)?;
            let changed_producer = booking.producer_id != before.producer_id;
            if changed_producer {
                booking_events::record(
                    conn,
                    &booking.id,
                    &line(EventKind::ProducerChanged),
                    false,
                )?;
            }
            let sequence = booking_events::sequence(conn, &booking.id)?;
            let assigned = producer.contact();
            let mut messages = vec![email::contact_message(
                Kind::BookingAmended,
                &booking,
                &assigned,
                None,
                sequence,
                &svc.mail,
            )];
            messages.extend(super::producer_messages(
                conn,
                &before,
                &booking,
                &assigned,
                Some((before.start, before.end)),
                sequence,
                svc,
            )?);
            outbox::enqueue(conn, &booking.id, &messages)?;
            super::reminders::reschedule(conn, &booking, now)?;
            super::sessions::reconcile(conn, svc, &booking, actor, now)?;
            details(conn, booking)
        })
    })?;
    svc.wake_workers();
    Ok(done)
}
