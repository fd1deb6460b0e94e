//! What staff read: the schedule of assignments, bookings by page, the outbox; and staff
//! tokens.

use std::collections::HashMap;

use chrono::{DateTime, Utc};

use crate::db::models::outbox::OutboxRow;
use crate::db::models::{
    assignments, bookings, calendar_feeds, closures, outbox, producers, staff_tokens, time_off,
};
use crate::db::roster::{self, Roster};
use crate::domain::booking::{Booking, BookingDetails, BookingStatus};
use crate::domain::error::Error;
use crate::domain::producer::ProducerContact;
use crate::domain::session::Scheduled;
use crate::domain::staff::{Role, Staff};
use crate::scheduling::Interval;

use super::Services;

/// What the schedule picture shows of `range`: every producer (or one) as the engine
/// sees them (hours, time off, assignments), their time off as stretches, and the
/// bookings behind the assignments.
pub struct Board {
    pub roster: Roster,
    pub time_off: Vec<(String, Interval)>,
    /// (producer id, the closure's days in their zone, its name).
    pub closures: Vec<(String, Interval, String)>,
    pub bookings: Vec<Booking>,
    /// Preparation sessions in the range, each with its booking.
    pub sessions: Vec<(Scheduled, Booking)>,
}

pub fn board(svc: &Services, range: Interval, only: Option<&str>) -> Result<Board, Error> {
    let mut conn = svc.db.read()?;
    let mut roster = roster::load(&svc.db.roster, &mut conn, range, None, &[])?;
    if let Some(id) = only {
        let keep: Vec<bool> = roster.people.iter().map(|p| p.id == id).collect();
        let mut flags = keep.iter();
        roster.people.retain(|_| *flags.next().unwrap_or(&false));
        let mut flags = keep.iter();
        roster.engine.retain(|_| *flags.next().unwrap_or(&false));
    }
    let time_off = time_off::overlapping(&mut conn, range)?
        .into_iter()
        .filter(|(p, _)| only.is_none_or(|id| id == p))
        .collect();
    let bookings = bookings::in_windows(&mut conn, range, only, SCHEDULE_LIMIT)?;
    let sessions = sessions_in(&mut conn, range, only)?;
    let closed = closures::overlapping(&mut conn, range)?;
    let closures = roster
        .people
        .iter()
        .flat_map(|p| {
            closed
                .iter()
                .filter(|c| c.applies_to(p.time_zone))
                .map(|c| (p.id.clone(), c.interval_in(p.time_zone), c.name.clone()))
        })
        .collect();
    Ok(Board {
        roster,
        time_off,
        closures,
        bookings,
        sessions,
    })
}

/// Preparation sessions overlapping `range` (of one producer, or all), each with its
/// booking.
fn sessions_in(
    conn: &mut crate::db::DbConnection,
    range: Interval,
    only: Option<&str>,
) -> Result<Vec<(Scheduled, Booking)>, Error> {
    let sessions = assignments::sessions_in(conn, range, only)?;
    let ids: Vec<String> = sessions.iter().map(|s| s.booking_id.clone()).collect();
    let owners = bookings::by_ids(conn, &ids)?;
    Ok(sessions
        .into_iter()
        .filter_map(|s| {
            let b = owners.iter().find(|b| b.id == s.booking_id)?.clone();
            Some((s, b))
        })
        .collect())
}

/// What a calendar feed lists: a producer, their bookings and their preparation sessions.
pub type Feed = (ProducerContact, Vec<Booking>, Vec<(Scheduled, Booking)>);

/// The producer on the roster with this e-mail (a producer member's own row).
pub fn producer_with_email(svc: &Services, email: &str) -> Result<Option<String>, Error> {
    let mut conn = svc.db.read()?;
    Ok(producer_by_email(&mut conn, email)?.map(|p| p.id))
}

/// The producer on the roster whose e-mail is a member's (any case).
pub fn producer_by_email(
    conn: &mut crate::db::DbConnection,
    email: &str,
) -> Result<Option<crate::domain::producer::Producer>, Error> {
    Ok(producers::list(conn)?
        .into_iter()
        .find(|p| p.email.eq_ignore_ascii_case(email)))
}

/// What a private calendar feed holds: its owner as a producer, and their confirmed
/// bookings from a month ago to a year and a month ahead; none for an unknown or
/// stopped feed, or one whose member is not on the roster.
pub fn feed(svc: &Services, token: &str) -> Result<Option<Feed>, Error> {
    let now = svc.now();
    let mut conn = svc.db.read()?;
    let Some(email) = calendar_feeds::owner_email(&mut conn, &super::accounts::digest(token))?
    else {
        return Ok(None);
    };
    let Some(producer) = producer_by_email(&mut conn, &email)? else {
        return Ok(None);
    };
    let range = Interval::new(
        now - chrono::Duration::days(31),
        now + chrono::Duration::days(400),
    );
    let found = bookings::in_windows(&mut conn, range, Some(&producer.id), SCHEDULE_LIMIT)?;
    let sessions = sessions_in(&mut conn, range, Some(&producer.id))?;
    Ok(Some((producer.contact(), found, sessions)))
}

/// The most bookings one search lists.
const SEARCH_LIMIT: i64 = 100;

/// Bookings for the desk: `text` is a reservation number, a contact e-mail or part of a
/// company's name (empty: any), starting within `day` when given.
pub fn find_bookings(
    svc: &Services,
    text: &str,
    day: Option<Interval>,
) -> Result<Vec<BookingDetails>, Error> {
    let text = text.trim();
    let number = crate::domain::reservation_number::ReservationNumber::parse(text).ok();
    let what = match &number {
        Some(n) => bookings::Search::Number(n),
        None if text.contains('@') => bookings::Search::Email(text),
        None if !text.is_empty() => bookings::Search::Company(text),
        None => bookings::Search::Any,
    };
    let mut conn = svc.db.read()?;
    let found = bookings::search(&mut conn, what, day, SEARCH_LIMIT)?;
    let ids: Vec<String> = found.iter().map(|b| b.producer_id.clone()).collect();
    let names = producers::contacts(&mut conn, &ids)?;
    Ok(found
        .into_iter()
        .map(|b| BookingDetails {
            producer: names.get(&b.producer_id).cloned(),
            booking: b,
            history: None,
            report: None,
            sessions: Vec::new(),
        })
        .collect())
}

/// The most assignments one schedule answer lists.
const SCHEDULE_LIMIT: i64 = 5000;

/// Confirmed assignments whose producer window overlaps `[from, to)`, with their
/// producers.
pub fn schedule(
    svc: &Services,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    producer: Option<&str>,
) -> Result<Schedule, Error> {
    let mut conn = svc.db.read()?;
    let range = Interval::new(from, to);
    let found = bookings::in_windows(&mut conn, range, producer, SCHEDULE_LIMIT)?;
    let sessions = sessions_in(&mut conn, range, producer)?;
    let ids: Vec<String> = found
        .iter()
        .map(|b| b.producer_id.clone())
        .chain(sessions.iter().map(|(s, _)| s.producer_id.clone()))
        .collect();
    let names = producers::contacts(&mut conn, &ids)?;
    Ok(Schedule {
        bookings: found,
        sessions,
        names,
    })
}

/// The schedule of a range: live windows (bookings), preparation sessions (each with
/// its booking), and the producers' names.
pub struct Schedule {
    pub bookings: Vec<Booking>,
    pub sessions: Vec<(Scheduled, Booking)>,
    pub names: HashMap<String, ProducerContact>,
}

/// A page of bookings starting in `[from, to)`, and how many there are in all.
pub fn bookings_page(
    svc: &Services,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    status: Option<BookingStatus>,
    page: i64,
    per_page: i64,
) -> Result<(i64, Vec<BookingDetails>), Error> {
    let mut conn = svc.db.read()?;
    let (total, found) = bookings::page(&mut conn, from, to, status, page, per_page)?;
    let ids: Vec<String> = found.iter().map(|b| b.producer_id.clone()).collect();
    let names = producers::contacts(&mut conn, &ids)?;
    Ok((
        total,
        found
            .into_iter()
            .map(|b| BookingDetails {
                producer: names.get(&b.producer_id).cloned(),
                booking: b,
                history: None,
                report: None,
                sessions: Vec::new(),
            })
            .collect(),
    ))
}

/// The outbox as staff see it: messages per status, and the newest messages.
pub struct OutboxView {
    pub counts: Vec<(String, i64)>,
    pub latest: Vec<OutboxRow>,
}

/// The newest messages (of one status or all), and how many there are per status.
pub fn outbox(svc: &Services, status: Option<&str>, limit: i64) -> Result<OutboxView, Error> {
    let mut conn = svc.db.read()?;
    Ok(OutboxView {
        counts: outbox::counts(&mut conn)?,
        latest: outbox::latest(&mut conn, status, limit)?,
    })
}

/// Who a bearer token belongs to, if anyone.
pub fn authenticate(svc: &Services, token: &str) -> Result<Option<Staff>, Error> {
    let mut conn = svc.db.read()?;
    Ok(staff_tokens::authenticate(&mut conn, token)?)
}

/// A new staff token: its id and the token itself (shown once).
pub fn create_token(
    svc: &Services,
    role: Role,
    label: Option<&str>,
) -> Result<(String, String), Error> {
    let now = svc.now();
    svc.db
        .write(|conn| Ok(staff_tokens::create(conn, role, label, now)?))
}
