//! Moving a booking to another date and time: only the time changes; the same producer
//! keeps it when free, else another free one takes it.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use crate::db::models::{assignments, booking_events, bookings, outbox};
use crate::db::roster::Roster;
use crate::db::DbConnection;
use crate::domain::booking::{Booking, BookingDetails, EventDetail, EventKind, HistoryEvent};
use crate::domain::error::{Error, ProblemCode};
use crate::domain::local_time::Slot;
use crate::domain::order::{check_lead_time, SlotRequest};
use crate::domain::reservation_number::ReservationNumber;
use crate::domain::webhook::EventType;
use crate::email::{self, Kind};
use crate::scheduling::{self, producer_window};

use super::lookup::{details, for_change};
use super::{find_alternatives, need_of, no_producer, roster_for, with_retries, Actor, Services};

/// What a customer or scheduler asks when moving a booking.
pub struct Reschedule {
    pub number: ReservationNumber,
    /// The contact's e-mail (staff may leave it out).
    pub email: Option<String>,
    /// The new start as sent: a local time (in `time_zone`, else the booking's zone) or
    /// an RFC 3339 instant.
    pub start: String,
    pub time_zone: Option<Tz>,
    pub override_lead_time: bool,
}

pub struct Rescheduled {
    pub details: BookingDetails,
    pub previous: Slot,
}

enum Move {
    Moved(Box<Rescheduled>),
    NoProducer(Box<SlotRequest>, String),
}

/// The refusal for a change to a cancelled booking.
pub fn booking_cancelled(number: &ReservationNumber) -> Error {
    Error::refused(
        ProblemCode::BookingCancelled,
        format!("booking {number} was cancelled; it cannot be changed or cancelled again. Order anew if you need a producer"),
    )
}

/// A booking that has ended can no longer be moved, reassigned or cancelled.
pub fn booking_took_place(booking: &Booking) -> Error {
    Error::refused(
        ProblemCode::BookingTookPlace,
        format!(
            "booking {} took place (it ended {}); it can no longer be changed or cancelled",
            booking.number,
            crate::domain::local_time::format_in(booking.end, booking.time_zone)
        ),
    )
}

/// Refuse to move, reassign or cancel a booking that is cancelled or has taken place.
pub fn still_open(booking: &Booking, now: DateTime<Utc>) -> Result<(), Error> {
    if booking.is_cancelled() {
        Err(booking_cancelled(&booking.number))
    } else if booking.has_taken_place(now) {
        Err(booking_took_place(booking))
    } else {
        Ok(())
    }
}

/// Where a booking would go: the slot asked for, the roster around it, and who would
/// run it (the same producer when still free, for continuity), or nobody.
fn decide(
    conn: &mut DbConnection,
    booking: &Booking,
    req: &Reschedule,
    now: DateTime<Utc>,
    staff_override: bool,
    svc: &Services,
) -> Result<(SlotRequest, Roster, Option<scheduling::Choice>), Error> {
    still_open(booking, now)?;
    let tz = req.time_zone.unwrap_or(booking.time_zone);
    let start = crate::domain::order::start(&req.start, Some(tz))
        .map_err(|(code, message)| Error::field("start", code, message))?;
    let package = booking.package().ok_or_else(|| {
        anyhow::anyhow!(
            "booking {} has unknown package {}",
            booking.id,
            booking.package_id
        )
    })?;
    let slot = SlotRequest {
        package,
        start,
        time_zone: tz,
        duration_minutes: booking.duration_minutes,
        language: booking.language.clone(),
        override_lead_time: staff_override,
    };
    check_lead_time(&slot, now, staff_override, svc.limits.horizon_days)
        .map_err(|e| Error::Invalid(vec![e]))?;
    let window = producer_window(slot.start, slot.duration_minutes);
    // The booking's own time is free for it: its live window, and the sessions the move
    // takes off the schedule (those no longer before the producer's preparation).
    let sessions = assignments::sessions_of(conn, &booking.id)?;
    let mut set_aside = vec![booking.id.as_str()];
    set_aside.extend(
        sessions
            .iter()
            .filter(|s| s.end > window.start)
            .map(|s| s.id.as_str()),
    );
    let roster = roster_for(&svc.db.roster, conn, &slot, &set_aside)?;
    let need = need_of(&slot);
    let same = roster
        .engine
        .iter()
        .position(|p| p.id == booking.producer_id && p.serves(need.centre) && p.is_free(&window))
        .map(|index| scheduling::Choice {
            index,
            language_pending: booking.language_pending,
        });
    let choice = same.or_else(|| scheduling::choose(&roster.engine, &need));
    Ok((slot, roster, choice))
}

/// Could the booking move there? The new slot when a producer is free then; otherwise
/// the refusal a move would get, with its alternatives. Writes nothing: the pages ask
/// before they ask the customer about their meeting.
pub fn check(svc: &Services, req: &Reschedule, actor: &Actor) -> Result<Slot, Error> {
    let now = svc.now();
    let staff_override = req.override_lead_time && actor.is_staff();
    let mut conn = svc.db.read()?;
    let booking = for_change(&mut conn, &req.number, req.email.as_deref(), actor)?;
    let (slot, _, choice) = decide(&mut conn, &booking, req, now, staff_override, svc)?;
    if choice.is_some() {
        return Ok(Slot {
            start: slot.start,
            end: slot.end(),
            time_zone: slot.time_zone,
        });
    }
    let alternatives =
        find_alternatives(&mut conn, &slot, now, staff_override, &[&booking.id], svc)?;
    Err(no_producer(&slot, alternatives))
}

/// Move a booking to another start; the duration stays. The booking's own assignment is
/// set aside inside the same transaction, so a small move within its own slot works.
pub fn reschedule(svc: &Services, req: &Reschedule, actor: &Actor) -> Result<Rescheduled, Error> {
    let now = svc.now();
    let staff_override = req.override_lead_time && actor.is_staff();
    let outcome = svc.db.write(|conn| {
        with_retries(conn, |conn| {
            let mut booking = for_change(conn, &req.number, req.email.as_deref(), actor)?;
            let (slot, roster, choice) = decide(conn, &booking, req, now, staff_override, svc)?;
            let window = producer_window(slot.start, slot.duration_minutes);
            let Some(choice) = choice else {
                return Ok(Move::NoProducer(Box::new(slot), booking.id.clone()));
            };
            let producer = &roster.people[choice.index];
            let before = booking.clone();
            booking.start = slot.start;
            booking.end = slot.end();
            booking.window_start = window.start;
            booking.window_end = window.end;
            booking.time_zone = slot.time_zone;
            booking.producer_id = producer.id.clone();
            booking.language_pending = choice.language_pending;
            booking.updated_at = now;
            // Sessions the move leaves after the producer's preparation come off the
            // schedule first (the database would refuse the overlap).
            super::sessions::reconcile(conn, svc, &booking, actor, now)?;
            bookings::save(conn, &booking)?;
            let line = |kind| HistoryEvent {
                at: now,
                kind,
                actor: actor.name(),
                old: Some((before.start, before.end)),
                new: Some((booking.start, booking.end)),
                old_producer_id: Some(before.producer_id.clone()),
                new_producer_id: Some(producer.id.clone()),
                detail: staff_override.then(|| EventDetail {
                    override_lead_time: Some(true),
                    ..EventDetail::default()
                }),
            };
            booking_events::record(conn, &booking.id, &line(EventKind::Rescheduled), false)?;
            let changed_producer = producer.id != before.producer_id;
            if changed_producer {
                booking_events::record(
                    conn,
                    &booking.id,
                    &line(EventKind::ProducerChanged),
                    false,
                )?;
            }
            // Calendar SEQUENCE: one more for each event in the booking's history.
            let sequence = booking_events::sequence(conn, &booking.id)?;
            let was = Some((before.start, before.end));
            let assigned = producer.contact();
            let mut messages = vec![email::contact_message(
                Kind::BookingRescheduled,
                &booking,
                &assigned,
                was,
                sequence,
                &svc.mail,
            )];
            messages.extend(super::producer_messages(
                conn, &before, &booking, &assigned, was, sequence, svc,
            )?);
            outbox::enqueue(conn, &booking.id, &messages)?;
            let previous = Slot {
                start: before.start,
                end: before.end,
                time_zone: slot.time_zone,
            };
            super::reminders::reschedule(conn, &booking, now)?;
            let details = details(conn, booking)?;
            super::webhooks::emit(svc, conn, EventType::Rescheduled, &details, now)?;
            Ok(Move::Moved(Box::new(Rescheduled { details, previous })))
        })
    })?;
    match outcome {
        Move::Moved(done) => {
            svc.wake_workers();
            Ok(*done)
        }
        Move::NoProducer(slot, booking_id) => {
            let alternatives = svc.db.write(|conn| {
                find_alternatives(conn, &slot, now, staff_override, &[&booking_id], svc)
            })?;
            Err(no_producer(&slot, alternatives))
        }
    }
}
