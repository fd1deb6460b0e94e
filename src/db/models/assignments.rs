//! The `assignments` table: every stretch of a producer's time. A booking's live window
//! (kind `live`, the booking's id) is kept by triggers from `bookings`; preparation
//! sessions (kind = the session's name) are written here. The no-double-booking rule
//! (trigger on SQLite, exclusion constraint on PostgreSQL) lives on this table.

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::connection::DefaultLoadingMode;
use diesel::prelude::*;

use crate::db::key::{Key, StoredTime};
use crate::db::models::bookings::earliest_overlapping_start;
use crate::db::schema::{assignments, bookings};
use crate::db::{from_db, to_db, DbConnection};
use crate::domain::reservation_number::ReservationNumber;
use crate::domain::session::Scheduled;
use crate::scheduling::Interval;

/// The kind of a booking's live window.
pub const LIVE: &str = "live";

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = assignments)]
// Every column bound, none written as DEFAULT: one prepared statement (see `BookingRow`).
#[diesel(treat_none_as_default_value = false)]
struct AssignmentRow {
    id: String,
    booking_id: String,
    kind: String,
    producer_id: String,
    window_start: NaiveDateTime,
    window_end: NaiveDateTime,
    status: String,
    created_at: NaiveDateTime,
}

impl From<AssignmentRow> for Scheduled {
    fn from(r: AssignmentRow) -> Scheduled {
        Scheduled {
            id: r.id,
            booking_id: r.booking_id,
            name: r.kind,
            producer_id: r.producer_id,
            start: from_db(r.window_start),
            end: from_db(r.window_end),
            cancelled: r.status != "confirmed",
        }
    }
}

fixed_sql!(assignments;
    /// `assignments.status = 'confirmed'` written into the SQL (see `bookings::IsConfirmed`).
    IsActive: diesel::sql_types::Bool = "assignments.status = 'confirmed'"
);
fixed_sql!(assignments;
    /// A window's bound as the text SQLite stores it: read as text and parsed by
    /// `db::parse_stored_time`, several times faster than diesel's general timestamp parsing,
    /// which was most of an availability answer's time with a large schedule.
    WindowStartText: diesel::sql_types::Text = "assignments.window_start"
);
fixed_sql!(assignments;
    /// The other bound, as `WindowStartText`.
    WindowEndText: diesel::sql_types::Text = "assignments.window_end"
);
fixed_sql!(assignments;
    /// The roster's version (see `db::roster`), read by the same statement as the
    /// assignments so that an answer costs one statement, not two.
    RosterVersion: diesel::sql_types::BigInt = "(SELECT version FROM roster_version WHERE id = 1)"
);

/// The filters of an overlap query: active assignments overlapping `range`, read from
/// the bounded index range (see `bookings::earliest_overlapping_start`).
macro_rules! overlapping {
    ($query:expr, $range:expr) => {
        $query
            .filter(IsActive)
            .filter(assignments::window_start.lt(to_db($range.end)))
            .filter(assignments::window_start.gt(to_db(earliest_overlapping_start($range.start))))
            .filter(assignments::window_end.gt(to_db($range.start)))
    };
}

/// What `busy_windows` reads: the roster's version as of the same moment (none when no
/// window overlaps), and (assignment id, producer id, window) of each one that does. A
/// live window's assignment id is its booking's.
pub type BusyWindows = (Option<i64>, Vec<(Key, Key, Interval)>);

/// Active assignments (live windows and sessions) overlapping `range`, with the roster's
/// version. Ids are read as `Key`s and SQLite's bounds parsed from the row's text: the
/// rows (hundreds around an order) cost no allocation each.
pub fn busy_windows(conn: &mut DbConnection, range: Interval) -> QueryResult<BusyWindows> {
    type Row = (Key, Key, NaiveDateTime, NaiveDateTime, i64);
    fn gather(rows: impl Iterator<Item = QueryResult<Row>>) -> QueryResult<BusyWindows> {
        let mut version = None;
        let mut windows = Vec::new();
        for row in rows {
            let (a, p, s, e, v) = row?;
            windows.push((a, p, Interval::new(from_db(s), from_db(e))));
            version = Some(v);
        }
        Ok((version, windows))
    }
    match conn {
        DbConnection::Sqlite(sqlite) => gather(
            overlapping!(assignments::table, range)
                .select((
                    assignments::id,
                    assignments::producer_id,
                    WindowStartText,
                    WindowEndText,
                    RosterVersion,
                ))
                .load_iter::<(Key, Key, StoredTime, StoredTime, i64), DefaultLoadingMode>(sqlite)?
                .map(|row| row.map(|(a, p, StoredTime(s), StoredTime(e), v)| (a, p, s, e, v))),
        ),
        DbConnection::Postgresql(pg) => gather(
            overlapping!(assignments::table, range)
                .select((
                    assignments::id,
                    assignments::producer_id,
                    assignments::window_start,
                    assignments::window_end,
                    RosterVersion,
                ))
                .load_iter::<Row, DefaultLoadingMode>(pg)?,
        ),
    }
}

/// A booking's sessions (not its live window), in order of time.
pub fn sessions_of(conn: &mut DbConnection, booking_id: &str) -> QueryResult<Vec<Scheduled>> {
    Ok(assignments::table
        .filter(assignments::booking_id.eq(booking_id))
        .filter(assignments::kind.ne(LIVE))
        .order(assignments::window_start)
        .select(AssignmentRow::as_select())
        .load(conn)?
        .into_iter()
        .map(Scheduled::from)
        .collect())
}

/// Active sessions of any booking overlapping `range`, optionally of one producer, in
/// order of time (the schedule's picture, a producer's day).
pub fn sessions_in(
    conn: &mut DbConnection,
    range: Interval,
    producer: Option<&str>,
) -> QueryResult<Vec<Scheduled>> {
    let mut q = overlapping!(assignments::table, range)
        .filter(assignments::kind.ne(LIVE))
        .order(assignments::window_start)
        .select(AssignmentRow::as_select())
        .into_boxed();
    if let Some(p) = producer {
        q = q.filter(assignments::producer_id.eq(p.to_string()));
    }
    Ok(q.load(conn)?.into_iter().map(Scheduled::from).collect())
}

/// Record a session (its booking's other session of the same name, if any, is removed
/// first). The no-double-booking rule refuses it if the producer is taken.
pub fn put_session(
    conn: &mut DbConnection,
    session: &Scheduled,
    now: DateTime<Utc>,
) -> QueryResult<()> {
    remove_session(conn, &session.booking_id, &session.name)?;
    diesel::insert_into(assignments::table)
        .values(AssignmentRow {
            id: session.id.clone(),
            booking_id: session.booking_id.clone(),
            kind: session.name.clone(),
            producer_id: session.producer_id.clone(),
            window_start: to_db(session.start),
            window_end: to_db(session.end),
            status: "confirmed".into(),
            created_at: to_db(now),
        })
        .execute(conn)?;
    Ok(())
}

/// Remove a booking's session by name; whether there was one.
pub fn remove_session(conn: &mut DbConnection, booking_id: &str, name: &str) -> QueryResult<bool> {
    let n = diesel::delete(
        assignments::table
            .filter(assignments::booking_id.eq(booking_id))
            .filter(assignments::kind.eq(name))
            .filter(assignments::kind.ne(LIVE)),
    )
    .execute(conn)?;
    Ok(n > 0)
}

/// The reservation numbers of these bookings, each once, in the order given.
fn numbers_of(conn: &mut DbConnection, ids: Vec<String>) -> QueryResult<Vec<ReservationNumber>> {
    let mut seen = std::collections::HashSet::new();
    let ids: Vec<String> = ids
        .into_iter()
        .filter(|id| seen.insert(id.clone()))
        .collect();
    let mut keys: Vec<(String, String)> = bookings::table
        .filter(bookings::id.eq_any(&ids))
        .select((bookings::id, bookings::reservation_number))
        .load(conn)?;
    keys.sort_by_key(|(id, _)| ids.iter().position(|i| i == id));
    Ok(keys
        .iter()
        .map(|(_, k)| ReservationNumber::from_key(k))
        .collect())
}

/// Numbers of the bookings that still need this producer (a live window or a session
/// not yet over).
pub fn upcoming_numbers_of(
    conn: &mut DbConnection,
    producer_id: &str,
    now: DateTime<Utc>,
) -> QueryResult<Vec<ReservationNumber>> {
    let ids = assignments::table
        .filter(assignments::producer_id.eq(producer_id))
        .filter(IsActive)
        .filter(assignments::window_end.gt(to_db(now)))
        .order(assignments::window_start)
        .select(assignments::booking_id)
        .load(conn)?;
    numbers_of(conn, ids)
}

/// Numbers of the bookings with a live window or session of this producer overlapping
/// `range`.
pub fn numbers_overlapping(
    conn: &mut DbConnection,
    producer_id: &str,
    range: Interval,
) -> QueryResult<Vec<ReservationNumber>> {
    let ids = overlapping!(assignments::table, range)
        .filter(assignments::producer_id.eq(producer_id))
        .order(assignments::window_start)
        .select(assignments::booking_id)
        .load(conn)?;
    numbers_of(conn, ids)
}
