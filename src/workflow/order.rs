//! Ordering: find a free producer and record the booking, atomically, with its first
//! line of history, its stored idempotent answer and its e-mails.

use chrono::{DateTime, Duration, Utc};

use crate::db::models::{assignments, booking_events, bookings, idempotency_keys, outbox};
use crate::db::DbConnection;
use crate::domain::booking::{
    Booking, BookingDetails, BookingStatus, EventDetail, EventKind, HistoryEvent,
};
use crate::domain::catalogue::Catalogue;
use crate::domain::error::{Error, Limit, ProblemCode};
use crate::domain::order::{charges, check_lead_time, NewOrder};
use crate::domain::reservation_number::ReservationNumber;
use crate::domain::session::{self, Scheduled};
use crate::domain::webhook::EventType;
use crate::email::{self, Kind};
use crate::scheduling::{self, producer_window, Interval};

use super::{
    find_alternatives, need_of, no_producer, retrying, roster_for, sessions, Actor, Services,
};

/// A client's `Idempotency-Key` and a hash of the body it came with.
pub struct Idempotency {
    pub key: String,
    pub request_hash: String,
}

/// The result of an order: the booking, or the answer stored for an earlier request
/// with the same key.
pub enum Ordered {
    Created(Box<BookingDetails>),
    Replayed { status: u16, body: String },
}

/// What was decided on a reader, before the write lock: the booking to record, or why not.
enum Plan {
    Book(Box<Planned>),
    Replay { status: u16, body: String },
    NoProducer,
}

/// A booking ready to write, with its first history event and its messages, its row
/// and the messages' views already written out (outside the write lock).
struct Planned {
    details: BookingDetails,
    row: bookings::BookingRow,
    messages: Vec<outbox::ReadyMessage>,
}

/// The answer stored for this key, if the key came before; a refusal if it came with
/// another body.
fn replay(conn: &mut DbConnection, idem: Option<&Idempotency>) -> Result<Option<Plan>, Error> {
    let Some(i) = idem else {
        return Ok(None);
    };
    let Some(stored) = idempotency_keys::find(conn, &i.key)? else {
        return Ok(None);
    };
    if stored.request_hash != i.request_hash {
        return Err(Error::field(
            "Idempotency-Key",
            ProblemCode::IdempotencyKeyReused,
            "this Idempotency-Key was already used with a different request; use a new key for a new order",
        ));
    }
    Ok(Some(Plan::Replay {
        status: stored.status,
        body: stored.body,
    }))
}

/// Place an order: find a free producer and record the booking, atomically. `render`
/// turns the new booking into the answer kept for a retry with the same key.
///
/// The producer, the coordinator, the booking and its messages are decided on a reader,
/// outside the write lock (on SQLite) and the write transaction (on PostgreSQL); the
/// transaction then only writes. The database decides the race: when another order took
/// the producer meanwhile, its trigger or exclusion constraint refuses ours, and we
/// decide again on fresh data.
pub fn place(
    svc: &Services,
    order: &NewOrder,
    actor: &Actor,
    idem: Option<&Idempotency>,
    render: &(dyn Fn(&BookingDetails) -> String + Sync),
) -> Result<Ordered, Error> {
    let now = svc.now();
    let slot = &order.slot;
    let staff_override = slot.override_lead_time && actor.is_staff();
    check_lead_time(slot, now, staff_override, svc.limits.horizon_days)
        .map_err(|e| Error::Invalid(vec![e]))?;
    retrying(|| {
        let planned = match plan(svc, order, actor, idem, now)? {
            Plan::Book(planned) => planned,
            Plan::Replay { status, body } => return Ok(Ordered::Replayed { status, body }),
            Plan::NoProducer => {
                let alternatives = {
                    let mut conn = svc.db.read()?;
                    find_alternatives(&mut conn, slot, now, staff_override, &[], svc)?
                };
                return Err(no_producer(slot, alternatives));
            }
        };
        let replayed = svc.db.write(|conn| {
            crate::db::write_transaction(conn, |conn| {
                write(svc, conn, order, actor, idem, now, &planned, render)
            })
        })?;
        Ok(match replayed {
            Some(replayed) => replayed,
            None => {
                let b = &planned.details.booking;
                let window = Interval::new(b.window_start, b.window_end);
                svc.db.roster.booked(&b.producer_id, window);
                svc.wake_workers();
                Ordered::Created(Box::new(planned.details))
            }
        })
    })
}

/// Decide, reading only: the producer (fairly, among those free), the coordinator, the
/// booking, its history's first line and its messages.
fn plan(
    svc: &Services,
    order: &NewOrder,
    actor: &Actor,
    idem: Option<&Idempotency>,
    now: DateTime<Utc>,
) -> Result<Plan, Error> {
    let slot = &order.slot;
    let staff_override = slot.override_lead_time && actor.is_staff();
    let mut conn = svc.db.read()?;
    let conn = &mut *conn;
    if let Some(replay) = replay(conn, idem)? {
        return Ok(replay);
    }
    let window = producer_window(slot.start, slot.duration_minutes);
    let staff = actor.is_staff();
    let picks = sessions::picks_of(order, window.start, now, staff)?;
    let times: Vec<Interval> = picks.iter().map(|(_, at)| *at).collect();
    let roster = match times.iter().map(|t| t.start).min() {
        None => roster_for(&svc.db.roster, conn, slot, &[])?,
        // The producer must be free for the sessions too: read what keeps them busy
        // from the first session to the event.
        Some(first) => crate::db::roster::load(
            &svc.db.roster,
            conn,
            Interval::new(first, window.end),
            Some(scheduling::week_of(slot.start, slot.time_zone)),
            &[],
        )?,
    };
    let Some(choice) = scheduling::choose_with(&roster.engine, &need_of(slot), &times) else {
        // The same order, sent twice at once, may have taken the producer just after the
        // key was looked up: it is a replay, not a refusal.
        if let Some(replay) = replay(conn, idem)? {
            return Ok(replay);
        }
        // Someone is free for the event but not for a session picked: say which, with
        // the times the producer the event would get is free.
        if let Some(alone) = scheduling::choose(&roster.engine, &need_of(slot)) {
            let p = &roster.engine[alone.index];
            if let Some((e, at)) = picks.iter().find(|(_, at)| !p.is_free(at)) {
                let earliest = if staff { now } else { now + session::NOTICE };
                let offered =
                    sessions::free_times(svc, conn, &p.id, *at, (earliest, window.start), &[])?;
                return Err(sessions::producer_busy(e, *at, slot.time_zone, offered));
            }
        }
        return Ok(Plan::NoProducer);
    };
    let producer = &roster.people[choice.index];
    let coordinator = super::coordinator_for(conn, producer.time_zone, now)?;
    let booking = Booking {
        id: crate::db::new_id(),
        number: ReservationNumber::generate(),
        status: BookingStatus::Confirmed,
        package_id: slot.package.id.clone(),
        start: slot.start,
        end: slot.end(),
        window_start: window.start,
        window_end: window.end,
        time_zone: slot.time_zone,
        duration_minutes: slot.duration_minutes,
        producer_id: producer.id.clone(),
        language: slot.language.clone(),
        language_pending: choice.language_pending,
        contact: order.contact.clone(),
        company: order.company.clone(),
        site: order.site.clone(),
        meeting: order.meeting.clone(),
        event: order.event.clone(),
        extensions: order.extensions.clone(),
        charges: charges(slot.package, slot.duration_minutes, &order.extensions),
        cancellation_policy: Catalogue::get().policy(slot.package).to_vec(),
        cancellation: None,
        created_at: now,
        updated_at: now,
        erased_at: None,
        completed_at: None,
        coordinator,
    };
    let event = HistoryEvent {
        at: now,
        kind: EventKind::Created,
        actor: actor.name(),
        old: None,
        new: Some((booking.start, booking.end)),
        old_producer_id: None,
        new_producer_id: Some(producer.id.clone()),
        detail: staff_override.then(|| EventDetail {
            override_lead_time: Some(true),
            ..EventDetail::default()
        }),
    };
    let assigned = producer.contact();
    let scheduled: Vec<Scheduled> = picks
        .iter()
        .map(|(e, at)| Scheduled {
            id: crate::db::new_id(),
            booking_id: booking.id.clone(),
            name: e.name.clone(),
            producer_id: producer.id.clone(),
            start: at.start,
            end: at.end,
            cancelled: false,
        })
        .collect();
    let mut confirmed = email::contact_message(
        Kind::BookingConfirmed,
        &booking,
        &assigned,
        None,
        0,
        &svc.mail,
    );
    email::list_sessions(&mut confirmed, &booking, &scheduled, booking.time_zone);
    let mut told = email::producer_message(
        Kind::ProducerAssigned,
        &booking,
        &assigned,
        None,
        0,
        &svc.mail,
    );
    email::list_sessions(&mut told, &booking, &scheduled, assigned.time_zone);
    let mut messages = vec![confirmed, told];
    // Each session picked gets its own invitation, to the contact and the producer.
    for s in &scheduled {
        let change = email::SessionChange {
            session: s,
            previous: None,
            removed: false,
            with_booking: false,
            reminder: false,
            sequence: 0,
        };
        for to_producer in [false, true] {
            messages.push(email::session_message(
                &booking,
                &assigned,
                &change,
                to_producer,
                &svc.mail,
            ));
        }
    }
    let row = bookings::BookingRow::of(&booking);
    Ok(Plan::Book(Box::new(Planned {
        row,
        messages: messages
            .into_iter()
            .map(outbox::NewMessage::ready)
            .collect(),
        details: BookingDetails {
            booking,
            producer: Some(assigned),
            history: Some(vec![event]),
            report: None,
            sessions: scheduled,
        },
    })))
}

/// Write what was planned, in the caller's transaction: the answer stored for this key
/// if the same order got there first, else nothing.
#[allow(clippy::too_many_arguments)]
fn write(
    svc: &Services,
    conn: &mut DbConnection,
    order: &NewOrder,
    actor: &Actor,
    idem: Option<&Idempotency>,
    now: DateTime<Utc>,
    planned: &Planned,
    render: &(dyn Fn(&BookingDetails) -> String + Sync),
) -> Result<Option<Ordered>, Error> {
    // The same order, sent twice at once, may have been recorded since we looked.
    if let Some(Plan::Replay { status, body }) = replay(conn, idem)? {
        return Ok(Some(Ordered::Replayed { status, body }));
    }
    if !actor.is_staff() && svc.limits.orders_per_email_per_day > 0 {
        orders_per_email(
            conn,
            &order.contact.email,
            svc.limits.orders_per_email_per_day,
            now,
        )?;
    }
    let details = &planned.details;
    let booking = &details.booking;
    bookings::insert_row(conn, &planned.row)?;
    for s in &details.sessions {
        assignments::put_session(conn, s, now)?;
        super::reminders::schedule_session(conn, s, now)?;
    }
    if let Some(event) = details.history.as_ref().and_then(|h| h.first()) {
        booking_events::record(conn, &booking.id, event, true)?;
    }
    outbox::enqueue_ready(conn, &booking.id, &planned.messages)?;
    super::reminders::schedule(conn, booking, now)?;
    super::webhooks::emit(svc, conn, EventType::Created, details, now)?;
    if let Some(i) = idem {
        let answer = idempotency_keys::Stored {
            request_hash: i.request_hash.clone(),
            status: 201,
            body: render(details),
        };
        idempotency_keys::insert(conn, &i.key, &answer, &booking.id, now)?;
    }
    Ok(None)
}

/// Refuse a contact e-mail that placed `limit` orders in the last 24 hours. Counted from
/// the bookings themselves, so it holds across restarts and instances; on PostgreSQL a
/// lock on the address (for this transaction) keeps two orders from counting at once,
/// on SQLite the write lock does.
fn orders_per_email(
    conn: &mut DbConnection,
    email: &str,
    limit: u32,
    now: DateTime<Utc>,
) -> Result<(), Error> {
    if let DbConnection::Postgresql(pg) = conn {
        use diesel::RunQueryDsl;
        diesel::sql_query("SELECT pg_advisory_xact_lock(hashtext($1))")
            .bind::<diesel::sql_types::Text, _>(bookings::email_key(email))
            .execute(pg)?;
    }
    let day = Duration::hours(24);
    let recent = bookings::made_since_by(conn, email, now - day, i64::from(limit))?;
    match recent.last() {
        Some(oldest) if recent.len() >= limit as usize => Err(Error::TooMany {
            limit: Limit::OrdersPerEmail(limit),
            retry_after_secs: (*oldest + day - now).num_seconds().max(1) as u64,
        }),
        _ => Ok(()),
    }
}
