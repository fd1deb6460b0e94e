//! A visitor's place between pages: what the order pages and the manage pages remember
//! of them (kept a day after their last request).

use crate::db::models::web_sessions;
use crate::db::write_transaction;
use crate::domain::error::Error;

use super::Services;

/// The data kept for the session whose cookie hashes to `id`, if any.
pub fn load(svc: &Services, id: &str) -> Result<Option<String>, Error> {
    let mut conn = svc.db.read()?;
    Ok(web_sessions::load(&mut conn, id, svc.now())?)
}

/// Keep `data` for the session whose cookie hashes to `id`.
pub fn save(svc: &Services, id: &str, data: &str) -> Result<(), Error> {
    let now = svc.now();
    svc.db.write(|conn| {
        write_transaction(conn, |conn| -> Result<(), Error> {
            Ok(web_sessions::save(conn, id, data, now)?)
        })
    })
}
