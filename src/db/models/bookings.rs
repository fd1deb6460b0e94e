//! The `bookings` table: one row a booking, its parts stored as JSON text and read back
//! into their types. A row whose part does not parse is an error naming the booking.

use chrono::{DateTime, Duration, NaiveDateTime, Utc};
use diesel::prelude::*;

use crate::db::schema::bookings;
use crate::db::{from_db, to_db, DbConnection};
use crate::domain::booking::{Booking, BookingStatus, Cancellation};
use crate::domain::order::{Contact, EventInfo, Meeting, MAX_DURATION, PREPARATION_MINUTES};
use crate::domain::reservation_number::ReservationNumber;
use crate::domain::staff::Coordinator;
use crate::scheduling::Interval;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = bookings)]
// Every column bound (None as NULL), none written as DEFAULT (no column has another
// default). Diesel's derive otherwise makes each field optional, even one that is not an
// `Option`, so the statement's text depends on the row: it then writes the SQL out and
// prepares it again on every insert (in the profile, 2.6 % of the server's CPU under
// orders, inside the write lock), where a statement of one text stays prepared.
#[diesel(treat_none_as_default_value = false)]
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
    pub erased_at: Option<NaiveDateTime>,
    pub coordinator_id: Option<String>,
    pub coordinator: Option<String>,
    pub completed_at: Option<NaiveDateTime>,
}

fixed_sql!(bookings;
    /// `bookings.status = 'confirmed'` written into the SQL, not bound: the overlap
    /// queries read a partial index (`WHERE status = 'confirmed'`), and a database that
    /// must check a bound value against the index's condition plans the statement again
    /// whenever the value is bound (SQLite re-prepares it; PostgreSQL cannot use the index
    /// in a generic plan). A fixed fragment with a static query id keeps one prepared
    /// statement per query, cached by diesel.
    pub IsConfirmed: diesel::sql_types::Bool = "bookings.status = 'confirmed'"
);

fixed_sql!(bookings;
    /// The producers of the rows selected, joined by commas, in one row (SQLite): an
    /// aggregate, selected alone.
    ProducerIds: diesel::sql_types::Nullable<diesel::sql_types::Text> =
        "group_concat(bookings.producer_id, ',')"
);

fn json<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_string(v).expect("booking parts serialise")
}

/// How a contact e-mail is compared: trimmed, lower case.
pub fn email_key(email: &str) -> String {
    email.trim().to_lowercase()
}

impl BookingRow {
    /// The row a booking is stored as (its JSON columns written out).
    pub fn of(b: &Booking) -> BookingRow {
        BookingRow {
            id: b.id.clone(),
            reservation_number: b.number.as_key().to_string(),
            status: b.status.as_str().to_string(),
            package_id: b.package_id.clone(),
            start_at: to_db(b.start),
            end_at: to_db(b.end),
            window_start: to_db(b.window_start),
            window_end: to_db(b.window_end),
            time_zone: b.time_zone.name().to_string(),
            duration_minutes: b.duration_minutes as i32,
            producer_id: b.producer_id.clone(),
            language: b.language.clone(),
            language_pending: b.language_pending,
            contact: json(&b.contact),
            // An erased booking answers to no e-mail address.
            contact_email_norm: if b.erased_at.is_some() {
                String::new()
            } else {
                email_key(&b.contact.email)
            },
            company: b.company.clone(),
            site: b.site.clone(),
            meeting: json(&b.meeting),
            event: json(&b.event),
            extensions: json(&b.extensions),
            charges: json(&b.charges),
            cancellation_policy: json(&b.cancellation_policy),
            cancellation: b.cancellation.as_ref().map(json),
            created_at: to_db(b.created_at),
            updated_at: to_db(b.updated_at),
            erased_at: b.erased_at.map(to_db),
            coordinator_id: b.coordinator.as_ref().map(|c| c.id.clone()),
            coordinator: b.coordinator.as_ref().map(json),
            completed_at: b.completed_at.map(to_db),
        }
    }
}

impl TryFrom<BookingRow> for Booking {
    type Error = anyhow::Error;

    fn try_from(r: BookingRow) -> anyhow::Result<Booking> {
        fn part<T: serde::de::DeserializeOwned>(
            id: &str,
            what: &str,
            text: &str,
        ) -> anyhow::Result<T> {
            serde_json::from_str(text)
                .map_err(|e| anyhow::anyhow!("booking {id} has a {what} that does not parse: {e}"))
        }
        let id = r.id.as_str();
        Ok(Booking {
            number: ReservationNumber::from_key(&r.reservation_number),
            status: BookingStatus::parse(&r.status).ok_or_else(|| {
                anyhow::anyhow!("booking {id} has an unknown status {}", r.status)
            })?,
            time_zone: r
                .time_zone
                .parse()
                .map_err(|_| anyhow::anyhow!("booking {id} has an unknown zone {}", r.time_zone))?,
            contact: part::<Contact>(id, "contact", &r.contact)?,
            meeting: part::<Meeting>(id, "meeting", &r.meeting)?,
            event: part::<EventInfo>(id, "event", &r.event)?,
            extensions: part(id, "list of extensions", &r.extensions)?,
            charges: part(id, "charges", &r.charges)?,
            cancellation_policy: part(id, "cancellation policy", &r.cancellation_policy)?,
            cancellation: r
                .cancellation
                .as_deref()
                .map(|c| part::<Cancellation>(id, "cancellation", c))
                .transpose()?,
            package_id: r.package_id,
            start: from_db(r.start_at),
            end: from_db(r.end_at),
            window_start: from_db(r.window_start),
            window_end: from_db(r.window_end),
            duration_minutes: i64::from(r.duration_minutes),
            producer_id: r.producer_id,
            language: r.language,
            language_pending: r.language_pending,
            company: r.company,
            site: r.site,
            created_at: from_db(r.created_at),
            updated_at: from_db(r.updated_at),
            erased_at: r.erased_at.map(from_db),
            completed_at: r.completed_at.map(from_db),
            coordinator: r
                .coordinator
                .as_deref()
                .map(|c| part::<Coordinator>(id, "coordinator", c))
                .transpose()?,
            id: r.id,
        })
    }
}

fn load(rows: Vec<BookingRow>) -> anyhow::Result<Vec<Booking>> {
    rows.into_iter().map(Booking::try_from).collect()
}

pub fn insert(conn: &mut DbConnection, booking: &Booking) -> QueryResult<()> {
    insert_row(conn, &BookingRow::of(booking))
}

/// Insert a booking's row made beforehand (outside the write lock, see `order::place`).
pub fn insert_row(conn: &mut DbConnection, row: &BookingRow) -> QueryResult<()> {
    diesel::insert_into(bookings::table)
        .values(row)
        .execute(conn)
        .map(|_| ())
}

thread_local! {
    /// A booking was saved on this thread since `take_saved` last looked: the write
    /// holding it changed what the fair choice counts (see `Database::write`).
    static SAVED: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Whether a booking was saved on this thread since the last call.
pub(crate) fn take_saved() -> bool {
    SAVED.with(|s| s.replace(false))
}

/// Write every part of a booking back (after a change, a cancellation or an erasure).
pub fn save(conn: &mut DbConnection, booking: &Booking) -> QueryResult<()> {
    SAVED.with(|s| s.set(true));
    let r = BookingRow::of(booking);
    diesel::update(bookings::table.find(&booking.id))
        .set((
            bookings::status.eq(r.status),
            bookings::start_at.eq(r.start_at),
            bookings::end_at.eq(r.end_at),
            bookings::window_start.eq(r.window_start),
            bookings::window_end.eq(r.window_end),
            bookings::time_zone.eq(r.time_zone),
            bookings::producer_id.eq(r.producer_id),
            bookings::language_pending.eq(r.language_pending),
            bookings::contact.eq(r.contact),
            bookings::contact_email_norm.eq(r.contact_email_norm),
            bookings::meeting.eq(r.meeting),
            bookings::event.eq(r.event),
            bookings::cancellation.eq(r.cancellation),
            bookings::updated_at.eq(r.updated_at),
            bookings::erased_at.eq(r.erased_at),
        ))
        .execute(conn)
        .map(|_| ())
}

/// Save what staff may change of an order besides what `save` writes: the package,
/// duration, extensions, charges, company and site (after `save`, in its transaction).
pub fn save_order(conn: &mut DbConnection, booking: &Booking) -> QueryResult<()> {
    let r = BookingRow::of(booking);
    diesel::update(bookings::table.find(&booking.id))
        .set((
            bookings::package_id.eq(r.package_id),
            bookings::duration_minutes.eq(r.duration_minutes),
            bookings::extensions.eq(r.extensions),
            bookings::charges.eq(r.charges),
            bookings::company.eq(r.company),
            bookings::site.eq(r.site),
        ))
        .execute(conn)
        .map(|_| ())
}

pub fn by_number(
    conn: &mut DbConnection,
    number: &ReservationNumber,
) -> anyhow::Result<Option<Booking>> {
    bookings::table
        .filter(bookings::reservation_number.eq(number.as_key()))
        .select(BookingRow::as_select())
        .first(conn)
        .optional()?
        .map(Booking::try_from)
        .transpose()
}

/// The booking with this number ordered with this contact e-mail (in any case).
pub fn for_contact(
    conn: &mut DbConnection,
    number: &ReservationNumber,
    email: &str,
) -> anyhow::Result<Option<Booking>> {
    bookings::table
        .filter(bookings::reservation_number.eq(number.as_key()))
        .filter(bookings::contact_email_norm.eq(email_key(email)))
        .select(BookingRow::as_select())
        .first(conn)
        .optional()?
        .map(Booking::try_from)
        .transpose()
}

pub fn by_ids(conn: &mut DbConnection, ids: &[String]) -> anyhow::Result<Vec<Booking>> {
    load(
        bookings::table
            .filter(bookings::id.eq_any(ids))
            .select(BookingRow::as_select())
            .load(conn)?,
    )
}

/// A booking read for a change in this transaction: on PostgreSQL its row is locked
/// (`FOR UPDATE`), so a concurrent change (an erasure) either comes first and is seen,
/// or waits for this one; SQLite's transactions are serialized already.
pub fn locked(conn: &mut DbConnection, id: &str) -> anyhow::Result<Option<Booking>> {
    let row: Option<BookingRow> = match conn {
        DbConnection::Postgresql(pg) => bookings::table
            .find(id)
            .select(BookingRow::as_select())
            .for_update()
            .first(pg)
            .optional()?,
        DbConnection::Sqlite(lite) => bookings::table
            .find(id)
            .select(BookingRow::as_select())
            .first(lite)
            .optional()?,
    };
    row.map(Booking::try_from).transpose()
}

/// Ids of the bookings ordered with this contact e-mail.
pub fn ids_for_contact(conn: &mut DbConnection, email: &str) -> QueryResult<Vec<String>> {
    bookings::table
        .filter(bookings::contact_email_norm.eq(email_key(email)))
        .select(bookings::id)
        .load(conn)
}

/// Ids of up to `limit` bookings that ended before `cutoff` and still hold personal data.
pub fn ids_ended_before(
    conn: &mut DbConnection,
    cutoff: DateTime<Utc>,
    limit: i64,
) -> QueryResult<Vec<String>> {
    bookings::table
        .filter(bookings::erased_at.is_null())
        .filter(bookings::end_at.lt(to_db(cutoff)))
        .select(bookings::id)
        .limit(limit)
        .load(conn)
}

/// Confirmed bookings that ended by `now` and are not marked completed yet, earliest
/// first, at most `limit`.
pub fn ended_not_completed(
    conn: &mut DbConnection,
    now: DateTime<Utc>,
    limit: i64,
) -> anyhow::Result<Vec<Booking>> {
    load(
        bookings::table
            .filter(IsConfirmed)
            .filter(bookings::completed_at.is_null())
            .filter(bookings::end_at.le(to_db(now)))
            .order(bookings::end_at)
            .limit(limit)
            .select(BookingRow::as_select())
            .load(conn)?,
    )
}

/// Mark a booking completed at `at`, unless it already is (another instance got there
/// first): true when this call marked it.
pub fn mark_completed(conn: &mut DbConnection, id: &str, at: DateTime<Utc>) -> QueryResult<bool> {
    diesel::update(
        bookings::table
            .find(id)
            .filter(bookings::completed_at.is_null()),
    )
    .set(bookings::completed_at.eq(Some(to_db(at))))
    .execute(conn)
    .map(|n| n == 1)
}

/// When this contact e-mail's bookings made after `since` were made, newest first, at
/// most `limit` of them.
pub fn made_since_by(
    conn: &mut DbConnection,
    email: &str,
    since: DateTime<Utc>,
    limit: i64,
) -> QueryResult<Vec<DateTime<Utc>>> {
    Ok(bookings::table
        .filter(bookings::contact_email_norm.eq(email_key(email)))
        .filter(bookings::created_at.gt(to_db(since)))
        .select(bookings::created_at)
        .order(bookings::created_at.desc())
        .limit(limit)
        .load::<NaiveDateTime>(conn)?
        .into_iter()
        .map(from_db)
        .collect())
}

/// No producer window is longer than the longest event plus the preparation, so a window
/// overlapping an instant starts less than that before it. Overlap queries use this as a
/// lower bound on `window_start`, which keeps their index range as short as the range
/// asked for, however long the schedule grows.
pub fn earliest_overlapping_start(t: DateTime<Utc>) -> DateTime<Utc> {
    t - Duration::minutes(MAX_DURATION + PREPARATION_MINUTES)
}

/// The filters of an overlap query: confirmed bookings whose window overlaps `range`,
/// read from the bounded index range (see `earliest_overlapping_start`).
macro_rules! overlapping {
    ($query:expr, $range:expr) => {
        $query
            .filter(IsConfirmed)
            .filter(bookings::window_start.lt(to_db($range.end)))
            .filter(bookings::window_start.gt(to_db(earliest_overlapping_start($range.start))))
            .filter(bookings::window_end.gt(to_db($range.start)))
    };
}

/// Each producer's number of confirmed bookings overlapping `week`, leaving one out.
///
/// On SQLite the producers are read off the covering index range, joined into one row,
/// and counted here: a `GROUP BY` sorts the week's rows (about 2,000 with 500 producers
/// and 200,000 assignments) in a temporary b-tree, four times as long as reading them
/// (1.2 ms against 0.3 ms in the sqlite3 shell). PostgreSQL groups them by hash, and
/// sending one row per producer costs less than one per booking. Orders read it about once every two
/// seconds a week: `roster::RosterCache` keeps the counts between orders.
pub fn loads(
    conn: &mut DbConnection,
    week: Interval,
    set_aside: Option<&str>,
) -> QueryResult<Vec<(String, i64)>> {
    let query =
        overlapping!(bookings::table, week).filter(bookings::id.ne(set_aside.unwrap_or("")));
    if let DbConnection::Sqlite(sqlite) = conn {
        // One row, the producers' ids joined (ids hold no comma): a row a booking cost a
        // step, a string and a hash each (4.5 % of the server's CPU under orders).
        let joined: Option<String> = query.select(ProducerIds).get_result(sqlite)?;
        let mut counts: std::collections::HashMap<&str, i64> = std::collections::HashMap::new();
        for producer in joined
            .as_deref()
            .unwrap_or("")
            .split(',')
            .filter(|p| !p.is_empty())
        {
            *counts.entry(producer).or_default() += 1;
        }
        return Ok(counts
            .into_iter()
            .map(|(p, n)| (p.to_string(), n))
            .collect());
    }
    query
        .group_by(bookings::producer_id)
        .select((bookings::producer_id, diesel::dsl::count_star()))
        .load(conn)
}

/// Confirmed bookings whose window overlaps `range`, optionally of one producer, in
/// order of their windows (at most `limit`).
pub fn in_windows(
    conn: &mut DbConnection,
    range: Interval,
    producer: Option<&str>,
    limit: i64,
) -> anyhow::Result<Vec<Booking>> {
    let mut query = overlapping!(bookings::table, range).into_boxed();
    if let Some(p) = producer {
        query = query.filter(bookings::producer_id.eq(p.to_string()));
    }
    load(
        query
            .order(bookings::window_start)
            .limit(limit)
            .select(BookingRow::as_select())
            .load(conn)?,
    )
}

/// A page of bookings starting in `[from, to)`, with the number of all such bookings.
pub fn page(
    conn: &mut DbConnection,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    status: Option<BookingStatus>,
    page: i64,
    per_page: i64,
) -> anyhow::Result<(i64, Vec<Booking>)> {
    let base = || {
        let mut q = bookings::table
            .filter(bookings::start_at.ge(to_db(from)))
            .filter(bookings::start_at.lt(to_db(to)))
            .into_boxed();
        if let Some(s) = status {
            q = q.filter(bookings::status.eq(s.as_str()));
        }
        q
    };
    let total: i64 = base().count().get_result(conn)?;
    let rows = base()
        .order((bookings::start_at, bookings::id))
        .limit(per_page)
        .offset((page - 1) * per_page)
        .select(BookingRow::as_select())
        .load(conn)?;
    Ok((total, load(rows)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row() -> BookingRow {
        let t = chrono::NaiveDate::from_ymd_opt(2027, 2, 10)
            .unwrap()
            .and_hms_opt(10, 0, 0)
            .unwrap();
        BookingRow {
            id: "b-1".into(),
            reservation_number: "ABCDEFGHJK".into(),
            status: "confirmed".into(),
            package_id: "event-standard".into(),
            start_at: t,
            end_at: t,
            window_start: t,
            window_end: t,
            time_zone: "Europe/Paris".into(),
            duration_minutes: 60,
            producer_id: "p-1".into(),
            language: "en".into(),
            language_pending: false,
            contact: r#"{"first_name":"Ana","last_name":"Souza","phone":"+1 555 010 2000","email":"ana@example.com","locale":"en"}"#.into(),
            contact_email_norm: "ana@example.com".into(),
            company: "Acme".into(),
            site: "acme.webex.com".into(),
            meeting: r#"{"scheduled":true,"host_id":"h","host_email":null,"meeting_number":null}"#.into(),
            event: r#"{"title":"Launch","details":null,"comments":null,"language":"en"}"#.into(),
            extensions: "[]".into(),
            charges: r#"{"lines":[],"total":{"amount_minor":0,"currency":"USD"},"note":""}"#.into(),
            cancellation_policy: "[]".into(),
            cancellation: None,
            created_at: t,
            updated_at: t,
            erased_at: None,
            coordinator_id: None,
            coordinator: None,
            completed_at: None,
        }
    }

    #[test]
    fn stored_parts_are_read_into_their_types() {
        let b = Booking::try_from(row()).unwrap();
        assert_eq!(b.contact.last_name, "Souza");
        assert_eq!(b.meeting.host_id.as_deref(), Some("h"));
        // Rows written before `scheduled_by` existed read as the contact's own meeting.
        assert_eq!(
            b.meeting.scheduled_by,
            crate::domain::order::ScheduledBy::Me
        );
    }

    #[test]
    fn a_part_that_does_not_parse_is_an_error_naming_the_booking() {
        let mut broken = row();
        broken.contact = r#"{"first_name": 7}"#.into();
        let e = Booking::try_from(broken).unwrap_err().to_string();
        assert!(e.contains("booking b-1") && e.contains("contact"), "{e}");
        let mut broken = row();
        broken.cancellation = Some("null-ish".into());
        let e = Booking::try_from(broken).unwrap_err().to_string();
        assert!(
            e.contains("booking b-1") && e.contains("cancellation"),
            "{e}"
        );
    }
}

diesel::define_sql_function!(fn lower(x: diesel::sql_types::Text) -> diesel::sql_types::Text);

/// What the booking desk looks for.
pub enum Search<'a> {
    Number(&'a ReservationNumber),
    /// A contact e-mail, in any case.
    Email(&'a str),
    /// Part of a company's name, in any case.
    Company(&'a str),
    Any,
}

/// Bookings matching `what`, starting in `range` when given, by start (at most `limit`).
pub fn search(
    conn: &mut DbConnection,
    what: Search<'_>,
    range: Option<Interval>,
    limit: i64,
) -> anyhow::Result<Vec<Booking>> {
    let mut query = bookings::table.into_boxed();
    query = match what {
        Search::Number(n) => query.filter(bookings::reservation_number.eq(n.as_key().to_string())),
        Search::Email(e) => query.filter(bookings::contact_email_norm.eq(email_key(e))),
        Search::Company(c) => {
            let escaped: String = c
                .trim()
                .to_lowercase()
                .chars()
                .flat_map(|ch| match ch {
                    '%' | '_' | '\\' => vec!['\\', ch],
                    _ => vec![ch],
                })
                .collect();
            query.filter(
                lower(bookings::company)
                    .like(format!("%{escaped}%"))
                    .escape('\\'),
            )
        }
        Search::Any => query,
    };
    if let Some(r) = range {
        query = query
            .filter(bookings::start_at.ge(to_db(r.start)))
            .filter(bookings::start_at.lt(to_db(r.end)));
    }
    load(
        query
            .order((bookings::start_at, bookings::id))
            .limit(limit)
            .select(BookingRow::as_select())
            .load(conn)?,
    )
}

/// How many bookings each coordinator was given since `since` (who is next in turn).
pub fn coordinator_loads(
    conn: &mut DbConnection,
    since: DateTime<Utc>,
) -> QueryResult<Vec<(Option<String>, i64)>> {
    bookings::table
        .filter(bookings::coordinator_id.is_not_null())
        .filter(bookings::created_at.ge(to_db(since)))
        .group_by(bookings::coordinator_id)
        .select((bookings::coordinator_id, diesel::dsl::count_star()))
        .load(conn)
}
