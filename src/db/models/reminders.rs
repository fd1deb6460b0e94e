//! The `reminders` table: messages due at a time before the event.

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;

use crate::db::schema::reminders;
use crate::db::{to_db, DbConnection};
use crate::domain::reminder::ReminderKind;

#[derive(Insertable)]
#[diesel(table_name = reminders)]
// Every column bound, none written as DEFAULT: one prepared statement (see `BookingRow`).
#[diesel(treat_none_as_default_value = false)]
struct NewReminder<'a> {
    id: String,
    booking_id: &'a str,
    kind: &'a str,
    due_at: NaiveDateTime,
    status: &'static str,
    created_at: NaiveDateTime,
}

/// Schedule reminders for a booking (inside its transaction), in one statement.
pub fn insert(
    conn: &mut DbConnection,
    booking_id: &str,
    due: &[(ReminderKind, DateTime<Utc>)],
    now: DateTime<Utc>,
) -> QueryResult<()> {
    let keyed: Vec<(&str, DateTime<Utc>)> = due.iter().map(|(k, at)| (k.as_str(), *at)).collect();
    insert_keyed(conn, booking_id, &keyed, now)
}

/// Schedule reminders by their kind's text (a preparation session's reminders name
/// their session), in one statement.
pub fn insert_keyed(
    conn: &mut DbConnection,
    booking_id: &str,
    due: &[(&str, DateTime<Utc>)],
    now: DateTime<Utc>,
) -> QueryResult<()> {
    if due.is_empty() {
        return Ok(());
    }
    let rows: Vec<NewReminder> = due
        .iter()
        .map(|(kind, at)| NewReminder {
            id: crate::db::new_id(),
            booking_id,
            kind,
            due_at: to_db(*at),
            status: "scheduled",
            created_at: to_db(now),
        })
        .collect();
    match conn {
        // One multi-row INSERT: one round trip (the connection over both backends has
        // no batch insert).
        DbConnection::Postgresql(pg) => diesel::insert_into(reminders::table)
            .values(rows)
            .execute(pg),
        // A row at a time: in process there is no round trip to save, and a single-row
        // INSERT stays prepared, where a multi-row one is prepared again on every call.
        DbConnection::Sqlite(lite) => {
            for row in &rows {
                diesel::insert_into(reminders::table)
                    .values(row)
                    .execute(lite)?;
            }
            Ok(rows.len())
        }
    }
    .map(|_| ())
}

/// Delete a booking's scheduled reminders of these kinds (those queued are messages
/// already).
pub fn withdraw(
    conn: &mut DbConnection,
    booking_id: &str,
    kinds: &[ReminderKind],
) -> QueryResult<usize> {
    let names: Vec<&str> = kinds.iter().map(|k| k.as_str()).collect();
    withdraw_keyed(conn, booking_id, &names)
}

/// Delete a booking's scheduled reminders whose kind's text is one of `kinds`.
pub fn withdraw_keyed(
    conn: &mut DbConnection,
    booking_id: &str,
    kinds: &[&str],
) -> QueryResult<usize> {
    let names = kinds.to_vec();
    diesel::delete(
        reminders::table
            .filter(reminders::booking_id.eq(booking_id))
            .filter(reminders::status.eq("scheduled"))
            .filter(reminders::kind.eq_any(names)),
    )
    .execute(conn)
}

/// Delete every scheduled reminder of a booking whose kind's text starts with `prefix`
/// (all of them with "").
pub fn withdraw_prefixed(
    conn: &mut DbConnection,
    booking_id: &str,
    prefix: &str,
) -> QueryResult<usize> {
    diesel::delete(
        reminders::table
            .filter(reminders::booking_id.eq(booking_id))
            .filter(reminders::status.eq("scheduled"))
            .filter(reminders::kind.like(format!("{prefix}%"))),
    )
    .execute(conn)
}

/// Scheduled reminders due by `now`, earliest first: (id, booking id, kind).
pub fn due(
    conn: &mut DbConnection,
    now: DateTime<Utc>,
    limit: i64,
) -> QueryResult<Vec<(String, String, String)>> {
    reminders::table
        .filter(reminders::status.eq("scheduled"))
        .filter(reminders::due_at.le(to_db(now)))
        .order(reminders::due_at)
        .limit(limit)
        .select((reminders::id, reminders::booking_id, reminders::kind))
        .load(conn)
}

/// Mark a reminder queued, unless another sweep did: true when this call did.
pub fn mark_queued(conn: &mut DbConnection, id: &str, now: DateTime<Utc>) -> QueryResult<bool> {
    diesel::update(
        reminders::table
            .find(id)
            .filter(reminders::status.eq("scheduled")),
    )
    .set((
        reminders::status.eq("queued"),
        reminders::queued_at.eq(Some(to_db(now))),
    ))
    .execute(conn)
    .map(|n| n == 1)
}
