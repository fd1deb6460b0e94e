//! The `staff_tokens` table: tokens stored as SHA-256 hashes, never as themselves.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use sha2::{Digest, Sha256};

use crate::db::schema::{staff_members, staff_tokens};
use crate::db::{from_db, to_db, DbConnection};
use crate::domain::staff::Member;
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
    create_for(conn, role, label, None, now)
}

/// A new token, belonging to a member when `staff_id` is given.
pub fn create_for(
    conn: &mut DbConnection,
    role: Role,
    label: Option<&str>,
    staff_id: Option<&str>,
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
            staff_tokens::staff_id.eq(staff_id),
        ))
        .execute(conn)?;
    Ok((id, token))
}

/// A token as it is listed: never the token itself.
#[derive(Debug, Clone)]
pub struct TokenInfo {
    pub id: String,
    pub role: Role,
    pub label: Option<String>,
    pub created_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
    /// Whose it is.
    pub owner: Option<(String, String)>,
}

/// Tokens, newest first: every one, or one member's.
pub fn list(conn: &mut DbConnection, staff_id: Option<&str>) -> QueryResult<Vec<TokenInfo>> {
    let mut query = staff_tokens::table
        .left_join(staff_members::table)
        .select((
            staff_tokens::id,
            staff_tokens::role,
            staff_tokens::label,
            staff_tokens::created_at,
            staff_tokens::revoked_at,
            staff_members::id.nullable(),
            staff_members::name.nullable(),
        ))
        .order(staff_tokens::created_at.desc())
        .into_boxed();
    if let Some(id) = staff_id {
        query = query.filter(staff_tokens::staff_id.eq(id));
    }
    type Row = (
        String,
        String,
        Option<String>,
        chrono::NaiveDateTime,
        Option<chrono::NaiveDateTime>,
        Option<String>,
        Option<String>,
    );
    let rows: Vec<Row> = query.load(conn)?;
    Ok(rows
        .into_iter()
        .filter_map(
            |(id, role, label, created, revoked, owner_id, owner_name)| {
                Some(TokenInfo {
                    id,
                    role: Role::parse(&role)?,
                    label,
                    created_at: from_db(created),
                    revoked_at: revoked.map(from_db),
                    owner: owner_id.zip(owner_name),
                })
            },
        )
        .collect())
}

/// Revoke a token (of one member, when `staff_id` is given): true when it was live.
pub fn revoke(
    conn: &mut DbConnection,
    id: &str,
    staff_id: Option<&str>,
    now: DateTime<Utc>,
) -> QueryResult<bool> {
    let mut query = diesel::update(staff_tokens::table)
        .filter(staff_tokens::id.eq(id))
        .filter(staff_tokens::revoked_at.is_null())
        .into_boxed();
    if let Some(owner) = staff_id {
        query = query.filter(staff_tokens::staff_id.eq(owner));
    }
    Ok(query
        .set(staff_tokens::revoked_at.eq(to_db(now)))
        .execute(conn)?
        == 1)
}

/// Revoke every token of a member.
pub fn revoke_all(
    conn: &mut DbConnection,
    staff_id: &str,
    now: DateTime<Utc>,
) -> QueryResult<usize> {
    diesel::update(
        staff_tokens::table
            .filter(staff_tokens::staff_id.eq(staff_id))
            .filter(staff_tokens::revoked_at.is_null()),
    )
    .set(staff_tokens::revoked_at.eq(to_db(now)))
    .execute(conn)
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
    type Row = (
        String,
        String,
        String,
        Option<String>,
        Option<String>,
        Option<String>,
        Option<String>,
        Option<chrono::NaiveDateTime>,
    );
    let found: Option<Row> = staff_tokens::table
        .left_join(staff_members::table)
        .filter(staff_tokens::token_hash.eq(&presented))
        .filter(staff_tokens::revoked_at.is_null())
        .select((
            staff_tokens::id,
            staff_tokens::role,
            staff_tokens::token_hash,
            staff_members::id.nullable(),
            staff_members::name.nullable(),
            staff_members::email.nullable(),
            staff_members::role.nullable(),
            staff_members::disabled_at.nullable(),
        ))
        .first(conn)
        .optional()?;
    let Some((token_id, role, stored, m_id, m_name, m_email, m_role, m_disabled)) = found else {
        return Ok(None);
    };
    if !constant_time_eq(stored.as_bytes(), presented.as_bytes()) {
        return Ok(None);
    }
    // A disabled member's tokens stop working with them.
    if m_disabled.is_some() {
        return Ok(None);
    }
    let member = match (
        m_id,
        m_name,
        m_email,
        m_role.as_deref().and_then(Role::parse),
    ) {
        (Some(id), Some(name), Some(email), Some(role)) => Some(Member {
            id,
            name,
            email,
            role,
        }),
        _ => None,
    };
    // A token never does more than its member may.
    let role = match (Role::parse(&role), &member) {
        (Some(r), Some(m)) if !m.role.allows(r) => m.role,
        (Some(r), _) => r,
        (None, _) => return Ok(None),
    };
    Ok(Some(Staff {
        token_id,
        role,
        member,
    }))
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
