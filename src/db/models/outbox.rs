//! The `outbox` table: e-mails to send, written in the same transaction as the change
//! they report, then taken by a worker under a lease, sent, and marked.

use std::time::Duration;

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;

use crate::db::schema::outbox;
use crate::db::{self, to_db, DbConnection};

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = outbox)]
pub struct OutboxRow {
    pub id: String,
    pub booking_id: Option<String>,
    pub kind: String,
    pub recipient: String,
    pub locale: String,
    pub payload: String,
    pub status: String,
    pub attempts: i32,
    pub next_attempt_at: NaiveDateTime,
    pub locked_until: Option<NaiveDateTime>,
    pub last_error: Option<String>,
    pub created_at: NaiveDateTime,
    pub sent_at: Option<NaiveDateTime>,
    /// The `.eml` file a message became, when sent to the outbox folder.
    pub delivered_as: Option<String>,
}

/// A message to send: its kind (a template's name), to whom, in which language, and the
/// view its templates render.
#[derive(Clone)]
pub struct NewMessage {
    pub kind: &'static str,
    pub recipient: String,
    pub locale: String,
    pub payload: serde_json::Value,
}

/// A message whose view is already written out as JSON: made before the write lock, so
/// that the writer, which every write waits for, only inserts it (see `order::place`).
pub struct ReadyMessage {
    pub kind: &'static str,
    pub recipient: String,
    pub locale: String,
    pub payload: String,
}

impl NewMessage {
    pub fn ready(self) -> ReadyMessage {
        ReadyMessage {
            kind: self.kind,
            payload: self.payload.to_string(),
            recipient: self.recipient,
            locale: self.locale,
        }
    }
}

/// Write messages about a booking (inside the caller's transaction), due at once. The
/// outbox runs on real time, the time its worker sends by, whatever the service's clock.
pub fn enqueue(
    conn: &mut DbConnection,
    booking_id: &str,
    messages: &[NewMessage],
) -> QueryResult<()> {
    for m in messages {
        let payload = m.payload.to_string();
        insert(conn, booking_id, m.kind, &m.recipient, &m.locale, &payload)?;
    }
    Ok(())
}

/// `enqueue` for messages made ready beforehand.
pub fn enqueue_ready(
    conn: &mut DbConnection,
    booking_id: &str,
    messages: &[ReadyMessage],
) -> QueryResult<()> {
    for m in messages {
        insert(
            conn,
            booking_id,
            m.kind,
            &m.recipient,
            &m.locale,
            &m.payload,
        )?;
    }
    Ok(())
}

fn insert(
    conn: &mut DbConnection,
    booking_id: &str,
    kind: &str,
    recipient: &str,
    locale: &str,
    payload: &str,
) -> QueryResult<()> {
    let now = to_db(Utc::now());
    diesel::insert_into(outbox::table)
        .values((
            outbox::id.eq(db::new_id()),
            outbox::booking_id.eq(Some(booking_id)),
            outbox::kind.eq(kind),
            outbox::recipient.eq(recipient),
            outbox::locale.eq(locale),
            outbox::payload.eq(payload),
            outbox::status.eq("pending"),
            outbox::attempts.eq(0),
            outbox::next_attempt_at.eq(now),
            outbox::created_at.eq(now),
        ))
        .execute(conn)?;
    Ok(())
}

/// Take up to `limit` due messages and lease them to this worker for `lease`.
pub fn claim(conn: &mut DbConnection, limit: i64, lease: Duration) -> QueryResult<Vec<OutboxRow>> {
    let now = to_db(Utc::now());
    let until = to_db(
        Utc::now() + chrono::Duration::from_std(lease).unwrap_or(chrono::Duration::minutes(2)),
    );
    db::write_transaction(conn, |conn| {
        let due = outbox::table
            .filter(outbox::status.eq("pending"))
            .filter(outbox::next_attempt_at.le(now))
            .filter(
                outbox::locked_until
                    .is_null()
                    .or(outbox::locked_until.lt(now)),
            )
            // Oldest due first, in the order of the `outbox_due` index: the scan stops at
            // `limit` rows however long the queue (ordering by `created_at` sorted the
            // whole backlog on every claim while the sender fell behind).
            .order(outbox::next_attempt_at)
            .limit(limit)
            .select(outbox::id);
        let ids: Vec<String> = match conn {
            DbConnection::Postgresql(pg) => due.for_update().skip_locked().load(pg)?,
            DbConnection::Sqlite(lite) => due.load(lite)?,
        };
        if ids.is_empty() {
            return Ok(vec![]);
        }
        diesel::update(outbox::table.filter(outbox::id.eq_any(&ids)))
            .set(outbox::locked_until.eq(Some(until)))
            .execute(conn)?;
        outbox::table
            .filter(outbox::id.eq_any(&ids))
            .order(outbox::created_at)
            .select(OutboxRow::as_select())
            .load(conn)
    })
}

/// What became of one message.
pub struct Outcome {
    pub id: String,
    pub status: &'static str,
    pub attempts: i32,
    pub error: Option<String>,
    pub next_attempt_at: DateTime<Utc>,
    pub sent_at: Option<DateTime<Utc>>,
    pub delivered_as: Option<String>,
}

/// Record a batch's outcomes in one transaction. A message withdrawn while it was being
/// sent keeps its withdrawn state; the files such messages just became are returned,
/// to be deleted.
pub fn record(conn: &mut DbConnection, outcomes: &[Outcome]) -> QueryResult<Vec<String>> {
    db::write_transaction(conn, |conn| {
        let mut withdrawn = vec![];
        for o in outcomes {
            let updated = diesel::update(
                outbox::table
                    .find(&o.id)
                    .filter(outbox::status.eq("pending")),
            )
            .set((
                outbox::status.eq(o.status),
                outbox::attempts.eq(o.attempts),
                outbox::last_error.eq(&o.error),
                outbox::next_attempt_at.eq(to_db(o.next_attempt_at)),
                outbox::locked_until.eq(None::<NaiveDateTime>),
                outbox::sent_at.eq(o.sent_at.map(to_db)),
                outbox::delivered_as.eq(&o.delivered_as),
            ))
            .execute(conn)?;
            if updated == 0 {
                withdrawn.extend(o.delivered_as.clone());
            }
        }
        Ok(withdrawn)
    })
}

/// Give back messages taken but not sent.
pub fn release(conn: &mut DbConnection, ids: &[String]) -> QueryResult<usize> {
    diesel::update(outbox::table.filter(outbox::id.eq_any(ids)))
        .set(outbox::locked_until.eq(None::<NaiveDateTime>))
        .execute(conn)
}

/// Messages per status.
pub fn counts(conn: &mut DbConnection) -> QueryResult<Vec<(String, i64)>> {
    outbox::table
        .group_by(outbox::status)
        .select((outbox::status, diesel::dsl::count_star()))
        .load(conn)
}

/// The newest messages, of one status or all.
pub fn latest(
    conn: &mut DbConnection,
    status: Option<&str>,
    limit: i64,
) -> QueryResult<Vec<OutboxRow>> {
    let mut query = outbox::table.into_boxed();
    if let Some(s) = status {
        query = query.filter(outbox::status.eq(s.to_string()));
    }
    query
        .order(outbox::created_at.desc())
        .limit(limit)
        .select(OutboxRow::as_select())
        .load(conn)
}

/// Forget what a booking's messages said, withdraw those not yet sent, and name the
/// contact's address no more; returns the files they became.
///
/// On PostgreSQL the messages are locked as they are read: a send recorded meanwhile
/// (its file just written) is then either read here, its file returned, or waits for
/// this transaction and finds its message withdrawn, and deletes its file itself
/// (`record`). Read without the lock, a send committed between the read and the updates
/// below lost its file's name, and the file stayed. SQLite's single writer never
/// interleaves the two.
pub fn erase_for_booking(
    conn: &mut DbConnection,
    booking_id: &str,
    contact_address: &str,
) -> QueryResult<Vec<String>> {
    let query = outbox::table
        .filter(outbox::booking_id.eq(booking_id))
        .select(outbox::delivered_as);
    let files: Vec<Option<String>> = match conn {
        DbConnection::Postgresql(pg) => query.for_update().load(pg)?,
        DbConnection::Sqlite(lite) => query.load(lite)?,
    };
    diesel::update(
        outbox::table
            .filter(outbox::booking_id.eq(booking_id))
            .filter(outbox::status.eq("pending")),
    )
    .set((
        outbox::status.eq("failed"),
        outbox::last_error.eq(Some("withdrawn: the contact's personal data was erased")),
    ))
    .execute(conn)?;
    diesel::update(
        outbox::table
            .filter(outbox::booking_id.eq(booking_id))
            .filter(outbox::recipient.eq(contact_address)),
    )
    .set(outbox::recipient.eq(crate::domain::ERASED))
    .execute(conn)?;
    diesel::update(outbox::table.filter(outbox::booking_id.eq(booking_id)))
        .set((
            outbox::payload.eq("{}"),
            outbox::delivered_as.eq(None::<String>),
        ))
        .execute(conn)?;
    Ok(files.into_iter().flatten().collect())
}
