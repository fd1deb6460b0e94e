//! The `staff_tokens` table: tokens stored as SHA-256 hashes, never as themselves.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use sha2::{Digest, Sha256};

use crate::db::schema::staff_tokens;
use crate::db::{to_db, DbConnection};
pub use crate::domain::staff::{Role, Staff};

pub fn hash(token: &str) -> String {
    let digest = Sha256::digest(token.as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// A new token: "grs_" and 64 hex digits (244 random bits from two v4 uuids).
fn generate() -> String {
    format!(
        "grs_{}{}",
        uuid::Uuid::new_v4().simple(),
        uuid::Uuid::new_v4().simple()
    )
}

pub fn create(
    conn: &mut DbConnection,
    role: Role,
    label: Option<&str>,
    now: DateTime<Utc>,
) -> QueryResult<(String, String)> {
    let token = generate();
    let id = uuid::Uuid::new_v4().to_string();
    diesel::insert_into(staff_tokens::table)
        .values((
            staff_tokens::id.eq(&id),
            staff_tokens::token_hash.eq(hash(&token)),
            staff_tokens::role.eq(role.as_str()),
            staff_tokens::label.eq(label),
            staff_tokens::created_at.eq(to_db(now)),
        ))
        .execute(conn)?;
    Ok((id, token))
}

/// Equal, in a time that depends only on the length.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The staff member a presented token belongs to. The token is looked up by its SHA-256
/// hash (so a lookup's time says nothing about how close a guess was), and the stored
/// hash is compared again in constant time.
pub fn authenticate(conn: &mut DbConnection, token: &str) -> QueryResult<Option<Staff>> {
    let presented = hash(token.trim());
    let found: Option<(String, String, String)> = staff_tokens::table
        .filter(staff_tokens::token_hash.eq(&presented))
        .filter(staff_tokens::revoked_at.is_null())
        .select((
            staff_tokens::id,
            staff_tokens::role,
            staff_tokens::token_hash,
        ))
        .first(conn)
        .optional()?;
    Ok(found
        .filter(|(_, _, stored)| constant_time_eq(stored.as_bytes(), presented.as_bytes()))
        .and_then(|(token_id, role, _)| Role::parse(&role).map(|role| Staff { token_id, role })))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_and_comparison() {
        assert_eq!(hash("abc").len(), 64);
        assert_ne!(hash("abc"), hash("abd"));
        assert!(constant_time_eq(b"same", b"same"));
        assert!(!constant_time_eq(b"same", b"samf"));
        assert!(!constant_time_eq(b"same", b"sam"));
        let t = generate();
        assert!(t.starts_with("grs_") && t.len() == 68);
    }
}
