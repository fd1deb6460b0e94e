//! The `booking_events` table: each booking's history, numbered from 1.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::schema::booking_events;
use crate::db::{from_db, to_db, DbConnection};
use crate::domain::booking::{EventDetail, EventKind, HistoryEvent};

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = booking_events)]
// Every column bound, none written as DEFAULT: one prepared statement (see `BookingRow`).
#[diesel(treat_none_as_default_value = false)]
struct EventRow {
    id: String,
    booking_id: String,
    /// 1 for the first event of a booking, then 2, 3…: the order of its history.
    seq: i32,
    at: NaiveDateTime,
    kind: String,
    actor: String,
    old_start: Option<NaiveDateTime>,
    old_end: Option<NaiveDateTime>,
    new_start: Option<NaiveDateTime>,
    new_end: Option<NaiveDateTime>,
    old_producer_id: Option<String>,
    new_producer_id: Option<String>,
    detail: Option<String>,
}

impl TryFrom<EventRow> for HistoryEvent {
    type Error = anyhow::Error;

    fn try_from(r: EventRow) -> anyhow::Result<HistoryEvent> {
        let pair = |s: Option<NaiveDateTime>, e: Option<NaiveDateTime>| {
            s.zip(e).map(|(s, e)| (from_db(s), from_db(e)))
        };
        Ok(HistoryEvent {
            at: from_db(r.at),
            kind: EventKind::parse(&r.kind).ok_or_else(|| {
                anyhow::anyhow!(
                    "booking {} has a history event of unknown kind {}",
                    r.booking_id,
                    r.kind
                )
            })?,
            old: pair(r.old_start, r.old_end),
            new: pair(r.new_start, r.new_end),
            detail: r
                .detail
                .as_deref()
                .map(serde_json::from_str::<EventDetail>)
                .transpose()
                .map_err(|e| {
                    anyhow::anyhow!(
                        "booking {} has a history detail that does not parse: {e}",
                        r.booking_id
                    )
                })?,
            actor: r.actor,
            old_producer_id: r.old_producer_id,
            new_producer_id: r.new_producer_id,
        })
    }
}

/// The number the booking's next event takes.
pub fn next_seq(conn: &mut DbConnection, booking_id: &str) -> QueryResult<i32> {
    let max: Option<i32> = booking_events::table
        .filter(booking_events::booking_id.eq(booking_id))
        .select(diesel::dsl::max(booking_events::seq))
        .first(conn)?;
    Ok(max.unwrap_or(0) + 1)
}

/// Add a line to a booking's history. `first` says it is the booking's first line (no
/// query for the number).
pub fn record(
    conn: &mut DbConnection,
    booking_id: &str,
    event: &HistoryEvent,
    first: bool,
) -> QueryResult<()> {
    let seq = if first {
        1
    } else {
        next_seq(conn, booking_id)?
    };
    let row = EventRow {
        id: crate::db::new_id(),
        booking_id: booking_id.to_string(),
        seq,
        at: to_db(event.at),
        kind: event.kind.as_str().to_string(),
        actor: event.actor.clone(),
        old_start: event.old.map(|o| to_db(o.0)),
        old_end: event.old.map(|o| to_db(o.1)),
        new_start: event.new.map(|n| to_db(n.0)),
        new_end: event.new.map(|n| to_db(n.1)),
        old_producer_id: event.old_producer_id.clone(),
        new_producer_id: event.new_producer_id.clone(),
        detail: event
            .detail
            .as_ref()
            .filter(|d| !d.is_empty())
            .map(|d| serde_json::to_string(d).expect("details serialise")),
    };
    diesel::insert_into(booking_events::table)
        .values(&row)
        .execute(conn)
        .map(|_| ())
}

/// A booking's history, in order.
pub fn history(conn: &mut DbConnection, booking_id: &str) -> anyhow::Result<Vec<HistoryEvent>> {
    booking_events::table
        .filter(booking_events::booking_id.eq(booking_id))
        .order(booking_events::seq)
        .select(EventRow::as_select())
        .load(conn)?
        .into_iter()
        .map(HistoryEvent::try_from)
        .collect()
}

/// Forget the reasons given in a booking's history (they are the customer's words).
pub fn erase_reasons(conn: &mut DbConnection, booking_id: &str) -> anyhow::Result<()> {
    let rows: Vec<(String, Option<String>)> = booking_events::table
        .filter(booking_events::booking_id.eq(booking_id))
        .filter(booking_events::detail.is_not_null())
        .select((booking_events::id, booking_events::detail))
        .load(conn)?;
    for (id, detail) in rows {
        let Some(text) = detail else { continue };
        let mut detail: EventDetail = serde_json::from_str(&text).map_err(|e| {
            anyhow::anyhow!("booking {booking_id} has a history detail that does not parse: {e}")
        })?;
        if detail.reason.take().is_some() {
            diesel::update(booking_events::table.find(&id))
                .set(booking_events::detail.eq(serde_json::to_string(&detail).ok()))
                .execute(conn)?;
        }
    }
    Ok(())
}

/// When the booking was last changed by the customer's own hand or staff's, for the
/// calendar's SEQUENCE: one more at each line of history after the first.
pub fn sequence(conn: &mut DbConnection, booking_id: &str) -> QueryResult<i32> {
    Ok(next_seq(conn, booking_id)? - 2)
}
