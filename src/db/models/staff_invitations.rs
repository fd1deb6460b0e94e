//! The `staff_invitations` table: one-time links to set a password, by a hash of their
//! token.

use chrono::{DateTime, Utc};
use diesel::prelude::*;

use crate::db::schema::staff_invitations;
use crate::db::{to_db, DbConnection};

pub fn insert(
    conn: &mut DbConnection,
    token_hash: &str,
    staff_id: &str,
    expires_at: DateTime<Utc>,
) -> QueryResult<()> {
    diesel::insert_into(staff_invitations::table)
        .values((
            staff_invitations::token_hash.eq(token_hash),
            staff_invitations::staff_id.eq(staff_id),
            staff_invitations::expires_at.eq(to_db(expires_at)),
        ))
        .execute(conn)
        .map(|_| ())
}

/// The member an unused, unexpired invitation is for.
pub fn valid(
    conn: &mut DbConnection,
    token_hash: &str,
    now: DateTime<Utc>,
) -> QueryResult<Option<String>> {
    staff_invitations::table
        .find(token_hash)
        .filter(staff_invitations::used_at.is_null())
        .filter(staff_invitations::expires_at.gt(to_db(now)))
        .select(staff_invitations::staff_id)
        .first(conn)
        .optional()
}

/// Use it up: true when it was still unused (two uses at once: one wins).
pub fn use_up(conn: &mut DbConnection, token_hash: &str, now: DateTime<Utc>) -> QueryResult<bool> {
    let n = diesel::update(
        staff_invitations::table
            .find(token_hash)
            .filter(staff_invitations::used_at.is_null()),
    )
    .set(staff_invitations::used_at.eq(to_db(now)))
    .execute(conn)?;
    Ok(n == 1)
}
