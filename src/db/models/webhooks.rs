//! The `webhooks`, `webhook_deliveries` and `webhook_attempts` tables: endpoints, each
//! event's delivery to each endpoint (written in the change's own transaction), and
//! every attempt to send it.

use std::time::Duration;

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;

use crate::db::schema::{webhook_attempts, webhook_deliveries, webhooks};
use crate::db::{self, from_db, to_db, DbConnection};
use crate::domain::webhook::{Endpoint, EventType};

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = webhooks)]
// Every column bound, none written as DEFAULT: one prepared statement (see `BookingRow`).
#[diesel(treat_none_as_default_value = false)]
struct WebhookRow {
    id: String,
    url: String,
    events: String,
    secret: String,
    created_at: NaiveDateTime,
    created_by: String,
}

impl TryFrom<WebhookRow> for Endpoint {
    type Error = anyhow::Error;

    fn try_from(r: WebhookRow) -> anyhow::Result<Endpoint> {
        let names: Vec<String> = serde_json::from_str(&r.events)?;
        Ok(Endpoint {
            events: names
                .iter()
                .map(|n| {
                    EventType::parse(n)
                        .ok_or_else(|| anyhow::anyhow!("webhook {}: unknown event {n}", r.id))
                })
                .collect::<anyhow::Result<_>>()?,
            id: r.id,
            url: r.url,
            created_at: from_db(r.created_at),
            created_by: r.created_by,
        })
    }
}

/// Register an endpoint with its signing secret.
pub fn insert(conn: &mut DbConnection, endpoint: &Endpoint, secret: &str) -> anyhow::Result<()> {
    let names: Vec<&str> = endpoint.events.iter().map(|e| e.as_str()).collect();
    diesel::insert_into(webhooks::table)
        .values(WebhookRow {
            id: endpoint.id.clone(),
            url: endpoint.url.clone(),
            events: serde_json::to_string(&names)?,
            secret: secret.to_string(),
            created_at: to_db(endpoint.created_at),
            created_by: endpoint.created_by.clone(),
        })
        .execute(conn)?;
    Ok(())
}

/// Every endpoint, oldest first.
pub fn list(conn: &mut DbConnection) -> anyhow::Result<Vec<Endpoint>> {
    webhooks::table
        .order((webhooks::created_at, webhooks::id))
        .select(WebhookRow::as_select())
        .load(conn)?
        .into_iter()
        .map(Endpoint::try_from)
        .collect()
}

pub fn find(conn: &mut DbConnection, id: &str) -> anyhow::Result<Option<Endpoint>> {
    webhooks::table
        .find(id)
        .select(WebhookRow::as_select())
        .first(conn)
        .optional()?
        .map(Endpoint::try_from)
        .transpose()
}

/// Remove an endpoint with its deliveries and their attempts; false when there was none.
pub fn delete(conn: &mut DbConnection, id: &str) -> QueryResult<bool> {
    let deliveries = webhook_deliveries::table
        .filter(webhook_deliveries::webhook_id.eq(id))
        .select(webhook_deliveries::id);
    diesel::delete(
        webhook_attempts::table.filter(webhook_attempts::delivery_id.eq_any(deliveries)),
    )
    .execute(conn)?;
    diesel::delete(webhook_deliveries::table.filter(webhook_deliveries::webhook_id.eq(id)))
        .execute(conn)?;
    Ok(diesel::delete(webhooks::table.find(id)).execute(conn)? > 0)
}

/// The endpoints that asked for `event`: (id, events as stored). The table is small (a
/// few endpoints); the filter on the event is done by the caller.
pub fn subscribed(conn: &mut DbConnection, event: EventType) -> anyhow::Result<Vec<String>> {
    let rows: Vec<(String, String)> = webhooks::table
        .select((webhooks::id, webhooks::events))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .filter(|(_, events)| {
            serde_json::from_str::<Vec<String>>(events)
                .is_ok_and(|names| names.iter().any(|n| n == event.as_str()))
        })
        .map(|(id, _)| id)
        .collect())
}

/// Queue one event for one endpoint, after the endpoint's earlier events about the same
/// booking (inside the caller's transaction, which holds the booking's row, so two
/// changes of one booking never take the same place).
pub fn enqueue(
    conn: &mut DbConnection,
    webhook_id: &str,
    booking_id: &str,
    event: EventType,
    body: &str,
    now: DateTime<Utc>,
) -> QueryResult<String> {
    let last: Option<i32> = webhook_deliveries::table
        .filter(webhook_deliveries::webhook_id.eq(webhook_id))
        .filter(webhook_deliveries::booking_id.eq(booking_id))
        .select(diesel::dsl::max(webhook_deliveries::seq))
        .first(conn)?;
    let id = format!("msg_{}", uuid::Uuid::new_v4().simple());
    diesel::insert_into(webhook_deliveries::table)
        .values((
            webhook_deliveries::id.eq(&id),
            webhook_deliveries::webhook_id.eq(webhook_id),
            webhook_deliveries::booking_id.eq(booking_id),
            webhook_deliveries::seq.eq(last.unwrap_or(0) + 1),
            webhook_deliveries::event_type.eq(event.as_str()),
            webhook_deliveries::body.eq(body),
            webhook_deliveries::status.eq("pending"),
            webhook_deliveries::attempts.eq(0),
            webhook_deliveries::next_attempt_at.eq(to_db(now)),
            webhook_deliveries::created_at.eq(to_db(now)),
        ))
        .execute(conn)?;
    Ok(id)
}

/// A delivery to make: where, signed with what, and what to send.
#[derive(Debug, Clone, Queryable)]
pub struct Due {
    pub id: String,
    pub url: String,
    pub secret: String,
    pub body: String,
    pub attempts: i32,
}

/// Take up to `limit` due deliveries and lease them for `lease`. A delivery waits while
/// an earlier one of the same endpoint about the same booking is pending, so a receiver
/// gets each booking's events in order, even after being down.
pub fn claim(conn: &mut DbConnection, limit: i64, lease: Duration) -> QueryResult<Vec<Due>> {
    let now = Utc::now();
    let until = now + chrono::Duration::from_std(lease).unwrap_or(chrono::Duration::minutes(2));
    let (now, until) = (to_db(now), to_db(until));
    db::write_transaction(conn, |conn| {
        let earlier = diesel::alias!(webhook_deliveries as earlier);
        let due = webhook_deliveries::table
            .filter(webhook_deliveries::status.eq("pending"))
            .filter(webhook_deliveries::next_attempt_at.le(now))
            .filter(
                webhook_deliveries::locked_until
                    .is_null()
                    .or(webhook_deliveries::locked_until.lt(now)),
            )
            .filter(diesel::dsl::not(diesel::dsl::exists(
                earlier
                    .filter(
                        earlier
                            .field(webhook_deliveries::webhook_id)
                            .eq(webhook_deliveries::webhook_id),
                    )
                    .filter(
                        earlier
                            .field(webhook_deliveries::booking_id)
                            .eq(webhook_deliveries::booking_id),
                    )
                    .filter(earlier.field(webhook_deliveries::status).eq("pending"))
                    .filter(
                        earlier
                            .field(webhook_deliveries::seq)
                            .lt(webhook_deliveries::seq),
                    ),
            )))
            .order(webhook_deliveries::created_at)
            .limit(limit)
            .select(webhook_deliveries::id);
        let ids: Vec<String> = match conn {
            DbConnection::Postgresql(pg) => due.for_update().skip_locked().load(pg)?,
            DbConnection::Sqlite(lite) => due.load(lite)?,
        };
        if ids.is_empty() {
            return Ok(vec![]);
        }
        diesel::update(webhook_deliveries::table.filter(webhook_deliveries::id.eq_any(&ids)))
            .set(webhook_deliveries::locked_until.eq(Some(until)))
            .execute(conn)?;
        webhook_deliveries::table
            .inner_join(webhooks::table)
            .filter(webhook_deliveries::id.eq_any(&ids))
            .order(webhook_deliveries::created_at)
            .select((
                webhook_deliveries::id,
                webhooks::url,
                webhooks::secret,
                webhook_deliveries::body,
                webhook_deliveries::attempts,
            ))
            .load(conn)
    })
}

/// One attempt and what becomes of its delivery.
#[derive(Debug, Clone)]
pub struct Attempt {
    pub delivery_id: String,
    /// Counted from 1.
    pub attempt: i32,
    pub at: DateTime<Utc>,
    pub status_code: Option<i32>,
    pub error: Option<String>,
    pub duration_ms: i32,
    /// pending (to retry at `next_attempt_at`), delivered or failed.
    pub status: &'static str,
    pub next_attempt_at: DateTime<Utc>,
}

/// Record a batch of attempts in one transaction. A delivery withdrawn meanwhile (its
/// endpoint removed, its contact erased) stays as it is.
pub fn record(conn: &mut DbConnection, attempts: &[Attempt]) -> QueryResult<()> {
    db::write_transaction(conn, |conn| {
        for a in attempts {
            let updated = diesel::update(
                webhook_deliveries::table
                    .find(&a.delivery_id)
                    .filter(webhook_deliveries::status.eq("pending")),
            )
            .set((
                webhook_deliveries::status.eq(a.status),
                webhook_deliveries::attempts.eq(a.attempt),
                webhook_deliveries::last_status.eq(a.status_code),
                webhook_deliveries::last_error.eq(&a.error),
                webhook_deliveries::next_attempt_at.eq(to_db(a.next_attempt_at)),
                webhook_deliveries::locked_until.eq(None::<NaiveDateTime>),
                webhook_deliveries::delivered_at.eq((a.status == "delivered").then(|| to_db(a.at))),
            ))
            .execute(conn)?;
            if updated == 0 {
                continue;
            }
            diesel::insert_into(webhook_attempts::table)
                .values((
                    webhook_attempts::delivery_id.eq(&a.delivery_id),
                    webhook_attempts::attempt.eq(a.attempt),
                    webhook_attempts::at.eq(to_db(a.at)),
                    webhook_attempts::status_code.eq(a.status_code),
                    webhook_attempts::error.eq(&a.error),
                    webhook_attempts::duration_ms.eq(a.duration_ms),
                ))
                .execute(conn)?;
        }
        Ok(())
    })
}

/// A delivery as staff see it.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = webhook_deliveries)]
pub struct DeliveryRow {
    pub id: String,
    pub booking_id: String,
    pub seq: i32,
    pub event_type: String,
    pub body: String,
    pub status: String,
    pub attempts: i32,
    pub next_attempt_at: NaiveDateTime,
    pub last_status: Option<i32>,
    pub last_error: Option<String>,
    pub created_at: NaiveDateTime,
    pub delivered_at: Option<NaiveDateTime>,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = webhook_attempts)]
pub struct AttemptRow {
    pub delivery_id: String,
    pub attempt: i32,
    pub at: NaiveDateTime,
    pub status_code: Option<i32>,
    pub error: Option<String>,
    pub duration_ms: i32,
}

/// An endpoint's newest deliveries, newest first, each with its attempts (oldest first).
pub fn deliveries(
    conn: &mut DbConnection,
    webhook_id: &str,
    limit: i64,
) -> QueryResult<Vec<(DeliveryRow, Vec<AttemptRow>)>> {
    let rows: Vec<DeliveryRow> = webhook_deliveries::table
        .filter(webhook_deliveries::webhook_id.eq(webhook_id))
        .order((
            webhook_deliveries::created_at.desc(),
            webhook_deliveries::seq.desc(),
        ))
        .limit(limit)
        .select(DeliveryRow::as_select())
        .load(conn)?;
    let ids: Vec<&str> = rows.iter().map(|r| r.id.as_str()).collect();
    let mut attempts: Vec<AttemptRow> = webhook_attempts::table
        .filter(webhook_attempts::delivery_id.eq_any(&ids))
        .order((webhook_attempts::delivery_id, webhook_attempts::attempt))
        .select(AttemptRow::as_select())
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|r| {
            let (mut mine, rest): (Vec<_>, Vec<_>) =
                attempts.drain(..).partition(|a| a.delivery_id == r.id);
            attempts = rest;
            // Attempts recorded after the delivery was read wait for the next look.
            mine.retain(|a| a.attempt <= r.attempts);
            (r, mine)
        })
        .collect())
}

/// Withdraw a booking's pending deliveries and forget what all of them said (its
/// contact's data was erased).
pub fn erase_for_booking(conn: &mut DbConnection, booking_id: &str) -> QueryResult<()> {
    diesel::update(
        webhook_deliveries::table
            .filter(webhook_deliveries::booking_id.eq(booking_id))
            .filter(webhook_deliveries::status.eq("pending")),
    )
    .set((
        webhook_deliveries::status.eq("failed"),
        webhook_deliveries::last_error
            .eq(Some("withdrawn: the contact's personal data was erased")),
    ))
    .execute(conn)?;
    diesel::update(webhook_deliveries::table.filter(webhook_deliveries::booking_id.eq(booking_id)))
        .set(webhook_deliveries::body.eq("{}"))
        .execute(conn)?;
    Ok(())
}
