//! After the event: its producer (or staff who schedule) uploads the attendance report,
//! sends the customer the recording's links with it (the follow-up e-mail), or records
//! that nobody came, with why.

use chrono::{DateTime, Utc};

use crate::db::models::{booking_events, bookings, event_reports, outbox};
use crate::db::DbConnection;
use crate::domain::booking::{Booking, BookingDetails, EventDetail, EventKind, HistoryEvent};
use crate::domain::error::{Error, ProblemCode};
use crate::domain::report::{attendance_rows, EventReport};
use crate::domain::reservation_number::ReservationNumber;
use crate::domain::staff::{Role, Staff};
use crate::email::{self, Kind};

use super::change::booking_cancelled;
use super::lookup::details;
use super::{with_retries, Actor, Services};

/// The booking `staff` may report on: any for staff who schedule, their own for a
/// producer (found by their e-mail on the roster). Others look unknown.
fn open(
    conn: &mut DbConnection,
    number: &ReservationNumber,
    staff: &Staff,
) -> Result<Booking, Error> {
    let booking = bookings::by_number(conn, number)?.ok_or_else(Error::booking_not_found)?;
    if !staff.role.allows(Role::Scheduler) {
        let email = staff
            .member
            .as_ref()
            .map(|m| m.email.as_str())
            .unwrap_or("");
        let own = super::staff::producer_by_email(conn, email)?;
        if own.is_none_or(|p| p.id != booking.producer_id) {
            return Err(Error::booking_not_found());
        }
    }
    if booking.is_cancelled() {
        return Err(booking_cancelled(&booking.number));
    }
    Ok(booking)
}

/// Refuse before `from` (the event's end for a report, its start for a no-show).
fn held(
    booking: &Booking,
    from: DateTime<Utc>,
    now: DateTime<Utc>,
    what: &str,
) -> Result<(), Error> {
    if now < from {
        return Err(Error::refused(
            ProblemCode::NotYetHeld,
            format!(
                "booking {} has not taken place yet: {what} from {}",
                booking.number,
                crate::domain::local_time::format_in(from, booking.time_zone)
            ),
        ));
    }
    Ok(())
}

fn report_of(
    conn: &mut DbConnection,
    booking: &Booking,
    staff: &Staff,
    now: DateTime<Utc>,
) -> Result<EventReport, Error> {
    let mut report = event_reports::find(conn, &booking.id)?.unwrap_or(EventReport {
        recording_links: vec![],
        attendance_csv: None,
        attendees: None,
        no_show_reason: None,
        follow_up_at: None,
        updated_at: now,
        updated_by: String::new(),
    });
    report.updated_at = now;
    report.updated_by = Actor::Staff(staff.clone()).name();
    Ok(report)
}

/// Keep the attendance report (CSV) of a booking that took place, replacing any.
pub fn upload_attendance(
    svc: &Services,
    number: &ReservationNumber,
    csv: String,
    staff: &Staff,
) -> Result<BookingDetails, Error> {
    let attendees = attendance_rows(&csv)
        .map_err(|(code, message)| Error::field("attendance", code, message))?;
    let now = svc.now();
    svc.db.write(|conn| {
        with_retries(conn, |conn| {
            let booking = open(conn, number, staff)?;
            held(&booking, booking.end, now, "its attendance report is taken")?;
            let mut report = report_of(conn, &booking, staff, now)?;
            report.attendance_csv = Some(csv.clone());
            report.attendees = Some(attendees);
            event_reports::save(conn, &booking.id, &report)?;
            details(conn, booking)
        })
    })
}

/// The attendance report as uploaded.
pub fn attendance(
    svc: &Services,
    number: &ReservationNumber,
    staff: &Staff,
) -> Result<String, Error> {
    let mut conn = svc.db.read()?;
    let booking = open(&mut conn, number, staff)?;
    event_reports::find(&mut conn, &booking.id)?
        .and_then(|r| r.attendance_csv)
        .ok_or_else(|| Error::not_found("an attendance report for this booking"))
}

/// Send the customer the recording's links and the attendance report (attached), in
/// their language; again, with what is new, if sent before.
pub fn follow_up(
    svc: &Services,
    number: &ReservationNumber,
    links: Vec<String>,
    staff: &Staff,
) -> Result<BookingDetails, Error> {
    let now = svc.now();
    let done = svc.db.write(|conn| {
        with_retries(conn, |conn| {
            let booking = open(conn, number, staff)?;
            held(&booking, booking.end, now, "the follow-up is sent")?;
            let mut report = report_of(conn, &booking, staff, now)?;
            if !links.is_empty() {
                report.recording_links = links.clone();
            }
            if report.recording_links.is_empty() && report.attendance_csv.is_none() {
                return Err(Error::field(
                    "recording_links",
                    ProblemCode::Required,
                    "give the recording's links, or upload the attendance report first: the follow-up has nothing to send",
                ));
            }
            report.follow_up_at = Some(now);
            event_reports::save(conn, &booking.id, &report)?;
            let actor = Actor::Staff(staff.clone()).name();
            booking_events::record(conn, &booking.id, &HistoryEvent::note(now, EventKind::FollowUpSent, actor), false)?;
            let shown = details(conn, booking)?;
            let producer = shown
                .producer
                .clone()
                .ok_or_else(|| anyhow::anyhow!("booking {} has no producer", shown.booking.id))?;
            let sequence = booking_events::sequence(conn, &shown.booking.id)?;
            let mut message = email::contact_message(Kind::FollowUp, &shown.booking, &producer, None, sequence, &svc.mail);
            message.payload["recording_links"] = serde_json::json!(report.recording_links);
            message.payload["attendees"] = serde_json::json!(report.attendance_csv.as_ref().and(report.attendees));
            message.payload["attachments"] = serde_json::json!(report.attendance_csv.as_ref().map(|csv| vec![serde_json::json!({
                "name": format!("attendance-{}.csv", shown.booking.number),
                "content_type": "text/csv; charset=utf-8",
                "body": csv,
            })]).unwrap_or_default());
            outbox::enqueue(conn, &shown.booking.id, &[message])?;
            Ok(shown)
        })
    })?;
    svc.wake_workers();
    Ok(done)
}

/// Record that nobody came (from the event's start on), with why.
pub fn no_show(
    svc: &Services,
    number: &ReservationNumber,
    reason: String,
    staff: &Staff,
) -> Result<BookingDetails, Error> {
    let now = svc.now();
    svc.db.write(|conn| {
        with_retries(conn, |conn| {
            let booking = open(conn, number, staff)?;
            held(&booking, booking.start, now, "a no-show is recorded")?;
            let mut report = report_of(conn, &booking, staff, now)?;
            report.no_show_reason = Some(reason.clone());
            event_reports::save(conn, &booking.id, &report)?;
            let mut line = HistoryEvent::note(now, EventKind::NoShow, report.updated_by.clone());
            line.detail = Some(EventDetail {
                reason: Some(reason.clone()),
                ..EventDetail::default()
            });
            booking_events::record(conn, &booking.id, &line, false)?;
            details(conn, booking)
        })
    })
}
