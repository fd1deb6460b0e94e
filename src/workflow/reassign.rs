//! Giving a booking to another producer (staff only): the date and time stay; the new
//! producer must serve the package's centre and be free for the whole window. Assigning
//! someone who speaks the language asked for confirms it. Both producers and the
//! customer are told.

use crate::db::models::{booking_events, bookings, outbox};
use crate::db::DbConnection;
use crate::domain::booking::{Booking, BookingDetails, EventKind, HistoryEvent};
use crate::domain::error::{Error, ProblemCode};
use crate::domain::order::SlotRequest;
use crate::domain::producer::ProducerContact;
use crate::domain::reservation_number::ReservationNumber;
use crate::email::{self, Kind};
use crate::scheduling::producer_window;

use super::change::still_open;
use super::lookup::details;
use super::{roster_for, with_retries, Actor, Services};

/// A producer who could take the booking.
pub struct Candidate {
    pub producer: ProducerContact,
    /// Speaks the booking's language (assigning them confirms it).
    pub speaks: bool,
}

fn slot_of(booking: &Booking) -> Result<SlotRequest, Error> {
    let package = booking.package().ok_or_else(|| {
        anyhow::anyhow!(
            "booking {} has unknown package {}",
            booking.id,
            booking.package_id
        )
    })?;
    Ok(SlotRequest {
        package,
        start: booking.start,
        time_zone: booking.time_zone,
        duration_minutes: booking.duration_minutes,
        language: booking.language.clone(),
        override_lead_time: true,
    })
}

fn candidates_in(
    svc: &Services,
    conn: &mut DbConnection,
    booking: &Booking,
) -> Result<Vec<Candidate>, Error> {
    let slot = slot_of(booking)?;
    let window = producer_window(booking.start, booking.duration_minutes);
    let roster = roster_for(&svc.db.roster, conn, &slot, &[&booking.id])?;
    Ok(roster
        .people
        .iter()
        .zip(&roster.engine)
        .filter(|(p, e)| {
            p.id != booking.producer_id && e.serves(slot.package.centre) && e.is_free(&window)
        })
        .map(|(p, e)| Candidate {
            producer: p.contact(),
            speaks: e.speaks(&booking.language),
        })
        .collect())
}

/// Who else is free for the booking's whole window, those speaking its language first.
pub fn candidates(svc: &Services, number: &ReservationNumber) -> Result<Vec<Candidate>, Error> {
    let mut conn = svc.db.read()?;
    let booking = bookings::by_number(&mut conn, number)?.ok_or_else(Error::booking_not_found)?;
    if booking.is_cancelled() {
        return Ok(Vec::new());
    }
    let mut found = candidates_in(svc, &mut conn, &booking)?;
    found.sort_by_key(|c| !c.speaks);
    Ok(found)
}

/// Give the booking to `producer_id`, checked free inside the same transaction.
pub fn reassign(
    svc: &Services,
    number: &ReservationNumber,
    producer_id: &str,
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
            still_open(&booking, now)?;
            if booking.producer_id == producer_id {
                return Err(Error::field(
                    "producer",
                    ProblemCode::InvalidFormat,
                    "this producer already runs the booking; choose another",
                ));
            }
            let chosen = candidates_in(svc, conn, &booking)?
                .into_iter()
                .find(|c| c.producer.id == producer_id)
                .ok_or_else(|| {
                    Error::refused(
                        ProblemCode::NoProducerAvailable,
                        "that producer is not free for the whole window, or does not serve this package's centre; choose one of those listed",
                    )
                })?;
            let before = booking.clone();
            booking.producer_id = chosen.producer.id.clone();
            booking.language_pending = before.language_pending && !chosen.speaks;
            booking.updated_at = now;
            bookings::save(conn, &booking)?;
            booking_events::record(
                conn,
                &booking.id,
                &HistoryEvent {
                    at: now,
                    kind: EventKind::ProducerChanged,
                    actor: actor.name(),
                    old: None,
                    new: None,
                    old_producer_id: Some(before.producer_id.clone()),
                    new_producer_id: Some(booking.producer_id.clone()),
                    detail: None,
                },
                false,
            )?;
            let sequence = booking_events::sequence(conn, &booking.id)?;
            let mut messages = vec![email::contact_message(
                Kind::BookingUpdated,
                &booking,
                &chosen.producer,
                None,
                sequence,
                &svc.mail,
            )];
            messages.extend(super::producer_messages(
                conn,
                &before,
                &booking,
                &chosen.producer,
                None,
                sequence,
                svc,
            )?);
            outbox::enqueue(conn, &booking.id, &messages)?;
            details(conn, booking)
        })
    })?;
    svc.wake_workers();
    Ok(done)
}
