//! The `idempotency_keys` table: the first answer to each `Idempotency-Key`, kept to
//! answer a retry the same way.

use chrono::{DateTime, Utc};
use diesel::prelude::*;

use crate::db::schema::idempotency_keys;
use crate::db::{to_db, DbConnection};

/// A stored answer.
pub struct Stored {
    pub request_hash: String,
    pub status: u16,
    pub body: String,
}

pub fn find(conn: &mut DbConnection, key: &str) -> QueryResult<Option<Stored>> {
    Ok(idempotency_keys::table
        .find(key)
        .select((
            idempotency_keys::request_hash,
            idempotency_keys::response_status,
            idempotency_keys::response_body,
        ))
        .first::<(String, i32, String)>(conn)
        .optional()?
        .map(|(request_hash, status, body)| Stored {
            request_hash,
            status: status as u16,
            body,
        }))
}

pub fn insert(
    conn: &mut DbConnection,
    key: &str,
    answer: &Stored,
    booking_id: &str,
    now: DateTime<Utc>,
) -> QueryResult<()> {
    diesel::insert_into(idempotency_keys::table)
        .values((
            idempotency_keys::key.eq(key),
            idempotency_keys::request_hash.eq(&answer.request_hash),
            idempotency_keys::response_status.eq(i32::from(answer.status)),
            idempotency_keys::response_body.eq(&answer.body),
            idempotency_keys::created_at.eq(to_db(now)),
            idempotency_keys::booking_id.eq(Some(booking_id)),
        ))
        .execute(conn)
        .map(|_| ())
}

/// Forget the answers about a booking.
pub fn delete_for_booking(conn: &mut DbConnection, booking_id: &str) -> QueryResult<usize> {
    diesel::delete(idempotency_keys::table.filter(idempotency_keys::booking_id.eq(booking_id)))
        .execute(conn)
}

/// Forget the answers whose text holds `needle` (in any case): answers stored before
/// answers knew their booking.
pub fn delete_containing(conn: &mut DbConnection, needle: &str) -> QueryResult<usize> {
    let escaped = needle
        .to_lowercase()
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    diesel::delete(
        idempotency_keys::table.filter(
            diesel::dsl::sql::<diesel::sql_types::Bool>("LOWER(response_body) LIKE ")
                .bind::<diesel::sql_types::Text, _>(format!("%{escaped}%"))
                .sql(" ESCAPE '\\'"),
        ),
    )
    .execute(conn)
}

/// Forget answers older than `cutoff`.
pub fn delete_before(conn: &mut DbConnection, cutoff: DateTime<Utc>) -> QueryResult<usize> {
    diesel::delete(idempotency_keys::table.filter(idempotency_keys::created_at.lt(to_db(cutoff))))
        .execute(conn)
}
