//! The `time_off` table: periods a producer does not work.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;

use crate::db::schema::time_off;
use crate::db::{from_db, to_db, DbConnection};
use crate::domain::producer::{TimeOff, TimeOffInput};
use crate::scheduling::Interval;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = time_off)]
// Every column bound, none written as DEFAULT: one prepared statement (see `BookingRow`).
#[diesel(treat_none_as_default_value = false)]
struct TimeOffRow {
    id: String,
    producer_id: String,
    start_at: NaiveDateTime,
    end_at: NaiveDateTime,
    reason: Option<String>,
    created_at: NaiveDateTime,
}

impl From<TimeOffRow> for TimeOff {
    fn from(r: TimeOffRow) -> TimeOff {
        TimeOff {
            id: r.id,
            producer_id: r.producer_id,
            start: from_db(r.start_at),
            end: from_db(r.end_at),
            reason: r.reason,
        }
    }
}

/// A producer's time off, earliest first.
pub fn of_producer(conn: &mut DbConnection, producer_id: &str) -> QueryResult<Vec<TimeOff>> {
    Ok(time_off::table
        .filter(time_off::producer_id.eq(producer_id))
        .order(time_off::start_at)
        .select(TimeOffRow::as_select())
        .load(conn)?
        .into_iter()
        .map(TimeOff::from)
        .collect())
}

/// Every producer's time off, by producer, in one query.
pub fn by_producer(conn: &mut DbConnection) -> QueryResult<HashMap<String, Vec<TimeOff>>> {
    let mut by: HashMap<String, Vec<TimeOff>> = HashMap::new();
    for row in time_off::table
        .order(time_off::start_at)
        .select(TimeOffRow::as_select())
        .load(conn)?
    {
        by.entry(row.producer_id.clone())
            .or_default()
            .push(row.into());
    }
    Ok(by)
}

/// Every period of time off, as (producer, stretch): what the roster in memory holds.
pub fn all(conn: &mut DbConnection) -> QueryResult<Vec<(String, Interval)>> {
    Ok(stretches(
        time_off::table
            .select((time_off::producer_id, time_off::start_at, time_off::end_at))
            .load(conn)?,
    ))
}

fn stretches(rows: Vec<(String, NaiveDateTime, NaiveDateTime)>) -> Vec<(String, Interval)> {
    rows.into_iter()
        .map(|(p, s, e)| (p, Interval::new(from_db(s), from_db(e))))
        .collect()
}

/// (producer id, interval) of every time off overlapping `range`.
pub fn overlapping(
    conn: &mut DbConnection,
    range: Interval,
) -> QueryResult<Vec<(String, Interval)>> {
    Ok(stretches(
        time_off::table
            .filter(time_off::start_at.lt(to_db(range.end)))
            .filter(time_off::end_at.gt(to_db(range.start)))
            .select((time_off::producer_id, time_off::start_at, time_off::end_at))
            .load(conn)?,
    ))
}

pub fn insert(
    conn: &mut DbConnection,
    producer_id: &str,
    input: &TimeOffInput,
    now: DateTime<Utc>,
) -> QueryResult<TimeOff> {
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
    Ok(row.into())
}

/// Remove one time off of this producer; how many went (0 or 1).
pub fn delete(conn: &mut DbConnection, producer_id: &str, id: &str) -> QueryResult<usize> {
    diesel::delete(
        time_off::table
            .filter(time_off::id.eq(id))
            .filter(time_off::producer_id.eq(producer_id)),
    )
    .execute(conn)
}
