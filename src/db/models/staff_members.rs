//! The `staff_members` table: people on the staff, with their role and (once set) the
//! argon2id hash of their password.

use chrono::{DateTime, Utc};
use diesel::prelude::*;

use crate::db::schema::staff_members;
use crate::db::{to_db, DbConnection};
use crate::domain::staff::{Coordinator, Member, Role};

type Row = (String, String, String, String);

fn member((id, name, email, role): Row) -> Option<Member> {
    Some(Member {
        id,
        name,
        email,
        role: Role::parse(&role)?,
    })
}

fn columns() -> (
    staff_members::id,
    staff_members::name,
    staff_members::email,
    staff_members::role,
) {
    (
        staff_members::id,
        staff_members::name,
        staff_members::email,
        staff_members::role,
    )
}

pub fn normalise(email: &str) -> String {
    email.trim().to_lowercase()
}

pub fn insert(
    conn: &mut DbConnection,
    name: &str,
    email: &str,
    role: Role,
    now: DateTime<Utc>,
) -> QueryResult<Member> {
    let id = uuid::Uuid::new_v4().to_string();
    diesel::insert_into(staff_members::table)
        .values((
            staff_members::id.eq(&id),
            staff_members::name.eq(name),
            staff_members::email.eq(email.trim()),
            staff_members::email_norm.eq(normalise(email)),
            staff_members::role.eq(role.as_str()),
            staff_members::created_at.eq(to_db(now)),
        ))
        .execute(conn)?;
    Ok(Member {
        id,
        name: name.to_string(),
        email: email.trim().to_string(),
        role,
    })
}

/// An active member by e-mail, with their password hash (if set).
pub fn by_email(
    conn: &mut DbConnection,
    email: &str,
) -> QueryResult<Option<(Member, Option<String>)>> {
    let found: Option<(Row, Option<String>)> = staff_members::table
        .filter(staff_members::email_norm.eq(normalise(email)))
        .filter(staff_members::disabled_at.is_null())
        .select((columns(), staff_members::password_hash))
        .first(conn)
        .optional()?;
    Ok(found.and_then(|(row, hash)| member(row).map(|m| (m, hash))))
}

/// An active member by id.
pub fn by_id(conn: &mut DbConnection, id: &str) -> QueryResult<Option<Member>> {
    let found: Option<Row> = staff_members::table
        .find(id)
        .filter(staff_members::disabled_at.is_null())
        .select(columns())
        .first(conn)
        .optional()?;
    Ok(found.and_then(member))
}

/// Every member, active first, by name; and whether each is disabled.
pub fn list(conn: &mut DbConnection) -> QueryResult<Vec<(Member, bool, bool)>> {
    let rows: Vec<(Row, Option<chrono::NaiveDateTime>, Option<String>)> = staff_members::table
        .select((
            columns(),
            staff_members::disabled_at,
            staff_members::password_hash,
        ))
        .order((
            staff_members::disabled_at.is_not_null(),
            staff_members::name,
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .filter_map(|(row, disabled, hash)| {
            member(row).map(|m| (m, disabled.is_some(), hash.is_some()))
        })
        .collect())
}

pub fn set_password(conn: &mut DbConnection, id: &str, hash: &str) -> QueryResult<usize> {
    diesel::update(staff_members::table.find(id))
        .set(staff_members::password_hash.eq(hash))
        .execute(conn)
}

pub fn disable(conn: &mut DbConnection, id: &str, now: DateTime<Utc>) -> QueryResult<usize> {
    diesel::update(
        staff_members::table
            .find(id)
            .filter(staff_members::disabled_at.is_null()),
    )
    .set(staff_members::disabled_at.eq(to_db(now)))
    .execute(conn)
}

/// Active coordinators with the zones they cover (empty: any region).
pub fn coordinators(
    conn: &mut DbConnection,
) -> anyhow::Result<Vec<(Coordinator, Vec<chrono_tz::Tz>)>> {
    let rows: Vec<(String, String, String, Option<String>)> = staff_members::table
        .filter(staff_members::disabled_at.is_null())
        .filter(staff_members::coordinator_zones.is_not_null())
        .order(staff_members::name)
        .select((
            staff_members::id,
            staff_members::name,
            staff_members::email,
            staff_members::coordinator_zones,
        ))
        .load(conn)?;
    rows.into_iter()
        .map(|(id, name, email, zones)| {
            let names: Vec<String> = serde_json::from_str(zones.as_deref().unwrap_or("[]"))?;
            let zones = names
                .iter()
                .map(|z| z.parse().map_err(|e| anyhow::anyhow!("member {id}: {e}")))
                .collect::<anyhow::Result<_>>()?;
            Ok((Coordinator { id, name, email }, zones))
        })
        .collect()
}

/// The zones each member coordinates: none when they do not coordinate.
pub fn coordinator_zones(
    conn: &mut DbConnection,
) -> QueryResult<std::collections::HashMap<String, Option<String>>> {
    Ok(staff_members::table
        .select((staff_members::id, staff_members::coordinator_zones))
        .load::<(String, Option<String>)>(conn)?
        .into_iter()
        .collect())
}

/// Make a member a coordinator of these zones (empty: any region), or none.
pub fn set_coordinator_zones(
    conn: &mut DbConnection,
    id: &str,
    zones: Option<&[chrono_tz::Tz]>,
) -> QueryResult<usize> {
    let value = zones.map(|z| {
        serde_json::to_string(&z.iter().map(|z| z.name()).collect::<Vec<_>>())
            .expect("names serialise")
    });
    diesel::update(staff_members::table.find(id))
        .set(staff_members::coordinator_zones.eq(value))
        .execute(conn)
}
