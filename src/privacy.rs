//! Personal data has an end: a contact's data is erased on request (by e-mail address)
//! and, by the retention setting, from bookings that ended long ago. Bookings stay, so
//! the schedule and the producers' history keep their shape; what identifies a person
//! (names, phone, e-mail, the event's title and texts, reasons given, the host's
//! details) is replaced everywhere it was copied: the booking, its history, its
//! messages in the outbox and the `.eml` files they became, and stored idempotent
//! answers.

use std::path::Path;

use chrono::{DateTime, Months, Utc};
use diesel::prelude::*;
use serde_json::Value;

use crate::booking::{Actor, BookingRow};
use crate::db::schema::{booking_events, bookings, idempotency_keys, outbox};
use crate::db::{self, to_db, DbConnection};
use crate::domain::order::{Contact, EventInfo, Meeting};
use crate::error::ApiError;

/// What replaces erased text.
pub const ERASED: &str = "(erased)";

/// Bookings erased in one transaction by the retention sweep.
const SWEEP_BATCH: i64 = 200;

/// What an erasure did.
#[derive(Debug, Default)]
pub struct Erased {
    pub bookings: usize,
    /// `.eml` files (names in the outbox folder) to delete once the erasure is committed.
    pub files: Vec<String>,
}

fn corrupt(row: &BookingRow, part: &str, e: serde_json::Error) -> ApiError {
    ApiError::Internal(anyhow::anyhow!(
        "booking {} has a {part} that does not parse: {e}",
        row.id
    ))
}

/// `LIKE` pattern matching `text` anywhere, with LIKE's wildcards in it taken literally.
fn contains_pattern(text: &str) -> String {
    let escaped = text
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    format!("%{escaped}%")
}

/// Erase every trace of the contact who ordered with `email`. Inside a write transaction.
pub fn erase_contact(
    conn: &mut DbConnection,
    email: &str,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<Erased, ApiError> {
    let norm = email.trim().to_lowercase();
    db::write_transaction(conn, |conn| {
        let ids: Vec<String> = bookings::table
            .filter(bookings::contact_email_norm.eq(&norm))
            .select(bookings::id)
            .load(conn)?;
        let mut erased = erase_bookings(conn, &ids, actor, now)?;
        // Stored answers of orders placed before answers knew their booking.
        let pattern = contains_pattern(&norm);
        let stale = diesel::delete(
            idempotency_keys::table.filter(
                diesel::dsl::sql::<diesel::sql_types::Bool>("LOWER(response_body) LIKE ")
                    .bind::<diesel::sql_types::Text, _>(pattern)
                    .sql(" ESCAPE '\\'"),
            ),
        )
        .execute(conn)?;
        if stale > 0 {
            tracing::debug!(answers = stale, "erased stored answers naming the contact");
        }
        erased.bookings = ids.len();
        Ok(erased)
    })
}

/// Erase the contacts of bookings that ended before `cutoff`, a batch at a time, and
/// stored idempotent answers older than it. Returns how many bookings were erased.
pub fn erase_ended_before(
    db: &crate::db::Database,
    cutoff: DateTime<Utc>,
    now: DateTime<Utc>,
    outbox_dir: &Path,
) -> Result<usize, ApiError> {
    let mut total = 0;
    loop {
        let erased = db.write(|conn| {
            db::write_transaction(conn, |conn| {
                let ids: Vec<String> = bookings::table
                    .filter(bookings::erased_at.is_null())
                    .filter(bookings::end_at.lt(to_db(cutoff)))
                    .select(bookings::id)
                    .limit(SWEEP_BATCH)
                    .load(conn)?;
                let mut erased = erase_bookings(conn, &ids, &Actor::Service("retention"), now)?;
                erased.bookings = ids.len();
                Ok::<_, ApiError>(erased)
            })
        })?;
        delete_files(outbox_dir, &erased.files);
        total += erased.bookings;
        if erased.bookings < SWEEP_BATCH as usize {
            break;
        }
    }
    db.write(|conn| {
        diesel::delete(
            idempotency_keys::table.filter(idempotency_keys::created_at.lt(to_db(cutoff))),
        )
        .execute(conn)
        .map_err(ApiError::from)
    })?;
    Ok(total)
}

/// The retention cutoff: `months` before `now`.
pub fn retention_cutoff(now: DateTime<Utc>, months: u32) -> DateTime<Utc> {
    now.checked_sub_months(Months::new(months))
        .unwrap_or(DateTime::<Utc>::MIN_UTC)
}

/// Delete sent messages' files from the outbox folder (after the erasure committed).
pub fn delete_files(outbox_dir: &Path, files: &[String]) {
    for name in files {
        // Only names this service wrote: a uuid and `.eml`, never a path.
        if name.contains(['/', '\\']) || !name.ends_with(".eml") {
            continue;
        }
        match std::fs::remove_file(outbox_dir.join(name)) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => {
                tracing::warn!(file = %name, error = %e, "cannot delete an erased e-mail file")
            }
        }
    }
}

/// Replace the personal data of these bookings everywhere it was copied.
fn erase_bookings(
    conn: &mut DbConnection,
    ids: &[String],
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<Erased, ApiError> {
    let mut erased = Erased::default();
    if ids.is_empty() {
        return Ok(erased);
    }
    let rows: Vec<BookingRow> = bookings::table
        .filter(bookings::id.eq_any(ids))
        .select(BookingRow::as_select())
        .load(conn)?;
    for row in &rows {
        let contact: Contact =
            serde_json::from_str(&row.contact).map_err(|e| corrupt(row, "contact", e))?;
        let event: EventInfo =
            serde_json::from_str(&row.event).map_err(|e| corrupt(row, "event", e))?;
        let meeting: Meeting =
            serde_json::from_str(&row.meeting).map_err(|e| corrupt(row, "meeting", e))?;
        let contact_address = contact.email.clone();
        let contact = Contact {
            first_name: ERASED.into(),
            last_name: ERASED.into(),
            phone: ERASED.into(),
            email: ERASED.into(),
            locale: contact.locale,
        };
        let event = EventInfo {
            title: ERASED.into(),
            details: None,
            comments: None,
            language: event.language,
        };
        let meeting = Meeting {
            host_id: None,
            host_email: None,
            ..meeting
        };
        let cancellation = match &row.cancellation {
            Some(c) => {
                let mut c: Value =
                    serde_json::from_str(c).map_err(|e| corrupt(row, "cancellation", e))?;
                if c.get("reason").is_some() {
                    c["reason"] = Value::Null;
                }
                Some(c.to_string())
            }
            None => None,
        };
        diesel::update(bookings::table.find(&row.id))
            .set((
                bookings::contact.eq(serde_json::to_string(&contact).expect("serialises")),
                bookings::contact_email_norm.eq(""),
                bookings::event.eq(serde_json::to_string(&event).expect("serialises")),
                bookings::meeting.eq(serde_json::to_string(&meeting).expect("serialises")),
                bookings::cancellation.eq(cancellation),
                bookings::erased_at.eq(Some(to_db(now))),
                bookings::updated_at.eq(to_db(now)),
            ))
            .execute(conn)?;
        // Reasons given when cancelling are the customer's words.
        let events: Vec<(String, Option<String>)> = booking_events::table
            .filter(booking_events::booking_id.eq(&row.id))
            .filter(booking_events::detail.is_not_null())
            .select((booking_events::id, booking_events::detail))
            .load(conn)?;
        for (id, detail) in events {
            let Some(Ok(mut detail)) = detail.map(|d| serde_json::from_str::<Value>(&d)) else {
                continue;
            };
            if detail.get("reason").is_some_and(|r| !r.is_null()) {
                detail["reason"] = Value::Null;
                diesel::update(booking_events::table.find(&id))
                    .set(booking_events::detail.eq(Some(detail.to_string())))
                    .execute(conn)?;
            }
        }
        crate::booking::record_event(conn, &row.id, now, actor, "personal_data_erased", None)?;
        // Messages: the files they became go; their copies of the data go; those not
        // yet sent are withdrawn.
        let files: Vec<Option<String>> = outbox::table
            .filter(outbox::booking_id.eq(&row.id))
            .select(outbox::delivered_as)
            .load(conn)?;
        erased.files.extend(files.into_iter().flatten());
        diesel::update(
            outbox::table
                .filter(outbox::booking_id.eq(&row.id))
                .filter(outbox::status.eq("pending")),
        )
        .set((
            outbox::status.eq("failed"),
            outbox::last_error.eq(Some("withdrawn: the contact's personal data was erased")),
        ))
        .execute(conn)?;
        diesel::update(
            outbox::table
                .filter(outbox::booking_id.eq(&row.id))
                .filter(outbox::recipient.eq(&contact_address)),
        )
        .set(outbox::recipient.eq(ERASED))
        .execute(conn)?;
        diesel::update(outbox::table.filter(outbox::booking_id.eq(&row.id)))
            .set((
                outbox::payload.eq("{}"),
                outbox::delivered_as.eq(None::<String>),
            ))
            .execute(conn)?;
        diesel::delete(idempotency_keys::table.filter(idempotency_keys::booking_id.eq(&row.id)))
            .execute(conn)?;
    }
    Ok(erased)
}
