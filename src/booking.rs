//! The booking workflow: order, look up. Runs on a blocking thread with a database
//! connection; decisions come from `domain` and `scheduling`, persistence from `db`.

use chrono::{DateTime, Duration, NaiveDateTime, Utc};
use chrono_tz::Tz;
use diesel::prelude::*;
use serde_json::{json, Value};

use crate::db::producers::{self, Roster};
use crate::db::schema::{booking_events, bookings, idempotency_keys};
use crate::db::{self, from_db, to_db, DbConnection};
use crate::domain::catalogue::Catalogue;
use crate::domain::local_time::{format_in, zone_abbreviation};
use crate::domain::order::{charges, check_lead_time, OrderRequest, SlotRequest};
use crate::domain::reservation_number::ReservationNumber;
use crate::email::{self, Kind, MailConfig};
use crate::error::ApiError;
use crate::scheduling::{self, producer_window, Interval, Need};

/// How far ahead alternatives are searched.
pub const ALTERNATIVES_HORIZON_DAYS: i64 = 60;
pub const ALTERNATIVES: usize = 3;
/// Attempts when a concurrent order took the producer between our check and our insert.
const MAX_ATTEMPTS: usize = 24;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = bookings)]
pub struct BookingRow {
    pub id: String,
    pub reservation_number: String,
    pub status: String,
    pub package_id: String,
    pub start_at: NaiveDateTime,
    pub end_at: NaiveDateTime,
    pub window_start: NaiveDateTime,
    pub window_end: NaiveDateTime,
    pub time_zone: String,
    pub duration_minutes: i32,
    pub producer_id: String,
    pub language: String,
    pub language_pending: bool,
    pub contact: String,
    pub contact_email_norm: String,
    pub company: String,
    pub site: String,
    pub meeting: String,
    pub event: String,
    pub extensions: String,
    pub charges: String,
    pub cancellation_policy: String,
    pub cancellation: Option<String>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    /// When the contact's personal data was erased (privacy request or retention).
    pub erased_at: Option<NaiveDateTime>,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = booking_events)]
pub struct EventRow {
    pub id: String,
    pub booking_id: String,
    /// 1 for the first event of a booking, then 2, 3…: the order of its history.
    pub seq: i32,
    pub at: NaiveDateTime,
    pub kind: String,
    pub actor: String,
    pub old_start: Option<NaiveDateTime>,
    pub old_end: Option<NaiveDateTime>,
    pub new_start: Option<NaiveDateTime>,
    pub new_end: Option<NaiveDateTime>,
    pub old_producer_id: Option<String>,
    pub new_producer_id: Option<String>,
    pub detail: Option<String>,
}

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

/// Who acts: the customer, a member of staff by token id, or the service itself (a
/// scheduled job, by name).
#[derive(Debug, Clone)]
pub enum Actor {
    Customer,
    Staff(crate::db::tokens::Staff),
    Service(&'static str),
}

impl Actor {
    pub fn name(&self) -> String {
        match self {
            Actor::Customer => "customer".into(),
            Actor::Staff(s) => s.actor(),
            Actor::Service(job) => format!("service:{job}"),
        }
    }

    pub fn is_staff(&self) -> bool {
        matches!(self, Actor::Staff(_))
    }
}

/// The roster as an order or a move needs it: who is busy during the window, and each
/// producer's number of assignments in the booking's week (in the customer's zone).
fn roster_for(
    conn: &mut DbConnection,
    slot: &SlotRequest,
    set_aside: Option<&str>,
) -> Result<Roster, ApiError> {
    let window = producer_window(slot.start, slot.duration_minutes);
    let week = scheduling::week_of(slot.start, slot.time_zone);
    Ok(producers::load_roster(conn, window, Some(week), set_aside)?)
}

pub fn tz_of(row: &BookingRow) -> Tz {
    row.time_zone.parse().unwrap_or(chrono_tz::UTC)
}

/// A slot as the API shows it, in the customer's zone.
pub fn slot_json(slot: Interval, tz: Tz) -> Value {
    json!({
        "start": format_in(slot.start, tz),
        "end": format_in(slot.end, tz),
        "time_zone": tz.name(),
        "zone_abbreviation": zone_abbreviation(slot.start, tz),
    })
}

/// The booking as the API shows it.
pub fn booking_json(
    row: &BookingRow,
    producer: Option<&(String, String)>,
    history: Option<&[EventRow]>,
) -> Value {
    let tz = tz_of(row);
    let parse = |s: &str| serde_json::from_str::<Value>(s).unwrap_or(Value::Null);
    let package_name = Catalogue::get()
        .package(&row.package_id)
        .map(|p| p.name.clone());
    let mut v = json!({
        "reservation_number": ReservationNumber::from_key(&row.reservation_number).to_string(),
        "status": row.status,
        "package": row.package_id,
        "package_name": package_name,
        "start": format_in(from_db(row.start_at), tz),
        "end": format_in(from_db(row.end_at), tz),
        "time_zone": tz.name(),
        "zone_abbreviation": zone_abbreviation(from_db(row.start_at), tz),
        "duration_minutes": row.duration_minutes,
        "producer_starts_at": format_in(from_db(row.window_start), tz),
        "producer": producer.map(|(name, email)| json!({"name": name, "email": email})),
        "language": row.language,
        "language_pending_confirmation": row.language_pending,
        "charges": parse(&row.charges),
        "cancellation_policy": parse(&row.cancellation_policy),
        "contact": parse(&row.contact),
        "company": row.company,
        "site": row.site,
        "meeting": parse(&row.meeting),
        "event": parse(&row.event),
        "extensions": parse(&row.extensions),
        "created_at": format_in(from_db(row.created_at), tz),
        "updated_at": format_in(from_db(row.updated_at), tz),
    });
    if let Some(c) = &row.cancellation {
        v["cancellation"] = parse(c);
    }
    if let Some(events) = history {
        v["history"] = events.iter().map(|e| event_json(e, tz)).collect();
    }
    v
}

fn event_json(e: &EventRow, tz: Tz) -> Value {
    let pair = |s: Option<NaiveDateTime>, t: Option<NaiveDateTime>| match (s, t) {
        (Some(s), Some(t)) => {
            json!({"start": format_in(from_db(s), tz), "end": format_in(from_db(t), tz)})
        }
        _ => Value::Null,
    };
    json!({
        "at": format_in(from_db(e.at), tz),
        "kind": e.kind,
        "actor": e.actor,
        "old": pair(e.old_start, e.old_end),
        "new": pair(e.new_start, e.new_end),
        "old_producer_id": e.old_producer_id,
        "new_producer_id": e.new_producer_id,
        "detail": e.detail.as_deref().map(|d| serde_json::from_str::<Value>(d).unwrap_or(Value::String(d.to_string()))),
    })
}

/// What the engine needs from a slot.
pub fn need_of<'a>(slot: &'a SlotRequest) -> Need<'a> {
    Need {
        centre: slot.package.centre,
        language: &slot.language,
        start: slot.start,
        duration_minutes: slot.duration_minutes,
    }
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

/// Three start times after the asked one at which a producer is free, each bookable now.
/// Searches two days ahead first, then two weeks, then the whole horizon, so that the
/// usual answer reads little; each step is three queries.
pub fn find_alternatives(
    conn: &mut DbConnection,
    slot: &SlotRequest,
    now: DateTime<Utc>,
    staff_override: bool,
    set_aside: Option<&str>,
    limits: &Limits,
) -> Result<Vec<Interval>, ApiError> {
    let earliest = earliest_bookable(slot, now, staff_override);
    let latest = crate::domain::order::latest_bookable(now, limits.horizon_days);
    let from = slot.start.max(earliest);
    let mut found = vec![];
    for days in [2, 14, ALTERNATIVES_HORIZON_DAYS] {
        // Bookable means before the booking horizon too.
        let horizon = (from + Duration::days(days)).min(latest + Duration::minutes(1));
        let range = Interval::new(from - Duration::days(1), horizon + Duration::days(1));
        let roster = producers::load_roster(conn, range, None, set_aside)?;
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
    Ok(found)
}

pub fn no_producer(slot: &SlotRequest, alternatives: &[Interval]) -> ApiError {
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
    ApiError::NoProducer {
        detail,
        alternatives: alternatives.iter().map(|a| slot_json(*a, tz)).collect(),
    }
}

/// The outcome of one attempt inside the write transaction.
enum Attempt {
    Booked(Value),
    Replay { status: i32, body: String },
    NoProducer,
}

/// A stored idempotent answer, or a refusal when the key came with another body.
fn replay(
    conn: &mut DbConnection,
    key: &str,
    request_hash: &str,
) -> Result<Option<(i32, String)>, ApiError> {
    let found: Option<(String, i32, String)> = idempotency_keys::table
        .find(key)
        .select((
            idempotency_keys::request_hash,
            idempotency_keys::response_status,
            idempotency_keys::response_body,
        ))
        .first(conn)
        .optional()?;
    match found {
        None => Ok(None),
        Some((hash, status, body)) if hash == request_hash => Ok(Some((status, body))),
        Some(_) => Err(ApiError::field(
            "Idempotency-Key",
            "idempotency_key_reused",
            "this Idempotency-Key was already used with a different request; use a new key for a new order",
        )),
    }
}

pub struct Idempotency {
    pub key: String,
    pub request_hash: String,
}

/// The result of an order: the booking (201) or a stored earlier answer.
pub enum Ordered {
    Created(Value),
    Replayed { status: u16, body: Value },
}

/// Place an order: find a free producer and record the booking, atomically.
pub fn place_order(
    conn: &mut DbConnection,
    order: &OrderRequest,
    actor: &Actor,
    idem: Option<&Idempotency>,
    mail: &MailConfig,
    now: DateTime<Utc>,
    limits: &Limits,
) -> Result<Ordered, ApiError> {
    let slot = &order.slot;
    let staff_override = slot.override_lead_time && actor.is_staff();
    check_lead_time(slot, now, staff_override, limits.horizon_days)
        .map_err(|e| ApiError::Validation(vec![e]))?;
    let window = producer_window(slot.start, slot.duration_minutes);
    let cat = Catalogue::get();
    let charges = charges(slot.package, slot.duration_minutes, &order.extensions);
    let policy = cat.policy(slot.package);

    let attempt = with_retries(conn, |conn| -> Result<Attempt, ApiError> {
        if let Some(i) = idem {
            if let Some((status, body)) = replay(conn, &i.key, &i.request_hash)? {
                return Ok(Attempt::Replay { status, body });
            }
        }
        if !actor.is_staff() && limits.orders_per_email_per_day > 0 {
            orders_per_email(
                conn,
                &order.contact.email,
                limits.orders_per_email_per_day,
                now,
            )?;
        }
        let Roster { people, engine } = roster_for(conn, slot, None)?;
        let Some(choice) = scheduling::choose(&engine, &need_of(slot)) else {
            return Ok(Attempt::NoProducer);
        };
        let producer = &people[choice.index];
        let id = uuid::Uuid::new_v4().to_string();
        let row = BookingRow {
            id: id.clone(),
            reservation_number: ReservationNumber::generate().as_key().to_string(),
            status: "confirmed".into(),
            package_id: slot.package.id.clone(),
            start_at: to_db(slot.start),
            end_at: to_db(slot.end()),
            window_start: to_db(window.start),
            window_end: to_db(window.end),
            time_zone: slot.time_zone.name().to_string(),
            duration_minutes: slot.duration_minutes as i32,
            producer_id: producer.id.clone(),
            language: slot.language.clone(),
            language_pending: choice.language_pending,
            contact: serde_json::to_string(&order.contact).expect("serialises"),
            contact_email_norm: order.contact.email.to_lowercase(),
            company: order.company.clone(),
            site: order.site.clone(),
            meeting: serde_json::to_string(&order.meeting).expect("serialises"),
            event: serde_json::to_string(&order.event).expect("serialises"),
            extensions: serde_json::to_string(&order.extensions).expect("serialises"),
            charges: serde_json::to_string(&charges).expect("serialises"),
            cancellation_policy: serde_json::to_string(policy).expect("serialises"),
            cancellation: None,
            created_at: to_db(now),
            updated_at: to_db(now),
            erased_at: None,
        };
        diesel::insert_into(bookings::table)
            .values(&row)
            .execute(conn)?;
        let event = EventRow {
            id: uuid::Uuid::new_v4().to_string(),
            booking_id: id,
            seq: 1,
            at: to_db(now),
            kind: "created".into(),
            actor: actor.name(),
            old_start: None,
            old_end: None,
            new_start: Some(row.start_at),
            new_end: Some(row.end_at),
            old_producer_id: None,
            new_producer_id: Some(producer.id.clone()),
            detail: staff_override.then(|| json!({"override_lead_time": true}).to_string()),
        };
        diesel::insert_into(booking_events::table)
            .values(&event)
            .execute(conn)?;
        let body = booking_json(
            &row,
            Some(&(producer.name.clone(), producer.email.clone())),
            Some(std::slice::from_ref(&event)),
        );
        if let Some(i) = idem {
            diesel::insert_into(idempotency_keys::table)
                .values((
                    idempotency_keys::key.eq(&i.key),
                    idempotency_keys::request_hash.eq(&i.request_hash),
                    idempotency_keys::response_status.eq(201),
                    idempotency_keys::response_body.eq(body.to_string()),
                    idempotency_keys::created_at.eq(to_db(now)),
                    idempotency_keys::booking_id.eq(Some(&row.id)),
                ))
                .execute(conn)?;
        }
        let assigned = producer.contact();
        email::enqueue(
            conn,
            &row.id,
            vec![
                email::contact_message(Kind::BookingConfirmed, &row, &assigned, None, 0, mail),
                email::producer_message(Kind::ProducerAssigned, &row, &assigned, None, 0, mail),
            ],
        )?;
        Ok(Attempt::Booked(body))
    })?;
    match attempt {
        Attempt::Booked(body) => Ok(Ordered::Created(body)),
        Attempt::Replay { status, body } => Ok(Ordered::Replayed {
            status: status as u16,
            body: serde_json::from_str(&body).map_err(anyhow::Error::from)?,
        }),
        Attempt::NoProducer => {
            let alternatives = find_alternatives(conn, slot, now, staff_override, None, limits)?;
            Err(no_producer(slot, &alternatives))
        }
    }
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
) -> Result<(), ApiError> {
    let norm = email.trim().to_lowercase();
    if let DbConnection::Postgresql(pg) = conn {
        diesel::sql_query("SELECT pg_advisory_xact_lock(hashtext($1))")
            .bind::<diesel::sql_types::Text, _>(&norm)
            .execute(pg)?;
    }
    let day = Duration::hours(24);
    let recent: Vec<NaiveDateTime> = bookings::table
        .filter(bookings::contact_email_norm.eq(&norm))
        .filter(bookings::created_at.gt(to_db(now - day)))
        .select(bookings::created_at)
        .order(bookings::created_at.desc())
        .limit(i64::from(limit))
        .load(conn)?;
    match recent.last() {
        Some(oldest) if recent.len() >= limit as usize => Err(ApiError::TooManyRequests {
            limit: crate::error::Limit::OrdersPerEmail(limit),
            retry_after_secs: (from_db(*oldest) + day - now).num_seconds().max(1) as u64,
        }),
        _ => Ok(()),
    }
}

/// Run `f` in a write transaction; when another writer took the producer (or the
/// reservation number, or the idempotency key) between our read and our write, the
/// database refuses ours and we decide again on fresh data.
fn with_retries<T>(
    conn: &mut DbConnection,
    mut f: impl FnMut(&mut DbConnection) -> Result<T, ApiError>,
) -> Result<T, ApiError> {
    for _ in 0..MAX_ATTEMPTS {
        match db::write_transaction(conn, &mut f) {
            Err(ApiError::Internal(e))
                if e.downcast_ref::<diesel::result::Error>()
                    .is_some_and(retryable) =>
            {
                continue
            }
            other => return other,
        }
    }
    Err(ApiError::refused(
        actix_web::http::StatusCode::CONFLICT,
        "busy_try_again",
        "Too many simultaneous changes",
        "many requests competed for the same producers at once; send the same request again",
    ))
}

fn retryable(e: &diesel::result::Error) -> bool {
    db::is_double_booking(e) || db::is_unique_violation(e) || db::is_transient(e)
}

/// The booking for this reservation number and contact e-mail, with its history. A wrong
/// e-mail and an unknown number look the same.
pub fn lookup(
    conn: &mut DbConnection,
    number: &ReservationNumber,
    email: &str,
) -> Result<Value, ApiError> {
    let row = find_for_contact(conn, number, email)?.ok_or_else(ApiError::booking_not_found)?;
    render_with_history(conn, &row)
}

pub fn find_for_contact(
    conn: &mut DbConnection,
    number: &ReservationNumber,
    email: &str,
) -> Result<Option<BookingRow>, ApiError> {
    Ok(bookings::table
        .filter(bookings::reservation_number.eq(number.as_key()))
        .filter(bookings::contact_email_norm.eq(email.trim().to_lowercase()))
        .select(BookingRow::as_select())
        .first(conn)
        .optional()?)
}

pub fn render_with_history(conn: &mut DbConnection, row: &BookingRow) -> Result<Value, ApiError> {
    let events: Vec<EventRow> = booking_events::table
        .filter(booking_events::booking_id.eq(&row.id))
        .order(booking_events::seq)
        .select(EventRow::as_select())
        .load(conn)?;
    let contacts = producers::contacts(conn, std::slice::from_ref(&row.producer_id))?;
    Ok(booking_json(
        row,
        contacts.get(&row.producer_id),
        Some(&events),
    ))
}

/// A booking found for a change: by number and contact e-mail for a customer, by number
/// alone for staff.
fn find_for_change(
    conn: &mut DbConnection,
    number: &ReservationNumber,
    email: Option<&str>,
    actor: &Actor,
) -> Result<BookingRow, ApiError> {
    let row = match (actor, email) {
        (_, Some(email)) => find_for_contact(conn, number, email)?,
        (Actor::Staff(_) | Actor::Service(_), None) => find_by_number(conn, number)?,
        (Actor::Customer, None) => None,
    };
    row.ok_or_else(ApiError::booking_not_found)
}

pub fn find_by_number(
    conn: &mut DbConnection,
    number: &ReservationNumber,
) -> Result<Option<BookingRow>, ApiError> {
    Ok(bookings::table
        .filter(bookings::reservation_number.eq(number.as_key()))
        .select(BookingRow::as_select())
        .first(conn)
        .optional()?)
}

fn booking_cancelled(row: &BookingRow) -> ApiError {
    ApiError::refused(
        actix_web::http::StatusCode::CONFLICT,
        "booking_cancelled",
        "The booking is cancelled",
        format!(
            "booking {} was cancelled; it cannot be changed or cancelled again. Order anew if you need a producer",
            ReservationNumber::from_key(&row.reservation_number)
        ),
    )
}

fn next_seq(conn: &mut DbConnection, booking_id: &str) -> Result<i32, ApiError> {
    let max: Option<i32> = booking_events::table
        .filter(booking_events::booking_id.eq(booking_id))
        .select(diesel::dsl::max(booking_events::seq))
        .first(conn)?;
    Ok(max.unwrap_or(0) + 1)
}

/// One line of a booking's history.
struct Change<'a> {
    kind: &'a str,
    old: Option<(NaiveDateTime, NaiveDateTime)>,
    new: Option<(NaiveDateTime, NaiveDateTime)>,
    old_producer: Option<String>,
    new_producer: Option<String>,
    detail: Option<Value>,
}

fn record(
    conn: &mut DbConnection,
    booking_id: &str,
    now: DateTime<Utc>,
    actor: &Actor,
    change: Change<'_>,
) -> Result<EventRow, ApiError> {
    let event = EventRow {
        id: uuid::Uuid::new_v4().to_string(),
        booking_id: booking_id.to_string(),
        seq: next_seq(conn, booking_id)?,
        at: to_db(now),
        kind: change.kind.into(),
        actor: actor.name(),
        old_start: change.old.map(|o| o.0),
        old_end: change.old.map(|o| o.1),
        new_start: change.new.map(|n| n.0),
        new_end: change.new.map(|n| n.1),
        old_producer_id: change.old_producer,
        new_producer_id: change.new_producer,
        detail: change.detail.map(|d| d.to_string()),
    };
    diesel::insert_into(booking_events::table)
        .values(&event)
        .execute(conn)?;
    Ok(event)
}

/// A line of history that changes neither time nor producer.
pub fn record_event(
    conn: &mut DbConnection,
    booking_id: &str,
    now: DateTime<Utc>,
    actor: &Actor,
    kind: &str,
    detail: Option<Value>,
) -> Result<(), ApiError> {
    let change = Change {
        kind,
        old: None,
        new: None,
        old_producer: None,
        new_producer: None,
        detail,
    };
    record(conn, booking_id, now, actor, change).map(|_| ())
}

/// What a customer or scheduler asks when moving a booking.
pub struct RescheduleRequest {
    pub number: ReservationNumber,
    pub email: Option<String>,
    pub start: String,
    pub time_zone: Option<Tz>,
    pub override_lead_time: bool,
}

pub struct Rescheduled {
    pub booking: Value,
    pub previous: Value,
}

enum Move {
    Moved(Box<Rescheduled>),
    NoProducer(Box<SlotRequest>, String),
}

/// Move a booking to another start; the duration stays. The booking's own assignment is
/// set aside inside the same transaction, so a small move within its own slot works. The
/// same producer keeps it when free, else another free one takes it.
pub fn reschedule(
    conn: &mut DbConnection,
    req: &RescheduleRequest,
    actor: &Actor,
    mail: &MailConfig,
    now: DateTime<Utc>,
    limits: &Limits,
) -> Result<Rescheduled, ApiError> {
    let staff_override = req.override_lead_time && actor.is_staff();
    let outcome = with_retries(conn, |conn| {
        let row = find_for_change(conn, &req.number, req.email.as_deref(), actor)?;
        if row.status == "cancelled" {
            return Err(booking_cancelled(&row));
        }
        let tz = req.time_zone.unwrap_or_else(|| tz_of(&row));
        let start = crate::domain::local_time::parse_start(&req.start, Some(tz))
            .map_err(|e| ApiError::field("start", e.code(), e.message().to_string()))?;
        let package = Catalogue::get().package(&row.package_id).ok_or_else(|| {
            anyhow::anyhow!("booking {} has unknown package {}", row.id, row.package_id)
        })?;
        let slot = SlotRequest {
            package,
            start,
            time_zone: tz,
            duration_minutes: i64::from(row.duration_minutes),
            language: row.language.clone(),
            override_lead_time: staff_override,
        };
        check_lead_time(&slot, now, staff_override, limits.horizon_days)
            .map_err(|e| ApiError::Validation(vec![e]))?;
        let window = producer_window(slot.start, slot.duration_minutes);
        let Roster { people, engine } = roster_for(conn, &slot, Some(&row.id))?;
        let need = need_of(&slot);
        // Keep the producer when they are still free, for continuity.
        let same = engine
            .iter()
            .position(|p| p.id == row.producer_id && p.serves(need.centre) && p.is_free(&window))
            .map(|index| scheduling::Choice {
                index,
                language_pending: row.language_pending,
            });
        let Some(choice) = same.or_else(|| scheduling::choose(&engine, &need)) else {
            return Ok(Move::NoProducer(Box::new(slot), row.id.clone()));
        };
        let producer = &people[choice.index];
        let old = (row.start_at, row.end_at);
        let new = (to_db(slot.start), to_db(slot.end()));
        diesel::update(bookings::table.find(&row.id))
            .set((
                bookings::start_at.eq(new.0),
                bookings::end_at.eq(new.1),
                bookings::window_start.eq(to_db(window.start)),
                bookings::window_end.eq(to_db(window.end)),
                bookings::time_zone.eq(tz.name()),
                bookings::producer_id.eq(&producer.id),
                bookings::language_pending.eq(choice.language_pending),
                bookings::updated_at.eq(to_db(now)),
            ))
            .execute(conn)?;
        let change = |kind| Change {
            kind,
            old: Some(old),
            new: Some(new),
            old_producer: Some(row.producer_id.clone()),
            new_producer: Some(producer.id.clone()),
            detail: staff_override.then(|| json!({"override_lead_time": true})),
        };
        record(conn, &row.id, now, actor, change("rescheduled"))?;
        if producer.id != row.producer_id {
            record(conn, &row.id, now, actor, change("producer_changed"))?;
        }
        let updated = bookings::table
            .find(&row.id)
            .select(BookingRow::as_select())
            .first(conn)?;
        // Calendar SEQUENCE: one more for each event in the booking's history.
        let sequence = next_seq(conn, &row.id)? - 2;
        let was = Some((from_db(old.0), from_db(old.1)));
        let assigned = producer.contact();
        let mut messages = vec![email::contact_message(
            Kind::BookingRescheduled,
            &updated,
            &assigned,
            was,
            sequence,
            mail,
        )];
        if producer.id == row.producer_id {
            messages.push(email::producer_message(
                Kind::ProducerMoved,
                &updated,
                &assigned,
                was,
                sequence,
                mail,
            ));
        } else {
            if let Some(released) = producers::contact_of(conn, &row.producer_id)? {
                messages.push(email::producer_message(
                    Kind::ProducerReleased,
                    &row,
                    &released,
                    None,
                    sequence,
                    mail,
                ));
            }
            messages.push(email::producer_message(
                Kind::ProducerAssigned,
                &updated,
                &assigned,
                None,
                sequence,
                mail,
            ));
        }
        email::enqueue(conn, &row.id, messages)?;
        let previous = json!({
            "start": format_in(from_db(old.0), tz),
            "end": format_in(from_db(old.1), tz),
            "time_zone": tz.name(),
        });
        Ok(Move::Moved(Box::new(Rescheduled {
            booking: render_with_history(conn, &updated)?,
            previous,
        })))
    })?;
    match outcome {
        Move::Moved(done) => Ok(*done),
        Move::NoProducer(slot, booking_id) => {
            let alternatives =
                find_alternatives(conn, &slot, now, staff_override, Some(&booking_id), limits)?;
            Err(no_producer(&slot, &alternatives))
        }
    }
}

pub struct Cancelled {
    pub booking: Value,
    pub fee: Value,
}

/// Cancel a booking. The fee follows the policy the booking was sold with, from the
/// time left before the start now, on the standard charges. The producer is free at once.
pub fn cancel(
    conn: &mut DbConnection,
    number: &ReservationNumber,
    email: Option<&str>,
    reason: Option<&str>,
    actor: &Actor,
    mail: &MailConfig,
    now: DateTime<Utc>,
) -> Result<Cancelled, ApiError> {
    with_retries(conn, |conn| {
        let row = find_for_change(conn, number, email, actor)?;
        if row.status == "cancelled" {
            return Err(booking_cancelled(&row));
        }
        let rules: Vec<crate::domain::policy::PolicyRule> =
            serde_json::from_str(&row.cancellation_policy).map_err(anyhow::Error::from)?;
        let charges: crate::domain::order::Charges =
            serde_json::from_str(&row.charges).map_err(anyhow::Error::from)?;
        let start = from_db(row.start_at);
        let rule = crate::domain::policy::applicable_rule(&rules, start, now).ok_or_else(|| {
            anyhow::anyhow!("booking {} has an empty cancellation policy", row.id)
        })?;
        let amount = crate::domain::policy::fee(rule, &charges.total);
        let fee = json!({
            "amount": amount,
            "policy_rule": rule.rule,
            "fee_percent": rule.fee_percent,
            "description": rule.description,
            "minutes_before_start": (start - now).num_minutes(),
        });
        let cancellation = json!({
            "cancelled_at": format_in(now, tz_of(&row)),
            "by": actor.name(),
            "reason": reason,
            "fee": fee,
        });
        diesel::update(bookings::table.find(&row.id))
            .set((
                bookings::status.eq("cancelled"),
                bookings::cancellation.eq(Some(cancellation.to_string())),
                bookings::updated_at.eq(to_db(now)),
            ))
            .execute(conn)?;
        let change = Change {
            kind: "cancelled",
            old: Some((row.start_at, row.end_at)),
            new: None,
            old_producer: Some(row.producer_id.clone()),
            new_producer: None,
            detail: Some(json!({"reason": reason, "fee": fee})),
        };
        record(conn, &row.id, now, actor, change)?;
        let updated = bookings::table
            .find(&row.id)
            .select(BookingRow::as_select())
            .first(conn)?;
        let sequence = next_seq(conn, &row.id)? - 2;
        if let Some(released) = producers::contact_of(conn, &row.producer_id)? {
            email::enqueue(
                conn,
                &row.id,
                vec![
                    email::contact_message(
                        Kind::BookingCancelled,
                        &updated,
                        &released,
                        None,
                        sequence,
                        mail,
                    ),
                    email::producer_message(
                        Kind::ProducerReleased,
                        &updated,
                        &released,
                        None,
                        sequence,
                        mail,
                    ),
                ],
            )?;
        }
        Ok(Cancelled {
            booking: render_with_history(conn, &updated)?,
            fee,
        })
    })
}
