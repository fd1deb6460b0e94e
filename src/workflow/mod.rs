//! The use cases, one module each: each opens its transaction, decides with `domain`
//! and `scheduling`, writes through `db`, leaves messages in the outbox, and returns
//! domain types. Blocking: call them on a blocking thread.

pub mod accounts;
pub mod amend;
pub mod availability;
pub mod cancel;
pub mod change;
pub mod completion;
pub mod lookup;
pub mod order;
pub mod privacy;
pub mod reassign;
pub mod reminders;
pub mod report;
pub mod roster;
pub mod sessions;
pub mod staff;
pub mod sweep;
pub mod visits;
pub mod webhooks;

use std::path::PathBuf;

use chrono::{DateTime, Duration, Utc};

use crate::background::Signal;
use crate::clock::Clock;
use crate::db::roster::{self as roster_db, Roster};
use crate::db::{self, Database, DbConnection};
use crate::domain::error::{Error, ProblemCode};
use crate::domain::local_time::{format_in, Slot};
use crate::domain::order::{latest_bookable, SlotRequest};
use crate::email::MailConfig;
use crate::scheduling::{self, producer_window, Interval, Need};

pub use crate::domain::staff::Actor;

/// How far ahead alternatives are searched.
pub const ALTERNATIVES_HORIZON_DAYS: i64 = 60;
pub const ALTERNATIVES: usize = 3;
/// Attempts when a concurrent order took the producer between our check and our insert.
const MAX_ATTEMPTS: usize = 24;

/// Limits the operator sets on what customers may book.
#[derive(Debug, Clone)]
pub struct Limits {
    /// How far ahead a start may be booked.
    pub horizon_days: i64,
    /// Orders a contact e-mail may place in 24 hours (0: no limit); staff are exempt.
    pub orders_per_email_per_day: u32,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            horizon_days: 730,
            orders_per_email_per_day: 10,
        }
    }
}

/// What every use case works with.
#[derive(Clone)]
pub struct Services {
    pub db: Database,
    pub clock: Clock,
    /// What e-mails say about the service (sender, manage page).
    pub mail: MailConfig,
    pub limits: Limits,
    /// Where sent e-mails are kept as `.eml` files (erasure deletes them).
    pub outbox_dir: PathBuf,
    /// Wakes the outbox worker once a change with messages is committed.
    pub outbox: Signal,
    /// Wakes the webhook worker once a change that queued deliveries is committed.
    pub webhooks: Signal,
    /// Stops the sweeps (reminders, completion).
    pub sweeps: Signal,
    /// The booking as integrators see it in webhook events (the API's lookup answer).
    pub booking_view: BookingView,
}

/// How a booking is shown to integrators: set by the application to the API's own view,
/// so that use cases need not know the HTTP layer.
pub type BookingView = fn(&crate::domain::booking::BookingDetails) -> serde_json::Value;

impl Services {
    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    /// A change was committed: wake the workers that send what it left behind.
    pub fn wake_workers(&self) {
        self.outbox.wake();
        // Only when a webhook delivery was queued: woken after every order, the worker
        // took a turn in SQLite's writer to find nothing (2 % of the server's CPU).
        self.webhooks.wake_announced();
    }

    /// Shutting down: let the workers finish their current send and stop.
    pub fn stop_workers(&self) {
        self.outbox.stop();
        self.webhooks.stop();
        self.sweeps.stop();
    }
}

/// What the engine needs from a slot.
pub fn need_of(slot: &SlotRequest) -> Need<'_> {
    Need {
        centre: slot.package.centre,
        language: &slot.language,
        start: slot.start,
        duration_minutes: slot.duration_minutes,
    }
}

/// The roster as an order or a move needs it: who is busy during the window, and each
/// producer's number of assignments in the booking's week (in the customer's zone).
fn roster_for(
    cache: &crate::db::roster::RosterCache,
    conn: &mut DbConnection,
    slot: &SlotRequest,
    set_aside: &[&str],
) -> Result<Roster, Error> {
    let window = producer_window(slot.start, slot.duration_minutes);
    let week = scheduling::week_of(slot.start, slot.time_zone);
    Ok(roster_db::load(cache, conn, window, Some(week), set_aside)?)
}

/// The coordinator for a new booking whose producer works in `zone` (see
/// `choose_coordinator`): turns are counted over the last 30 days.
fn coordinator_for(
    conn: &mut DbConnection,
    zone: chrono_tz::Tz,
    now: DateTime<Utc>,
) -> Result<Option<crate::domain::staff::Coordinator>, Error> {
    let candidates = crate::db::models::staff_members::coordinators(conn)?;
    if candidates.is_empty() {
        return Ok(None);
    }
    let loads =
        crate::db::models::bookings::coordinator_loads(conn, now - chrono::Duration::days(30))?
            .into_iter()
            .filter_map(|(id, n)| Some((id?, n)))
            .collect();
    Ok(crate::domain::staff::choose_coordinator(
        &candidates,
        zone,
        &loads,
    ))
}

/// What the producers are told after `before` became `after`: the old producer released
/// and the new one assigned when the producer changed, else the producer told of the
/// move from `was`.
fn producer_messages(
    conn: &mut DbConnection,
    before: &crate::domain::booking::Booking,
    after: &crate::domain::booking::Booking,
    assigned: &crate::domain::producer::ProducerContact,
    was: Option<(DateTime<Utc>, DateTime<Utc>)>,
    sequence: i32,
    svc: &Services,
) -> Result<Vec<crate::db::models::outbox::NewMessage>, Error> {
    use crate::email::{producer_message, Kind};
    if after.producer_id == before.producer_id {
        return Ok(vec![producer_message(
            Kind::ProducerMoved,
            after,
            assigned,
            was,
            sequence,
            &svc.mail,
        )]);
    }
    let mut messages = Vec::new();
    if let Some(released) = crate::db::models::producers::contact_of(conn, &before.producer_id)? {
        messages.push(producer_message(
            Kind::ProducerReleased,
            before,
            &released,
            None,
            sequence,
            &svc.mail,
        ));
    }
    messages.push(producer_message(
        Kind::ProducerAssigned,
        after,
        assigned,
        None,
        sequence,
        &svc.mail,
    ));
    Ok(messages)
}

/// The earliest start that may be offered now.
pub fn earliest_bookable(
    slot: &SlotRequest,
    now: DateTime<Utc>,
    staff_override: bool,
) -> DateTime<Utc> {
    if staff_override {
        now + Duration::minutes(1)
    } else {
        now + Duration::days(slot.package.lead_time_days)
    }
}

/// Three start times after the asked one at which a producer is free, each bookable now
/// (inside the lead time and the horizon). Searches two days ahead first, then two
/// weeks, then the whole range, so that the usual answer reads little; each step is
/// three queries.
pub fn find_alternatives(
    conn: &mut DbConnection,
    slot: &SlotRequest,
    now: DateTime<Utc>,
    staff_override: bool,
    set_aside: &[&str],
    svc: &Services,
) -> Result<Vec<Slot>, Error> {
    let limits = &svc.limits;
    let earliest = earliest_bookable(slot, now, staff_override);
    let latest = latest_bookable(now, limits.horizon_days);
    let from = slot.start.max(earliest);
    let mut found = vec![];
    for days in [2, 14, ALTERNATIVES_HORIZON_DAYS] {
        let horizon = (from + Duration::days(days)).min(latest + Duration::minutes(1));
        let range = Interval::new(from - Duration::days(1), horizon + Duration::days(1));
        let roster = roster_db::load(&svc.db.roster, conn, range, None, set_aside)?;
        found = scheduling::alternatives(
            &roster.engine,
            &need_of(slot),
            earliest,
            horizon,
            ALTERNATIVES,
        );
        if found.len() == ALTERNATIVES {
            break;
        }
    }
    Ok(found
        .into_iter()
        .map(|i| Slot {
            start: i.start,
            end: i.end,
            time_zone: slot.time_zone,
        })
        .collect())
}

/// Nobody is free: the refusal, with the alternatives.
pub fn no_producer(slot: &SlotRequest, alternatives: Vec<Slot>) -> Error {
    let tz = slot.time_zone;
    let detail = if alternatives.is_empty() {
        format!(
            "no producer is free from {} for {} minutes, and none in the next {ALTERNATIVES_HORIZON_DAYS} days either; contact your production coordinator",
            format_in(slot.start, tz),
            slot.duration_minutes
        )
    } else {
        format!(
            "no producer is free from {} for {} minutes (the producer starts 30 minutes before); choose one of the alternatives, another time, or cancel",
            format_in(slot.start, tz),
            slot.duration_minutes
        )
    };
    Error::NoProducer {
        detail,
        alternatives,
    }
}

/// Run `f` in a write transaction; when another writer took the producer (or the
/// reservation number, or the idempotency key) between our read and our write, the
/// database refuses ours and we decide again on fresh data.
fn with_retries<T>(
    conn: &mut DbConnection,
    mut f: impl FnMut(&mut DbConnection) -> Result<T, Error>,
) -> Result<T, Error> {
    retrying(|| db::write_transaction(conn, &mut f))
}

/// Run `attempt` again while the database refuses it for a race lost to another writer
/// (a double booking, a taken reservation number or idempotency key, a transient
/// failure), up to `MAX_ATTEMPTS` times.
fn retrying<T>(mut attempt: impl FnMut() -> Result<T, Error>) -> Result<T, Error> {
    for _ in 0..MAX_ATTEMPTS {
        match attempt() {
            Err(Error::Internal(e))
                if e.downcast_ref::<diesel::result::Error>()
                    .is_some_and(retryable) =>
            {
                continue
            }
            other => return other,
        }
    }
    Err(busy())
}

/// The refusal when every attempt lost a race to other requests.
fn busy() -> Error {
    Error::refused(
        ProblemCode::BusyTryAgain,
        "many requests competed for the same producers at once; send the same request again",
    )
}

fn retryable(e: &diesel::result::Error) -> bool {
    db::is_double_booking(e) || db::is_unique_violation(e) || db::is_transient(e)
}
