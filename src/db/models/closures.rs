//! The `closures` table: days off shared by many producers.

use chrono::{DateTime, Duration, NaiveDate, NaiveDateTime, Utc};
use diesel::prelude::*;

use crate::db::schema::closures;
use crate::db::{to_db, DbConnection};
use crate::domain::producer::Closure;
use crate::scheduling::Interval;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = closures)]
// Every column bound, none written as DEFAULT: one prepared statement (see `BookingRow`).
#[diesel(treat_none_as_default_value = false)]
struct ClosureRow {
    id: String,
    name: String,
    first_day: String,
    last_day: String,
    zones: String,
    created_at: NaiveDateTime,
}

const DAY: &str = "%Y-%m-%d";

impl TryFrom<ClosureRow> for Closure {
    type Error = anyhow::Error;

    fn try_from(r: ClosureRow) -> anyhow::Result<Closure> {
        let zones: Vec<String> = serde_json::from_str(&r.zones)?;
        Ok(Closure {
            first_day: NaiveDate::parse_from_str(&r.first_day, DAY)?,
            last_day: NaiveDate::parse_from_str(&r.last_day, DAY)?,
            zones: zones
                .iter()
                .map(|z| {
                    z.parse()
                        .map_err(|e| anyhow::anyhow!("closure {}: {e}", r.id))
                })
                .collect::<anyhow::Result<_>>()?,
            id: r.id,
            name: r.name,
        })
    }
}

/// Every closure, earliest first.
pub fn list(conn: &mut DbConnection) -> anyhow::Result<Vec<Closure>> {
    closures::table
        .order((closures::first_day, closures::id))
        .select(ClosureRow::as_select())
        .load(conn)?
        .into_iter()
        .map(Closure::try_from)
        .collect()
}

/// Closures whose days may touch `range` in some zone (a day either side, for zones
/// far from UTC).
pub fn overlapping(conn: &mut DbConnection, range: Interval) -> anyhow::Result<Vec<Closure>> {
    let first = (range.start - Duration::days(1))
        .date_naive()
        .format(DAY)
        .to_string();
    let last = (range.end + Duration::days(1))
        .date_naive()
        .format(DAY)
        .to_string();
    closures::table
        .filter(closures::last_day.ge(first))
        .filter(closures::first_day.le(last))
        .select(ClosureRow::as_select())
        .load(conn)?
        .into_iter()
        .map(Closure::try_from)
        .collect()
}

pub fn insert(conn: &mut DbConnection, c: &Closure, now: DateTime<Utc>) -> QueryResult<()> {
    let zones: Vec<&str> = c.zones.iter().map(|z| z.name()).collect();
    diesel::insert_into(closures::table)
        .values(ClosureRow {
            id: c.id.clone(),
            name: c.name.clone(),
            first_day: c.first_day.format(DAY).to_string(),
            last_day: c.last_day.format(DAY).to_string(),
            zones: serde_json::to_string(&zones).expect("names serialise"),
            created_at: to_db(now),
        })
        .execute(conn)
        .map(|_| ())
}

pub fn delete(conn: &mut DbConnection, id: &str) -> QueryResult<usize> {
    diesel::delete(closures::table.filter(closures::id.eq(id))).execute(conn)
}
