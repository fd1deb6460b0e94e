//! The `event_reports` table: what was recorded of a booking after its event.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::schema::event_reports;
use crate::db::{from_db, to_db, DbConnection};
use crate::domain::report::EventReport;

#[derive(Debug, Clone, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = event_reports, treat_none_as_null = true)]
// Every column bound, none written as DEFAULT: one prepared statement (see `BookingRow`).
#[diesel(treat_none_as_default_value = false)]
struct ReportRow {
    booking_id: String,
    recording_links: Option<String>,
    attendance_csv: Option<String>,
    attendees: Option<i32>,
    no_show_reason: Option<String>,
    follow_up_at: Option<NaiveDateTime>,
    updated_at: NaiveDateTime,
    updated_by: String,
}

pub fn find(conn: &mut DbConnection, booking_id: &str) -> anyhow::Result<Option<EventReport>> {
    let Some(r) = event_reports::table
        .find(booking_id)
        .select(ReportRow::as_select())
        .first(conn)
        .optional()?
    else {
        return Ok(None);
    };
    Ok(Some(EventReport {
        recording_links: match r.recording_links.as_deref() {
            Some(json) => serde_json::from_str(json)?,
            None => vec![],
        },
        attendance_csv: r.attendance_csv,
        attendees: r.attendees.map(i64::from),
        no_show_reason: r.no_show_reason,
        follow_up_at: r.follow_up_at.map(from_db),
        updated_at: from_db(r.updated_at),
        updated_by: r.updated_by,
    }))
}

/// Write a booking's report, whole.
pub fn save(conn: &mut DbConnection, booking_id: &str, report: &EventReport) -> QueryResult<()> {
    let row = ReportRow {
        booking_id: booking_id.to_string(),
        recording_links: (!report.recording_links.is_empty())
            .then(|| serde_json::to_string(&report.recording_links).expect("links serialise")),
        attendance_csv: report.attendance_csv.clone(),
        attendees: report.attendees.map(|n| n.min(i64::from(i32::MAX)) as i32),
        no_show_reason: report.no_show_reason.clone(),
        follow_up_at: report.follow_up_at.map(to_db),
        updated_at: to_db(report.updated_at),
        updated_by: report.updated_by.clone(),
    };
    let updated = diesel::update(event_reports::table.find(booking_id))
        .set(&row)
        .execute(conn)?;
    if updated == 0 {
        diesel::insert_into(event_reports::table)
            .values(&row)
            .execute(conn)?;
    }
    Ok(())
}
