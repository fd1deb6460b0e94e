//! Producers and their time off.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDateTime, Utc};
use chrono_tz::Tz;
use diesel::prelude::*;
use serde_json::{json, Value};

use super::schema::{bookings, producers, time_off};
use super::{from_db, to_db, DbConnection};
use crate::domain::catalogue::Centre;
use crate::domain::producer::{ProducerInput, TimeOffInput, WorkingSpan};
use crate::scheduling::{self, Interval};

#[derive(Debug, Clone, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = producers)]
pub struct ProducerRow {
    pub id: String,
    pub name: String,
    pub email: String,
    pub time_zone: String,
    pub languages: String,
    pub centres: String,
    pub working_hours: String,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub deleted_at: Option<NaiveDateTime>,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = time_off)]
pub struct TimeOffRow {
    pub id: String,
    pub producer_id: String,
    pub start_at: NaiveDateTime,
    pub end_at: NaiveDateTime,
    pub reason: Option<String>,
    pub created_at: NaiveDateTime,
}

/// A producer as read back: parsed columns.
#[derive(Debug, Clone)]
pub struct Producer {
    pub id: String,
    pub name: String,
    pub email: String,
    pub time_zone: Tz,
    pub languages: Vec<String>,
    pub centres: Vec<Centre>,
    pub working_hours: Vec<WorkingSpan>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl TryFrom<ProducerRow> for Producer {
    type Error = anyhow::Error;

    fn try_from(r: ProducerRow) -> anyhow::Result<Producer> {
        Ok(Producer {
            time_zone: r
                .time_zone
                .parse()
                .map_err(|_| anyhow::anyhow!("producer {}: bad zone {}", r.id, r.time_zone))?,
            languages: serde_json::from_str(&r.languages)?,
            centres: serde_json::from_str(&r.centres)?,
            working_hours: serde_json::from_str(&r.working_hours)?,
            id: r.id,
            name: r.name,
            email: r.email,
            created_at: from_db(r.created_at),
            updated_at: from_db(r.updated_at),
        })
    }
}

impl Producer {
    pub fn to_json(&self, time_off: &[TimeOffRow]) -> Value {
        json!({
            "id": self.id,
            "name": self.name,
            "email": self.email,
            "time_zone": self.time_zone.name(),
            "languages": self.languages,
            "centres": self.centres,
            "working_hours": self.working_hours,
            "time_off": time_off.iter().map(|t| time_off_json(t, self.time_zone)).collect::<Vec<_>>(),
            "created_at": crate::domain::local_time::format_in(self.created_at, chrono_tz::UTC),
            "updated_at": crate::domain::local_time::format_in(self.updated_at, chrono_tz::UTC),
        })
    }
}

pub fn time_off_json(t: &TimeOffRow, tz: Tz) -> Value {
    json!({
        "id": t.id,
        "start": crate::domain::local_time::format_in(from_db(t.start_at), tz),
        "end": crate::domain::local_time::format_in(from_db(t.end_at), tz),
        "reason": t.reason,
    })
}

fn row_from_input(
    id: String,
    input: &ProducerInput,
    created: DateTime<Utc>,
    now: DateTime<Utc>,
) -> ProducerRow {
    ProducerRow {
        id,
        name: input.name.clone(),
        email: input.email.clone(),
        time_zone: input.time_zone.name().to_string(),
        languages: serde_json::to_string(&input.languages).expect("strings serialise"),
        centres: serde_json::to_string(&input.centres).expect("enums serialise"),
        working_hours: serde_json::to_string(&input.working_hours).expect("spans serialise"),
        created_at: to_db(created),
        updated_at: to_db(now),
        deleted_at: None,
    }
}

pub fn insert(
    conn: &mut DbConnection,
    input: &ProducerInput,
    now: DateTime<Utc>,
) -> anyhow::Result<Producer> {
    let row = row_from_input(uuid::Uuid::new_v4().to_string(), input, now, now);
    diesel::insert_into(producers::table)
        .values(&row)
        .execute(conn)?;
    Producer::try_from(row)
}

pub fn count_all(conn: &mut DbConnection) -> QueryResult<i64> {
    producers::table.count().get_result(conn)
}

pub fn list(conn: &mut DbConnection) -> anyhow::Result<Vec<Producer>> {
    producers::table
        .filter(producers::deleted_at.is_null())
        .order((producers::name, producers::id))
        .select(ProducerRow::as_select())
        .load(conn)?
        .into_iter()
        .map(Producer::try_from)
        .collect()
}

pub fn find(conn: &mut DbConnection, id: &str) -> anyhow::Result<Option<Producer>> {
    producers::table
        .filter(producers::id.eq(id))
        .filter(producers::deleted_at.is_null())
        .select(ProducerRow::as_select())
        .first(conn)
        .optional()?
        .map(Producer::try_from)
        .transpose()
}

/// Names and e-mails of producers by id, deleted ones included (old bookings name them).
pub fn contacts(
    conn: &mut DbConnection,
    ids: &[String],
) -> QueryResult<HashMap<String, (String, String)>> {
    Ok(producers::table
        .filter(producers::id.eq_any(ids))
        .select((producers::id, producers::name, producers::email))
        .load::<(String, String, String)>(conn)?
        .into_iter()
        .map(|(id, name, email)| (id, (name, email)))
        .collect())
}

/// A producer as e-mails name them, deleted ones included.
pub fn contact_of(
    conn: &mut DbConnection,
    id: &str,
) -> anyhow::Result<Option<crate::email::ProducerContact>> {
    producers::table
        .find(id)
        .select(ProducerRow::as_select())
        .first(conn)
        .optional()?
        .map(Producer::try_from)
        .transpose()
        .map(|p| p.map(|p| p.contact()))
}

impl Producer {
    pub fn contact(&self) -> crate::email::ProducerContact {
        crate::email::ProducerContact {
            id: self.id.clone(),
            name: self.name.clone(),
            email: self.email.clone(),
            time_zone: self.time_zone,
        }
    }
}

pub fn update(
    conn: &mut DbConnection,
    existing: &Producer,
    input: &ProducerInput,
    now: DateTime<Utc>,
) -> anyhow::Result<Producer> {
    let row = row_from_input(existing.id.clone(), input, existing.created_at, now);
    diesel::update(producers::table.find(&existing.id))
        .set(&row)
        .execute(conn)?;
    Producer::try_from(row)
}

/// Confirmed bookings of this producer that have not ended yet.
pub fn upcoming_booking_numbers(
    conn: &mut DbConnection,
    id: &str,
    now: DateTime<Utc>,
) -> QueryResult<Vec<String>> {
    bookings::table
        .filter(bookings::producer_id.eq(id))
        .filter(bookings::status.eq("confirmed"))
        .filter(bookings::window_end.gt(to_db(now)))
        .order(bookings::start_at)
        .select(bookings::reservation_number)
        .load(conn)
}

pub fn soft_delete(conn: &mut DbConnection, id: &str, now: DateTime<Utc>) -> QueryResult<usize> {
    diesel::update(producers::table.find(id))
        .set((
            producers::deleted_at.eq(Some(to_db(now))),
            producers::updated_at.eq(to_db(now)),
        ))
        .execute(conn)
}

pub fn time_off_of(conn: &mut DbConnection, producer_id: &str) -> QueryResult<Vec<TimeOffRow>> {
    time_off::table
        .filter(time_off::producer_id.eq(producer_id))
        .order(time_off::start_at)
        .select(TimeOffRow::as_select())
        .load(conn)
}

/// No producer window is longer than the longest event plus the preparation, so a window
/// overlapping an instant starts less than that before it. Overlap queries use this as a
/// lower bound on `window_start`, which keeps their index range as short as the range
/// asked for, however long the schedule grows.
pub fn earliest_overlapping_start(t: DateTime<Utc>) -> DateTime<Utc> {
    t - chrono::Duration::minutes(
        crate::domain::order::MAX_DURATION + crate::domain::order::PREPARATION_MINUTES,
    )
}

/// Every producer's time off, by producer, in one query.
pub fn all_time_off(conn: &mut DbConnection) -> QueryResult<HashMap<String, Vec<TimeOffRow>>> {
    let mut by: HashMap<String, Vec<TimeOffRow>> = HashMap::new();
    for row in time_off::table
        .order(time_off::start_at)
        .select(TimeOffRow::as_select())
        .load(conn)?
    {
        by.entry(row.producer_id.clone()).or_default().push(row);
    }
    Ok(by)
}

/// Confirmed bookings of this producer whose window overlaps `range`.
pub fn bookings_overlapping(
    conn: &mut DbConnection,
    producer_id: &str,
    range: Interval,
) -> QueryResult<Vec<String>> {
    bookings::table
        .filter(bookings::producer_id.eq(producer_id))
        .filter(bookings::status.eq("confirmed"))
        .filter(bookings::window_start.lt(to_db(range.end)))
        .filter(bookings::window_start.gt(to_db(earliest_overlapping_start(range.start))))
        .filter(bookings::window_end.gt(to_db(range.start)))
        .order(bookings::start_at)
        .select(bookings::reservation_number)
        .load(conn)
}

pub fn insert_time_off(
    conn: &mut DbConnection,
    producer_id: &str,
    input: &TimeOffInput,
    now: DateTime<Utc>,
) -> QueryResult<TimeOffRow> {
    let row = TimeOffRow {
        id: uuid::Uuid::new_v4().to_string(),
        producer_id: producer_id.to_string(),
        start_at: to_db(input.start),
        end_at: to_db(input.end),
        reason: input.reason.clone(),
        created_at: to_db(now),
    };
    diesel::insert_into(time_off::table)
        .values(&row)
        .execute(conn)?;
    Ok(row)
}

pub fn delete_time_off(conn: &mut DbConnection, producer_id: &str, id: &str) -> QueryResult<usize> {
    diesel::delete(
        time_off::table
            .filter(time_off::id.eq(id))
            .filter(time_off::producer_id.eq(producer_id)),
    )
    .execute(conn)
}

/// Everything the engine needs about the roster around `range`, in at most four
/// queries whatever the roster's size: producers, their time off and their assignments
/// overlapping `range`, and, when `week` is given, each one's number of assignments in
/// that week (counted by the database). `set_aside` leaves one booking out (a booking
/// being moved).
pub fn load_roster(
    conn: &mut DbConnection,
    range: Interval,
    week: Option<Interval>,
    set_aside: Option<&str>,
) -> anyhow::Result<Roster> {
    let people = list(conn)?;
    let offs: Vec<(String, NaiveDateTime, NaiveDateTime)> = time_off::table
        .filter(time_off::start_at.lt(to_db(range.end)))
        .filter(time_off::end_at.gt(to_db(range.start)))
        .select((time_off::producer_id, time_off::start_at, time_off::end_at))
        .load(conn)?;
    let busy: Vec<(String, String, NaiveDateTime, NaiveDateTime)> = bookings::table
        .filter(bookings::status.eq("confirmed"))
        .filter(bookings::window_start.lt(to_db(range.end)))
        .filter(bookings::window_start.gt(to_db(earliest_overlapping_start(range.start))))
        .filter(bookings::window_end.gt(to_db(range.start)))
        .select((
            bookings::id,
            bookings::producer_id,
            bookings::window_start,
            bookings::window_end,
        ))
        .load(conn)?;
    let mut loads: HashMap<String, i64> = HashMap::new();
    if let Some(week) = week {
        let counted: Vec<(String, i64)> = bookings::table
            .filter(bookings::status.eq("confirmed"))
            .filter(bookings::window_start.lt(to_db(week.end)))
            .filter(bookings::window_start.gt(to_db(earliest_overlapping_start(week.start))))
            .filter(bookings::window_end.gt(to_db(week.start)))
            .filter(bookings::id.ne(set_aside.unwrap_or("")))
            .group_by(bookings::producer_id)
            .select((bookings::producer_id, diesel::dsl::count_star()))
            .load(conn)?;
        loads.extend(counted);
    }
    let mut offs_by: HashMap<String, Vec<Interval>> = HashMap::new();
    for (pid, s, e) in offs {
        offs_by
            .entry(pid)
            .or_default()
            .push(Interval::new(from_db(s), from_db(e)));
    }
    let mut busy_by: HashMap<String, Vec<Interval>> = HashMap::new();
    for (bid, pid, s, e) in busy {
        if Some(bid.as_str()) != set_aside {
            busy_by
                .entry(pid)
                .or_default()
                .push(Interval::new(from_db(s), from_db(e)));
        }
    }
    let engine = people
        .iter()
        .map(|p| {
            scheduling::Producer::new(
                p.id.clone(),
                p.time_zone,
                p.languages.clone(),
                p.centres.clone(),
                &p.working_hours,
                offs_by.remove(&p.id).unwrap_or_default(),
                busy_by.remove(&p.id).unwrap_or_default(),
            )
            .with_load(loads.get(&p.id).copied().unwrap_or(0) as usize)
        })
        .collect();
    Ok(Roster { people, engine })
}

/// The roster twice over: as stored (names, e-mails) and as the engine sees it, in the
/// same order.
pub struct Roster {
    pub people: Vec<Producer>,
    pub engine: Vec<scheduling::Producer>,
}
