//! The `staff_sessions` table: a signed-in member's sessions, by a hash of the cookie;
//! signing out or disabling the member ends them at once.

use chrono::{DateTime, Duration, Utc};
use diesel::prelude::*;

use crate::db::schema::{staff_members, staff_sessions};
use crate::db::{to_db, DbConnection};
use crate::domain::staff::{Member, Role};

/// A session ends after this long without a request.
pub const IDLE_HOURS: i64 = 12;

pub fn insert(
    conn: &mut DbConnection,
    id: &str,
    staff_id: &str,
    now: DateTime<Utc>,
) -> QueryResult<()> {
    diesel::insert_into(staff_sessions::table)
        .values((
            staff_sessions::id.eq(id),
            staff_sessions::staff_id.eq(staff_id),
            staff_sessions::created_at.eq(to_db(now)),
            staff_sessions::last_seen_at.eq(to_db(now)),
        ))
        .execute(conn)
        .map(|_| ())
}

/// The member a live session belongs to (not revoked, not idle too long, the member not
/// disabled), and when it was last seen.
pub fn member(
    conn: &mut DbConnection,
    id: &str,
    now: DateTime<Utc>,
) -> QueryResult<Option<(Member, DateTime<Utc>)>> {
    let found: Option<(String, String, String, String, chrono::NaiveDateTime)> =
        staff_sessions::table
            .inner_join(staff_members::table)
            .filter(staff_sessions::id.eq(id))
            .filter(staff_sessions::revoked_at.is_null())
            .filter(staff_sessions::last_seen_at.ge(to_db(now - Duration::hours(IDLE_HOURS))))
            .filter(staff_members::disabled_at.is_null())
            .select((
                staff_members::id,
                staff_members::name,
                staff_members::email,
                staff_members::role,
                staff_sessions::last_seen_at,
            ))
            .first(conn)
            .optional()?;
    Ok(found.and_then(|(id, name, email, role, seen)| {
        Some((
            Member {
                id,
                name,
                email,
                role: Role::parse(&role)?,
            },
            crate::db::from_db(seen),
        ))
    }))
}

pub fn touch(conn: &mut DbConnection, id: &str, now: DateTime<Utc>) -> QueryResult<usize> {
    diesel::update(staff_sessions::table.find(id))
        .set(staff_sessions::last_seen_at.eq(to_db(now)))
        .execute(conn)
}

pub fn revoke(conn: &mut DbConnection, id: &str, now: DateTime<Utc>) -> QueryResult<usize> {
    diesel::update(
        staff_sessions::table
            .find(id)
            .filter(staff_sessions::revoked_at.is_null()),
    )
    .set(staff_sessions::revoked_at.eq(to_db(now)))
    .execute(conn)
}

pub fn revoke_all(
    conn: &mut DbConnection,
    staff_id: &str,
    now: DateTime<Utc>,
) -> QueryResult<usize> {
    diesel::update(
        staff_sessions::table
            .filter(staff_sessions::staff_id.eq(staff_id))
            .filter(staff_sessions::revoked_at.is_null()),
    )
    .set(staff_sessions::revoked_at.eq(to_db(now)))
    .execute(conn)
}
