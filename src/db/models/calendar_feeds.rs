//! The `calendar_feeds` table: members' private iCalendar URLs, by a hash of the secret.

use chrono::{DateTime, Utc};
use diesel::prelude::*;

use crate::db::schema::{calendar_feeds, staff_members};
use crate::db::{to_db, DbConnection};

/// End the member's live feeds (before a new one, or to stop it).
pub fn revoke_all(
    conn: &mut DbConnection,
    staff_id: &str,
    now: DateTime<Utc>,
) -> QueryResult<usize> {
    diesel::update(
        calendar_feeds::table
            .filter(calendar_feeds::staff_id.eq(staff_id))
            .filter(calendar_feeds::revoked_at.is_null()),
    )
    .set(calendar_feeds::revoked_at.eq(Some(to_db(now))))
    .execute(conn)
}

pub fn insert(
    conn: &mut DbConnection,
    token_hash: &str,
    staff_id: &str,
    now: DateTime<Utc>,
) -> QueryResult<()> {
    diesel::insert_into(calendar_feeds::table)
        .values((
            calendar_feeds::token_hash.eq(token_hash),
            calendar_feeds::staff_id.eq(staff_id),
            calendar_feeds::created_at.eq(to_db(now)),
        ))
        .execute(conn)
        .map(|_| ())
}

/// Does the member have a live feed?
pub fn has_live(conn: &mut DbConnection, staff_id: &str) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        calendar_feeds::table
            .filter(calendar_feeds::staff_id.eq(staff_id))
            .filter(calendar_feeds::revoked_at.is_null()),
    ))
    .get_result(conn)
}

/// The e-mail of the member a live feed belongs to (not disabled).
pub fn owner_email(conn: &mut DbConnection, token_hash: &str) -> QueryResult<Option<String>> {
    calendar_feeds::table
        .inner_join(staff_members::table)
        .filter(calendar_feeds::token_hash.eq(token_hash))
        .filter(calendar_feeds::revoked_at.is_null())
        .filter(staff_members::disabled_at.is_null())
        .select(staff_members::email)
        .first(conn)
        .optional()
}
