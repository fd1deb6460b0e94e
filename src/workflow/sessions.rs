//! Preparation sessions: the customer (or staff) picks the time of a session the booking
//! includes, moves it, or takes it off the schedule. The booking's producer runs it
//! when free then (the same producer by default); the database's no-double-booking rule
//! settles races with other orders and sessions.

use chrono::{DateTime, Duration, Utc};
use chrono_tz::Tz;

use crate::db::models::{assignments, booking_events, outbox};
use crate::db::roster as roster_db;
use crate::db::DbConnection;
use crate::domain::booking::{Booking, BookingDetails, EventDetail, EventKind, HistoryEvent};
use crate::domain::catalogue::Package;
use crate::domain::error::{Error, ProblemCode};
use crate::domain::local_time::{format_in, Slot};
use crate::domain::order::NewOrder;
use crate::domain::reservation_number::ReservationNumber;
use crate::domain::session::{self, Entitlement, Scheduled};
use crate::email;
use crate::scheduling::Interval;

use super::change::still_open;
use super::lookup::{details, for_change};
use super::{with_retries, Actor, Services};

/// How many free times a refusal offers.
const OFFERED: usize = 3;

/// A session's time, as asked.
pub struct SessionRequest {
    pub number: ReservationNumber,
    /// The contact's e-mail (staff may leave it out).
    pub email: Option<String>,
    /// The session's name in the booking (`rehearsal`, `rehearsal-2`).
    pub name: String,
    /// A local time (in `time_zone`, else the booking's zone) or an RFC 3339 instant.
    pub start: String,
    pub time_zone: Option<Tz>,
    /// Its length, on a package with production time; else the package's.
    pub minutes: Option<i64>,
    /// Staff only: who runs it; the producer who has it, else the booking's, when none.
    pub producer_id: Option<String>,
}

/// The session of this name the booking includes.
pub fn entitlement(booking: &Booking, name: &str) -> Result<Entitlement, Error> {
    let list = entitlements_of(booking);
    list.iter().find(|e| e.name == name).cloned().ok_or_else(|| {
        let names: Vec<&str> = list.iter().map(|e| e.name.as_str()).collect();
        Error::field(
            "session",
            ProblemCode::UnknownSession,
            if names.is_empty() {
                format!(
                    "booking {} includes no preparation session; order consultation or rehearsal with the booking",
                    booking.number
                )
            } else {
                format!(
                    "booking {} has no session named {name}; it has {}",
                    booking.number,
                    names.join(", ")
                )
            },
        )
    })
}

/// The sessions a booking includes, from its package and extensions.
pub fn entitlements_of(booking: &Booking) -> Vec<Entitlement> {
    booking
        .package()
        .map(|p| session::entitlements(p, &booking.extensions))
        .unwrap_or_default()
}

/// Where and how long a session would be for a booking of `package` lasting
/// `duration_minutes` whose producer starts at `window_start`, checked against the
/// package and the clock (not yet against the producer's schedule). `others` are the
/// minutes of the booking's other sessions. A refusal names its field (`start`,
/// `minutes`).
#[allow(clippy::too_many_arguments)]
pub fn place(
    package: &Package,
    duration_minutes: i64,
    window_start: DateTime<Utc>,
    entitlement: &Entitlement,
    start: DateTime<Utc>,
    minutes: Option<i64>,
    others: i64,
    now: DateTime<Utc>,
    staff: bool,
) -> Result<Interval, (&'static str, (ProblemCode, String))> {
    let minutes = session::choose_minutes(package, duration_minutes, entitlement, minutes, others)
        .map_err(|p| ("minutes", p))?;
    session::check_time(start, minutes, window_start, now, staff).map_err(|p| ("start", p))?;
    Ok(Interval::new(start, start + Duration::minutes(minutes)))
}

/// The sessions picked with an order, placed and checked (not yet against the producers'
/// schedules); a refusal names the session's field (`sessions[1].start`).
pub fn picks_of(
    order: &NewOrder,
    window_start: DateTime<Utc>,
    now: DateTime<Utc>,
    staff: bool,
) -> Result<Vec<(Entitlement, Interval)>, Error> {
    let package = order.slot.package;
    let entitled = session::entitlements(package, &order.extensions);
    let mut out: Vec<(Entitlement, Interval)> = Vec::new();
    for (i, pick) in order.sessions.iter().enumerate() {
        let at = |field: &str| format!("sessions[{i}].{field}");
        let Some(e) = entitled.iter().find(|e| e.name == pick.name) else {
            return Err(Error::field(
                &at("name"),
                ProblemCode::UnknownSession,
                format!("this order includes no session named {}", pick.name),
            ));
        };
        let used = out
            .iter()
            .map(|(_, i)| (i.end - i.start).num_minutes())
            .sum();
        let placed = place(
            package,
            order.slot.duration_minutes,
            window_start,
            e,
            pick.start,
            pick.minutes,
            used,
            now,
            staff,
        )
        .map_err(|(field, (code, message))| Error::field(&at(field), code, message))?;
        if let Some((other, _)) = out.iter().find(|(_, o)| o.overlaps(&placed)) {
            return Err(Error::field(
                &at("start"),
                ProblemCode::SessionTime,
                format!(
                    "it overlaps the {} picked in the same order; pick another time",
                    other.name
                ),
            ));
        }
        out.push((e.clone(), placed));
    }
    Ok(out)
}

/// Minutes of the sessions in `list` other than `name`'s.
fn others(list: &[Scheduled], name: &str) -> i64 {
    list.iter()
        .filter(|s| s.name != name && !s.cancelled)
        .map(Scheduled::minutes)
        .sum()
}

/// Pick or move a session's time. The booking's producer runs it; when they are not free
/// then, the refusal offers the next times they are.
pub fn schedule(
    svc: &Services,
    req: &SessionRequest,
    actor: &Actor,
) -> Result<BookingDetails, Error> {
    let now = svc.now();
    let done = svc.db.write(|conn| {
        with_retries(conn, |conn| {
            let booking = for_change(conn, &req.number, req.email.as_deref(), actor)?;
            still_open(&booking, now)?;
            let entitlement = entitlement(&booking, &req.name)?;
            let tz = req.time_zone.unwrap_or(booking.time_zone);
            let start = crate::domain::order::start(&req.start, Some(tz))
                .map_err(|(code, message)| Error::field("start", code, message))?;
            let existing = assignments::sessions_of(conn, &booking.id)?;
            let package = booking
                .package()
                .ok_or_else(|| anyhow::anyhow!("booking {} has an unknown package", booking.id))?;
            let at = place(
                package,
                booking.duration_minutes,
                booking.window_start,
                &entitlement,
                start,
                req.minutes,
                others(&existing, &entitlement.name),
                now,
                actor.is_staff(),
            )
            .map_err(|(field, (code, message))| Error::field(field, code, message))?;
            let before = existing.iter().find(|s| s.name == entitlement.name);
            let producer_id = match req.producer_id.as_deref().filter(|_| actor.is_staff()) {
                Some(id) => chosen_producer(conn, &booking, id)?,
                None => before
                    .map(|s| s.producer_id.clone())
                    .unwrap_or_else(|| booking.producer_id.clone()),
            };
            // The same time and producer again: nothing to change, nobody to tell.
            if let Some(b) = before
                .filter(|b| b.start == at.start && b.end == at.end && b.producer_id == producer_id)
            {
                tracing::debug!(session = %b.name, "session unchanged");
                return details(conn, booking);
            }
            let set_aside = before.map(|s| s.id.as_str());
            let set_aside = set_aside.as_slice();
            if !producer_free(svc, conn, &producer_id, at, set_aside)? {
                let earliest = if actor.is_staff() {
                    now
                } else {
                    now + session::NOTICE
                };
                let offered = free_times(
                    svc,
                    conn,
                    &producer_id,
                    at,
                    (earliest, booking.window_start),
                    set_aside,
                )?;
                return Err(producer_busy(&entitlement, at, tz, offered));
            }
            let session = Scheduled {
                id: crate::db::new_id(),
                booking_id: booking.id.clone(),
                name: entitlement.name.clone(),
                producer_id,
                start: at.start,
                end: at.end,
                cancelled: false,
            };
            assignments::put_session(conn, &session, now)?;
            super::reminders::schedule_session(conn, &session, now)?;
            let line = HistoryEvent {
                at: now,
                kind: EventKind::SessionScheduled,
                actor: actor.name(),
                old: before.map(|s| (s.start, s.end)),
                new: Some((at.start, at.end)),
                old_producer_id: None,
                new_producer_id: Some(session.producer_id.clone()),
                detail: Some(EventDetail {
                    session: Some(session.name.clone()),
                    ..EventDetail::default()
                }),
            };
            booking_events::record(conn, &booking.id, &line, false)?;
            let mut messages = session_messages(conn, svc, &booking, &session, before, false)?;
            // Staff gave it to another producer: the one who had it is released.
            if let Some(b) = before.filter(|b| b.producer_id != session.producer_id) {
                if let Some(released) =
                    crate::db::models::producers::contact_of(conn, &b.producer_id)?
                {
                    let change = email::SessionChange {
                        session: b,
                        previous: None,
                        removed: true,
                        with_booking: false,
                        reminder: false,
                        sequence: booking_events::sequence(conn, &booking.id)?,
                    };
                    messages.push(email::session_message(
                        &booking, &released, &change, true, &svc.mail,
                    ));
                }
            }
            outbox::enqueue(conn, &booking.id, &messages)?;
            details(conn, booking)
        })
    })?;
    svc.wake_workers();
    Ok(done)
}

/// The producer staff chose for a session: on the roster and serving the booking's
/// centre.
fn chosen_producer(conn: &mut DbConnection, booking: &Booking, id: &str) -> Result<String, Error> {
    let found = crate::db::models::producers::list(conn)?
        .into_iter()
        .find(|p| p.id == id);
    match (found, booking.package()) {
        (Some(p), Some(package)) if p.centres.contains(&package.centre) => Ok(p.id),
        (Some(_), _) => Err(Error::field(
            "producer_id",
            ProblemCode::InvalidFormat,
            "this producer does not serve the booking's centre; choose one who does",
        )),
        (None, _) => Err(Error::field(
            "producer_id",
            ProblemCode::InvalidFormat,
            "no producer on the roster has this id; GET /api/v1/producers lists them",
        )),
    }
}

/// Take a session off the schedule (it can be picked again later).
pub fn unschedule(
    svc: &Services,
    number: &ReservationNumber,
    email: Option<&str>,
    name: &str,
    actor: &Actor,
) -> Result<BookingDetails, Error> {
    let now = svc.now();
    let done = svc.db.write(|conn| {
        with_retries(conn, |conn| {
            let booking = for_change(conn, number, email, actor)?;
            still_open(&booking, now)?;
            let entitlement = entitlement(&booking, name)?;
            let existing = assignments::sessions_of(conn, &booking.id)?;
            if let Some(session) = existing.iter().find(|s| s.name == entitlement.name) {
                remove(conn, svc, &booking, session, actor, now)?;
            }
            details(conn, booking)
        })
    })?;
    svc.wake_workers();
    Ok(done)
}

/// Remove a session, with its line of history and the messages that withdraw it.
pub fn remove(
    conn: &mut DbConnection,
    svc: &Services,
    booking: &Booking,
    session: &Scheduled,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<(), Error> {
    assignments::remove_session(conn, &booking.id, &session.name)?;
    super::reminders::withdraw_session(conn, &booking.id, &session.name)?;
    let line = HistoryEvent {
        at: now,
        kind: EventKind::SessionRemoved,
        actor: actor.name(),
        old: Some((session.start, session.end)),
        new: None,
        old_producer_id: Some(session.producer_id.clone()),
        new_producer_id: None,
        detail: Some(EventDetail {
            session: Some(session.name.clone()),
            ..EventDetail::default()
        }),
    };
    booking_events::record(conn, &booking.id, &line, false)?;
    let messages = session_messages(conn, svc, booking, session, None, true)?;
    outbox::enqueue(conn, &booking.id, &messages)?;
    Ok(())
}

/// After the event moved or what was ordered changed: sessions that no longer end before
/// the producer's preparation, or that the booking no longer includes, are taken off
/// the schedule (the first can be picked again). Their names.
pub fn reconcile(
    conn: &mut DbConnection,
    svc: &Services,
    booking: &Booking,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<Vec<String>, Error> {
    let entitled = entitlements_of(booking);
    let mut dropped = Vec::new();
    for s in assignments::sessions_of(conn, &booking.id)? {
        // On a package with production time the customer chose the length; elsewhere it
        // is the entitlement's, which an amended order may have changed.
        let chosen = booking
            .package()
            .is_some_and(|p| p.production_minutes.is_some());
        let included = entitled
            .iter()
            .any(|e| e.name == s.name && (chosen || e.minutes == s.minutes()));
        if !s.cancelled && (s.end > booking.window_start || !included) {
            remove(conn, svc, booking, &s, actor, now)?;
            dropped.push(s.name);
        }
    }
    Ok(dropped)
}

/// The booking is being cancelled: the invitations of its scheduled sessions are
/// withdrawn (the database cancels the sessions with the booking).
pub fn withdraw_all(
    conn: &mut DbConnection,
    svc: &Services,
    booking: &Booking,
) -> Result<Vec<outbox::NewMessage>, Error> {
    let mut messages = Vec::new();
    for s in assignments::sessions_of(conn, &booking.id)? {
        if !s.cancelled {
            messages.extend(session_messages(conn, svc, booking, &s, None, true)?);
        }
    }
    Ok(messages)
}

/// Is `producer_id` free for `at` (their hours, time off, every assignment but
/// `set_aside`)?
fn producer_free(
    svc: &Services,
    conn: &mut DbConnection,
    producer_id: &str,
    at: Interval,
    set_aside: &[&str],
) -> Result<bool, Error> {
    let roster = roster_db::load(&svc.db.roster, conn, at, None, set_aside)?;
    Ok(roster
        .engine
        .iter()
        .any(|p| p.id == producer_id && p.is_free(&at)))
}

/// The producer's next free times for a session as long as `asked`, after it (or, when
/// none is left before the event, the latest ones before it), within `bounds`.
pub(super) fn free_times(
    svc: &Services,
    conn: &mut DbConnection,
    producer_id: &str,
    asked: Interval,
    bounds: (DateTime<Utc>, DateTime<Utc>),
    set_aside: &[&str],
) -> Result<Vec<Interval>, Error> {
    let (earliest, latest) = bounds;
    if latest <= earliest {
        return Ok(Vec::new());
    }
    let range = Interval::new(earliest, latest);
    let roster = roster_db::load(&svc.db.roster, conn, range, None, set_aside)?;
    let Some(p) = roster.engine.iter().find(|p| p.id == producer_id) else {
        return Ok(Vec::new());
    };
    let minutes = (asked.end - asked.start).num_minutes();
    let after = p.free_starts(minutes, asked.start.max(earliest), latest, OFFERED);
    if !after.is_empty() {
        return Ok(after);
    }
    let mut before = p.free_starts(minutes, earliest, latest, usize::MAX);
    let keep = before.len().saturating_sub(OFFERED);
    Ok(before.split_off(keep))
}

/// The refusal when the producer is taken then, with the times they are free.
pub(super) fn producer_busy(
    entitlement: &Entitlement,
    at: Interval,
    tz: Tz,
    offered: Vec<Interval>,
) -> Error {
    let name = entitlement.kind.label("en").to_lowercase();
    let detail = if offered.is_empty() {
        format!(
            "your producer is not free from {} for the {name}, nor at any other time before the event; contact your production coordinator",
            format_in(at.start, tz)
        )
    } else {
        format!(
            "your producer is not free from {} for the {name}; choose one of the alternatives or another time",
            format_in(at.start, tz)
        )
    };
    Error::NoProducer {
        detail,
        alternatives: offered
            .into_iter()
            .map(|i| Slot {
                start: i.start,
                end: i.end,
                time_zone: tz,
            })
            .collect(),
    }
}

/// The e-mails about a session: to the contact and to its producer, with a calendar
/// invitation for it (or its withdrawal).
pub(super) fn session_messages(
    conn: &mut DbConnection,
    svc: &Services,
    booking: &Booking,
    session: &Scheduled,
    before: Option<&Scheduled>,
    removed: bool,
) -> Result<Vec<outbox::NewMessage>, Error> {
    let Some(producer) = crate::db::models::producers::contact_of(conn, &session.producer_id)?
    else {
        return Ok(Vec::new());
    };
    let sequence = booking_events::sequence(conn, &booking.id)?;
    let change = email::SessionChange {
        session,
        previous: before.map(|s| (s.start, s.end)),
        removed,
        with_booking: booking.is_cancelled(),
        reminder: false,
        sequence,
    };
    let all = assignments::sessions_of(conn, &booking.id)?;
    let mut to_contact = email::session_message(booking, &producer, &change, false, &svc.mail);
    email::list_sessions(&mut to_contact, booking, &all, booking.time_zone);
    let mut to_producer = email::session_message(booking, &producer, &change, true, &svc.mail);
    email::list_sessions(&mut to_producer, booking, &all, producer.time_zone);
    Ok(vec![to_contact, to_producer])
}
