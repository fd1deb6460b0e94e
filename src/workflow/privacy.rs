//! Personal data has an end: a contact's data is erased on request (by e-mail address)
//! and, by the retention setting, from bookings that ended long ago. Bookings stay, so
//! the schedule and the producers' history keep their shape; what identifies a person
//! (names, phone, e-mail, the event's title and texts, reasons given, the host's
//! details) is replaced everywhere it was copied: the booking, its history, its
//! messages in the outbox and the `.eml` files they became, its webhook deliveries not
//! yet sent, and stored idempotent answers.

use std::thread::JoinHandle;

use chrono::{DateTime, Months, Utc};

use crate::background::Signal;
use crate::db::models::{
    booking_events, bookings, event_reports, idempotency_keys, outbox, webhooks,
};
use crate::db::{write_transaction, DbConnection};
use crate::domain::booking::{EventKind, HistoryEvent};
use crate::domain::error::Error;
use crate::domain::order::{Contact, EventInfo, Meeting};
use crate::domain::ERASED;

use super::{Actor, Services};

/// Bookings erased in one transaction by the retention sweep.
const SWEEP_BATCH: i64 = 200;

/// Erase every trace of the contact who ordered with `email`; returns how many bookings
/// held it.
pub fn erase_contact(svc: &Services, email: &str, actor: &Actor) -> Result<usize, Error> {
    let now = svc.now();
    let (count, files) = svc.db.write(|conn| {
        write_transaction(conn, |conn| {
            let ids = bookings::ids_for_contact(conn, email)?;
            let files = erase_bookings(conn, &ids, actor, now)?;
            // Answers stored before answers knew their booking.
            idempotency_keys::delete_containing(conn, email.trim())?;
            Ok::<_, Error>((ids.len(), files))
        })
    })?;
    crate::email::delete_files(&svc.outbox_dir, &files);
    Ok(count)
}

/// Erase the contacts of bookings that ended before `cutoff`, a batch at a time, and
/// stored idempotent answers older than it. Returns how many bookings were erased.
pub fn erase_ended_before(svc: &Services, cutoff: DateTime<Utc>) -> Result<usize, Error> {
    let now = svc.now();
    let mut total = 0;
    loop {
        let (count, files) = svc.db.write(|conn| {
            write_transaction(conn, |conn| {
                let ids = bookings::ids_ended_before(conn, cutoff, SWEEP_BATCH)?;
                let files = erase_bookings(conn, &ids, &Actor::Service("retention"), now)?;
                Ok::<_, Error>((ids.len(), files))
            })
        })?;
        crate::email::delete_files(&svc.outbox_dir, &files);
        total += count;
        if count < SWEEP_BATCH as usize {
            break;
        }
    }
    svc.db
        .write(|conn| Ok::<_, Error>(idempotency_keys::delete_before(conn, cutoff)?))?;
    Ok(total)
}

/// The retention cutoff: `months` before `now`.
pub fn retention_cutoff(now: DateTime<Utc>, months: u32) -> DateTime<Utc> {
    now.checked_sub_months(Months::new(months))
        .unwrap_or(DateTime::<Utc>::MIN_UTC)
}

/// Replace the personal data of these bookings everywhere it was copied; returns the
/// `.eml` files to delete once committed.
fn erase_bookings(
    conn: &mut DbConnection,
    ids: &[String],
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<Vec<String>, Error> {
    let mut files = vec![];
    for mut booking in bookings::by_ids(conn, ids)? {
        let address = booking.contact.email.clone();
        booking.contact = Contact {
            first_name: ERASED.into(),
            last_name: ERASED.into(),
            phone: ERASED.into(),
            email: ERASED.into(),
            locale: booking.contact.locale,
        };
        booking.event = EventInfo {
            title: ERASED.into(),
            details: None,
            comments: None,
            language: booking.event.language,
        };
        booking.meeting = Meeting {
            host_id: None,
            host_email: None,
            ..booking.meeting
        };
        if let Some(c) = booking.cancellation.as_mut() {
            c.reason = None;
        }
        booking.erased_at = Some(now);
        booking.updated_at = now;
        bookings::save(conn, &booking)?;
        booking_events::erase_reasons(conn, &booking.id)?;
        let line = HistoryEvent::note(now, EventKind::PersonalDataErased, actor.name());
        booking_events::record(conn, &booking.id, &line, false)?;
        files.extend(outbox::erase_for_booking(conn, &booking.id, &address)?);
        webhooks::erase_for_booking(conn, &booking.id)?;
        super::reminders::withdraw_contact(conn, &booking.id)?;
        // The attendance report names people; a no-show's reason may too.
        if let Some(mut report) = event_reports::find(conn, &booking.id)? {
            report.attendance_csv = None;
            report.no_show_reason = report.no_show_reason.map(|_| ERASED.into());
            report.updated_at = now;
            event_reports::save(conn, &booking.id, &report)?;
        }
        idempotency_keys::delete_for_booking(conn, &booking.id)?;
    }
    Ok(files)
}

/// The retention sweep, at start and every hour (by the service's clock), on a thread
/// of its own.
pub struct Retention {
    pub svc: Services,
    pub months: u32,
    pub signal: Signal,
}

impl Retention {
    const EVERY: chrono::Duration = chrono::Duration::hours(1);

    pub fn spawn(self) -> JoinHandle<()> {
        std::thread::Builder::new()
            .name("retention".into())
            .spawn(move || self.run())
            .expect("spawn the retention thread")
    }

    fn run(self) {
        let mut due = self.svc.now();
        while !self.signal.stopped() {
            let now = self.svc.now();
            if now >= due {
                match erase_ended_before(&self.svc, retention_cutoff(now, self.months)) {
                    Ok(0) => {}
                    Ok(n) => tracing::info!(
                        bookings = n,
                        months = self.months,
                        "retention: erased the contacts of bookings that ended long ago"
                    ),
                    Err(e) => tracing::warn!(error = %e, "retention sweep failed; will try again"),
                }
                due = self.svc.now() + Self::EVERY;
            }
            self.signal.sleep(std::time::Duration::from_secs(60));
        }
    }
}
