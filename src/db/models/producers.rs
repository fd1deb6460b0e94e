//! The `producers` table: the roster. Deleted producers stay, marked, so that past
//! bookings keep naming them.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;

use crate::db::schema::producers;
use crate::db::{from_db, to_db, DbConnection};
use crate::domain::producer::{Producer, ProducerContact, ProducerInput};

#[derive(Debug, Clone, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = producers)]
// Every column bound, none written as DEFAULT: one prepared statement (see `BookingRow`).
#[diesel(treat_none_as_default_value = false)]
struct ProducerRow {
    id: String,
    name: String,
    email: String,
    time_zone: String,
    languages: String,
    centres: String,
    working_hours: String,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
    deleted_at: Option<NaiveDateTime>,
}

impl TryFrom<ProducerRow> for Producer {
    type Error = anyhow::Error;

    /// A row that does not parse is an error naming the producer.
    fn try_from(r: ProducerRow) -> anyhow::Result<Producer> {
        let part = |what: &str, e: serde_json::Error| {
            anyhow::anyhow!("producer {} has {what} that do not parse: {e}", r.id)
        };
        Ok(Producer {
            time_zone: r.time_zone.parse().map_err(|_| {
                anyhow::anyhow!("producer {} has an unknown zone {}", r.id, r.time_zone)
            })?,
            languages: serde_json::from_str(&r.languages).map_err(|e| part("languages", e))?,
            centres: serde_json::from_str(&r.centres).map_err(|e| part("centres", e))?,
            working_hours: serde_json::from_str(&r.working_hours)
                .map_err(|e| part("working hours", e))?,
            id: r.id,
            name: r.name,
            email: r.email,
            created_at: from_db(r.created_at),
            updated_at: from_db(r.updated_at),
        })
    }
}

fn row(
    id: String,
    input: &ProducerInput,
    created: DateTime<Utc>,
    now: DateTime<Utc>,
) -> ProducerRow {
    ProducerRow {
        id,
        name: input.name.clone(),
        email: input.email.clone(),
        time_zone: input.time_zone.name().to_string(),
        languages: serde_json::to_string(&input.languages).expect("strings serialise"),
        centres: serde_json::to_string(&input.centres).expect("enums serialise"),
        working_hours: serde_json::to_string(&input.working_hours).expect("spans serialise"),
        created_at: to_db(created),
        updated_at: to_db(now),
        deleted_at: None,
    }
}

pub fn insert(
    conn: &mut DbConnection,
    input: &ProducerInput,
    now: DateTime<Utc>,
) -> anyhow::Result<Producer> {
    let row = row(uuid::Uuid::new_v4().to_string(), input, now, now);
    diesel::insert_into(producers::table)
        .values(&row)
        .execute(conn)?;
    Producer::try_from(row)
}

pub fn update(
    conn: &mut DbConnection,
    existing: &Producer,
    input: &ProducerInput,
    now: DateTime<Utc>,
) -> anyhow::Result<Producer> {
    let row = row(existing.id.clone(), input, existing.created_at, now);
    diesel::update(producers::table.find(&existing.id))
        .set(&row)
        .execute(conn)?;
    Producer::try_from(row)
}

/// Every producer ever added, deleted ones included.
pub fn count_all(conn: &mut DbConnection) -> QueryResult<i64> {
    producers::table.count().get_result(conn)
}

/// The roster, by name.
pub fn list(conn: &mut DbConnection) -> anyhow::Result<Vec<Producer>> {
    producers::table
        .filter(producers::deleted_at.is_null())
        .order((producers::name, producers::id))
        .select(ProducerRow::as_select())
        .load(conn)?
        .into_iter()
        .map(Producer::try_from)
        .collect()
}

/// A producer on the roster.
pub fn find(conn: &mut DbConnection, id: &str) -> anyhow::Result<Option<Producer>> {
    producers::table
        .filter(producers::id.eq(id))
        .filter(producers::deleted_at.is_null())
        .select(ProducerRow::as_select())
        .first(conn)
        .optional()?
        .map(Producer::try_from)
        .transpose()
}

/// Producers by id as bookings and messages name them, deleted ones included.
pub fn contacts(
    conn: &mut DbConnection,
    ids: &[String],
) -> anyhow::Result<HashMap<String, ProducerContact>> {
    producers::table
        .filter(producers::id.eq_any(ids))
        .select(ProducerRow::as_select())
        .load(conn)?
        .into_iter()
        .map(|r| Producer::try_from(r).map(|p| (p.id.clone(), p.contact())))
        .collect()
}

/// One producer as bookings and messages name them, deleted or not.
pub fn contact_of(conn: &mut DbConnection, id: &str) -> anyhow::Result<Option<ProducerContact>> {
    Ok(contacts(conn, &[id.to_string()])?.remove(id))
}

/// Take a producer off the roster.
pub fn soft_delete(conn: &mut DbConnection, id: &str, now: DateTime<Utc>) -> QueryResult<usize> {
    diesel::update(producers::table.find(id))
        .set((
            producers::deleted_at.eq(Some(to_db(now))),
            producers::updated_at.eq(to_db(now)),
        ))
        .execute(conn)
}
