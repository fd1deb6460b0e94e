//! The `web_sessions` table: what the pages remember of a visitor between requests (the
//! order being filled in, the booking being managed), keyed by a hash of the session
//! cookie and kept a day after the last use.

use chrono::{DateTime, Duration, Utc};
use diesel::prelude::*;

use crate::db::schema::web_sessions;
use crate::db::{to_db, DbConnection};

/// How long a session lives after its last use.
pub const LIFETIME_HOURS: i64 = 24;

/// The session's data, if it has some and was used in the last day.
pub fn load(conn: &mut DbConnection, id: &str, now: DateTime<Utc>) -> QueryResult<Option<String>> {
    web_sessions::table
        .find(id)
        .filter(web_sessions::updated_at.ge(to_db(now - Duration::hours(LIFETIME_HOURS))))
        .select(web_sessions::data)
        .first(conn)
        .optional()
}

/// Keep `data` for the session. A new session also clears out expired ones, so the table
/// holds only the last day's visitors without a job of its own.
pub fn save(conn: &mut DbConnection, id: &str, data: &str, now: DateTime<Utc>) -> QueryResult<()> {
    let updated = diesel::update(web_sessions::table.find(id))
        .set((
            web_sessions::data.eq(data),
            web_sessions::updated_at.eq(to_db(now)),
        ))
        .execute(conn)?;
    if updated == 0 {
        diesel::delete(
            web_sessions::table
                .filter(web_sessions::updated_at.lt(to_db(now - Duration::hours(LIFETIME_HOURS)))),
        )
        .execute(conn)?;
        diesel::insert_into(web_sessions::table)
            .values((
                web_sessions::id.eq(id),
                web_sessions::data.eq(data),
                web_sessions::updated_at.eq(to_db(now)),
            ))
            .execute(conn)?;
    }
    Ok(())
}
